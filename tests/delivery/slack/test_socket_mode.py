"""Socket Mode: the same listener answers requests that arrive over the websocket."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qs

import pytest
from slack_bolt.request import BoltRequest

from bot.delivery.slack import buttons, ids
from bot.delivery.slack.app import start_socket_mode
from bot.delivery.slack.links import ArgoLinks
from bot.errors import ConfigError
from bot.wiring import build_slack_app
from tests.delivery.slack import clicks, seed
from tests.delivery.slack.conftest import ALICE, Served, make_settings, seed_backend
from tests.fakes.slack_api import FakeSlackApi, wait_for

APP_TOKEN = "xapp-1-A0DRIFT-1-fake"


def slash_payload(fake: FakeSlackApi, text: str) -> dict[str, str]:
    """A slash command as Socket Mode delivers it: the form fields as a JSON payload."""
    return {
        "token": "deprecated",
        "team_id": "T0FAKE",
        "channel_id": "C0DRIFT",
        "user_id": ALICE,
        "command": "/drift",
        "text": text,
        "api_app_id": "A0DRIFT",
        "response_url": fake.response_url("socket"),
        "trigger_id": "1.2.3",
    }


def test_socket_mode_request_is_acked_and_answered(fake_slack: FakeSlackApi) -> None:
    """A socket-mode slash command needs no signature, is acked, and answered via response_url."""
    settings = make_settings(fake_slack, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    backend = seed_backend()
    app = build_slack_app(backend, settings, clock=lambda: seed.NOW)
    request = BoltRequest(body=slash_payload(fake_slack, "logs argo-rollouts"), mode="socket_mode")
    response = app.dispatch(request)
    assert response.status == 200
    assert json.loads(response.body) == {"text": "Working on it…", "response_type": "ephemeral"}
    wait_for(lambda: fake_slack.responses("socket"))
    (posted,) = fake_slack.responses("socket")
    assert posted.accepted
    assert "level=fatal" in posted.text_of_blocks
    # The answer draws Ack… or Unack, so it asks which acks are in force.
    assert backend.calls == [("logs_report", "argo-rollouts"), ("acks",)]


def test_http_is_closed_in_socket_mode_without_secret(serve: Callable[..., Served]) -> None:
    """Without a signing secret, HTTP requests signed with an empty secret are still refused."""
    served = serve(slack_app_token=APP_TOKEN, slack_signing_secret=None)
    status, _, _ = served.command("app gitea", secret="")
    assert status == 401
    assert served.backend.calls == []


def test_socket_mode_needs_the_app_token(fake_slack: FakeSlackApi) -> None:
    """Starting Socket Mode without SLACK_APP_TOKEN is a configuration error naming it."""
    settings = make_settings(fake_slack)
    app = build_slack_app(seed_backend(), settings)
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN"):
        start_socket_mode(app, settings)


def test_socket_mode_click_opens_the_ack_modal(fake_slack: FakeSlackApi) -> None:
    """A button click over the websocket is acknowledged and opens the modal, like over HTTP."""
    settings = make_settings(fake_slack, slack_app_token=APP_TOKEN, slack_signing_secret=None)
    app = build_slack_app(seed_backend(), settings, clock=lambda: seed.NOW)
    panel = buttons.Buttons(ArgoLinks(None), now=seed.NOW, surface=ids.SURFACE_ESCALATION)
    message = {"blocks": panel.stuck(seed.rollouts_stuck())}
    form = clicks.block_actions(fake_slack, message, ids.ACK_APP, user=ALICE, ts="1700000000.1")
    payload = json.loads(parse_qs(form)["payload"][0])
    response = app.dispatch(BoltRequest(body=payload, mode="socket_mode"))
    assert response.status == 200
    wait_for(lambda: fake_slack.views)
    (modal,) = fake_slack.views.values()
    assert modal["callback_id"] == ids.ACK_MODAL
