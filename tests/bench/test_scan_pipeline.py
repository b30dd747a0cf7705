"""The scan pipeline at fleet shape: many pages, many drifting apps, the real clients.

A generated fleet is listed in small pages (so the list reader runs ahead across many pages
while diffs are already travelling) and scanned with a small pool. The report must equal the
scenario's ground truth, every fetch must happen once per scan at most, and no scan thread
may outlive the call, whatever it ends with.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import kubernetes.config
import pytest

from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.core import classify
from bot.core.model import Application, ScanReport
from bot.errors import UnknownAppError, UpstreamUnavailableError
from bot.service import scan as service_module
from bot.service.scan import DriftService
from bot.simulator import Fault, Scenario, Simulator, scenarios

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOKEN = "sim-token"
PAGE = 9
"""Apps per list page: 140 apps make 16 pages, read ahead one at a time."""
LIST_PATH = "/applications"


@pytest.fixture(scope="module")
def fleet() -> Scenario:
    return scenarios.generated(apps=140, drifting=48, now=NOW)


@pytest.fixture(scope="module")
def sim(fleet: Scenario) -> Iterator[Simulator]:
    with Simulator(fleet, token=TOKEN) as running:
        yield running


@pytest.fixture
def service(sim: Simulator, tmp_path: Path) -> Iterator[DriftService]:
    """The real adapters on the simulator, small pages, four workers."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    cluster = KubeReader(api_client, app_namespaces=["argocd", "team-apps"], page_size=PAGE)
    svc = DriftService(
        cluster,
        ArgoClient(sim.argocd_url, TOKEN),
        control_plane_namespace="argocd",
        stuck_after=timedelta(minutes=30),
        concurrency=4,
        clock=lambda: NOW,
    )
    yield svc
    svc.close()
    sim.clear_faults()


@pytest.fixture
def report(sim: Simulator, service: DriftService) -> ScanReport:
    sim.reset_counters()
    return service.scan()


def _scan_threads() -> list[str]:
    return [
        t.name for t in threading.enumerate() if t.name.startswith(("drift-scan", "drift-list"))
    ]


def _needs_diff(app: dict[str, object]) -> bool:
    """Whether an Application lists a drifting resource that is not a hook."""
    resources = app.get("status", {}).get("resources", [])  # type: ignore[attr-defined]
    return any(r.get("status", "Synced") != "Synced" and not r.get("hook") for r in resources)


def test_a_paged_pipelined_scan_equals_the_ground_truth(
    report: ScanReport, fleet: Scenario
) -> None:
    """Every drifting resource gets its expected class, and only those, across 16 pages."""
    found = {(f.app.rpartition("_")[2], f.key): f.drift_class.value for f in report.findings}
    assert found == dict(fleet.expected)
    assert len(report.findings) == len(fleet.expected)
    assert {s.app for s in report.stuck} == fleet.expected_stuck
    assert report.totals.to_json() == {**report.totals.to_json(), **fleet.expected_totals}
    assert report.errors == ()


def test_only_apps_with_drift_to_diff_are_fetched_once_each(
    report: ScanReport, sim: Simulator, fleet: Scenario
) -> None:
    """managed-resources is read once per app listing non-hook drift, for no other app."""
    wanted = {str(app["metadata"]["name"]) for app in fleet.applications if _needs_diff(app)}
    asked = Counter(
        r.path.split("/")[4] for r in sim.requests if r.path.endswith("/managed-resources")
    )
    assert set(asked) == wanted
    assert set(asked.values()) == {1}


def test_each_crd_and_usage_list_is_read_once_per_scan(report: ScanReport, sim: Simulator) -> None:
    """CRD schemas and the lists proving zombies unused are shared by all apps."""
    cluster_wide = re.compile(r"^/apis?/(?:[^/]+/)?v1[^/]*/[a-z]+$")
    usage_list = re.compile(r"^/apis?/(?:[^/]+/)?v1[^/]*/(?:namespaces/[^/]+/)?[a-z]+$")
    paths = Counter(
        r.path
        for r in sim.requests
        if r.api == "kube"
        and "labelSelector" not in r.query  # a stuck workload's own pods, not a usage list
        and ("/customresourcedefinitions/" in r.path or usage_list.match(r.path))
        and not r.path.endswith(LIST_PATH)
    )
    assert any("/customresourcedefinitions/" in p for p in paths)
    assert any(cluster_wide.match(p) for p in paths)
    assert {p: n for p, n in paths.items() if n > 1} == {}


def test_pods_are_read_only_in_the_namespaces_of_leftovers(
    report: ScanReport, sim: Simulator, fleet: Scenario
) -> None:
    """A leftover's users are pods of its own namespace: a scan lists the pods of those
    namespaces (each once), never every pod of the cluster."""
    leftovers = {
        key.namespace
        for (_, key), cls in fleet.expected.items()
        if cls == "zombie" and key.namespace
    }
    pod_lists = {
        r.path
        for r in sim.requests
        if r.api == "kube" and r.path.endswith("/pods") and "labelSelector" not in r.query
    }
    assert pod_lists
    assert pod_lists <= {f"/api/v1/namespaces/{ns}/pods" for ns in leftovers}


