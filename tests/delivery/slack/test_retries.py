"""Slack's 429s are waited out by slack_sdk's retry handler: posted once, never twice."""

from __future__ import annotations

import time

from bot.wiring import build_slack_app
from tests.delivery.slack.conftest import make_settings, seed_backend
from tests.fakes.slack_api import FakeSlackApi


def test_post_message_retried_after_retry_after(fake_slack: FakeSlackApi) -> None:
    """A 429 on chat.postMessage is retried after Retry-After, and the message lands once."""
    app = build_slack_app(seed_backend(), make_settings(fake_slack))
    fake_slack.rate_limit("/api/chat.postMessage", times=1, retry_after=1)
    started = time.monotonic()
    response = app.client.chat_postMessage(channel="C0DRIFT", text="digest")
    elapsed = time.monotonic() - started
    assert response["ok"] is True
    calls = fake_slack.calls("/api/chat.postMessage")
    assert [c.status for c in calls] == [429, 200]
    assert sum(c.accepted for c in calls) == 1
    assert elapsed >= 1.0, "waited for Retry-After"
    assert all(c.headers["authorization"] == f"Bearer {fake_slack.token}" for c in calls)
