"""The state of one scan, app report or logs report, and the plain helpers around it.

`Run` lives for one call of `bot.service.scan.DriftService` and never outlives it: the pool,
the once-per-run fetches, the ownership index built while the list streams in, and the diffs
and health checks in flight. The functions below select apps, trim what is kept of them, and
turn failures into `ScanError` entries.
"""

from __future__ import annotations

import difflib
from collections.abc import Container, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from queue import SimpleQueue
from typing import Any, Protocol

import msgspec

from bot.core import classify, usage
from bot.core.model import (
    Application,
    Finding,
    KindRef,
    ManagedResource,
    ResourceKey,
    ScanError,
    StuckApp,
)
from bot.core.raw import RawCRD, RawManagedResources, RawPod, TrackingName
from bot.core.redact import RedactMemo
from bot.core.reference_index import ReferenceIndex
from bot.errors import DriftBotError, InputError, UnknownAppError, UpstreamError
from bot.service.pipeline import Lane, Once

AppId = tuple[str, str]
"""(namespace, name): names alone collide across Argo CD's app namespaces."""


@dataclass(frozen=True, slots=True)
class Diff:
    """What classifying one app needs besides the ownership index."""

    managed: tuple[ManagedResource, ...]
    crds: Mapping[tuple[str, str], RawCRD]
    inventory: Mapping[KindRef, ReferenceIndex]
    """The usage lists the app needs, each indexed once per scan and shared by every app."""


NO_DIFF = Diff(managed=(), crds={}, inventory={})


@dataclass(frozen=True, slots=True)
class HealthOutcome:
    """One unhealthy app's verdict: stuck (with its diagnosis) or not, and what failed."""

    stuck: StuckApp | None
    errors: tuple[ScanError, ...] = ()


Lookup = tuple[KindRef, tuple[str, ...]]
"""A usage list and the namespaces to read it in (``()``: cluster-wide)."""


class OwnerIndex(Protocol):
    """Which apps list each resource: built while listing (`Owners`) or kept live (`FleetModel`)."""

    def of(self, keys: Iterable[ResourceKey]) -> dict[ResourceKey, tuple[TrackingName, ...]]: ...


class Owners:
    """Which apps list each resource (`classify.index_owners`), built while the list streams in.

    Most resources have one owner, so the first is kept as a plain string and only shared
    resources get a list: at a million resources the difference is hundreds of megabytes.
    """

    def __init__(self) -> None:
        self._first: dict[ResourceKey, TrackingName] = {}
        self._more: dict[ResourceKey, list[TrackingName]] = {}

    def add(self, app: Application) -> None:
        name = app.tracking_name
        for resource in app.resources:
            first = self._first.setdefault(resource.key, name)
            if first != name:
                more = self._more.setdefault(resource.key, [])
                if name not in more:
                    more.append(name)

    def of(self, keys: Iterable[ResourceKey]) -> dict[ResourceKey, tuple[TrackingName, ...]]:
        """The index restricted to ``keys``: sorted tracking names per resource listed."""
        return {
            key: tuple(sorted({self._first[key], *self._more.get(key, ())}))
            for key in keys
            if key in self._first
        }


@dataclass(frozen=True, slots=True)
class Classified:
    """An app's findings and what they were judged on (to judge again if owners changed)."""

    findings: tuple[Finding, ...]
    owners: Mapping[ResourceKey, tuple[TrackingName, ...]]
    diff: Diff
    failure: DriftBotError | None


@dataclass
class Run:
    """Mutable state of one scan, app report or logs report; never outlives the call."""

    now: datetime
    only: frozenset[str]
    """Names (or tracking names) asked for; empty means every app."""
    with_drift: bool
    """Fetch diffs and classify (scan, app report) or only read health (logs report)."""
    force: bool
    """Diagnose the asked-for app even when it is healthy (logs report)."""
    pool: ThreadPoolExecutor
    lane: Lane
    """Where diffs queue (the pool's width at a time)."""
    crds: Once[tuple[str, str], RawCRD | None]
    lookups: Once[Lookup, ReferenceIndex]
    pods: Once[ResourceKey, list[RawPod]]
    """Pods per workload: an app's workloads are read side by side, not one after another."""
    apps: list[Application] = field(default_factory=list)
    fleet_as_of: datetime | None = None
    """Set when the apps came from the watched fleet model: how fresh it was."""
    owners: OwnerIndex = field(default_factory=Owners)
    errors: list[ScanError] = field(default_factory=list)
    diffs: dict[AppId, Future[Diff]] = field(default_factory=dict)
    """Diffs in flight or not yet classified."""
    diffed: dict[AppId, Application] = field(default_factory=dict)
    """Every app whose diff was asked for."""
    arrived: SimpleQueue[AppId] = field(default_factory=SimpleQueue)
    """Apps whose diff just finished (filled by the workers, drained while listing)."""
    early: dict[AppId, Classified] = field(default_factory=dict)
    """Apps classified while the list was still arriving."""
    health: dict[AppId, Future[HealthOutcome]] = field(default_factory=dict)
    redaction: RedactMemo = field(default_factory=RedactMemo)
    """Shared by every app classified in this run: a fleet repeats images, labels and keys."""

    def wants(self, app: Application) -> bool:
        return not self.only or app.name in self.only or app.tracking_name in self.only


