"""Use cases shared by the CLI, Slack and the scheduler: scan, one app, one app's logs.

This is the only layer that sequences I/O: it reads through the ports (`bot.ports`), hands
plain data to the pure core, and returns core objects. Nothing here knows about Slack, the
terminal or HTTP.

A scan is shaped by what the core says it needs (`classify.plan`): only apps with drifting
resources get their diff fetched, each CRD schema and each cluster-wide list that proves a
zombie unused is fetched once per scan, and only unhealthy apps get their pods read. One
failing app becomes an `errors` entry and never sinks the scan.

Fleets of thousands of apps shape the rest (``bench/scan.py`` measures it):

- The scan is a pipeline. A helper thread reads the Application list a page ahead while this
  thread parses; each app that needs more is handed to a bounded pool (``DRIFT_CONCURRENCY``
  workers) the moment it is parsed, so diffs travel while the list is still arriving. The CRDs
  and usage lists an app's status announces are requested right then too (`_Once`: fetched
  once, by whoever comes first), and diffs are fed to the pool its width at a time (`_Lane`),
  so a stuck app's pod and log reads never queue behind a thousand diffs.
- An app is classified as soon as its diff is in, even while the list is still arriving. The
  ownership index (which apps list a resource) is only complete after the last page, so an app
  classified early keeps the owners it saw and is classified again if they changed by then
  (rare: it takes another app listing the same object on a later page).
- Apps that need nothing further keep only their name and statuses; only the managed-resources
  items that drift are decoded, and an app's diff is dropped once its findings are final.
  Memory therefore follows the drifting set, not the fleet.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from queue import SimpleQueue
from typing import Any, Generic, TypeVar

from bot.core import classify, health, usage
from bot.core.model import (
    Application,
    AppReport,
    Finding,
    KindRef,
    ManagedResource,
    PodDiagnosis,
    RawObject,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.core.parse import parse_application, parse_managed_resources
from bot.core.reference_index import ReferenceIndex
from bot.errors import DriftBotError, InputError, UnknownAppError, UpstreamError
from bot.ports import ArgoReader, ClusterReader

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")

AppId = tuple[str, str]
"""(namespace, name): names alone collide across Argo CD's app namespaces."""

LOG_TAIL_LINES = 400
"""Lines of a crashed container's log we read: enough to reach the fatal line of a Go or Java
start-up failure, small enough to stay cheap for a pod restarting every few minutes."""

LIST_READ_AHEAD = 500
"""Applications the listing thread reads ahead of the parser: one page at the adapter's default
page size, so the next page is on the wire while this one is parsed, and at most about two
pages of raw JSON are alive at once."""


@dataclass(frozen=True, slots=True)
class _Diff:
    """What classifying one app needs besides the ownership index."""

    managed: tuple[ManagedResource, ...]
    crds: Mapping[tuple[str, str], RawObject]
    inventory: Mapping[KindRef, ReferenceIndex]
    """The usage lists the app needs, each indexed once per scan and shared by every app."""


_NO_DIFF = _Diff(managed=(), crds={}, inventory={})


@dataclass(frozen=True, slots=True)
class _Health:
    """One unhealthy app's verdict: stuck (with its diagnosis) or not, and what failed."""

    stuck: StuckApp | None
    errors: tuple[ScanError, ...] = ()


