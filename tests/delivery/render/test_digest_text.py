"""The daily digest for a terminal: same order as Slack, more room, no control characters."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core import acks as acks_core
from bot.core.digest import build_digest
from bot.core.model import AckScope, DriftClass, ScanError, StuckApp
from bot.delivery.render.digest_text import digest_text
from tests.core.test_digest import T0, ack, finding, report, snapshot, stuck


def test_text_digest_reads_top_to_bottom_in_the_documented_order() -> None:
    """Stuck apps, totals, changes, classes, acked, unexplained, expiring acks, errors."""
    a = finding(name="a")
    u = finding("other", cls=DriftClass.UNEXPLAINED)
    d = build_digest(
        report(
            (a, u, finding(name="b")),
            stuck_apps=(stuck(),),
            errors=(ScanError("kyverno", "argocd", "denied"),),
        ),
        previous=snapshot(finding(name="gone")),
        acks=[ack([a], "gitea/ExternalSecret/a", now=T0 - timedelta(days=6, hours=20))],
        now=T0,
    )
    text = digest_text(d)
    order = [
        "Drift digest · 2024-05-02 09:00 UTC",
        "STUCK (1) — read these first",
        "    pod argo-rollouts/argo-rollouts-6d8f-x2 container argo-rollouts: CrashLoopBackOff, "
        "1154 restarts, age 21d",
        "      | fatal: boom",
        "52 apps · 20 OutOfSync · 4 Progressing · 1 stuck (same as yesterday)",
        "New since yesterday (2):",
        " +[?] other  ExternalSecret/gitea-admin in gitea — 1 field",
        "Resolved since yesterday (1):",
        " -[A] gitea  ExternalSecret/gone in gitea — was:",
        "UNEXPLAINED (1) — matches no benign class:",
        "  [?] other  ExternalSecret/gitea-admin in gitea — 1 field defaulted by the CRD schema "
        "· /spec/target/deletionPolicy",
        "[A] CRD schema defaults (schema-defaults): 1 open, 1 acked",
        "Acked (1), folded: [A] schema-defaults 1",
        "Acks expiring within a day (1):",
        "  a7  gitea/ExternalSecret/a by U123, expires in 4h — upstream chart bug",
        "Could not read 1 app:",
        "  kyverno [argocd]: denied",
    ]
    positions = [text.index(line) for line in order]
    assert positions == sorted(positions)


def test_text_digest_replaces_control_characters_from_the_cluster() -> None:
    """Escape sequences in names and log lines cannot drive the terminal."""
    s = stuck(log=("\x1b[2Jgone\x07",))
    d = build_digest(
        report((finding("evil\x1b]0;x\x07"),), stuck_apps=(s,)), previous=None, acks=[], now=T0
    )
    text = digest_text(d)
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "      | \ufffd[2Jgone\ufffd" in text
    assert "evil\ufffd]0;x\ufffd" in text


def test_text_digest_without_snapshot_or_store_says_so() -> None:
    """No snapshot and no store: both facts are stated, and no empty sections appear."""
    text = digest_text(build_digest(report(), previous=None, acks=None, now=T0))
    assert "No snapshot from an earlier digest yet" in text
    assert "acks were NOT applied" in text
    assert "no drift: every resource is Synced" in text
    assert "STUCK" not in text
    assert "UNEXPLAINED" not in text


def test_text_digest_folds_long_lists_and_shortens_long_values() -> None:
    """Past twenty items a class, new and resolved list fold; long values are cut."""
    many = tuple(finding("app", f"r{i:02d}", summary="s" * 400) for i in range(25))
    gone = tuple(finding("old", f"g{i:02d}") for i in range(22))
    text = digest_text(build_digest(report(many), previous=snapshot(*gone), acks=[], now=T0))
    assert "  …and 5 more (app 5)" in text
    assert "  …and 5 more\n" in text
    assert "  …and 2 more\n" in text
    assert "s" * 299 + "…" in text
    assert "s" * 300 not in text


def test_text_digest_shows_pods_without_start_time_and_stuck_without_since() -> None:
    """Missing ages are left out rather than rendered wrong."""
    pod = replace(stuck().pods[0], started_at=None, log=())
    s = StuckApp(app="web", health="Degraded", since=None, pods=(pod,))
    text = digest_text(build_digest(report(stuck_apps=(s,)), previous=None, acks=[], now=T0))
    assert "  web  Degraded\n" in text
    assert "CrashLoopBackOff, 1154 restarts\n" in text


def test_text_digest_marks_acked_stuck_apps() -> None:
    """A stuck app whose incident is acked is still listed first, marked acked."""
    s = stuck()
    incident_ack = acks_core.new_ack(
        ack_id="a8",
        scope=AckScope(s.app),
        findings=[],
        by="U1",
        reason="known",
        now=T0,
        extra_fingerprints=[s.fingerprint],
    )
    text = digest_text(
        build_digest(report(stuck_apps=(s,)), previous=None, acks=[incident_ack], now=T0)
    )
    assert "  argo-rollouts  Progressing for 21d  (acked)" in text
