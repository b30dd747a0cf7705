"""The redaction corpus end to end: 0 leaks in anything the bot prints, posts or logs.

Secrets are planted in the `scenes.leaky` cluster (ConfigMap values, env, annotations, Secret
data, a Secret zombie's last-applied copy, Helm values, crash logs) and the real scan, app
report and logs report run against it through the real clients, with every logger at DEBUG.
Each output channel is then searched for every planted secret. Two more checks keep the
test honest: the places that held a secret are still shown (masked, not dropped), and
ordinary text that merely looks secret-ish comes back unchanged.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from bot.core.digest import build_digest
from bot.core.model import AppReport, Finding, ScanReport, StuckApp
from bot.core.redact import REDACTED
from bot.delivery.render import answers as render
from bot.delivery.render import digest as digest_render
from bot.delivery.render import digest_text
from bot.delivery.render import text as cli_text
from bot.simulator import Simulator
from tests.reliability import scenes
from tests.reliability.support import NOW, make_service

ALL_SECRETS = (
    *(secret for _, secret in scenes.DATA_SECRETS),
    *scenes.STRUCTURED_SECRETS,
    scenes.SIM_TOKEN,
)


class _Records(logging.Handler):
    """Keeps every record, formatted the way a plain handler would print it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logging.Formatter().format(record))


@dataclass(frozen=True)
class Run:
    """Everything one scan, app report and logs report of the leaky cluster produced."""

    scan: ScanReport
    app: AppReport
    logs: StuckApp
    bot_log: str


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """The three answers, with every logger (ours, httpx, urllib3) recorded at DEBUG."""
    root = logging.getLogger()
    handler, level = _Records(), root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with Simulator(scenes.leaky(), token=scenes.SIM_TOKEN) as sim:
            service = make_service(sim, tmp_path_factory.mktemp("leaky"))
            try:
                scan = service.scan()
                app = service.app_report("payments")
                logs = service.logs_report("payments")
            finally:
                service.close()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    return Run(scan, app, logs, "\n".join(handler.lines))


def _slack(message: render.Message) -> str:
    return json.dumps(message.blocks, ensure_ascii=False) + "\n" + message.text


def _outputs(run: Run) -> dict[str, str]:
    plain = cli_text.Style.plain()
    digest = build_digest(run.scan, previous=None, acks=None, now=NOW)
    blocks, fallback = digest_render.digest_blocks(digest)
    return {
        "scan-json": json.dumps(run.scan.to_json(), ensure_ascii=False),
        "app-json": json.dumps(run.app.to_json(), ensure_ascii=False),
        "logs-json": json.dumps(run.logs.to_json(), ensure_ascii=False),
        "cli-scan": cli_text.render_scan(run.scan, plain),
        "cli-app": cli_text.render_app(run.app, plain),
        "cli-logs": cli_text.render_logs(run.logs, NOW, plain),
        "slack-app": _slack(render.app_report(run.app)),
        "slack-logs": _slack(render.stuck_app(run.logs, NOW)),
        "slack-digest": json.dumps(blocks, ensure_ascii=False) + "\n" + fallback,
        "digest-text": digest_text.digest_text(digest),
        "bot-log": run.bot_log,
    }


CHANNELS = [
    "scan-json",
    "app-json",
    "logs-json",
    "cli-scan",
    "cli-app",
    "cli-logs",
    "slack-app",
    "slack-logs",
    "slack-digest",
    "digest-text",
    "bot-log",
]


@pytest.mark.parametrize("channel", CHANNELS)
def test_no_planted_secret_reaches_the_output(run: Run, channel: str) -> None:
    """Not one of the planted secrets appears in this output, in any form we print."""
    output = _outputs(run)[channel]
    assert output.strip(), "the channel produced something to search"
    leaked = [secret for secret in ALL_SECRETS if secret in output]
    assert leaked == []


def _finding(report: ScanReport, kind: str, name: str) -> Finding:
    (found,) = [f for f in report.findings if f.key.kind == kind and f.key.name == name]
    return found


def _live(finding: Finding) -> dict[str, Any]:
    return {e.path: e.live for e in finding.evidence}


def test_every_secret_bearing_value_is_shown_masked_not_dropped(run: Run) -> None:
    """Each planted ConfigMap value is still in the evidence, with the secret masked in place."""
    live = _live(_finding(run.scan, "ConfigMap", "settings"))
    for i, (text, secret) in enumerate(scenes.DATA_SECRETS):
        shown = live[f"/data/case-{i:02d}"]
        assert REDACTED in shown, text
        assert secret not in shown


def test_every_crash_log_is_shown_with_its_secret_masked(run: Run) -> None:
    """One crash-looping pod per secret: each pod's decisive lines are there, masked."""
    (stuck,) = run.scan.stuck
    assert len(stuck.pods) == len(scenes.LOG_SECRETS) + len(scenes.BENIGN_LINES)
    masked = [pod for pod in stuck.pods if any(REDACTED in line for line in pod.log)]
    # One benign corpus line mentions "[REDACTED]" itself.
    benign = sum(REDACTED in line for line in scenes.BENIGN_LINES)
    assert len(masked) == len(scenes.LOG_SECRETS) + benign


def test_structured_secrets_are_masked_where_they_sit(run: Run) -> None:
    """Env values, Secret data and Helm parameters keep their keys; only the values go."""
    deployment = _live(_finding(run.scan, "Deployment", "api"))
    env = "/spec/template/spec/containers/0/env/{}/value".format
    assert [deployment[env(i)] for i in (0, 1, 3, 4)] == [REDACTED] * 4
    assert deployment[env(2)] == f"postgres://app:{REDACTED}@db:5432/app"  # user and host stay
    secret = _live(_finding(run.scan, "Secret", "db-credentials"))
    assert secret["/data/password"] == REDACTED
    assert secret["/stringData"] == {"token": REDACTED}
    (child,) = [f for f in run.scan.findings if f.key.kind == "Application"]
    (helm,) = [e.git for e in child.evidence if e.path == "/spec/source/helm"]
    assert helm["parameters"] == [{"name": "db.password", "value": REDACTED}]
    assert helm["values"] == f"auth:\n  adminPassword: {REDACTED}\n"


def test_benign_text_survives_unredacted(run: Run) -> None:
    """Ordinary lines, digests, UUIDs and secret-ish words come back byte for byte."""
    config = _live(_finding(run.scan, "ConfigMap", "settings"))
    lines = scenes.BENIGN_LINES
    assert [config[f"/data/benign-{i:02d}"] for i in range(len(lines))] == list(lines)
    logs = {line for pod in run.scan.stuck[0].pods for line in pod.log}
    assert [line for line in lines if line not in logs] == []
    deployment = json.dumps(_finding(run.scan, "Deployment", "api").to_json())
    assert [v for v in scenes.BENIGN_VALUES if json.dumps(v) not in deployment] == []
    assert "password-reset-service" in _outputs(run)["cli-scan"]
