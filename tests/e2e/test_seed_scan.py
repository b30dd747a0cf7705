"""The seed's story, end to end: real clients → simulator → service → classifier.

Ground truth comes from the scenario (`Scenario.expected`), which is written from the seed
write-up, not from the classifier: a misclassification fails here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.core.model import DriftClass, ResourceKey, ScanReport
from bot.core.usage import lookups_for
from bot.service.scan import DriftService
from bot.simulator import Fault, Scenario, Simulator, scenarios
from bot.wiring import build_service
from tests.e2e.conftest import NOW, settings_for
from tests.schema_check import assert_matches_schema


@pytest.fixture(scope="module")
def report(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """One full scan of the seed cluster."""
    svc = build_service(settings_for(sim, tmp_path_factory.mktemp("scan")), clock=lambda: NOW)
    try:
        return svc.scan()
    finally:
        svc.close()


class TestSeedScan:
    def test_totals_match_the_seed(self, report: ScanReport, seed: Scenario) -> None:
        """52 apps, 20 OutOfSync, 4 Progressing, 1 stuck — the seed's numbers."""
        assert report.totals.to_json() == seed.expected_totals
        assert report.totals.to_json() == {
            "total": 52,
            "out_of_sync": 20,
            "progressing": 4,
            "stuck": 1,
        }

    def test_every_drifting_resource_has_exactly_one_finding(
        self, report: ScanReport, seed: Scenario
    ) -> None:
        """No drifting status entry is dropped and none is reported twice."""
        found = [(f.app, f.key) for f in report.findings]
        assert len(found) == len(set(found))
        assert set(found) == set(seed.expected)

    def test_every_finding_is_in_the_seed_class(self, report: ScanReport, seed: Scenario) -> None:
        """Each resource lands in the class the seed write-up gives it."""
        wrong = {
            (f.app, str(f.key)): (str(f.drift_class), seed.expected[(f.app, f.key)])
            for f in report.findings
            if str(f.drift_class) != seed.expected[(f.app, f.key)]
        }
        assert wrong == {}

    def test_zombie_safety_matches_usage(self, report: ScanReport, seed: Scenario) -> None:
        """Zombies are safe to delete exactly when nothing uses them (infisical's redis SA is)."""
        verdicts = {
            (f.app, f.key): f.safe_to_delete
            for f in report.findings
            if f.drift_class is DriftClass.ZOMBIE
        }
        assert verdicts == seed.expected_safe_to_delete
        redis_sa = ResourceKey("", "ServiceAccount", "infisical", "redis")
        assert verdicts[("infisical", redis_sa)] is False

    def test_the_crashloop_is_found_with_its_fatal_line(self, report: ScanReport) -> None:
        """argo-rollouts is stuck: CrashLoopBackOff, 1154 restarts, the plugin 404 surfaced."""
        assert [s.app for s in report.stuck] == ["argo-rollouts"]
        (pod,) = report.stuck[0].pods
        assert pod.reason == "CrashLoopBackOff"
        assert pod.restarts == 1154
        assert any("Failed to download plugins" in line for line in pod.log)
        assert any("Not Found" in line for line in pod.log)

    def test_residuals_are_named_unexplained(self, report: ScanReport) -> None:
        """The seed's two residuals (tekton-extras, vcluster-experiments) stay unexplained."""
        unexplained = {f.app for f in report.findings if not f.drift_class.benign}
        assert unexplained == {"tekton-extras", "vcluster-experiments"}

    def test_json_matches_the_report_schema(self, report: ScanReport) -> None:
        """The emitted JSON of the seed scan validates against the one schema declaration."""
        doc = json.loads(json.dumps(report.to_json()))
        assert doc["findings"]  # the schema is exercised on real content
        assert doc["stuck"]
        assert_matches_schema(doc, "ScanReport")

    def test_no_errors_on_a_healthy_cluster(self, report: ScanReport) -> None:
        """Every lookup the scan needs is served: the report has no `errors` entries."""
        assert report.errors == ()

    def test_no_secret_reaches_the_report(self, report: ScanReport, seed: Scenario) -> None:
        """Secrets planted in the crashed container's log never appear in the JSON."""
        text = json.dumps(report.to_json())
        planted = [
            value
            for log in seed.logs.values()
            for value in re.findall(r"(?:://[^:/@\s]*:|Bearer )([^@\s\"]{6,})", log)
        ]
        assert planted, "the seed log should carry secrets to redact"
        for secret in planted:
            assert secret not in text


class TestLeastPrivilege:
    def test_scan_only_reads(self, sim: Simulator, tmp_path: Path) -> None:
        """A scan, an app report and a logs report send only GETs and never touch Secrets."""
        sim.reset_counters()
        svc = build_service(settings_for(sim, tmp_path), clock=lambda: NOW)
        svc.scan()
        svc.app_report("gitea")
        svc.logs_report("argo-rollouts")
        svc.close()
        methods = {r.method for r in sim.requests}
        assert methods == {"GET"}
        assert not [r for r in sim.requests if "/secrets" in r.path]


class TestPartialFailure:
    def test_one_failing_app_becomes_an_errors_entry(self, tmp_path: Path) -> None:
        """Argo CD failing for one app reports it under `errors`; the rest is classified."""
        with Simulator(scenarios.seed(now=NOW), token="sim-token") as sim:
            sim.inject(
                Fault(
                    api="argocd", path_regex="/applications/gitea/managed", status=500, times=None
                )
            )
            svc = build_service(settings_for(sim, tmp_path), clock=lambda: NOW)
            report = svc.scan()
            svc.close()
        assert [(e.app, e.source) for e in report.errors] == [("gitea", "argocd")]
        gitea = [f for f in report.findings if f.app == "gitea"]
        # None dropped: gitea's resources are still listed, honestly unexplained.
        assert gitea
        assert all(f.drift_class is DriftClass.UNEXPLAINED for f in gitea)
        assert {f.app for f in report.findings} >= {"infisical", "root", "argo-rollouts"}


class TestLookupsAreServed:
    @pytest.mark.parametrize(
        ("kind", "group"),
        [
            ("IngressClass", "networking.k8s.io"),
            ("ClusterRole", "rbac.authorization.k8s.io"),
            ("Role", "rbac.authorization.k8s.io"),
            ("ServiceAccount", ""),
            ("ConfigMap", ""),
            ("Service", ""),
            ("PriorityClass", "scheduling.k8s.io"),
            ("StorageClass", "storage.k8s.io"),
            ("PersistentVolumeClaim", ""),
            ("Namespace", ""),
        ],
    )
    def test_every_usage_lookup_is_listable(
        self, service: DriftService, kind: str, group: str
    ) -> None:
        """Each list the zombie check may need is served by the simulated API server."""
        key = ResourceKey(group, kind, "" if kind in {"Namespace"} else "ns", "x")
        for ref in lookups_for(key, None):
            assert isinstance(service._cluster.list_objects(ref), list)
