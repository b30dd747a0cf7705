"""Building the Slack app: the Web API client it uses, and configuration errors named clearly."""

from __future__ import annotations

import time

import pytest
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.errors import ConfigError, UpstreamUnavailableError
from bot.wiring import build_slack_app
from tests.conftest import free_port
from tests.delivery.slack.conftest import make_settings, seed_backend
from tests.fakes.slack_api import FakeSlackApi


def test_client_points_at_slack_api_url_with_retries(fake_slack: FakeSlackApi) -> None:
    """The default client uses SLACK_API_URL and slack_sdk's rate-limit and connection retries."""
    app = build_slack_app(seed_backend(), make_settings(fake_slack))
    assert app.client.base_url == fake_slack.api_url
    kinds = {type(handler) for handler in app.client.retry_handlers}
    assert {RateLimitErrorRetryHandler, ConnectionErrorRetryHandler} <= kinds
    (check,) = fake_slack.calls("/api/auth.test")
    assert check.accepted, "the token is verified when the app is built"


def test_given_client_is_used(fake_slack: FakeSlackApi) -> None:
    """An explicitly passed WebClient is the one the app uses."""
    client = WebClient(token=fake_slack.token, base_url=fake_slack.api_url)
    app = build_slack_app(seed_backend(), make_settings(fake_slack), client=client)
    assert app.client is client


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        pytest.param({"slack_bot_token": None}, "SLACK_BOT_TOKEN", id="no-bot-token"),
        pytest.param(
            {"slack_signing_secret": None}, "SLACK_SIGNING_SECRET", id="no-secret-in-http-mode"
        ),
        pytest.param({"slack_bot_token": "xoxb-wrong"}, "Slack rejected SLACK_BOT_TOKEN", id="bad"),
    ],
)
def test_configuration_errors_name_the_variable(
    fake_slack: FakeSlackApi, overrides: dict[str, object], needle: str
) -> None:
    """Missing or rejected Slack credentials fail at build time, naming the env var."""
    with pytest.raises(ConfigError, match=needle):
        build_slack_app(seed_backend(), make_settings(fake_slack, **overrides))


def test_unreachable_slack_names_the_url_setting(fake_slack: FakeSlackApi) -> None:
    """When Slack's Web API cannot be reached, the error points at SLACK_API_URL."""
    dead = f"http://127.0.0.1:{free_port()}/api/"
    started = time.monotonic()
    with pytest.raises(UpstreamUnavailableError) as caught:
        build_slack_app(seed_backend(), make_settings(fake_slack, slack_api_url=dead))
    assert caught.value.setting == "SLACK_API_URL"
    assert caught.value.source == "slack"
    assert time.monotonic() - started < 10