@dataclass
class _Slot(Generic[V]):
    """One key of a `_Once`: who asked, and the answer once ``done`` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    claimed: bool = False
    """Someone is fetching (or fetched) it; everyone else waits for ``done``."""
    value: V | None = None
    error: DriftBotError | None = None
    users: list[str] = field(default_factory=list)


class _Once(Generic[K, V]):
    """Fetch each key once per scan, and as early as it is known to be needed.

    `prefetch` queues the fetch on the pool as soon as a parsed app's status shows it will
    probably be needed, so it travels while that app's diff does. `get` (from a worker, once
    the diff says it *is* needed) takes over the fetch if nobody has started it yet, then waits:
    a worker never waits for a task still queued behind it, so the pool cannot deadlock. A
    failed fetch answers ``None`` to every asker and becomes one `errors` entry naming the apps
    that needed it (a prefetch nobody needed reports nothing).
    """

    def __init__(self, fetch: Callable[[K], V], source: str) -> None:
        self._fetch = fetch
        self._source = source
        self._lock = threading.Lock()
        self._slots: dict[K, _Slot[V]] = {}

    def prefetch(self, key: K, pool: ThreadPoolExecutor) -> None:
        with self._lock:
            if key in self._slots:
                return
            slot = self._slots[key] = _Slot()
        pool.submit(self._claim, key, slot)

    def get(self, key: K, user: str) -> V | None:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
            slot.users.append(user)
            mine, slot.claimed = not slot.claimed, True
        if mine:
            self._fill(key, slot)
        slot.done.wait()
        return slot.value

    def failure(self, key: K) -> DriftBotError | None:
        """Why ``key`` could not be fetched (after `get`), or ``None``."""
        with self._lock:
            slot = self._slots.get(key)
        return slot.error if slot is not None else None

    def _claim(self, key: K, slot: _Slot[V]) -> None:
        with self._lock:
            if slot.claimed:
                return
            slot.claimed = True
        self._fill(key, slot)

    def _fill(self, key: K, slot: _Slot[V]) -> None:
        try:
            slot.value = self._fetch(key)
        except (UpstreamError, InputError) as exc:
            slot.error = exc
        finally:
            slot.done.set()

    def errors(self) -> list[ScanError]:
        """One entry per failed key (in a stable order), naming every app that needed it."""
        failed = sorted(self._slots.items(), key=lambda item: repr(item[0]))
        return [
            _error(", ".join(sorted(slot.users)), slot.error, source=self._source)
            for _, slot in failed
            if slot.error is not None and slot.users
        ]


class _Owners:
    """Which apps list each resource (`classify.index_owners`), built while the list streams in.

    Most resources have one owner, so the first is kept as a plain string and only shared
    resources get a list: at a million resources the difference is hundreds of megabytes.
    """

    def __init__(self) -> None:
        self._first: dict[ResourceKey, str] = {}
        self._more: dict[ResourceKey, list[str]] = {}

    def add(self, app: Application) -> None:
        name = app.tracking_name
        for resource in app.resources:
            first = self._first.setdefault(resource.key, name)
            if first != name:
                more = self._more.setdefault(resource.key, [])
                if name not in more:
                    more.append(name)

    def of(self, keys: Iterable[ResourceKey]) -> dict[ResourceKey, tuple[str, ...]]:
        """The index restricted to ``keys``: sorted tracking names per resource listed."""
        return {
            key: tuple(sorted({self._first[key], *self._more.get(key, ())}))
            for key in keys
            if key in self._first
        }


@dataclass(frozen=True, slots=True)
class _Classified:
    """An app's findings and what they were judged on (to judge again if owners changed)."""

    findings: tuple[Finding, ...]
    owners: Mapping[ResourceKey, tuple[str, ...]]
    diff: _Diff
    failure: DriftBotError | None


