"""Use cases shared by the CLI, Slack and the scheduler: scan, one app, one app's logs.

This is the only layer that sequences I/O: it reads through the ports (`bot.ports`), hands
plain data to the pure core, and returns core objects. Nothing here knows about Slack, the
terminal or HTTP.

A scan is shaped by what the core says it needs (`classify.plan`): only apps with drifting
resources get their diff fetched, each CRD schema and each usage list that proves a
zombie unused is fetched once per scan, and only unhealthy apps get their pods read. One
failing app becomes an `errors` entry and never sinks the scan.

Fleets of thousands of apps shape the rest (``bench/scan.py`` measures it):

- The scan is a pipeline. A helper thread reads the Application list a page ahead while this
  thread parses; each app that needs more is handed to a bounded pool (``DRIFT_CONCURRENCY``
  workers) the moment it is parsed, so diffs travel while the list is still arriving. The CRDs
  and usage lists an app's status announces are requested right then too
  (`pipeline.Once`: fetched once, by whoever comes first), and diffs are fed to the pool its
  width at a time (`pipeline.Lane`), so a stuck app's pod and log reads never queue behind a
  thousand diffs.
- An app is classified as soon as its diff is in, even while the list is still arriving. The
  ownership index (which apps list a resource) is only complete after the last page, so an app
  classified early keeps the owners it saw and is classified again if they changed by then
  (rare: it takes another app listing the same object on a later page).
- Apps that need nothing further keep only their name and statuses; only the managed-resources
  items that drift are decoded, and an app's diff is dropped once its findings are final.
  Memory therefore follows the drifting set, not the fleet.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from queue import SimpleQueue

from bot import collector
from bot.core import classify, health, usage
from bot.core.model import (
    EVERY_APP,
    Application,
    AppReport,
    Finding,
    KindRef,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.core.parse import parse_application, parse_managed_resources
from bot.core.raw import RawCRD
from bot.core.reference_index import ReferenceIndex
from bot.core.tracking import TrackingConfig
from bot.errors import DriftBotError, InputError, UpstreamError
from bot.ports import ArgoReader, ClusterReader
from bot.service.fleet import FleetModel
from bot.service.pipeline import Lane, Once, read_ahead
from bot.service.run import (
    NO_DIFF,
    AppId,
    Classified,
    Diff,
    Lookup,
    Owners,
    Run,
    app_id,
    once_errors,
    only_items,
    outcome,
    prefetch,
    scan_error,
    scopes,
    select,
    summary,
)
from bot.service.stuck import StuckFinder

log = logging.getLogger(__name__)

LIST_READ_AHEAD = 500
"""Applications the listing thread reads ahead of the parser: one page at the adapter's default
page size, so the next page is on the wire while this one is parsed, and at most about two
pages of raw JSON are alive at once."""

USAGE_LISTS_AT_ONCE = 4
"""Usage lists read side by side: each holds a raw page (500 pods: ~2.5 MB) until indexed;
16 at once lifted a 10,000-app scan's peak RSS from ~390 to 416 MB (bench/README.md)."""


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
        tracking: TrackingConfig | None = None,
        fleet: FleetModel | None = None,
        on_close: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._tracking = tracking or TrackingConfig()
        self._fleet = fleet
        """The live model `serve` keeps (watched); questions start from it once it is ready."""
        self._on_close = tuple(on_close)
        self._cluster = cluster
        self._argo = argo
        self._control_plane = control_plane_namespace
        self._finder = StuckFinder(cluster, stuck_after)
        self._concurrency = concurrency
        self._clock = clock
        self._usage_lists = threading.Semaphore(USAGE_LISTS_AT_ONCE)

    def close(self) -> None:
        """Stop watching (if this service has a fleet model) and release the connection pools."""
        for stop in self._on_close:
            stop()
        for client in (self._cluster, self._argo):
            close = getattr(client, "close", None)
            if callable(close):
                close()

    # --- use cases ------------------------------------------------------------------------

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        """Classify every drifting resource and find stuck apps (optionally only some apps).

        The cyclic collector stays paused for the whole scan (`collector`) and comes back once
        the scan's working set is gone. Paused only while pages were decoded, it came back
        between them and each time walked everything the scan had built so far: ~0.1 s a
        collection, 0.2 s of a 10,000-app scan's CPU. A scan makes almost no cyclic garbage
        (the Argo CD client frees each response itself, `ArgoClient._send`).
        """
        with collector.paused():
            report = self._scan(only)
        return report

    def _scan(self, only: Sequence[str]) -> ScanReport:
        started = time.perf_counter()
        with self._run(only, with_drift=True, force=False) as run:
            selected = select(run.apps, only)
            findings = self._findings(run, selected, whole_scan=True)
            stuck = self._finder.stuck(run, selected)
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
            health={a.tracking_name: a.health_status for a in selected},
            sync={a.tracking_name: a.sync_status for a in selected},
            fleet_as_of=run.fleet_as_of,
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
            (app,) = select(run.apps, [name])
            findings = self._findings(run, [app])
            stuck = self._finder.stuck(run, [app])
        return AppReport(
            generated_at=run.now,
            app=app.name,
            sync_status=app.sync_status,
            health_status=app.health_status,
            health_since=app.health_since,
            findings=findings,
            stuck=stuck.get(app.name),
            errors=tuple(run.errors),
            fleet_as_of=run.fleet_as_of,
        )

    def logs_report(self, name: str) -> StuckApp:
        """Why an app's workload is unhealthy: pods, restarts, decisive log lines.

        Unlike the scan, this does not wait for ``DRIFT_STUCK_AFTER``: someone asked.
        """
        with self._run([name], with_drift=False, force=True) as run:
            (app,) = select(run.apps, [name])
            return self._finder.stuck(run, [app])[app.name]

    # --- the pipeline -----------------------------------------------------------------------

    @contextmanager
    def _run(self, only: Sequence[str], *, with_drift: bool, force: bool) -> Iterator[Run]:
        """List every app and start the work each one needs; the pool ends with the block."""
        pool = ThreadPoolExecutor(max_workers=self._concurrency, thread_name_prefix="drift-scan")
        run = Run(
            now=self._clock(),
            only=frozenset(only),
            with_drift=with_drift,
            force=force,
            pool=pool,
            lane=Lane(pool, window=self._concurrency),
            crds=Once(lambda k: self._cluster.get_crd(*k)),
            lookups=Once(self._references),
            pods=Once(self._cluster.pods_of),
        )
        try:
            fleet = self._fleet if self._fleet is not None and self._fleet.ready() else None
            if fleet is None:
                owners = run.owners = Owners()
                # Raw pages live until parsed; a young collection would walk them (`collector`).
                with collector.paused():
                    for app in self._listed(run):
                        owners.add(app)
                        self._classify_arrived(run)
            else:
                # The watched model replaces the list: no Application is read for this answer.
                snapshot = fleet.snapshot(only)
                run.owners = fleet
                run.fleet_as_of = snapshot.as_of
                run.errors.extend(snapshot.errors)
                run.apps.extend(self._admit(run, app) for app in snapshot.apps)
            yield run
        finally:
            # Work nobody will read (an unknown app name, an error) is dropped, not awaited.
            run.lane.close()
            pool.shutdown(wait=True, cancel_futures=True)

    def _listed(self, run: Run) -> Iterator[Application]:
        """Every app, parsed as its page arrives; its further work starts right away."""
        for raw in read_ahead(self._cluster.list_applications(), LIST_READ_AHEAD):
            try:
                app = parse_application(raw, self._control_plane)
            except InputError as exc:
                name = str(raw.get("metadata", {}).get("name", "?"))
                run.errors.append(ScanError(app=name, source="kubernetes", message=str(exc)))
                continue
            run.apps.append(self._admit(run, app))
            yield app

    def _admit(self, run: Run, app: Application) -> Application:
        """Start the app's diff and health work if it needs any; what to keep of it."""
        if not run.wants(app):
            return summary(app)
        key = app_id(app)
        drifting = run.with_drift and bool(app.drifting_resources)
        if drifting and any(not r.hook for r in app.drifting_resources):
            prefetch(run, app)
            future = run.lane.submit(partial(self._diff, run, app))
            future.add_done_callback(partial(_arrived, run.arrived, key))
            run.diffs[key] = future
            run.diffed[key] = app
        unhealthy = run.force or app.health_status in health.UNHEALTHY
        if unhealthy:
            run.health[key] = run.pool.submit(self._finder.check, run, app)
        return app if drifting or unhealthy else summary(app)

    # --- drift --------------------------------------------------------------------------------

    def _references(self, lookup: Lookup) -> ReferenceIndex:
        """(Worker) one usage list (of some namespaces, or cluster-wide), reduced page by page
        to its reference index.

        Fetched at most once per scan, and only when some app's zombie candidate needs it; the
        raw objects never outlive their page, so 40,000 pods cost their references, not 200 MB.
        """
        ref, namespaces = lookup
        builder = usage.index_builder(ref)
        # Each raw page is freed before a collection could walk it (`collector`).
        with self._usage_lists, collector.paused():
            for namespace in namespaces or ("",):
                for obj in self._cluster.iter_objects(ref, namespace):
                    builder.add(obj)
        return builder.finish()

    def _diff(self, run: Run, app: Application) -> Diff:
        """(Worker) the app's diff, then the CRDs and lists its classification will read."""
        raw = self._argo.managed_resources(app.name, app.namespace)
        drifting = {r.key for r in app.drifting_resources}
        managed = parse_managed_resources(only_items(raw, drifting))
        needs = classify.plan(app, managed)
        crds: dict[tuple[str, str], RawCRD] = {}
        for crd_key in sorted(needs.crds):
            crd = run.crds.get(crd_key, app.name)
            if crd is not None:
                crds[crd_key] = crd
        inventory: dict[KindRef, ReferenceIndex] = {}
        where = scopes(app)
        for ref in sorted(needs.lookups):
            # A lookup that fails stays absent: the core then refuses to call anything safe.
            found = run.lookups.get((ref, where.get(ref, ())), app.name)
            if found is not None:
                inventory[ref] = found
        return Diff(managed=managed, crds=crds, inventory=inventory)

    def _classify_arrived(self, run: Run) -> None:
        """Classify the apps whose diff arrived, with the owners listed so far."""
        while not run.arrived.empty():
            key = run.arrived.get_nowait()
            run.early[key] = self._classify(run, run.diffed[key], outcome(run.diffs.pop(key)))

    def _findings(
        self, run: Run, apps: Sequence[Application], *, whole_scan: bool = False
    ) -> tuple[Finding, ...]:
        """Every drifting app's findings, in ``apps`` order, judged on the complete index.

        With ``whole_scan``, Argo CD failing every diff does not sink the report: stuck apps
        and statuses come from Kubernetes alone, so escalation and the digest still go out.
        """
        drifting = {app_id(a): a for a in apps if a.drifting_resources}
        results: dict[AppId, Classified] = {}
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
            results[key] = self._classify(run, drifting[key], outcome(future))
        for key, app in drifting.items():
            if key not in results:  # only hook leftovers: nothing to diff
                results[key] = self._classify(run, app, (NO_DIFF, None))
        self._diff_errors(run, drifting, results, whole_scan=whole_scan)
        return tuple(f for key in drifting for f in results[key].findings)

    def _classify(
        self, run: Run, app: Application, outcome: tuple[Diff, DriftBotError | None]
    ) -> Classified:
        diff, failure = outcome
        owners = run.owners.of(r.key for r in app.drifting_resources)
        facts = classify.Facts(
            crds=diff.crds, owners=owners, inventory=diff.inventory, tracking=self._tracking
        )
        findings = classify.classify_app(app, diff.managed, facts, memo=run.redaction)
        return Classified(findings=findings, owners=owners, diff=diff, failure=failure)

    def _reclassify(self, run: Run, app: Application, early: Classified) -> Classified:
        return self._classify(run, app, (early.diff, early.failure))

    def _diff_errors(
        self,
        run: Run,
        apps: Mapping[AppId, Application],
        results: Mapping[AppId, Classified],
        *,
        whole_scan: bool,
    ) -> None:
        failed = [(app, exc) for k, app in apps.items() if (exc := results[k].failure) is not None]
        upstream = [exc for _, exc in failed if isinstance(exc, UpstreamError)]
        attempted = sum(k in run.diffed for k in apps)
        if attempted and len(upstream) == len(failed) == attempted:
            # Not one diff could be read: Argo CD is down or refuses us. Say that once,
            # instead of one identical error per app; one app's report has nothing else.
            if not whole_scan:
                raise upstream[0]
            log.warning(
                "Argo CD could not be read; reporting what Kubernetes says: %s", upstream[0]
            )
            run.errors.append(scan_error(EVERY_APP, upstream[0], source="argocd"))
        else:
            run.errors.extend(scan_error(app.name, exc, source="argocd") for app, exc in failed)
        run.errors.extend(once_errors(run.crds, "kubernetes"))
        run.errors.extend(once_errors(run.lookups, "kubernetes"))


def _arrived(queue: SimpleQueue[AppId], key: AppId, _: Future[Diff]) -> None:
    queue.put(key)
