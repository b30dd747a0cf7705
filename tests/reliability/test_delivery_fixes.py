"""Reliability cases whose fixes live in delivery code (apply the fixes, then add this file).

Slack: slack_sdk lets urllib's errors through `SlackPoster` (refused, timed out) and does not
retry 5xx. Rendering: backticks in cluster text shown outside code open code spans in Slack.
Terminal: control characters from cluster text reach the terminal raw.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.core.digest import build_digest
from bot.core.model import ScanError, ScanReport, Totals
from bot.delivery.render import answers as render
from bot.delivery.render import digest as digest_render
from bot.delivery.render import text as cli_text
from bot.errors import DeliveryError
from bot.settings import load_settings
from bot.simulator import Fault, Simulator
from tests.conftest import free_port
from tests.delivery.slack import seed
from tests.reliability.support import make_service
from tests.reliability.test_slack_faults import BLOCKS, CHANNEL, POST, FlakySlack, accepted


@dataclass
class SlowSlack(FlakySlack):
    """Answers the next chat.postMessage only after ``delay`` seconds (it is still posted)."""

    delay: float = 0.0

    def _answer(
        self, path: str, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        if path == POST and self.delay:
            delay, self.delay = self.delay, 0.0
            time.sleep(delay)
        return super()._answer(path, headers, body)


@pytest.fixture
def slow_slack() -> Iterator[SlowSlack]:
    with SlowSlack() as fake:
        yield fake


def _poster(api_url: str, timeout_s: int = 10) -> SlackPoster:
    settings = load_settings(
        slack_bot_token=FlakySlack.token,
        slack_api_url=api_url,
        drift_http_timeout=timedelta(seconds=timeout_s),
    )
    return SlackPoster(build_web_client(settings))


def test_a_server_error_is_retried_and_the_message_posted_once(slow_slack: SlowSlack) -> None:
    """Slack answers 503 once: the post is retried and lands exactly once."""
    slow_slack.fail(POST, 503, times=1)
    _poster(slow_slack.api_url).post(CHANNEL, BLOCKS, "Drift digest")
    assert [c.status for c in slow_slack.calls(POST)] == [503, 200]
    assert len(accepted(slow_slack)) == 1


def test_slack_unreachable_is_a_delivery_error_naming_slack_api_url() -> None:
    """Nothing listens at SLACK_API_URL: a DeliveryError that says which setting to check."""
    with pytest.raises(DeliveryError, match="SLACK_API_URL"):
        _poster(f"http://127.0.0.1:{free_port()}/api/").post(CHANNEL, BLOCKS, "Drift digest")


def test_a_timed_out_post_is_a_delivery_error_and_never_sent_twice(slow_slack: SlowSlack) -> None:
    """Slack answers after our 1 s timeout: a DeliveryError, and no second copy is sent."""
    slow_slack.delay = 1.5
    with pytest.raises(DeliveryError, match="SLACK_API_URL"):
        _poster(slow_slack.api_url, timeout_s=1).post(CHANNEL, BLOCKS, "Drift digest")
    time.sleep(0.7)  # the fake finishes the slow answer it was sleeping on
    assert len(slow_slack.calls(POST)) == 1


# --- backticks in cluster text shown outside code ---------------------------------------------

TICKS = "exec: ```rm -rf` failed"


def _balanced(texts: list[str]) -> None:
    for text in texts:
        assert text.count("```") % 2 == 0, text
        assert text.replace("```", "").count("`") % 2 == 0, text


def _section_texts(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)]


def test_a_pod_message_cannot_open_a_code_span() -> None:
    """A container's status message with backticks is shown neutralised in `/drift logs`."""
    stuck = seed.rollouts_stuck()
    stuck = replace(stuck, pods=(replace(stuck.pods[0], message=TICKS),))
    _balanced(_section_texts(render.stuck_app(stuck, seed.NOW).blocks))


def test_an_error_message_cannot_open_a_code_span() -> None:
    """An upstream error quoting backticks is shown neutralised in `/drift app` and the digest."""
    error = ScanError(app="gitea", source="argocd", message=f"body is not JSON: <html>{TICKS}")
    report = replace(seed.gitea_report(), errors=(error,))
    _balanced(_section_texts(render.app_report(report).blocks))
    scan = ScanReport(generated_at=seed.NOW, totals=Totals(1, 1, 0, 0), errors=(error,))
    blocks, _ = digest_render.digest_blocks(
        build_digest(scan, previous=None, acks=None, now=seed.NOW)
    )
    _balanced(_section_texts(blocks))


# --- control characters on the terminal -------------------------------------------------------


def test_cluster_text_cannot_drive_the_terminal() -> None:
    """ANSI/OSC escapes in a log line or message never reach the terminal raw."""
    stuck = seed.rollouts_stuck(log=("\x1b]0;pwned\x07level=fatal msg=\x1b[2Jboom",))
    stuck = replace(stuck, pods=(replace(stuck.pods[0], message="bad\x1b[31m red"),))
    report = replace(seed.rollouts_report(), stuck=stuck)
    plain = cli_text.Style.plain()
    for out in (cli_text.render_logs(stuck, seed.NOW, plain), cli_text.render_app(report, plain)):
        assert "\x1b" not in out
        assert "\x07" not in out
        assert "boom" in out


# --- kube.py: a broken answer is described, never quoted --------------------------------------


def test_a_broken_kubernetes_body_is_described_not_quoted(
    seed_sim: Simulator, tmp_path: Path
) -> None:
    """A pod list cut short may hold env secrets: the errors entry describes it, never quotes it."""
    body = (
        '{"kind":"PodList","items":[{"spec":{"containers":[{"env":'
        '[{"name":"DB_PASSWORD","value":"S3cretFromPodSpec"}'
    )
    seed_sim.inject(Fault(api="kube", path_regex="/pods$", status=200, body=body, times=None))
    service = make_service(seed_sim, tmp_path)
    try:
        report = service.scan()
    finally:
        service.close()
    assert report.errors
    assert {e.source for e in report.errors} == {"kubernetes"}
    assert "S3cretFromPodSpec" not in json.dumps(report.to_json())