class _Lane:
    """Feeds one kind of job to the pool, at most ``window`` at a time.

    Diffs are the bulk of a scan. Queued all at once, they would make a health check or a CRD
    read submitted later wait for the whole backlog; fed a pool's width at a time, anything
    submitted directly to the pool is next in line when a worker frees up.
    """

    def __init__(self, pool: ThreadPoolExecutor, window: int) -> None:
        self._pool = pool
        self._window = window
        self._lock = threading.Lock()
        self._waiting: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._busy = 0
        self._closed = False

    def submit(self, work: Callable[[], T]) -> Future[T]:
        outer: Future[T] = Future()
        with self._lock:
            self._waiting.append((outer, work))
        self._pump()
        return outer

    def close(self) -> None:
        """Stop feeding; jobs still waiting are cancelled (the pool is about to shut down)."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, deque()
        for outer, _ in waiting:
            outer.cancel()

    def _pump(self) -> None:
        while True:
            with self._lock:
                if self._closed or self._busy >= self._window or not self._waiting:
                    return
                outer, work = self._waiting.popleft()
                self._busy += 1
            self._pool.submit(work).add_done_callback(partial(self._landed, outer))

    def _landed(self, outer: Future[Any], inner: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1
        if inner.cancelled():
            outer.cancel()
        elif (error := inner.exception()) is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())
        self._pump()


@dataclass
class _Run:
    """Mutable state of one scan, app report or logs report; never outlives the call."""

    now: datetime
    only: frozenset[str]
    """Names (or tracking names) asked for; empty means every app."""
    with_drift: bool
    """Fetch diffs and classify (scan, app report) or only read health (logs report)."""
    force: bool
    """Diagnose the asked-for app even when it is healthy (logs report)."""
    pool: ThreadPoolExecutor
    lane: _Lane
    """Where diffs queue (the pool's width at a time)."""
    crds: _Once[tuple[str, str], RawObject | None]
    lookups: _Once[KindRef, ReferenceIndex]
    pods: _Once[ResourceKey, list[RawObject]]
    """Pods per workload: an app's workloads are read side by side, not one after another."""
    apps: list[Application] = field(default_factory=list)
    owners: _Owners = field(default_factory=_Owners)
    errors: list[ScanError] = field(default_factory=list)
    diffs: dict[AppId, Future[_Diff]] = field(default_factory=dict)
    """Diffs in flight or not yet classified."""
    diffed: dict[AppId, Application] = field(default_factory=dict)
    """Every app whose diff was asked for."""
    arrived: SimpleQueue[AppId] = field(default_factory=SimpleQueue)
    """Apps whose diff just finished (filled by the workers, drained while listing)."""
    early: dict[AppId, _Classified] = field(default_factory=dict)
    """Apps classified while the list was still arriving."""
    health: dict[AppId, Future[_Health]] = field(default_factory=dict)

    def wants(self, app: Application) -> bool:
        return not self.only or app.name in self.only or app.tracking_name in self.only


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
        with self._run(only, with_drift=True, force=False) as run:
            selected = _select(run.apps, only)
            findings = self._findings(run, selected)
            stuck = self._stuck(run, selected)
        report = ScanReport(
            generated_at=run.now,
            totals=Totals(
                total=len(selected),
                out_of_sync=sum(a.sync_status == "OutOfSync" for a in selected),
                progressing=sum(a.health_status == "Progressing" for a in selected),
                stuck=len(stuck),
            ),
            findings=findings,
            stuck=tuple(stuck.values()),
            errors=tuple(run.errors),
            health={a.name: a.health_status for a in selected},
        )
        log.info(
            "scan done apps=%d findings=%d stuck=%d errors=%d seconds=%.2f",
            len(selected),
            len(findings),
            len(stuck),
            len(run.errors),
            time.perf_counter() - started,
        )
        return report

    def app_report(self, name: str) -> AppReport:
        """One app's findings and health; raises `UnknownAppError` with close matches."""
        with self._run([name], with_drift=True, force=False) as run:
            (app,) = _select(run.apps, [name])
            findings = self._findings(run, [app])
            stuck = self._stuck(run, [app])
        return AppReport(
            generated_at=run.now,
            app=app.name,
            sync_status=app.sync_status,
            health_status=app.health_status,
            health_since=app.health_since,
            findings=findings,
            stuck=stuck.get(app.name),
            errors=tuple(run.errors),
        )

    def logs_report(self, name: str) -> StuckApp:
        """Why an app's workload is unhealthy: pods, restarts, decisive log lines.

        Unlike the scan, this does not wait for ``DRIFT_STUCK_AFTER``: someone asked.
        """
        with self._run([name], with_drift=False, force=True) as run:
            (app,) = _select(run.apps, [name])
            return self._stuck(run, [app])[app.name]

    # --- the pipeline -----------------------------------------------------------------------

    @contextmanager
    def _run(self, only: Sequence[str], *, with_drift: bool, force: bool) -> Iterator[_Run]:
        """List every app and start the work each one needs; the pool ends with the block."""
        pool = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="drift-scan")
        run = _Run(
            now=self._clock(),
            only=frozenset(only),
            with_drift=with_drift,
            force=force,
            pool=pool,
            lane=_Lane(pool, window=self._concurrency),
            crds=_Once(lambda k: self._cluster.get_crd(*k), "kubernetes"),
            lookups=_Once(self._references, "kubernetes"),
            pods=_Once(self._cluster.pods_of, "kubernetes"),
        )
        try:
            for app in self._listed(run):
                run.owners.add(app)
                self._classify_arrived(run)
            yield run
        finally:
            # Work nobody will read (an unknown app name, an error) is dropped, not awaited.
            run.lane.close()
            pool.shutdown(wait=True, cancel_futures=True)

    def _listed(self, run: _Run) -> Iterator[Application]:
        """Every app, parsed as its page arrives; its further work starts right away."""
        for raw in _read_ahead(self._cluster.list_applications(), LIST_READ_AHEAD):
            try:
                app = parse_application(raw, self._control_plane)
            except InputError as exc:
                name = str(raw.get("metadata", {}).get("name", "?"))
                run.errors.append(ScanError(app=name, source="kubernetes", message=str(exc)))
                continue
            run.apps.append(self._admit(run, app))
            yield app

    def _admit(self, run: _Run, app: Application) -> Application:
        """Start the app's diff and health work if it needs any; what to keep of it."""
        if not run.wants(app):
            return _summary(app)
        key = _id(app)
        drifting = run.with_drift and bool(app.drifting_resources)
        if drifting and any(not r.hook for r in app.drifting_resources):
            _prefetch(run, app)
            future = run.lane.submit(partial(self._diff, run, app))
            future.add_done_callback(partial(_arrived, run.arrived, key))
            run.diffs[key] = future
            run.diffed[key] = app
        unhealthy = run.force or app.health_status in health.UNHEALTHY
        if unhealthy:
            run.health[key] = run.pool.submit(self._health, run, app)
        return app if drifting or unhealthy else _summary(app)

    # --- drift --------------------------------------------------------------------------------

    def _diff(self, run: _Run, app: Application) -> _Diff:
        """(Worker) the app's diff, then the CRDs and lists its classification will read."""
        raw = self._argo.managed_resources(app.name, app.namespace)
        drifting = {r.key for r in app.drifting_resources}
        managed = parse_managed_resources(_only_items(raw, drifting))
        needs = classify.plan(app, managed)
        crds: dict[tuple[str, str], RawObject] = {}
        for crd_key in sorted(needs.crds):
            crd = run.crds.get(crd_key, app.name)
            if crd is not None:
                crds[crd_key] = crd
        inventory: dict[KindRef, ReferenceIndex] = {}
        for ref in sorted(needs.lookups):
            # A lookup that fails stays absent: the core then refuses to call anything safe.
            found = run.lookups.get(ref, app.name)
            if found is not None:
                inventory[ref] = found
        return _Diff(managed=managed, crds=crds, inventory=inventory)

    def _references(self, ref: KindRef) -> ReferenceIndex:
        """(Worker) one cluster-wide list, reduced page by page to its reference index.

        Fetched at most once per scan, and only when some app's zombie candidate needs it; the
        raw objects never outlive their page, so 40,000 pods cost their references, not 200 MB.
        """
        builder = usage.index_builder(ref)
        for obj in self._cluster.iter_objects(ref):
            builder.add(obj)
        return builder.finish()

    def _classify_arrived(self, run: _Run) -> None:
        """Classify the apps whose diff arrived, with the owners listed so far."""
        while not run.arrived.empty():
            key = run.arrived.get_nowait()
            run.early[key] = self._classify(run, run.diffed[key], _outcome(run.diffs.pop(key)))

    def _findings(self, run: _Run, apps: Sequence[Application]) -> tuple[Finding, ...]:
        """Every drifting app's findings, in ``apps`` order, judged on the complete index."""
        drifting = {_id(a): a for a in apps if a.drifting_resources}
        results: dict[AppId, _Classified] = {}
        for key, app in drifting.items():
            early = run.early.pop(key, None)
            if early is not None:
                keys = (r.key for r in app.drifting_resources)
                stale = run.owners.of(keys) != early.owners
                results[key] = self._reclassify(run, app, early) if stale else early
        # Diffs still travelling: classify each as it lands, then let it go.
        jobs = {run.diffs.pop(k): k for k in drifting if k in run.diffs}
        for future in as_completed(jobs):
            key = jobs.pop(future)
            results[key] = self._classify(run, drifting[key], _outcome(future))
        for key, app in drifting.items():
            if key not in results:  # only hook leftovers: nothing to diff
                results[key] = self._classify(run, app, (_NO_DIFF, None))
        self._diff_errors(run, drifting, results)
        return tuple(f for key in drifting for f in results[key].findings)

    def _classify(
        self, run: _Run, app: Application, outcome: tuple[_Diff, DriftBotError | None]
    ) -> _Classified:
        diff, failure = outcome
        owners = run.owners.of(r.key for r in app.drifting_resources)
        facts = classify.Facts(crds=diff.crds, owners=owners, inventory=diff.inventory)
        findings = classify.classify_app(app, diff.managed, facts)
        return _Classified(findings=findings, owners=owners, diff=diff, failure=failure)

    def _reclassify(self, run: _Run, app: Application, early: _Classified) -> _Classified:
        return self._classify(run, app, (early.diff, early.failure))

    def _diff_errors(
        self, run: _Run, apps: Mapping[AppId, Application], results: Mapping[AppId, _Classified]
    ) -> None:
        failed = [(app, exc) for k, app in apps.items() if (exc := results[k].failure) is not None]
        upstream = [exc for _, exc in failed if isinstance(exc, UpstreamError)]
        attempted = sum(k in run.diffed for k in apps)
        if attempted and len(upstream) == len(failed) == attempted:
            # Not one diff could be read: Argo CD is down or refuses us. Say that once,
            # instead of one identical error per app.
            raise upstream[0]
        run.errors.extend(_error(app.name, exc, source="argocd") for app, exc in failed)
        run.errors.extend(run.crds.errors())
        run.errors.extend(run.lookups.errors())

    # --- health ---------------------------------------------------------------------------

    def _stuck(self, run: _Run, apps: Sequence[Application]) -> dict[str, StuckApp]:
        found: dict[str, StuckApp] = {}
        for app in apps:
            future = run.health.get(_id(app))
            if future is None:
                continue
            try:
                outcome = future.result()
            except (UpstreamError, InputError) as exc:
                run.errors.append(_error(app.name, exc, source="kubernetes"))
                asked = StuckApp(app=app.name, health=app.health_status, since=None)
                outcome = _Health(asked if run.force else None)
            run.errors.extend(outcome.errors)
            if outcome.stuck is not None:
                found[app.name] = outcome.stuck
        return found

    def _health(self, run: _Run, app: Application) -> _Health:
        """(Worker) whether the app is stuck and, if so (or if asked), why."""
        errors: list[ScanError] = []
        # Without lastTransitionTime the pods' ages decide, so they are needed first.
        pods = None if app.health_since else self._pods(run, app, errors)
        since = health.stuck_since(app, pods or [], run.now, self._stuck_after)
        if since is None and not run.force:
            return _Health(None, tuple(errors))
        try:
            stuck = self._diagnose(run, app, since, pods, errors)
        except (UpstreamError, InputError) as exc:
            errors.append(_error(app.name, exc, source="kubernetes"))
            stuck = StuckApp(app=app.name, health=app.health_status, since=since)
        return _Health(stuck, tuple(errors))

    def _pods(self, run: _Run, app: Application, errors: list[ScanError]) -> list[RawObject]:
        """The pods of all the app's workloads (each workload's chain of reads in parallel)."""
        workloads = health.workloads(app)
        for workload in workloads[1:]:
            run.pods.prefetch(workload, run.pool)
        pods: dict[str, RawObject] = {}
        for workload in workloads:
            found = run.pods.get(workload, app.name)
            failure = run.pods.failure(workload)
            if failure is not None:
                errors.append(_error(app.name, failure, f"pods of {workload}"))
            for pod in found or ():
                pods[str(pod.get("metadata", {}).get("uid", id(pod)))] = pod
        return list(pods.values())

    def _diagnose(
        self,
        run: _Run,
        app: Application,
        since: datetime | None,
        pods: list[RawObject] | None,
        errors: list[ScanError],
    ) -> StuckApp:
        problems: list[PodDiagnosis] = []
        by_name = {}
        for pod in self._pods(run, app, errors) if pods is None else pods:
            meta = pod.get("metadata", {})
            by_name[(meta.get("namespace", ""), meta.get("name", ""))] = pod
            problems.extend(health.pod_problems(pod, run.now))
        logs: dict[tuple[str, str, str], str] = {}
        for problem in problems:
            pod = by_name[(problem.namespace, problem.name)]
            if not health.has_log(problem, pod):
                continue  # never ran (image pull, pod-level problem): no log to read
            try:
                logs[(problem.namespace, problem.name, problem.container)] = self._cluster.read_log(
                    problem.namespace,
                    problem.name,
                    problem.container,
                    previous=health.wants_previous_log(problem, pod),
                    tail_lines=LOG_TAIL_LINES,
                )
            except UpstreamError as exc:
                errors.append(_error(app.name, exc, f"log of {problem.name}"))
        return health.diagnose(app, since, problems, logs)


