"""Golden output for every rendering: CLI text, Slack answers, the digest and the escalation ping.

Each case renders the seed's answers (``tests.delivery.slack.seed``: gitea's schema defaults and
zombies, argo-rollouts' unadopted CRDs and its 21-day crash loop) plus one hostile finding,
and compares the result byte for byte with a reviewed file in ``golden/``.

After an intended rendering change, regenerate and review the diff::

    DRIFT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/delivery/render/test_golden.py
    git diff tests/delivery/render/golden/
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.digest import build_digest, snapshot_of
from bot.core.model import (
    Ack,
    AckScope,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    ResourceKey,
    ScanError,
    ScanReport,
    Totals,
)
from bot.delivery.render import answers, digest, digest_text, escalation, text
from bot.delivery.render.blocks import Message
from tests.delivery.slack import seed
from tests.fakes.slack_api import limit_problem

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DRIFT_UPDATE_GOLDEN") == "1"
"""The one way to regenerate: ``DRIFT_UPDATE_GOLDEN=1`` rewrites the files instead of comparing."""

NOW = seed.NOW
HOSTILE = "<!channel> `rm -rf` & <http://evil|click>"


def hostile_finding() -> Finding:
    """Unexplained drift whose cluster values carry mentions, links, backticks and a TTY escape."""
    return Finding(
        app="evil",
        drift_class=DriftClass.UNEXPLAINED,
        key=ResourceKey("", "ConfigMap", "evil<ns>", "cm`x`"),
        summary=f"changed by hand: {HOSTILE}\x1b[31m",
        evidence=(Evidence("/data/motd", DiffOp.CHANGED, "hello", HOSTILE),),
        fix=Fix(FixKind.INVESTIGATE, f"kubectl -n 'evil<ns>' diff # {HOSTILE}"),
    )


def scan() -> ScanReport:
    gitea, rollouts = seed.gitea_report(), seed.rollouts_report()
    return ScanReport(
        generated_at=NOW,
        totals=Totals(total=4, out_of_sync=3, progressing=2, stuck=1),
        findings=(*gitea.findings, *rollouts.findings, hostile_finding()),
        stuck=(seed.rollouts_stuck(),),
        errors=(ScanError(app="vault", source="argocd", message="HTTP 503 <upstream>"),),
        health={"gitea": "Progressing", "argo-rollouts": "Progressing", "evil": "Healthy"},
    )


def acks() -> tuple[Ack, ...]:
    gitea = seed.gitea_report()
    return (
        Ack(
            id="a1b2c3",
            scope=AckScope("gitea", "ExternalSecret", "gitea-admin"),
            fingerprints=frozenset({gitea.findings[0].fingerprint}),
            by="U0ALICE",
            reason="ESO upgrade pending <PLAT-42>",
            created_at=NOW - timedelta(days=6),
            expires_at=NOW + timedelta(hours=5),
        ),
        Ack(
            id="d4e5f6",
            scope=AckScope("argo-rollouts"),
            fingerprints=frozenset(f.fingerprint for f in seed.rollouts_report().findings),
            by="cli:bob",
            reason="CRDs adopted in PLAT-7",
            created_at=NOW - timedelta(days=1),
            expires_at=NOW + timedelta(days=6),
        ),
    )


def the_digest() -> Any:
    today = scan()
    gone = seed.zombie("traefik", "Service", "traefik", "traefik-old")
    yesterday = replace(
        today,
        generated_at=NOW - timedelta(days=1),
        totals=Totals(total=4, out_of_sync=2, progressing=1, stuck=1),
        findings=(*seed.gitea_report().findings[1:], gone),
    )
    return build_digest(today, previous=snapshot_of(yesterday), acks=acks(), now=NOW)


def _message(message: Message) -> str:
    return _json({"blocks": message.blocks, "text": message.text})


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _pair(rendered: tuple[list[dict[str, Any]], str]) -> str:
    return _json({"blocks": rendered[0], "text": rendered[1]})


def _hostile_app() -> Any:
    return replace(seed.gitea_report(), app="evil", findings=(hostile_finding(),))


PLAIN = text.Style.plain()
CASES: dict[str, Callable[[], str]] = {
    "cli-scan.txt": lambda: text.render_scan(scan(), PLAIN),
    "cli-scan-colour.txt": lambda: text.render_scan(scan(), text.Style(enabled=True)),
    "cli-app-gitea.txt": lambda: text.render_app(seed.gitea_report(), PLAIN),
    "cli-app-argo-rollouts.txt": lambda: text.render_app(seed.rollouts_report(), PLAIN),
    "cli-app-evil.txt": lambda: text.render_app(_hostile_app(), PLAIN),
    "cli-logs-argo-rollouts.txt": lambda: text.render_logs(seed.rollouts_stuck(), NOW, PLAIN),
    "gitea.json": lambda: _message(answers.app_report(seed.gitea_report())),
    "argo-rollouts.json": lambda: _message(answers.app_report(seed.rollouts_report())),
    "evil.json": lambda: _message(answers.app_report(_hostile_app())),
    "argo-rollouts-logs.json": lambda: _message(answers.stuck_app(seed.rollouts_stuck(), NOW)),
    "help.json": lambda: _message(answers.help_message()),
    "acks.json": lambda: _message(answers.acks_list(acks(), NOW)),
    "ack-confirmation.json": lambda: _message(answers.ack_confirmation(acks()[0], NOW)),
    "digest.json": lambda: _pair(digest.digest_blocks(the_digest())),
    "digest.txt": lambda: digest_text.digest_text(the_digest()),
    "recovered.json": lambda: _pair(
        escalation.recovered_message("argo-rollouts", timedelta(hours=3))
    ),
    "escalation.json": lambda: _pair(
        escalation.escalation_message(seed.rollouts_stuck(), "<!subteam^S0ONCALL>", NOW)
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name: str) -> None:
    """The rendering equals the stored, reviewed file byte for byte."""
    rendered = CASES[name]()
    path = GOLDEN / name
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith(".json")))
def test_golden_is_valid_for_slack(name: str) -> None:
    """Every stored Slack message passes Slack's limits as the fake Slack API enforces them."""
    payload = json.loads((GOLDEN / name).read_text(encoding="utf-8"))
    assert limit_problem(payload) is None


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.endswith(".json")))
def test_golden_pings_nobody(name: str) -> None:
    """No cluster value reaches Slack unescaped: no broadcast, no forged link."""
    stored = (GOLDEN / name).read_text(encoding="utf-8")
    assert "<!channel>" not in stored
    assert "<http://evil" not in stored


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_drives_no_terminal(name: str) -> None:
    """The escape sequence hidden in a cluster value never reaches the output."""
    assert "\x1b[31m" not in (GOLDEN / name).read_text(encoding="utf-8")
