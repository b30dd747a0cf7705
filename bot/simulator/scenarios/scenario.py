"""A simulated cluster as plain data: what both fake APIs serve, plus the answers tests expect.

A `Scenario` is deliberately dumb data (raw Kubernetes/Argo CD dicts) so a test can change
one live value, drop a target or add a pod before starting a `Simulator`, and the servers derive
everything else (lists, managed-resources, resource trees) from it consistently.

Live objects share unchanged subtrees with their git targets (see `pointers.patched`), so
change objects through the helpers here: they copy on write. Editing a nested dict in place
could change a target and its live object at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import pointers
from bot.simulator.cluster.pointers import DELETE

if TYPE_CHECKING:
    from bot.simulator.cluster.realism import Realism

__all__ = ["DELETE", "Scenario", "api_group", "key_of"]

LogKey = tuple[str, str, str, bool]
"""(namespace, pod, container, previous)."""

ExpectKey = tuple[str, ResourceKey]
"""(app name, resource)."""


def api_group(api_version: str) -> str:
    """The API group of an ``apiVersion`` (``""`` for the core group)."""
    return api_version.rpartition("/")[0]


def key_of(obj: Mapping[str, Any]) -> ResourceKey:
    """The identity of a raw object (namespace ``""`` when cluster-scoped)."""
    meta = obj.get("metadata") or {}
    return ResourceKey(
        group=api_group(str(obj.get("apiVersion", ""))),
        kind=str(obj.get("kind", "")),
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
    )


@dataclass
class Scenario:
    """Everything a simulated cluster holds, and the ground truth about it.

    Attributes:
        applications: Application CRs (``argoproj.io/v1alpha1``) with their status.
        objects: every other live object, Application CRs excluded.
        targets: per app name, the manifests git renders (targetState of managed-resources).
        logs: container logs by (namespace, pod, container, previous).
        expected: (app, resource) → drift class slug, for every drifting status entry.
        expected_safe_to_delete: (app, resource) → whether a zombie may be deleted.
        expected_stuck: names of apps that are stuck.
        expected_totals: ``total``, ``out_of_sync``, ``progressing``, ``stuck``.
        expected_paths: (app, resource) → the JSON pointers that differ between git and live
            (bookkeeping ignored), for drifting resources that exist on both sides.
        now: the instant the scenario's relative timestamps were computed from.
        control_plane_namespace: Argo CD's namespace; apps elsewhere use ``ns_name`` tracking.
        realism: set by `bot.simulator.cluster.realism.realize`: Argo CD's own diff
            (normalized vs predicted live state) instead of git against live.
    """

    applications: list[RawObject] = field(default_factory=list)
    objects: list[RawObject] = field(default_factory=list)
    targets: dict[str, list[RawObject]] = field(default_factory=dict)
    logs: dict[LogKey, str] = field(default_factory=dict)
    expected: dict[ExpectKey, str] = field(default_factory=dict)
    expected_safe_to_delete: dict[ExpectKey, bool] = field(default_factory=dict)
    expected_stuck: set[str] = field(default_factory=set)
    expected_totals: dict[str, int] = field(default_factory=dict)
    expected_paths: dict[ExpectKey, tuple[str, ...]] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    control_plane_namespace: str = "argocd"
    realism: Realism | None = None

    # --- reading ------------------------------------------------------------------------------

    def application(self, name: str, namespace: str | None = None) -> RawObject:
        """The Application CR called ``name`` (in ``namespace``, default the control plane)."""
        wanted = namespace or self.control_plane_namespace
        for app in self.applications:
            meta = app["metadata"]
            if meta["name"] == name and meta.get("namespace") == wanted:
                return app
        raise KeyError(f"no Application {wanted}/{name} in the scenario")

    def find(self, key: ResourceKey) -> RawObject | None:
        """The live object with this identity (Applications included), or ``None``."""
        pool = self.applications if _is_application(key) else self.objects
        for obj in pool:
            if key_of(obj) == key:
                return obj
        return None

    def target(self, app: str, key: ResourceKey) -> RawObject | None:
        """What git renders for ``key`` in ``app``, or ``None`` when it is not in git."""
        for obj in self.targets.get(app, []):
            if key_of(obj) == key:
                return obj
        return None

    # --- changing -----------------------------------------------------------------------------

    def put_object(self, obj: RawObject) -> None:
        """Add a live object, or replace the one with the same identity."""
        key = key_of(obj)
        pool = self.applications if _is_application(key) else self.objects
        for index, existing in enumerate(pool):
            if key_of(existing) == key:
                pool[index] = obj
                return
        pool.append(obj)

    def remove_object(self, key: ResourceKey) -> RawObject:
        """Delete a live object from the cluster and return it."""
        pool = self.applications if _is_application(key) else self.objects
        for index, existing in enumerate(pool):
            if key_of(existing) == key:
                return pool.pop(index)
        raise KeyError(f"no live object {key}")

    def set_live(self, key: ResourceKey, changes: Mapping[str, Any]) -> RawObject:
        """Change a live object at JSON pointers (value `DELETE` removes), copy-on-write."""
        current = self.find(key)
        if current is None:
            raise KeyError(f"no live object {key}")
        updated = pointers.patched(current, changes)
        self.put_object(updated)
        return updated

    def put_target(self, app: str, obj: RawObject) -> None:
        """Add or replace what git renders for one resource of ``app``."""
        key = key_of(obj)
        rendered = self.targets.setdefault(app, [])
        for index, existing in enumerate(rendered):
            if key_of(existing) == key:
                rendered[index] = obj
                return
        rendered.append(obj)

    def set_target(self, app: str, key: ResourceKey, changes: Mapping[str, Any]) -> RawObject:
        """Change what git renders for one resource at JSON pointers, copy-on-write."""
        current = self.target(app, key)
        if current is None:
            raise KeyError(f"{key} is not in git for app {app!r}")
        updated = pointers.patched(current, changes)
        self.put_target(app, updated)
        return updated

    def remove_target(self, app: str, key: ResourceKey) -> RawObject:
        """Take a manifest out of git (the live object then only exists in the cluster)."""
        rendered = self.targets.get(app, [])
        for index, existing in enumerate(rendered):
            if key_of(existing) == key:
                return rendered.pop(index)
        raise KeyError(f"{key} is not in git for app {app!r}")

    def put_log(
        self, namespace: str, pod: str, container: str, text: str, *, previous: bool = False
    ) -> None:
        """Set a container's log (``previous`` = the last terminated instance)."""
        self.logs[(namespace, pod, container, previous)] = text


def _is_application(key: ResourceKey) -> bool:
    return key.group == "argoproj.io" and key.kind == "Application"
