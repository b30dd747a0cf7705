"""Shared plumbing of the benchmarks: a simulator to measure against, settings, a naive baseline.

Why the simulator runs in a child process by default: it is pure Python, so in the bench's own
process it would compete with the bot for the GIL, and every millisecond it spends building a
JSON page would be charged to the bot. In a child it gets its own interpreter (this machine has
two cores: one for the bot, one for the "cluster"), the bot's peak RSS is the bot's alone, and
request counts come back over a pipe. ``--sim inprocess`` keeps everything in one process (cheaper
to start, for toy sizes).

The naive baseline (`NaiveScanner`) is what a straightforward script does: one unpaged list,
then app by app, one request at a time, a CRD read for every resource that needs its schema,
usage lists fetched again for every zombie. It classifies with the same pure core, so its
findings must equal the service's: the comparison checks the fast path drops nothing.
"""

from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import pstats
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlencode

import kubernetes.client

from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.core import classify, health
from bot.core.model import Application, Finding, KindRef, RawObject, ResourceKey
from bot.core.parse import parse_application, parse_managed_resources
from bot.settings import Settings, load_settings
from bot.simulator import Scenario, Simulator
from bot.simulator.cluster import crds
from bot.simulator.cluster import manifests as m
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder

NOW: Final = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
"""The scenario's clock and the scan's: ages and stuck thresholds are exact, runs repeatable."""
TOKEN: Final = "sim-token"
APP_NAMESPACES: Final = ("team-apps",)
"""Generated fleets put every 40th app in a second namespace (``<ns>_<name>`` tracking ids)."""

FindingId = tuple[str, ResourceKey, str]
"""(app, resource, class): what must match between the fast path and the baseline."""
ExpectedId = tuple[str, str, str, str, str, str]
"""A `FindingId` flattened to strings, so the child process can send it through a pipe."""


# --- the simulator, in this process or a child -------------------------------------------------


class SimHandle(Protocol):
    """What a benchmark needs from a running simulator, wherever it runs."""

    kube_url: str
    argocd_url: str
    expected: frozenset[ExpectedId]
    """The scenario's ground truth: every drifting (app, resource, class)."""

    def count(self, api: str | None = None, path_regex: str | None = None) -> int: ...
    def reset(self) -> None: ...
    def write_kubeconfig(self, path: Path) -> Path: ...
    def requests(self) -> list[tuple[str, str]]:
        """(api, path with query) of every request since the last `reset`, in arrival order."""
        ...

    def degrade(self, app: str) -> str:
        """Mark Application ``app`` Degraded (a watched change); its new resourceVersion."""
        ...


def _expected_of(scenario: Scenario) -> frozenset[ExpectedId]:
    return frozenset(
        (app, k.group, k.kind, k.namespace, k.name, cls)
        for (app, k), cls in scenario.expected.items()
    )


class _LocalSim:
    """A `Simulator` in this process."""

    def __init__(self, sim: Simulator, scenario: Scenario) -> None:
        self._sim = sim
        self.kube_url = sim.kube_url
        self.argocd_url = sim.argocd_url
        self.expected = _expected_of(scenario)

    def count(self, api: str | None = None, path_regex: str | None = None) -> int:
        return self._sim.count(api, path_regex)

    def reset(self) -> None:
        self._sim.reset_counters()

    def requests(self) -> list[tuple[str, str]]:
        return _request_lines(self._sim)

    def degrade(self, app: str) -> str:
        return degrade(self._sim, app)

    def write_kubeconfig(self, path: Path) -> Path:
        return self._sim.write_kubeconfig(path)


