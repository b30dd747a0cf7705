"""Every way Argo CD's predicted live state differs from git, end to end.

Real clients → simulator (`scenarios.argo_diff_cases`: server defaults, HPA replicas, an
injected caBundle, an aggregated ClusterRole, a person's edit, Helm release labels, tracking-id
fights, hooks, missing, extraneous, a failed comparison, server-side diff with and without
webhook mutations) → service → classifier. Ground truth is the scenario's, written from how
each case happens on a real cluster; the paths Argo CD's diff shows come from the simulator's
own prediction (`Scenario.realism.paths`), not from the bot.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core.model import ScanReport
from bot.simulator import Scenario, Simulator, scenarios
from bot.wiring import build_service
from tests.e2e.conftest import NOW, TOKEN, settings_for


@pytest.fixture(scope="module")
def cases() -> Scenario:
    return scenarios.argo_diff_cases(NOW)


@pytest.fixture(scope="module")
def report(cases: Scenario, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScanReport]:
    with Simulator(cases, token=TOKEN) as sim:
        svc = build_service(settings_for(sim, tmp_path_factory.mktemp("cases")), clock=lambda: NOW)
        try:
            yield svc.scan()
        finally:
            svc.close()


def test_every_case_has_one_finding_in_its_class(report: ScanReport, cases: Scenario) -> None:
    found = {(f.app, f.key): str(f.drift_class) for f in report.findings}
    assert len(found) == len(report.findings)
    assert found == cases.expected


def test_evidence_is_argo_cds_diff(report: ScanReport, cases: Scenario) -> None:
    """Where git and live both exist, the evidence paths are the ones Argo CD's diff shows."""
    realism = cases.realism
    assert realism is not None
    checked = 0
    for finding in report.findings:
        shown = realism.paths.get((finding.app, finding.key))
        if shown is None:
            continue
        checked += 1
        evidence = {e.path for e in finding.evidence}
        assert evidence, finding.app
        stray = {p for p in evidence if not any(_same_place(p, s) for s in shown)}
        assert stray == set(), (finding.app, stray, shown)
    assert checked >= 7


def _same_place(a: str, b: str) -> bool:
    """Equal pointers, or one inside the other (a diff stops where one side lacks a map)."""
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def test_benign_writers_are_named_and_unknown_ones_are_not(report: ScanReport) -> None:
    by_app = {f.app: f for f in report.findings}
    assert str(by_app["autoscaled"].drift_class) == "injected-fields"  # HPA via its controller
    assert str(by_app["cert-webhooks"].drift_class) == "injected-fields"  # cainjector
    assert str(by_app["payments"].drift_class) == "unexplained"  # kubectl-edit: a person
    assert str(by_app["mesh-webhook"].drift_class) == "unexplained"  # nobody named
    assert "shop" in by_app  # the Helm release label did not make it contested
    assert str(by_app["shop"].drift_class) == "injected-fields"