def _read_ahead(items: Iterator[T], chunk: int) -> Iterator[T]:
    """Yield ``items`` while a helper thread already pulls the next ``chunk`` of them.

    The next page of a paged list is then on the wire (and its JSON decoded) while the caller
    parses the current one. The helper advances ``items`` one chunk at a time, never two at
    once, and the generator waits for it before returning, so no thread outlives the listing.
    """
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-list")
    pending = reader.submit(_take, items, chunk)
    try:
        while batch := pending.result():
            pending = reader.submit(_take, items, chunk)
            yield from batch
    finally:
        wait([pending])
        reader.shutdown()


def _prefetch(run: _Run, app: Application) -> None:
    """Start the CRD and usage-list reads the app's diff will most likely ask for.

    Read from ``status.resources`` alone: a drifting custom resource still in git needs its
    CRD, an extra one awaiting pruning needs the lists that show who uses it. A guess that the
    diff does not confirm costs one read per kind and scan, and reports no error.
    """
    for status in app.drifting_resources:
        if status.hook:
            continue
        if status.requires_pruning:
            for ref in usage.lookups_for(status.key, None):
                run.lookups.prefetch(ref, run.pool)
        elif status.key.group not in classify.BUILTIN_GROUPS:
            run.crds.prefetch((status.key.group, status.key.kind), run.pool)