class _ChildSim:
    """A `Simulator` in a child process, driven over a pipe (one request, one answer)."""

    def __init__(self, conn: Connection, hello: dict[str, Any]) -> None:
        self._conn = conn
        self.kube_url = str(hello["kube_url"])
        self.argocd_url = str(hello["argocd_url"])
        self.expected: frozenset[ExpectedId] = frozenset(hello["expected"])

    def _ask(self, *message: Any) -> Any:
        self._conn.send(message)
        return self._conn.recv()

    def count(self, api: str | None = None, path_regex: str | None = None) -> int:
        return int(self._ask("count", api, path_regex))

    def reset(self) -> None:
        self._ask("reset")

    def requests(self) -> list[tuple[str, str]]:
        return [(str(api), str(path)) for api, path in self._ask("requests")]

    def degrade(self, app: str) -> str:
        return str(self._ask("degrade", app))

    def write_kubeconfig(self, path: Path) -> Path:
        return Path(self._ask("kubeconfig", str(path)))

    def stop(self) -> None:
        self._ask("stop")


def _serve_child(conn: Connection, build: Callable[[], Scenario], latency_ms: float) -> None:
    """Child process body: build the scenario, serve it, answer the parent until told to stop."""
    scenario = build()
    with Simulator(scenario, token=TOKEN, latency_ms=latency_ms) as sim:
        conn.send(
            {
                "kube_url": sim.kube_url,
                "argocd_url": sim.argocd_url,
                "expected": sorted(_expected_of(scenario)),
            }
        )
        while True:
            command, *args = conn.recv()
            if command == "count":
                conn.send(sim.count(*args))
            elif command == "reset":
                sim.reset_counters()
                conn.send(None)
            elif command == "requests":
                conn.send(_request_lines(sim))
            elif command == "degrade":
                conn.send(degrade(sim, str(args[0])))
            elif command == "kubeconfig":
                conn.send(str(sim.write_kubeconfig(Path(args[0]))))
            else:
                conn.send(None)
                return


def degrade(sim: Simulator, app: str) -> str:
    raw = next(a for a in sim.scenario.applications if a["metadata"]["name"] == app)
    status = {**raw["status"], "health": {**raw["status"]["health"], "status": "Degraded"}}
    return sim.change({**raw, "status": status})


def _request_lines(sim: Simulator) -> list[tuple[str, str]]:
    return [
        (r.api, f"{r.path}?{urlencode(r.query, doseq=True)}" if r.query else r.path)
        for r in sim.requests
    ]


@contextmanager
def simulator(build: Callable[[], Scenario], latency_ms: float, mode: str) -> Iterator[SimHandle]:
    """Serve ``build()`` with ``latency_ms`` per request, in a child process or in this one.

    ``build`` must be picklable for the child (a module-level function or a ``partial`` of one).
    """
    if mode == "inprocess":
        scenario = build()
        with Simulator(scenario, token=TOKEN, latency_ms=latency_ms) as sim:
            yield _LocalSim(sim, scenario)
        return
    # spawn, not fork: the child starts clean instead of inheriting this process's threads.
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=_serve_child, args=(child, build, latency_ms), daemon=True)
    process.start()
    child.close()
    try:
        try:
            hello = parent.recv()
        except EOFError as exc:
            msg = "the simulator process died before serving (its traceback is above)"
            raise RuntimeError(msg) from exc
        handle = _ChildSim(parent, hello)
        yield handle
        handle.stop()
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join()
        parent.close()
        process.close()


def settings_for(sim: SimHandle, workdir: Path, *, concurrency: int | None = None) -> Settings:
    """Settings that point the real adapters at ``sim`` (both generated app namespaces)."""
    values: dict[str, Any] = {
        "kubeconfig": str(sim.write_kubeconfig(workdir / "kubeconfig")),
        "argocd_server": sim.argocd_url,
        "argocd_auth_token": TOKEN,
        "drift_app_namespaces": ",".join(APP_NAMESPACES),
    }
    if concurrency is not None:
        values["drift_concurrency"] = concurrency
    return load_settings(**values)


@contextmanager
def workdir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="drift-bench-") as path:
        yield Path(path)


# --- measuring ------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    """``work()``'s result and its wall time in seconds."""
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def timed_with_cpu(work: Callable[[], Any]) -> tuple[Any, float, float]:
    """``work()``'s result, wall seconds and this process's CPU seconds (every thread).

    CPU-bound work moves with the machine while a floor that waits on latency does not: the
    CPU figure is what compares runs on different machines.
    """
    cpu_started = time.process_time()
    result, wall_s = timed(work)
    return result, wall_s, time.process_time() - cpu_started


