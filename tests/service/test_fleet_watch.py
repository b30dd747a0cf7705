"""serve's watched fleet model: the same answers as a full scan, without listing Applications.

Real parts only: the simulator serves a realistic generated fleet (every drift class, zombies
on many apps, workloads with pods, a second app namespace) over loopback HTTP; the informer
lists and watches it through the official kubernetes client's `Watch`; the service answers
from the model. Every comparison is against a full scan of the same cluster by a service
that lists as before.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.model import Finding
from bot.errors import UnknownAppError
from bot.service.fleet import FleetModel
from bot.service.scan import DriftService
from bot.settings import Settings, load_settings
from bot.simulator import Simulator, scenarios
from bot.simulator.http.watch import WatchHub
from bot.simulator.scenarios.scenario import key_of
from bot.wiring import build_service, build_watched_service

TOKEN = "sim-token"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = Simulator(scenarios.fleet(48, 24, NOW), token=TOKEN)
    # No periodic bookmarks: a watch that ends resumes from the last event it saw, which is
    # what lets a compacted history answer it 410.
    simulator.watches = WatchHub(bookmark_s=3600)
    with simulator:
        yield simulator


def _settings(sim: Simulator, tmp: Path) -> Settings:
    return load_settings(
        kubeconfig=str(sim.write_kubeconfig(tmp / "kubeconfig")),
        argocd_server=sim.argocd_url,
        argocd_auth_token=TOKEN,
        drift_app_namespaces=scenarios.SECOND_NAMESPACE,
    )


@pytest.fixture
def watched(sim: Simulator, tmp_path: Path) -> Iterator[tuple[DriftService, FleetModel]]:
    service, fleet, start = build_watched_service(
        _settings(sim, tmp_path), clock=lambda: NOW, watch_timeout_s=1
    )
    start()
    try:
        assert fleet.wait_ready(20), "the informer never listed every namespace"
        yield service, fleet
    finally:
        service.close()


def _ids(findings: tuple[Finding, ...]) -> list[tuple[str, str, str, bool | None]]:
    return sorted((f.app, str(f.key), f.drift_class.value, f.safe_to_delete) for f in findings)


def _lists(sim: Simulator) -> int:
    """Application lists received (not watches)."""
    return sum(
        1 for r in sim.requests if r.path.endswith("/applications") and "watch" not in r.query
    )


def _eventually(condition: Callable[[], bool], timeout_s: float = 20) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_watched_answers_equal_a_full_scan(
    sim: Simulator, tmp_path: Path, watched: tuple[DriftService, FleetModel]
) -> None:
    service, _ = watched
    full = build_service(_settings(sim, tmp_path), clock=lambda: NOW)
    try:
        reference = full.scan()
    finally:
        full.close()
    assert {f.drift_class.value for f in reference.findings} == set(scenarios.CLASSES)
    sim.reset_counters()
    assert _ids(service.scan().findings) == _ids(reference.findings)
    by_app = {f.app for f in reference.findings} | {s.app for s in reference.stuck}
    for app in sorted(by_app):
        report = service.app_report(app)
        assert _ids(report.findings) == _ids(
            tuple(f for f in reference.findings if f.app == report.app)
        )
        expected_stuck = {s.app: s for s in reference.stuck}.get(report.app)
        assert (report.stuck is None) == (expected_stuck is None)
        assert report.fleet_as_of is not None  # answers say how fresh the model was
    assert reference.fleet_as_of is None
    assert _lists(sim) == 0, "the watched service listed Applications"


def test_one_app_answer_reads_only_that_app(
    sim: Simulator, watched: tuple[DriftService, FleetModel]
) -> None:
    service, _ = watched
    drifting = sorted({key for key in sim.scenario.expected})[0][0]
    sim.reset_counters()
    report = service.app_report(drifting)
    assert report.findings
    argo = {r.path for r in sim.requests if r.api == "argocd"}
    assert argo == {f"/api/v1/applications/{report.app.rpartition('_')[2]}/managed-resources"}
    with pytest.raises(UnknownAppError) as err:
        service.app_report(drifting + "-nope")
    assert drifting in err.value.matches


def test_a_change_is_seen_without_relisting(
    sim: Simulator, watched: tuple[DriftService, FleetModel]
) -> None:
    service, fleet = watched
    lists = _lists(sim)
    app = next(a for a in sim.scenario.applications if a["metadata"]["name"].endswith("-01"))
    name = app["metadata"]["name"]
    before = fleet.version([name])
    sim.change(app, deleted=True)
    assert _eventually(lambda: fleet.version([name]) != before)
    with pytest.raises(UnknownAppError):
        service.app_report(name)
    sim.change(app)
    assert _eventually(lambda: fleet.version([name]) != (None,))
    assert service.app_report(name).app == name
    assert _lists(sim) == lists


def test_a_compacted_history_makes_the_informer_list_again(
    sim: Simulator, watched: tuple[DriftService, FleetModel]
) -> None:
    service, fleet = watched
    lists = _lists(sim)
    sim.expire_watch_history()
    # The next watch (every second) resumes from a resourceVersion that is now too old: 410,
    # then one list per app namespace, and the model is whole again.
    assert _eventually(lambda: _lists(sim) >= lists + 2)
    renamed = {**sim.scenario.applications[0]}
    sim.change(renamed)
    name = renamed["metadata"]["name"]
    assert _eventually(
        lambda: (
            fleet.version([name]) == (sim.scenario.applications[0]["metadata"]["resourceVersion"],)
        )
    )
    assert service.app_report(name).app == name


def test_the_model_keeps_owners_in_step() -> None:
    fleet = FleetModel("argocd", ["argocd"], clock=lambda: NOW)
    first = _app("a", "shared", "only-a")
    fleet.replace("argocd", [first, _app("b", "shared")], "10")
    assert fleet.ready()
    shared = key_of(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"namespace": "ns", "name": "shared"}}
    )
    assert fleet.of([shared]) == {shared: ("a", "b")}
    fleet.apply("argocd", "DELETED", _app("b", "shared"))
    assert fleet.of([shared]) == {shared: ("a",)}
    fleet.apply("argocd", "MODIFIED", _app("a", "only-a"))
    assert fleet.of([shared]) == {}
    fleet.apply("argocd", "ADDED", {"metadata": {"name": "broken"}, "status": {"resources": "x"}})
    snapshot = fleet.snapshot()
    assert [e.app for e in snapshot.errors] == ["broken"]
    assert [a.name for a in snapshot.apps] == ["a"]
    assert fleet.version(["a", "gone"]) == ("7", None)


def _app(name: str, *configmaps: str) -> dict[str, object]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": "argocd", "resourceVersion": "7"},
        "spec": {"destination": {"namespace": "ns", "server": "https://kubernetes.default.svc"}},
        "status": {
            "sync": {"status": "Synced"},
            "health": {"status": "Healthy"},
            "resources": [
                {
                    "version": "v1",
                    "kind": "ConfigMap",
                    "namespace": "ns",
                    "name": cm,
                    "status": "Synced",
                }
                for cm in configmaps
            ],
        },
    }


def _meta(name: str) -> dict[str, str]:
    return {"namespace": "ns", "name": name}
