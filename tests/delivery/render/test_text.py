"""Terminal rendering: stuck apps first, classes and fixes per app, colour only when asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.model import (
    ABSENT,
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.delivery.render.text import Style, render_app, render_logs, render_scan

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def crd_finding(name: str) -> Finding:
    return Finding(
        app="argo-rollouts",
        drift_class=DriftClass.UNADOPTED,
        key=ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", name),
        summary="The live object has no tracking-id.",
        evidence=(Evidence("/metadata/labels", DiffOp.REMOVED, git={"a": "b"}),),
        fix=Fix(FixKind.ANNOTATE, f"kubectl annotate crd {name} x=y --overwrite"),
    )


def zombie(safe: bool) -> Finding:
    return Finding(
        app="infisical",
        drift_class=DriftClass.ZOMBIE,
        key=ResourceKey("", "ServiceAccount", "infisical", "redis"),
        summary="It is no longer in git.",
        evidence=(Evidence("", DiffOp.ADDED, live={"kind": "ServiceAccount"}),),
        fix=Fix(FixKind.DELETE, "# DO NOT DELETE"),
        safe_to_delete=safe,
        users=() if safe else ("Pod infisical/redis-0",),
    )


STUCK = StuckApp(
    app="argo-rollouts",
    health="Progressing",
    since=NOW - timedelta(days=21),
    pods=(
        PodDiagnosis(
            namespace="argo-rollouts",
            name="argo-rollouts-abc",
            container="argo-rollouts",
            reason="CrashLoopBackOff",
            restarts=1154,
            started_at=NOW - timedelta(days=21),
            log=('level=fatal msg="Failed to download plugins"',),
        ),
    ),
)


def report(*findings: Finding, errors: tuple[ScanError, ...] = ()) -> ScanReport:
    return ScanReport(
        generated_at=NOW,
        totals=Totals(total=3, out_of_sync=2, progressing=1, stuck=1),
        findings=findings,
        stuck=(STUCK,),
        errors=errors,
        health={"argo-rollouts": "Progressing", "infisical": "Healthy"},
    )


class TestRenderScan:
    def test_headline_tally_and_stuck_come_first(self) -> None:
        """Totals, the class tally and the stuck app precede the per-app drift."""
        out = render_scan(report(crd_finding("rollouts.argoproj.io")), Style.plain())
        assert "3 apps · 2 OutOfSync · 1 Progressing · 1 stuck · 1 drifting resource\n" in out
        assert out.index("[C] unadopted") < out.index("STUCK") < out.index("DRIFT BY APP")
        assert "CrashLoopBackOff, 1154 restarts, age 21d" in out
        assert "| level=fatal" in out

    def test_repeated_fix_shapes_are_printed_once(self) -> None:
        """A second CRD whose fix differs only by name points at the first one's fix."""
        out = render_scan(
            report(crd_finding("analysisruns.argoproj.io"), crd_finding("rollouts.argoproj.io")),
            Style.plain(),
        )
        assert out.count("kubectl annotate crd") == 1
        assert "as for analysisruns.argoproj.io above" in out

    def test_unsafe_zombie_names_its_users(self) -> None:
        """A zombie still in use says NOT safe and who uses it; the whole-object path is hidden."""
        out = render_scan(report(zombie(safe=False)), Style.plain())
        assert "NOT safe to delete: still used by Pod infisical/redis-0" in out
        assert ": (absent) →" not in out

    def test_errors_are_listed(self) -> None:
        """What could not be read is named with its source."""
        error = ScanError(app="gitea", source="argocd", message="HTTP 503")
        out = render_scan(report(errors=(error,)), Style.plain())
        assert "COULD NOT READ (1)" in out
        assert "gitea [argocd]: HTTP 503" in out

    def test_colour_only_when_enabled(self) -> None:
        """ANSI codes appear with Style(enabled=True) and never in plain output."""
        plain = render_scan(report(crd_finding("a.b")), Style.plain())
        coloured = render_scan(report(crd_finding("a.b")), Style(enabled=True))
        assert "\x1b[" not in plain
        assert "\x1b[" in coloured


class TestRenderApp:
    def test_app_prints_every_fix_in_full(self) -> None:
        """`app` shows each finding's evidence and whole fix (no folding)."""
        app = AppReport(
            generated_at=NOW,
            app="argo-rollouts",
            sync_status="OutOfSync",
            health_status="Progressing",
            health_since=NOW - timedelta(days=21),
            findings=(crd_finding("a.argoproj.io"), crd_finding("b.argoproj.io")),
            stuck=STUCK,
        )
        out = render_app(app, Style.plain())
        assert out.startswith("argo-rollouts  OutOfSync · Progressing for 21d")
        assert out.count("kubectl annotate crd") == 2
        assert '/metadata/labels: {"a": "b"} → (absent)' in out

    def test_synced_app_says_nothing_drifts(self) -> None:
        """A Synced app without findings says so."""
        app = AppReport(NOW, "traefik", "Synced", "Healthy", None)
        assert "Synced: nothing drifts." in render_app(app, Style.plain())


class TestRenderLogs:
    def test_logs_without_pods_say_so(self) -> None:
        """An app with no unhealthy pods says that instead of printing nothing."""
        out = render_logs(StuckApp("traefik", "Healthy", None), NOW, Style.plain())
        assert "No unhealthy pods" in out

    def test_absent_marker_is_not_json(self) -> None:
        """ABSENT renders as '(absent)', never as a Python repr."""
        finding = crd_finding("x.y")
        assert finding.evidence[0].live is ABSENT
        out = render_scan(report(finding), Style.plain())
        assert "ABSENT" not in out