def profiled(work: Callable[[], Any], top: int) -> Any:
    """``work()``, under cProfile when ``top`` > 0 (top functions by cumulative time to stderr).

    cProfile sees the calling thread only: pool threads show up as time spent waiting.
    """
    if top <= 0:
        return work()
    profiler = cProfile.Profile()
    result = profiler.runcall(work)
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(top)
    return result


def finding_ids(findings: Sequence[Finding]) -> set[FindingId]:
    return {(f.app, f.key, f.drift_class.value) for f in findings}


def expected_ids(expected: frozenset[ExpectedId], apps: Sequence[str] = ()) -> set[FindingId]:
    """The ground truth as `FindingId`s (optionally only some apps), apps by plain name."""
    return {
        (app, ResourceKey(group, kind, ns, name), cls)
        for app, group, kind, ns, name, cls in expected
        if not apps or app in apps
    }


def plain_ids(findings: Sequence[Finding]) -> set[FindingId]:
    """`finding_ids` with apps by plain name, as the ground truth names them.

    Findings name apps outside Argo CD's namespace ``<namespace>_<name>`` (their tracking name).
    """
    return {(app.rpartition("_")[2], key, cls) for app, key, cls in finding_ids(findings)}


def mismatch(label: str, left: set[FindingId], right: set[FindingId]) -> str:
    """A readable description of two differing finding sets ("" when they are equal)."""
    if left == right:
        return ""
    only_left, only_right = sorted(left - right, key=str), sorted(right - left, key=str)
    lines = [f"{label}: {len(only_left)} only on the left, {len(only_right)} only on the right"]
    lines += [f"  < {item}" for item in only_left[:5]]
    lines += [f"  > {item}" for item in only_right[:5]]
    return "\n".join(lines)


def common_arguments(parser: argparse.ArgumentParser, *, latency_ms: float = 25.0) -> None:
    parser.add_argument("--latency-ms", type=float, default=latency_ms, help="per request")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="DRIFT_CONCURRENCY for the service (default: the setting's default)",
    )
    parser.add_argument(
        "--sim",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="where the simulator runs (default: a child process, so it has its own core)",
    )


# --- the naive baseline ------------------------------------------------------------------------


@dataclass
class NaiveResult:
    findings: list[Finding] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)


