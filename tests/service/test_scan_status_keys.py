"""A scan's per-app status is keyed like its findings, so apps in a second namespace keep theirs.

Findings name their app as Argo CD's tracking id does (``<namespace>_<name>`` outside the
control-plane namespace); the report's ``health``/``sync`` maps must use the same key, or the
text report shows those apps without a status and files Synced ones under DRIFT BY APP.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.delivery.render.text import Style, render_scan
from bot.settings import load_settings
from bot.simulator import Simulator, scenarios
from bot.wiring import build_service

TOKEN = "sim-token"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def test_status_maps_use_the_findings_app_key(tmp_path: Path) -> None:
    """Every finding's app, including second-namespace ones, has a health and sync entry."""
    with Simulator(scenarios.fleet(160, 80, NOW), token=TOKEN) as sim:
        settings = load_settings(
            kubeconfig=str(sim.write_kubeconfig(tmp_path / "kubeconfig")),
            argocd_server=sim.argocd_url,
            argocd_auth_token=TOKEN,
            drift_app_namespaces=scenarios.SECOND_NAMESPACE,
        )
        service = build_service(settings, clock=lambda: NOW)
        try:
            report = service.scan()
        finally:
            service.close()

    apps = {f.app for f in report.findings}
    elsewhere = {app for app in apps if app.startswith(f"{scenarios.SECOND_NAMESPACE}_")}
    assert elsewhere, "the fleet should put drifting apps in the second namespace"
    assert apps <= report.health.keys()
    assert apps <= report.sync.keys()

    text = render_scan(report, Style.plain())
    for app in sorted(elsewhere)[:3]:
        header = next(line for line in text.splitlines() if line.strip().startswith(app))
        assert report.health[app] in header, header