def test_the_list_is_paged_and_no_scan_thread_outlives_the_scan(
    report: ScanReport, sim: Simulator, fleet: Scenario
) -> None:
    """The Applications arrive in pages of PAGE, and the pool and list reader are gone after."""
    pages = [r for r in sim.requests if r.path.endswith(LIST_PATH)]
    assert len(pages) >= len(fleet.applications) // PAGE
    assert {r.query.get("limit", [""])[0] for r in pages} == {str(PAGE)}
    assert _scan_threads() == []


def test_an_unknown_app_raises_and_leaves_no_thread(service: DriftService) -> None:
    """/drift app of a name nobody has answers with close matches; queued work is dropped."""
    with pytest.raises(UnknownAppError) as caught:
        service.app_report("app-0001x")
    assert "app-0001" in str(caught.value)
    assert _scan_threads() == []


def test_a_failing_list_fails_the_scan_and_leaves_no_thread(
    sim: Simulator, service: DriftService
) -> None:
    """When the Application list cannot be read the scan raises; no thread is left running."""
    sim.inject(Fault(api="kube", path_regex=f"{LIST_PATH}$", status=500, times=None))
    with pytest.raises(UpstreamUnavailableError):
        service.scan()
    assert _scan_threads() == []


def test_one_app_report_reads_one_diff(
    sim: Simulator, service: DriftService, fleet: Scenario
) -> None:
    """An app report lists every app but fetches the diff of the asked-for app only."""
    name = min(
        str(app["metadata"]["name"])
        for app in fleet.applications
        if app["metadata"].get("namespace") == "argocd" and _needs_diff(app)
    )
    sim.reset_counters()
    answer = service.app_report(name)
    diffs = [r.path for r in sim.requests if r.path.endswith("/managed-resources")]
    assert diffs == [f"/api/v1/applications/{name}/managed-resources"]
    expected = {key: cls for (app, key), cls in fleet.expected.items() if app == name}
    assert {f.key: f.drift_class.value for f in answer.findings} == expected


class _LateSharer:
    """The cluster reader, listing ``first``; one more app only once ``first``'s diff has
    arrived (its arrival is when the scan classifies ``first`` early); then ``last`` once
    ``first`` has been classified; then the others.

    Driven by events, not by how fast the diff travels: the scan classifies early only when
    a list item arrives, so an app must still be listed after the diff is in.
    """

    def __init__(
        self,
        inner: KubeReader,
        first: str,
        last: str,
        arrived: threading.Event,
        judged: threading.Event,
    ) -> None:
        self._inner = inner
        self._first, self._last = first, last
        self._arrived, self._judged = arrived, judged

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def list_applications(self) -> Iterator[dict[str, object]]:
        apps = {str(a["metadata"]["name"]): a for a in self._inner.list_applications()}
        yield apps.pop(self._first)
        last = apps.pop(self._last)
        others = iter(apps.values())
        self._arrived.wait(timeout=30)
        yield next(others)
        self._judged.wait(timeout=30)
        yield last
        yield from others


def test_an_app_judged_early_is_judged_again_when_a_later_page_shares_its_resource(
    sim: Simulator, fleet: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Contested drift is found even when the second app listing the object arrives after
    the first app was classified: owners changed, so it is classified again."""
    (first, key), _ = next(
        (k, v) for k, v in sorted(fleet.expected.items()) if v == "contested" and "_" not in k[0]
    )
    last = next(
        str(app["metadata"]["name"])
        for app in fleet.applications
        if str(app["metadata"]["name"]) != first
        and any(
            r.get("name") == key.name and r.get("kind") == key.kind
            for r in app["status"].get("resources", [])
        )
    )
    judged, calls = threading.Event(), Counter[str]()
    real = classify.classify_app

    def spy(app: Application, *args: object, **kwargs: object) -> object:
        calls[app.name] += 1
        found = real(app, *args, **kwargs)  # type: ignore[arg-type]
        if app.name == first:
            judged.set()
        return found

    arrived = threading.Event()
    real_arrived = service_module._arrived

    def on_arrival(*args: Any) -> None:
        real_arrived(*args)
        arrived.set()

    monkeypatch.setattr(classify, "classify_app", spy)
    monkeypatch.setattr(service_module, "_arrived", on_arrival)
    monkeypatch.setattr(service_module, "LIST_READ_AHEAD", 1)
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    api_client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    inner = KubeReader(api_client, app_namespaces=["argocd"], page_size=PAGE)
    svc = DriftService(
        _LateSharer(inner, first, last, arrived, judged),  # type: ignore[arg-type]
        ArgoClient(sim.argocd_url, TOKEN),
        control_plane_namespace="argocd",
        stuck_after=timedelta(minutes=30),
        concurrency=4,
        clock=lambda: NOW,
    )
    try:
        report = svc.app_report(first)
    finally:
        svc.close()
    assert calls[first] == 2
    assert {(f.key, f.drift_class.value) for f in report.findings} == {(key, "contested")}
