"""Use cases shared by the CLI, Slack and the scheduler: scan, one app, one app's logs.

This is the only layer that sequences I/O: it reads through the ports (`bot.ports`), hands
plain data to the pure core, and returns core objects. Nothing here knows about Slack, the
terminal or HTTP.

A scan is shaped by what the core says it needs (`classify.plan`): only apps with drifting
resources get their diff fetched, each CRD schema is fetched once, and the cluster-wide lists
that prove a zombie unused are fetched once for all apps. Fan-out runs on a bounded thread pool;
one failing app becomes an `errors` entry and never sinks the scan.
"""

from __future__ import annotations

import difflib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from bot.core import classify, health
from bot.core.model import (
    Application,
    AppReport,
    Finding,
    KindRef,
    ManagedResource,
    PodDiagnosis,
    RawObject,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.core.parse import parse_application, parse_managed_resources
from bot.errors import DriftBotError, InputError, UnknownAppError, UpstreamError
from bot.ports import ArgoReader, ClusterReader

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K")

LOG_TAIL_LINES = 400
"""Lines of a crashed container's log we read: enough to reach the fatal line of a Go or Java
start-up failure, small enough to stay cheap for a pod restarting every few minutes."""


@dataclass
class _Scan:
    """Mutable scratch state of one scan; never outlives `DriftService.scan`."""

    now: datetime
    apps: list[Application]
    errors: list[ScanError] = field(default_factory=list)


class DriftService:
    """The bot's use cases over a cluster reader and an Argo CD reader."""

    def __init__(
        self,
        cluster: ClusterReader,
        argo: ArgoReader,
        *,
        control_plane_namespace: str,
        stuck_after: timedelta,
        concurrency: int,
        clock: Callable[[], datetime],
    ) -> None:
        self._cluster = cluster
        self._argo = argo
        self._control_plane = control_plane_namespace
        self._stuck_after = stuck_after
        self._concurrency = concurrency
        self._clock = clock

    def close(self) -> None:
        """Release the upstream connection pools."""
        for client in (self._cluster, self._argo):
            close = getattr(client, "close", None)
            if callable(close):
                close()

    # --- use cases ------------------------------------------------------------------------

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        """Classify every drifting resource and find stuck apps (optionally only some apps)."""
        started = time.perf_counter()
        state = self._load(self._clock())
        selected = _select(state.apps, only)
        findings = self._classify(state, selected)
        stuck = self._stuck(state, selected, force=False)
        report = ScanReport(
            generated_at=state.now,
            totals=Totals(
                total=len(selected),
                out_of_sync=sum(a.sync_status == "OutOfSync" for a in selected),
                progressing=sum(a.health_status == "Progressing" for a in selected),
                stuck=len(stuck),
            ),
            findings=findings,
            stuck=tuple(stuck.values()),
            errors=tuple(state.errors),
            health={a.name: a.health_status for a in selected},
        )
        log.info(
            "scan done apps=%d findings=%d stuck=%d errors=%d seconds=%.2f",
            len(selected),
            len(findings),
            len(stuck),
            len(state.errors),
            time.perf_counter() - started,
        )
        return report

    def app_report(self, name: str) -> AppReport:
        """One app's findings and health; raises `UnknownAppError` with close matches."""
        state = self._load(self._clock())
        (app,) = _select(state.apps, [name])
        findings = self._classify(state, [app])
        stuck = self._stuck(state, [app], force=False)
        return AppReport(
            generated_at=state.now,
            app=app.name,
            sync_status=app.sync_status,
            health_status=app.health_status,
            health_since=app.health_since,
            findings=findings,
            stuck=stuck.get(app.name),
            errors=tuple(state.errors),
        )

    def logs_report(self, name: str) -> StuckApp:
        """Why an app's workload is unhealthy: pods, restarts, decisive log lines.

        Unlike the scan, this does not wait for ``DRIFT_STUCK_AFTER``: someone asked.
        """
        state = self._load(self._clock())
        (app,) = _select(state.apps, [name])
        stuck = self._stuck(state, [app], force=True)
        return stuck[app.name]

    # --- steps ----------------------------------------------------------------------------

    def _load(self, now: datetime) -> _Scan:
        state = _Scan(now=now, apps=[])
        for raw in self._cluster.list_applications():
            try:
                state.apps.append(parse_application(raw, self._control_plane))
            except InputError as exc:
                name = str(raw.get("metadata", {}).get("name", "?"))
                state.errors.append(ScanError(app=name, source="kubernetes", message=str(exc)))
        return state

    def _classify(self, state: _Scan, apps: Sequence[Application]) -> tuple[Finding, ...]:
        drifting = [a for a in apps if a.drifting_resources]
        needs_diff = [a for a in drifting if any(not r.hook for r in a.drifting_resources)]
        failures: list[DriftBotError] = []
        fetched = self._fan_out(
            state, needs_diff, "argocd", self._managed, app_of=lambda a: a.name, failures=failures
        )
        upstream = [f for f in failures if isinstance(f, UpstreamError)]
        if needs_diff and not fetched and len(upstream) == len(failures):
            # Not one diff could be read: Argo CD is down or refuses us. Say that once,
            # instead of one identical error per app.
            raise upstream[0]
        managed = {app.name: resources for app, resources in fetched.items()}
        crd_users: dict[tuple[str, str], list[str]] = {}
        lookup_users: dict[KindRef, list[str]] = {}
        for app in drifting:
            needs = classify.plan(app, managed.get(app.name, ()))
            for crd in needs.crds:
                crd_users.setdefault(crd, []).append(app.name)
            for lookup in needs.lookups:
                lookup_users.setdefault(lookup, []).append(app.name)
        crds = self._fetch_crds(state, crd_users)
        inventory = self._fetch_inventory(state, lookup_users)
        facts = classify.Facts(
            crds=crds, owners=classify.index_owners(state.apps), inventory=inventory
        )
        findings: list[Finding] = []
        for app in drifting:
            findings.extend(classify.classify_app(app, managed.get(app.name, ()), facts))
        return tuple(findings)

    def _managed(self, app: Application) -> tuple[ManagedResource, ...]:
        return parse_managed_resources(self._argo.managed_resources(app.name, app.namespace))

    def _fetch_crds(
        self, state: _Scan, users: Mapping[tuple[str, str], list[str]]
    ) -> dict[tuple[str, str], RawObject]:
        fetched = self._fan_out(
            state,
            sorted(users),
            "kubernetes",
            lambda k: self._cluster.get_crd(*k),
            app_of=lambda k: ", ".join(users[k]),
        )
        return {k: crd for k, crd in fetched.items() if crd is not None}

    def _fetch_inventory(
        self, state: _Scan, users: Mapping[KindRef, list[str]]
    ) -> dict[KindRef, Sequence[RawObject]]:
        # A lookup that fails stays absent: the core then refuses to call anything safe.
        return self._fan_out(
            state,
            sorted(users),
            "kubernetes",
            self._cluster.list_objects,
            app_of=lambda r: ", ".join(users[r]),
        )

    def _stuck(
        self, state: _Scan, apps: Sequence[Application], *, force: bool
    ) -> dict[str, StuckApp]:
        candidates: dict[str, datetime | None] = {}
        for app in apps:
            if app.health_status not in health.UNHEALTHY and not force:
                continue
            # Without lastTransitionTime the pods' ages decide, so they are needed first.
            pods = [] if app.health_since else self._pods(state, app)
            since = health.stuck_since(app, pods, state.now, self._stuck_after)
            if since is not None or force:
                candidates[app.name] = since
        by_name = {a.name: a for a in apps}
        diagnosed = self._fan_out(
            state,
            list(candidates),
            "kubernetes",
            lambda n: self._diagnose(state, by_name[n], candidates[n]),
            app_of=str,
        )
        return {
            name: diagnosed.get(name)
            or StuckApp(app=name, health=by_name[name].health_status, since=candidates[name])
            for name in candidates
        }

    def _pods(self, state: _Scan, app: Application) -> list[RawObject]:
        pods: dict[str, RawObject] = {}
        for workload in health.workloads(app):
            try:
                for pod in self._cluster.pods_of(workload):
                    pods[str(pod.get("metadata", {}).get("uid", id(pod)))] = pod
            except UpstreamError as exc:
                state.errors.append(_error(app.name, exc, f"pods of {workload}"))
        return list(pods.values())

    def _diagnose(self, state: _Scan, app: Application, since: datetime | None) -> StuckApp:
        problems: list[PodDiagnosis] = []
        pods = {}
        for pod in self._pods(state, app):
            meta = pod.get("metadata", {})
            pods[(meta.get("namespace", ""), meta.get("name", ""))] = pod
            problems.extend(health.pod_problems(pod, state.now))
        logs: dict[tuple[str, str, str], str] = {}
        for problem in problems:
            pod = pods[(problem.namespace, problem.name)]
            if not health.has_log(problem, pod):
                continue  # never ran (image pull, pod-level problem): no log to read
            previous = health.wants_previous_log(problem, pod)
            try:
                logs[(problem.namespace, problem.name, problem.container)] = self._cluster.read_log(
                    problem.namespace,
                    problem.name,
                    problem.container,
                    previous=previous,
                    tail_lines=LOG_TAIL_LINES,
                )
            except UpstreamError as exc:
                state.errors.append(_error(app.name, exc, f"log of {problem.name}"))
        return health.diagnose(app, since, problems, logs)

    def _fan_out(
        self,
        state: _Scan,
        items: Sequence[K],
        source: str,
        work: Callable[[K], T],
        *,
        app_of: Callable[[K], str],
        failures: list[DriftBotError] | None = None,
    ) -> dict[K, T]:
        """Run ``work`` over items on a bounded pool; failures become `errors` entries."""
        if not items:
            return {}
        results: dict[K, T] = {}
        workers = min(self._concurrency, len(items))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drift-scan") as pool:
            futures: list[tuple[K, Future[T]]] = [(i, pool.submit(work, i)) for i in items]
            for item, future in futures:
                try:
                    results[item] = future.result()
                except (UpstreamError, InputError) as exc:
                    state.errors.append(_error(app_of(item), exc, source=source))
                    if failures is not None:
                        failures.append(exc)
        return results


def _select(apps: Sequence[Application], only: Sequence[str]) -> list[Application]:
    if not only:
        return sorted(apps, key=lambda a: a.name)
    by_name: dict[str, Application] = {}
    for app in apps:
        by_name.setdefault(app.name, app)
        by_name.setdefault(app.tracking_name, app)
    missing = [name for name in only if name not in by_name]
    if missing:
        raise UnknownAppError(missing[0], difflib.get_close_matches(missing[0], by_name, n=3))
    return [by_name[name] for name in dict.fromkeys(only)]


def _error(app: str, exc: Exception, what: str = "", source: str = "") -> ScanError:
    origin = getattr(exc, "source", "") or source or "kubernetes"
    message = f"{what}: {exc}" if what else str(exc)
    return ScanError(app=app, source=origin, message=message)
