"""What the service needs from the outside world, as Protocols.

The adapters in `bot.adapters` implement these over the real clients; unit tests of the
service may pass in-memory fakes. Every method raises only `bot.errors` types.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from bot.core.model import KindRef, RawObject, ResourceKey


class ClusterReader(Protocol):
    """Read-only access to the Kubernetes API (get/list/watch only, never Secrets)."""

    def list_applications(self) -> Iterator[RawObject]:
        """Every Application in the configured namespaces, paged with ``limit``/``continue``."""
        ...

    def get_crd(self, group: str, kind: str) -> RawObject | None:
        """The CustomResourceDefinition serving ``kind`` in ``group``; ``None`` if there is none."""
        ...

    def list_objects(self, ref: KindRef) -> list[RawObject]:
        """Every object of one type, cluster-wide (paged)."""
        ...

    def pods_of(self, workload: ResourceKey) -> list[RawObject]:
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


class ArgoReader(Protocol):
    """Read-only access to the Argo CD REST API."""

    def managed_resources(self, app: str, app_namespace: str) -> RawObject:
        """The raw ``GET /api/v1/applications/{app}/managed-resources`` body (``{}`` if empty)."""
        ...

    def check(self) -> None:
        """Raise an `UpstreamError` unless Argo CD answers with our token."""
        ...