def _arrived(queue: SimpleQueue[AppId], key: AppId, _: Future[_Diff]) -> None:
    queue.put(key)


def _outcome(future: Future[_Diff]) -> tuple[_Diff, DriftBotError | None]:
    """A finished diff job's result, or no diff and why (the app is still classified)."""
    try:
        return future.result(), None
    except (UpstreamError, InputError) as exc:
        return _NO_DIFF, exc


def _take(items: Iterator[T], count: int) -> list[T]:
    return list(itertools.islice(items, count))


def _only_items(payload: RawObject, keys: Container[ResourceKey]) -> RawObject:
    """The managed-resources body with only the items of ``keys``.

    Synced items are most of a big app's body and classification never reads them, so their
    states (JSON strings) are never decoded. Items that are not objects are kept for the parser
    to report.
    """
    items = payload.get("items")
    if not isinstance(items, list):
        return payload
    kept = [i for i in items if not isinstance(i, dict) or _raw_key(i) in keys]
    return {**payload, "items": kept}


def _raw_key(item: Mapping[str, object]) -> ResourceKey:
    """An item's identity as `parse` reads it (Argo CD omits empty group and namespace)."""
    return ResourceKey(
        group=str(item.get("group") or ""),
        kind=str(item.get("kind") or ""),
        namespace=str(item.get("namespace") or ""),
        name=str(item.get("name") or ""),
    )


def _id(app: Application) -> AppId:
    return (app.namespace, app.name)


def _summary(app: Application) -> Application:
    """What the report needs of an app with nothing to classify or diagnose: no resources."""
    if not app.resources and not app.conditions:
        return app
    return dataclasses.replace(app, resources=(), conditions=())


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
