"""Slack failing under `SlackPoster` (digest, escalation): retried or reduced, posted once.

The poster is built exactly as production builds it (`build_web_client`, with its retry
handlers) and talks to the recording fake Slack Web API, so "posted exactly once" is counted
on what the fake accepted. Answers the fake has no switch for (5xx) come from a subclass.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.errors import DeliveryError
from bot.settings import load_settings
from tests.fakes.slack_api import MAX_TEXT, FakeSlackApi

POST = "/api/chat.postMessage"
CHANNEL = "C0DRIFT"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Drift digest*"}}]


@dataclass
class FlakySlack(FakeSlackApi):
    """The fake Slack, plus server errors on demand: ``fail(path, status, times)``."""

    failures: dict[str, list[int]] = field(default_factory=dict)

    def fail(self, path: str, status: int, *, times: int) -> None:
        with self._lock:
            self.failures[path] = [status] * times

    def _answer(
        self, path: str, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            pending = self.failures.get(path)
            status = pending.pop(0) if pending else None
        if status is not None:
            return status, {}, {"ok": False, "error": "internal_error"}
        return super()._answer(path, headers, body)


@pytest.fixture
def slack() -> Iterator[FlakySlack]:
    with FlakySlack() as fake:
        yield fake


def poster_for(api_url: str, token: str | None = None) -> SlackPoster:
    settings = load_settings(slack_bot_token=token or FakeSlackApi.token, slack_api_url=api_url)
    return SlackPoster(build_web_client(settings))


def accepted(slack: FakeSlackApi) -> list[Any]:
    return [call for call in slack.calls(POST) if call.accepted]


def test_429_waits_for_retry_after_and_posts_once(slack: FlakySlack) -> None:
    """A 429 with Retry-After: 1 is waited out, then the message lands exactly once."""
    slack.rate_limit(POST, times=1, retry_after=1)
    started = time.monotonic()
    ts = poster_for(slack.api_url).post(CHANNEL, BLOCKS, "Drift digest")
    assert time.monotonic() - started >= 1.0
    assert [c.status for c in slack.calls(POST)] == [429, 200]
    (posted,) = accepted(slack)
    assert ts
    assert posted.body["blocks"] == BLOCKS


def test_rate_limited_past_the_retries_is_a_delivery_error_and_nothing_posted(
    slack: FlakySlack,
) -> None:
    """Slack keeps answering 429: after 3 retries a DeliveryError says so; nothing was posted."""
    slack.rate_limit(POST, times=10, retry_after=0)
    with pytest.raises(DeliveryError, match="ratelimited"):
        poster_for(slack.api_url).post(CHANNEL, BLOCKS, "Drift digest")
    assert len(slack.calls(POST)) == 4
    assert accepted(slack) == []


def test_invalid_blocks_fall_back_to_the_text_once(slack: FlakySlack) -> None:
    """Blocks Slack refuses (invalid_blocks): the fallback text alone is posted, exactly once."""
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    poster_for(slack.api_url).post(CHANNEL, too_long, "Drift digest: 3 stuck apps")
    calls = slack.calls(POST)
    assert [c.accepted for c in calls] == [False, True]
    assert calls[0].answer["error"] == "invalid_blocks"
    (posted,) = accepted(slack)
    assert "blocks" not in posted.body
    assert posted.body["text"] == "Drift digest: 3 stuck apps"


def test_an_over_long_message_is_cut_to_fit_and_posted_once(slack: FlakySlack) -> None:
    """Too many blocks and a fallback over 40,000 characters: the cut text lands, once."""
    blocks = BLOCKS * 60
    poster_for(slack.api_url).post(CHANNEL, blocks, "y" * 50_000)
    (posted,) = accepted(slack)
    assert "blocks" not in posted.body
    assert 0 < len(posted.body["text"]) <= MAX_TEXT


def test_a_persistent_server_error_is_a_delivery_error_and_nothing_posted(
    slack: FlakySlack,
) -> None:
    """Slack answering 500 every time: a DeliveryError naming Slack's error, no message."""
    slack.fail(POST, 500, times=10)
    with pytest.raises(DeliveryError, match="internal_error"):
        poster_for(slack.api_url).post(CHANNEL, BLOCKS, "Drift digest")
    assert accepted(slack) == []


def test_a_wrong_token_is_not_retried_and_names_slack_bot_token(slack: FlakySlack) -> None:
    """invalid_auth is final: one request, and the error says to check SLACK_BOT_TOKEN."""
    with pytest.raises(DeliveryError, match="SLACK_BOT_TOKEN"):
        poster_for(slack.api_url, token="xoxb-wrong").post(CHANNEL, BLOCKS, "Drift digest")
    assert len(slack.calls(POST)) == 1
