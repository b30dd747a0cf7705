"""What the service needs from the outside world, as Protocols.

The adapters in `bot.adapters` implement these over the real clients; unit tests of the
service may pass in-memory fakes. Every method raises only `bot.errors` types.

Reads return the typed shapes of `bot.core.raw` (`RawApplication`, `RawPod`...): the adapter
gives decoded JSON its shape once (``raw.as_*``), so the service and the core are checked
against what they read. Objects of any kind stay `RawObject`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.model import (
    Ack,
    AppReport,
    KindRef,
    RawObject,
    ResourceKey,
    ScanReport,
    StuckApp,
)
from bot.core.raw import RawApplication, RawCRD, RawManagedResources, RawPod

if TYPE_CHECKING:
    from bot.core.digest import Snapshot


class ClusterReader(Protocol):
    """Read-only access to the Kubernetes API (get/list/watch only, never Secrets)."""

    def list_applications(self) -> Iterator[RawApplication]:
        """Every Application in the configured namespaces, paged with ``limit``/``continue``."""
        ...

    def get_crd(self, group: str, kind: str) -> RawCRD | None:
        """The CustomResourceDefinition serving ``kind`` in ``group``; ``None`` if there is none."""
        ...

    def list_objects(self, ref: KindRef) -> list[RawObject]:
        """Every object of one type, cluster-wide (paged); any kind, so plain manifests.

        Pods may come reduced to what the usage index reads of them (`bot.core.references`).
        """
        ...

    def iter_objects(self, ref: KindRef, namespace: str = "") -> Iterator[RawObject]:
        """`list_objects` (of one namespace if given) as it arrives, page by page."""
        ...

    def pods_of(self, workload: ResourceKey) -> list[RawPod]:
        """Pods owned by a workload (Deployment→ReplicaSet→Pod, StatefulSet, DaemonSet, Job,
        Rollout), verified through ``ownerReferences``; a Pod key returns that pod."""
        ...

    def read_log(
        self, namespace: str, pod: str, container: str, *, previous: bool, tail_lines: int
    ) -> str:
        """A container's log; ``previous=True`` reads the last terminated instance."""
        ...

    def check(self) -> None:
        """Raise an `UpstreamError` unless the API answers (for readiness probes)."""
        ...


class ApplicationSink(Protocol):
    """Where an informer delivers the Applications it lists and watches (the fleet model)."""

    def replace(self, namespace: str, items: list[RawObject], resource_version: str) -> None:
        """A full list of ``namespace``: it replaces everything known there."""
        ...

    def apply(self, namespace: str, event_type: str, obj: RawObject) -> None:
        """One watch event: ADDED, MODIFIED or DELETED."""
        ...

    def heard(self, namespace: str) -> None:
        """The watch confirmed ``namespace`` is current (a bookmark, a clean end of a watch)."""
        ...

    def failed(self, namespace: str, why: str) -> None:
        """Listing or watching ``namespace`` failed; the informer retries with backoff."""
        ...


class ArgoReader(Protocol):
    """Read-only access to the Argo CD REST API."""

    def managed_resources(self, app: str, app_namespace: str) -> RawManagedResources:
        """The raw ``GET /api/v1/applications/{app}/managed-resources`` body (``{}`` if empty)."""
        ...

    def check(self) -> None:
        """Raise an `UpstreamError` unless Argo CD answers with our token."""
        ...


class Classifier(Protocol):
    """ "Ask the classifier": in-process (`bot.service.DriftService`), cached, or remote over HTTP.

    Slack handlers, the scheduler and the CLI depend on this, never on where it runs.
    """

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        """Classify every drifting resource and find stuck apps (optionally only some apps)."""
        ...

    def app_report(self, name: str) -> AppReport:
        """One app's findings and health; `UnknownAppError` with close matches if absent."""
        ...

    def logs_report(self, name: str) -> StuckApp:
        """Why one app's workload is unhealthy: pods, restarts, decisive (redacted) log lines."""
        ...

    def close(self) -> None:
        """Release connections (upstream pools, the remote client)."""
        ...


class Poster(Protocol):
    """Posts a message to a Slack channel (or thread); returns the message ``ts``."""

    def post(
        self, channel: str, blocks: list[dict[str, Any]], text: str, *, thread_ts: str | None = None
    ) -> str:
        """Post once (retrying 429s per Retry-After); raise `DeliveryError` on failure."""
        ...

    def update(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        """Edit a message posted earlier (chat.update); raise `DeliveryError` on failure."""
        ...


class AckStore(Protocol):
    """Where acks live (Redis); every write is atomic and audited."""

    def new_ack_id(self) -> str: ...
    def add_ack(self, ack: Ack) -> None: ...
    def remove_ack(self, ack_id: str, *, by: str, now: datetime) -> Ack: ...
    def active_acks(self, now: datetime) -> list[Ack]: ...
    def record_refusal(self, *, by: str, command: str, why: str, at: datetime) -> None: ...


class StateStore(Protocol):
    """Shared state of all replicas (Redis): acks, yesterday's snapshot, locks, incidents."""

    def active_acks(self, now: datetime) -> list[Ack]: ...
    def load_snapshot(self) -> Snapshot | None: ...
    def save_snapshot(self, snapshot: Snapshot) -> None: ...
    def try_lock(self, name: str, *, ttl: timedelta, owner: str) -> bool: ...
    def release_lock(self, name: str, *, owner: str) -> None: ...
    def mark_once(self, key: str, *, ttl: timedelta) -> bool: ...
    def clear_mark(self, key: str) -> None: ...
    def incident(self, app: str) -> dict[str, str] | None: ...
    def save_incident(self, app: str, data: Mapping[str, str]) -> None: ...
    def close_incident(self, app: str) -> None: ...
    def open_incidents(self) -> list[str]: ...
    def save_message_record(self, key: str, data: Mapping[str, str], *, ttl: timedelta) -> None: ...
    def message_record(self, key: str) -> dict[str, str] | None: ...
