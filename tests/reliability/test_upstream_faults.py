"""Kubernetes and Argo CD failing in every way the simulator can fail them, during a real scan.

Each case checks the same promise: the scan returns (or raises the one designed
`UpstreamError` when not a single diff can be read), reports what it could, names what it
could not in ``errors`` (app + source), never lies about the rest, and ends in bounded time.
Clients get sub-second timeouts, and the Argo CD client records its ``Retry-After`` waits
instead of sleeping them, so bounds stay tight.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.kube import KubeReader
from bot.core.digest import build_digest
from bot.core.model import EVERY_APP, DriftClass, RawObject, ResourceKey, ScanReport
from bot.delivery.render import digest as digest_render
from bot.delivery.render import digest_text
from bot.errors import UpstreamError
from bot.simulator import Fault, Scenario, Simulator, scenarios
from tests.reliability.support import NOW, make_service

MANAGED = "/managed-resources$"
GITEA_MANAGED = "/applications/gitea/managed-resources$"
ESO_CRD = ResourceKey(
    "apiextensions.k8s.io", "CustomResourceDefinition", "", "externalsecrets.external-secrets.io"
)


def _findings(report: dict[str, Any], *, without: str = "") -> dict[tuple[str, ...], Any]:
    """Findings keyed by app and resource, optionally leaving out one app."""
    return {
        (f["app"], f["group"], f["kind"], f["namespace"], f["name"]): f
        for f in report["findings"]
        if f["app"] != without
    }


def _scan(service: Any, bound_s: float) -> ScanReport:
    """Scan, and fail the test if it took longer than ``bound_s``."""
    started = time.monotonic()
    try:
        report: ScanReport = service.scan()
    finally:
        elapsed = time.monotonic() - started
        service.close()
    assert elapsed < bound_s, f"scan took {elapsed:.1f}s, bound {bound_s}s"
    return report


ARGO_FAULTS = [
    pytest.param(Fault(api="argocd", status=500, times=None), id="500"),
    pytest.param(Fault(api="argocd", status=502, times=None), id="502"),
    pytest.param(Fault(api="argocd", status=503, times=None), id="503"),
    pytest.param(Fault(api="argocd", status=429, times=None), id="429"),
    pytest.param(Fault(api="argocd", status=0, delay_s=1.0, times=None), id="timeout"),
]


def _on(fault: Fault, path_regex: str) -> Fault:
    return Fault(
        api=fault.api,
        path_regex=path_regex,
        status=fault.status,
        times=fault.times,
        delay_s=fault.delay_s,
        body=fault.body,
    )


class TestArgoCdFaults:
    @pytest.mark.parametrize("fault", ARGO_FAULTS)
    def test_one_failing_app_is_named_and_the_rest_is_complete(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path, fault: Fault
    ) -> None:
        """Argo CD failing for gitea only: one errors entry for it, every other app as usual."""
        seed_sim.inject(_on(fault, GITEA_MANAGED))
        report = _scan(make_service(seed_sim, tmp_path, timeout_s=0.3, sleeps=[]), bound_s=5)
        assert [(e.app, e.source) for e in report.errors] == [("gitea", "argocd")]
        assert "ARGOCD_SERVER" in report.errors[0].message
        got = report.to_json()
        assert _findings(got, without="gitea") == _findings(baseline, without="gitea")
        gitea = [f for f in report.findings if f.app == "gitea"]
        expected = [f for f in baseline["findings"] if f["app"] == "gitea"]
        # Nothing dropped: without a diff each resource is still listed, honestly unexplained.
        assert len(gitea) == len(expected)
        assert {f.drift_class for f in gitea} == {DriftClass.UNEXPLAINED}

    def test_the_digest_names_the_app_it_could_not_read(
        self, seed_sim: Simulator, tmp_path: Path
    ) -> None:
        """The errors entry reaches the digest as a line naming the app and the source."""
        seed_sim.inject(Fault(api="argocd", path_regex=GITEA_MANAGED, status=500, times=None))
        report = _scan(make_service(seed_sim, tmp_path, sleeps=[]), bound_s=5)
        digest = build_digest(report, previous=None, acks=None, now=NOW)
        blocks, _ = digest_render.digest_blocks(digest)
        texts = [b["text"]["text"] for b in blocks if b["type"] == "section"]
        assert any("Could not read 1 app*" in t and "*gitea* (argocd)" in t for t in texts)
        assert "gitea [argocd]" in digest_text.digest_text(digest)

    @pytest.mark.parametrize(
        "fault",
        [
            pytest.param(Fault(api="argocd", status=503, times=None), id="503"),
            pytest.param(Fault(api="argocd", status=429, times=None), id="429"),
            pytest.param(Fault(api="argocd", status=0, delay_s=1.0, times=None), id="timeout"),
        ],
    )
    def test_argocd_down_for_every_app_is_one_error_naming_argocd_server(
        self, seed_sim: Simulator, tmp_path: Path, fault: Fault, baseline: dict[str, Any]
    ) -> None:
        """No diff readable at all: a partial report (apps, stuck from Kubernetes) with one
        error naming ARGOCD_SERVER, fast, not N of them."""
        seed_sim.inject(_on(fault, MANAGED))
        service = make_service(seed_sim, tmp_path, timeout_s=0.3, concurrency=4, sleeps=[])
        report = _scan(service, bound_s=4)
        (error,) = report.unreachable
        assert report.errors == (error,)
        assert (error.app, error.source) == (EVERY_APP, "argocd")
        assert "ARGOCD_SERVER" in error.message
        assert report.to_json()["apps"] == baseline["apps"]
        assert [s.app for s in report.stuck] == [s["app"] for s in baseline["stuck"]]
        # 20 apps need a diff, 2 attempts each: the breaker stops well before all 40.
        assert seed_sim.count("argocd", MANAGED) < 20 * 2

    @pytest.mark.parametrize(
        "fault",
        [
            pytest.param(Fault(api="argocd", status=503), id="503"),
            pytest.param(Fault(api="argocd", status=429), id="429"),
            pytest.param(Fault(api="argocd", status=502), id="502"),
            pytest.param(Fault(api="argocd", status=0, delay_s=1.0), id="timeout"),
        ],
    )
    def test_intermittent_failures_are_retried_to_the_full_result(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path, fault: Fault
    ) -> None:
        """Each of six apps fails once (times=1), is retried, and the report is the full one."""
        flaky = ["gitea", "infisical", "root", "argo-rollouts", "tekton-extras", "gpu-operator"]
        for app in flaky:
            seed_sim.inject(_on(fault, f"/applications/{app}/managed-resources$"))
        sleeps: list[float] = []
        report = _scan(make_service(seed_sim, tmp_path, timeout_s=0.3, sleeps=sleeps), bound_s=5)
        assert report.to_json() == baseline
        assert len(sleeps) == len(flaky)
        if fault.status in (429, 503):  # the simulator sends Retry-After: 1, and it is honoured
            assert set(sleeps) == {1.0}

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param('{"items": [{"kind": "ConfigMap", "name": "x"', id="cut-short"),
            pytest.param("<html><body>502 Bad Gateway</body></html>", id="html"),
            pytest.param(None, id="garbled-live-state"),
            pytest.param('{"items": {"kind": "ConfigMap"}}', id="items-not-a-list"),
            pytest.param("[1, 2]", id="not-an-object"),
        ],
    )
    def test_malformed_managed_resources_are_an_error_of_that_app_only(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path, body: str | None
    ) -> None:
        """A garbled diff body becomes gitea's errors entry; every other app is unaffected."""
        if body is None:  # a drifting item whose liveState is not JSON
            drifting = next(f for f in baseline["findings"] if f["app"] == "gitea")
            item = {k: drifting[k] for k in ("group", "kind", "namespace", "name")}
            body = json.dumps({"items": [{**item, "liveState": "{no", "targetState": "null"}]})
        seed_sim.inject(
            Fault(api="argocd", path_regex=GITEA_MANAGED, status=200, body=body, times=None)
        )
        report = _scan(make_service(seed_sim, tmp_path), bound_s=5)
        assert [(e.app, e.source) for e in report.errors] == [("gitea", "argocd")]
        assert "managed" in report.errors[0].message
        assert _findings(report.to_json(), without="gitea") == _findings(baseline, without="gitea")

    def test_a_broken_body_is_described_not_quoted(
        self, seed_sim: Simulator, tmp_path: Path
    ) -> None:
        """Broken JSON may hold live Secrets, so the errors entry never quotes its content."""
        secret_value = "c3VwZXItc2VjcmV0LXZhbHVl"
        body = '{"items": [{"kind": "Secret", "liveState": "{\\"data\\": {\\"pw\\": \\"' + (
            secret_value
        )
        seed_sim.inject(
            Fault(api="argocd", path_regex=GITEA_MANAGED, status=200, body=body, times=None)
        )
        report = _scan(make_service(seed_sim, tmp_path), bound_s=5)
        (error,) = report.errors
        assert "broken JSON" in error.message
        assert secret_value not in error.message