def outcome(future: Future[Diff]) -> tuple[Diff, DriftBotError | None]:
    """A finished diff job's result, or no diff and why (the app is still classified)."""
    try:
        return future.result(), None
    except (UpstreamError, InputError) as exc:
        return NO_DIFF, exc


def only_items(payload: RawManagedResources, keys: Container[ResourceKey]) -> RawManagedResources:
    """The managed-resources body with only the items of ``keys``.

    Synced items are most of a big app's body and classification never reads them, so their
    states (JSON strings) are never decoded; HorizontalPodAutoscalers are kept (see `_scaler`).
    Items that are not objects are kept for the parser to report.
    """
    items = payload.get("items")
    if not isinstance(items, list):
        return payload
    kept = [i for i in items if not isinstance(i, dict) or _raw_key(i) in keys or _scaler(i)]
    return {**payload, "items": kept}


def _scaler(item: Mapping[str, object]) -> bool:
    """A HorizontalPodAutoscaler: usually Synced itself, but the classifier reads its target
    to know who writes a drifting workload's ``/spec/replicas``."""
    return (item.get("group"), item.get("kind")) == ("autoscaling", "HorizontalPodAutoscaler")


def _raw_key(item: Mapping[str, object]) -> ResourceKey:
    """An item's identity as `parse` reads it (Argo CD omits empty group and namespace)."""
    return ResourceKey(
        group=str(item.get("group") or ""),
        kind=str(item.get("kind") or ""),
        namespace=str(item.get("namespace") or ""),
        name=str(item.get("name") or ""),
    )


def app_id(app: Application) -> AppId:
    return (app.namespace, app.name)


def summary(app: Application) -> Application:
    """What the report needs of an app with nothing to classify or diagnose: no resources."""
    if not app.resources and not app.conditions:
        return app
    return msgspec.structs.replace(app, resources=(), conditions=())


def select(apps: Sequence[Application], only: Sequence[str]) -> list[Application]:
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


def scan_error(app: str, exc: Exception, what: str = "", source: str = "") -> ScanError:
    origin = getattr(exc, "source", "") or source or "kubernetes"
    message = f"{what}: {exc}" if what else str(exc)
    return ScanError(app=app, source=origin, message=message)


def once_errors(once: Once[Any, Any], source: str) -> list[ScanError]:
    """One entry per key ``once`` failed to fetch, naming every app that needed it."""
    return [scan_error(", ".join(users), exc, source=source) for users, exc in once.failures()]


def scopes(app: Application) -> dict[KindRef, tuple[str, ...]]:
    """Where to read each usage list: only the namespaces the app's leftovers can be used from
    (a leftover ConfigMap's users are pods of its own namespace), cluster-wide otherwise.

    Scans too: a cluster-wide pod list is a chain of pages (each asked for once the previous
    arrived), while namespaces' lists travel side by side; apps of a namespace share its list.
    """
    return usage.lookup_namespaces(r.key for r in app.drifting_resources if r.requires_pruning)


def prefetch(run: Run, app: Application) -> None:
    """Start the CRD and usage-list reads the app's diff will most likely ask for.

    Read from ``status.resources`` alone: a drifting custom resource still in git needs its
    CRD, an extra one awaiting pruning needs the lists that show who uses it. A guess that the
    diff does not confirm costs one read per kind and scan, and reports no error.
    """
    where = scopes(app)
    for status in app.drifting_resources:
        if status.hook:
            continue
        if status.requires_pruning:
            for ref in usage.lookups_for(status.key, None):
                run.lookups.prefetch((ref, where.get(ref, ())), run.pool)
        elif status.key.group not in classify.BUILTIN_GROUPS:
            run.crds.prefetch((status.key.group, status.key.kind), run.pool)
