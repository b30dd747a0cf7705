"""Log setup: response_urls never reach the log sink, whatever the Slack libraries log.

A slash command's ``response_url`` lets anyone who holds it post into the channel, and
slack_sdk logs the URLs it posts to (DEBUG on every send, INFO on retries). The real
WebhookClient posts to the recording fake Slack with our log setup at DEBUG.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from slack_sdk.webhook import WebhookClient

from bot import logs
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in ("slack_sdk.webhook", "httpx")}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_real_webhook_post_at_debug_logs_no_response_url(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Posting to a response_url with every logger at DEBUG leaves its path out of the log."""
    logs.configure(fmt, level=logging.DEBUG)  # type: ignore[arg-type]
    with FakeSlackApi() as fake:
        url = fake.response_url("T0CAPABILITY-1234")
        # What a retry or a failed post logs, on the webhook client's own logger.
        logging.getLogger("slack_sdk.webhook.client").warning("Going to retry: POST %s", url)
        assert WebhookClient(url).send(text="answer").status_code == 200
        assert fake.responses("T0CAPABILITY-1234")
    err = capsys.readouterr().err
    assert "Going to retry: POST" in err
    assert "T0CAPABILITY-1234" not in err


@pytest.mark.parametrize(
    ("logger", "message", "hidden", "kept"),
    [
        pytest.param(
            "slack_sdk.web.base_client",
            "Going to retry the same request: POST https://hooks.slack.com/commands/T1/55/Zq8Rk",
            "/commands/T1/55/Zq8Rk",
            "https://hooks.slack.com/[REDACTED]",
            id="retry",
        ),
        pytest.param(
            "slack_bolt.App",
            "body: token=x&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1%2F55%2FZq8Rk"
            "&trigger_id=1",
            "Zq8Rk",
            "&trigger_id=1",
            id="encoded-in-a-body",
        ),
        pytest.param(
            "slack_sdk.web.base_client",
            "Sending a request - url: https://slack.com/api/chat.postMessage",
            "(nothing)",
            "https://slack.com/api/chat.postMessage",
            id="web-api-method-stays",
        ),
    ],
)
def test_slack_records_lose_url_paths(
    logger: str, message: str, hidden: str, kept: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Paths go, hosts and Web API method names stay (they name no capability)."""
    logs.configure("text", level=logging.DEBUG)
    logging.getLogger(logger).info(message)
    err = capsys.readouterr().err
    assert kept in err
    assert hidden not in err


def test_other_loggers_keep_their_urls(capsys: pytest.CaptureFixture[str]) -> None:
    """Our own records are only redacted: an Argo CD URL stays readable."""
    logs.configure("text")
    logging.getLogger("bot.service").info("GET https://argocd.example/api/v1/applications/x")
    assert "https://argocd.example/api/v1/applications/x" in capsys.readouterr().err