class _ExpiringPages:
    """A cluster reader whose continue tokens expire while the first page is being read.

    That is what a slow consumer meets on a busy API server: the list restarts (410 Gone).
    ``every_page`` expires them on every page, so the restart meets a 410 too.
    """

    def __init__(self, inner: KubeReader, sim: Simulator, *, every_page: bool) -> None:
        self._inner = inner
        self._sim = sim
        self._every_page = every_page

    def list_applications(self) -> Iterator[RawObject]:
        for index, app in enumerate(self._inner.list_applications()):
            if index == 0 or self._every_page:
                self._sim.expire_continue_tokens()
            yield app

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class TestKubernetesFaults:
    def test_a_slow_api_server_still_gives_the_full_result(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path
    ) -> None:
        """Every Kubernetes answer 50 ms late: same report, within bound."""
        seed_sim.inject(Fault(api="kube", status=200, delay_s=0.05, times=None))
        report = _scan(make_service(seed_sim, tmp_path), bound_s=8)
        assert report.to_json() == baseline

    def test_a_stale_continue_token_restarts_the_list(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path
    ) -> None:
        """410 Gone on page two: the listing restarts once and every app is seen exactly once."""
        service = make_service(
            seed_sim,
            tmp_path,
            page_size=10,
            wrap_cluster=lambda kube: _ExpiringPages(kube, seed_sim, every_page=False),
        )
        report = _scan(service, bound_s=5)
        assert report.to_json() == baseline
        lists = [r for r in seed_sim.requests if r.path.endswith("/applications")]
        first_pages = [r for r in lists if "continue" not in r.query]
        assert len(first_pages) == 2, "one restart after the 410"
        assert len(lists) > 6, "52 apps in pages of 10, read twice in part"

    def test_tokens_that_keep_expiring_fail_the_scan_with_one_clear_error(
        self, seed_sim: Simulator, tmp_path: Path
    ) -> None:
        """410 again after the restart: an UpstreamError blaming churn, not an endless loop."""
        service = make_service(
            seed_sim,
            tmp_path,
            page_size=10,
            wrap_cluster=lambda kube: _ExpiringPages(kube, seed_sim, every_page=True),
        )
        with pytest.raises(UpstreamError) as info:
            _scan(service, bound_s=5)
        assert info.value.source == "kubernetes"
        assert "410" in str(info.value)

    def test_hanging_pod_lists_are_named_and_never_make_a_zombie_safe(
        self, seed_sim: Simulator, baseline: dict[str, Any], tmp_path: Path
    ) -> None:
        """Pod lists time out: errors name the apps; no zombie is called safe without them."""
        seed_sim.inject(Fault(api="kube", path_regex="/pods$", status=0, delay_s=1.5, times=None))
        report = _scan(make_service(seed_sim, tmp_path, timeout_s=0.25), bound_s=10)
        failed = {e.app for e in report.errors}
        assert all(e.source == "kubernetes" for e in report.errors)
        assert "argo-rollouts" in failed
        assert [s.app for s in report.stuck] == ["argo-rollouts"]
        # ConfigMaps and ServiceAccounts are proven unused by the pod list, which failed.
        needs_pods = [f for f in report.findings if f.key.kind in {"ServiceAccount", "ConfigMap"}]
        assert needs_pods
        assert not [f for f in needs_pods if f.safe_to_delete is True]
        kinds = {"ServiceAccount", "ConfigMap"}
        assert any(f["safe_to_delete"] is True and f["kind"] in kinds for f in baseline["findings"])