class NaiveScanner:
    """The scan written the obvious way: sequential, unpaged, nothing shared between apps.

    The kubernetes client keeps the plural name of a kind once discovered (that memo lives in
    the adapter); every CRD object itself is read again for every resource that needs it.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._kube = KubeReader.from_settings(settings, pool_size=1)
        self._argo = ArgoClient.from_settings(settings)

    def close(self) -> None:
        self._kube.close()
        self._argo.close()

    def scan(self, only: Sequence[str] = ()) -> NaiveResult:
        apps = [parse_application(raw, self._settings.argocd_namespace) for raw in self._list()]
        owners = classify.index_owners(apps)
        result = NaiveResult()
        for app in sorted(apps, key=lambda a: a.name):
            if only and app.name not in only:
                continue
            if app.drifting_resources:
                result.findings.extend(self._classify(app, owners))
            if self._is_stuck(app):
                result.stuck.append(app.name)
        return result

    def _list(self) -> Iterator[RawObject]:
        # The client's generated methods are annotated as returning ``object``.
        custom: Any = kubernetes.client.CustomObjectsApi(self._kube.api_client)
        for namespace in self._settings.app_namespaces:
            page = custom.list_namespaced_custom_object(
                "argoproj.io", "v1alpha1", namespace, "applications"
            )
            yield from page.get("items") or []

    def _classify(
        self, app: Application, owners: dict[ResourceKey, tuple[str, ...]]
    ) -> tuple[Finding, ...]:
        needs_diff = any(not r.hook for r in app.drifting_resources)
        raw = self._argo.managed_resources(app.name, app.namespace) if needs_diff else {}
        managed = parse_managed_resources(raw)
        needs = classify.plan(app, managed)
        crds: dict[tuple[str, str], RawObject] = {}
        for status in app.drifting_resources:
            wanted = (status.key.group, status.key.kind)
            if wanted in needs.crds:
                crd = self._kube.get_crd(*wanted)  # again for every resource
                if crd is not None:
                    crds[wanted] = crd
        inventory: dict[KindRef, Sequence[RawObject]] = {
            ref: self._kube.list_objects(ref) for ref in sorted(needs.lookups)
        }
        facts = classify.Facts(crds=crds, owners=owners, inventory=inventory)
        return classify.classify_app(app, managed, facts)

    def _is_stuck(self, app: Application) -> bool:
        if app.health_status not in health.UNHEALTHY:
            return False
        pods = [pod for w in health.workloads(app) for pod in self._kube.pods_of(w)]
        if health.stuck_since(app, pods, NOW, self._settings.drift_stuck_after) is None:
            return False
        for pod in pods:
            for problem in health.pod_problems(pod, NOW):
                if health.has_log(problem, pod):
                    self._kube.read_log(
                        problem.namespace,
                        problem.name,
                        problem.container,
                        previous=health.wants_previous_log(problem, pod),
                        tail_lines=400,
                    )
        return True


# --- a fleet with one big app (for /drift app) -----------------------------------------------

_BIG_AGE: Final = timedelta(days=90)


def big_app_scenario(resources: int, drifting: int, filler_apps: int) -> Scenario:
    """``filler_apps`` small Synced apps plus ``big``: ``resources`` resources, ``drifting``
    of them drifting (schema defaults, unexplained edits, injected checksums, zombies in turn).
    """
    b = ScenarioBuilder(NOW, seed="bench-app", share=True)
    for crd in ("applications.argoproj.io", "externalsecrets.external-secrets.io"):
        b.unmanaged(crds.crd(crd), age=_BIG_AGE * 3)
    for namespace in ("argocd", *APP_NAMESPACES):
        b.unmanaged(m.namespace(namespace), age=_BIG_AGE * 3)
    for i in range(filler_apps):
        app = b.app(f"filler-{i:05d}", destination_namespace=f"fill-{i // 200:03d}", age=_BIG_AGE)
        app.synced(m.config_map(f"filler-{i}", app.destination_namespace, {"k": "v"}))
    big = b.app("big", destination_namespace="big", age=_BIG_AGE)
    every = max(1, resources // max(1, drifting)) if drifting else 0
    made = 0
    for r in range(resources):
        if every and r % every == 0 and made < drifting:
            _BIG_DRIFTS[made % len(_BIG_DRIFTS)](big, r)
            made += 1
        else:
            big.synced(m.config_map(f"big-{r}", "big", {"LOG_LEVEL": "info", "n": str(r)}))
    return b.build()


def _big_schema_defaults(app: AppBuilder, r: int) -> None:
    es = m.external_secret(f"big-es-{r}", "big", ["PASSWORD"])
    app.drifted(es, {"/spec/target/deletionPolicy": "Retain"}, "schema-defaults")


def _big_unexplained(app: AppBuilder, r: int) -> None:
    cm = m.config_map(f"big-{r}", "big", {"LOG_LEVEL": "info"})
    app.drifted(cm, {"/data/LOG_LEVEL": "debug"}, "unexplained")


def _big_injected(app: AppBuilder, r: int) -> None:
    web = m.deployment(
        f"big-web-{r}",
        "big",
        [m.container("app", "ghcr.io/example/web:1.4.2")],
        labels={"app.kubernetes.io/name": f"big-web-{r}"},
        selector={"app.kubernetes.io/name": f"big-web-{r}"},
        pod_annotations={"checksum/config": "0" * 64},
    )
    pointer = "/spec/template/metadata/annotations/checksum~1config"
    app.drifted(web, {pointer: "1" * 64}, "injected-fields")


def _big_zombie(app: AppBuilder, r: int) -> None:
    app.zombie(m.config_map(f"big-old-{r}", "big", {"mode": "old"}), safe=True)


_BIG_DRIFTS: Final = (_big_schema_defaults, _big_unexplained, _big_injected, _big_zombie)