def _seed_with(change: str) -> Scenario:
    scenario = scenarios.seed(now=NOW)
    crd: RawObject | None = scenario.find(ESO_CRD)
    assert crd is not None
    versions = range(len(crd["spec"]["versions"]))
    root = "/spec/versions/{}/schema/openAPIV3Schema"
    broken: dict[str, Any] = {
        "schema-is-a-string": {root.format(i): "garbage" for i in versions},
        "properties-is-a-list": {root.format(i) + "/properties": ["spec"] for i in versions},
        "nested-properties-wrong-types": {
            root.format(i) + "/properties/spec/properties": [1, 2] for i in versions
        },
        "list-map-keys-not-a-list": {
            root.format(i) + "/properties/spec/properties/data/x-kubernetes-list-map-keys": 5
            for i in versions
        }
        | {
            root.format(i) + "/properties/spec/properties/data/x-kubernetes-list-type": "map"
            for i in versions
        },
        "version-schema-is-a-string": {f"/spec/versions/{i}/schema": "garbage" for i in versions},
    }[change]
    scenario.set_live(ESO_CRD, broken)
    return scenario


class TestMalformedClusterData:
    @pytest.mark.parametrize(
        ("change", "unusable"),
        [
            ("schema-is-a-string", True),
            ("properties-is-a-list", True),
            ("nested-properties-wrong-types", True),
            ("version-schema-is-a-string", True),
            # Only the list's merge keys are broken: the defaults still explain the drift.
            ("list-map-keys-not-a-list", False),
        ],
    )
    def test_a_crd_with_a_broken_schema_leaves_its_resources_unexplained(
        self, baseline: dict[str, Any], tmp_path: Path, change: str, unusable: bool
    ) -> None:
        """A CRD schema of the wrong shape: the scan completes; what it cannot explain is named."""
        with Simulator(_seed_with(change)) as sim:
            report = _scan(make_service(sim, tmp_path), bound_s=5)
        assert report.errors == ()
        got, want = _findings(report.to_json()), _findings(baseline)
        assert got.keys() == want.keys()
        for key, finding in got.items():
            if key[2] == "ExternalSecret":
                assert finding["class"] in {"unexplained", want[key]["class"]}
            else:
                assert finding == want[key]
        eso = {f["class"] for k, f in got.items() if k[2] == "ExternalSecret"}
        assert ("unexplained" in eso) is unusable

    def test_a_resource_missing_from_the_cluster_is_unexplained_missing(
        self, baseline: dict[str, Any], tmp_path: Path
    ) -> None:
        """Live state "null" (deleted by hand): named unexplained, "missing from the cluster"."""
        scenario = scenarios.seed(now=NOW)
        key = next(
            k
            for (app, k), cls in sorted(scenario.expected.items())
            if app == "gitea" and cls == "schema-defaults"
        )
        scenario.remove_object(key)
        with Simulator(scenario) as sim:
            report = _scan(make_service(sim, tmp_path), bound_s=5)
        (finding,) = [f for f in report.findings if f.app == "gitea" and f.key == key]
        assert finding.drift_class is DriftClass.UNEXPLAINED
        assert "missing from the cluster" in finding.summary
        assert report.errors == ()
        assert len(report.findings) == len(baseline["findings"])
