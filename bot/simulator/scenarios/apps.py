"""One Argo CD Application while a scenario is built: its resources, their git/live pairs, its CR.

Each method records a resource the way Argo CD would report it (a ``status.resources`` entry)
together with the git target and the live object, and the ground truth a test expects for it.
Deriving all of them from one call is what keeps the scenario consistent: an entry can never
say OutOfSync while git and live are equal, and a drift can never carry an undeclared path (the
builder checks both before handing the scenario out).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import objects, pointers
from bot.simulator.cluster.objects import ts
from bot.simulator.scenarios.scenario import key_of

if TYPE_CHECKING:
    from bot.simulator.scenarios.builder import ScenarioBuilder

APPLICATION_API: Final = "argoproj.io/v1alpha1"
FINALIZER: Final = "resources-finalizer.argocd.argoproj.io"
_DEFAULT_AGE: Final = timedelta(days=63)

_STATUS_FIELDS: Final[dict[str, Any]] = {
    "f:status": {
        ".": {},
        "f:controllerNamespace": {},
        "f:health": {".": {}, "f:lastTransitionTime": {}, "f:status": {}},
        "f:history": {},
        "f:operationState": {".": {}, "f:finishedAt": {}, "f:message": {}, "f:operation": {}},
        "f:reconciledAt": {},
        "f:resourceHealthSource": {},
        "f:resources": {},
        "f:sourceType": {},
        "f:summary": {},
        "f:sync": {".": {}, "f:comparedTo": {}, "f:revision": {}, "f:status": {}},
    }
}


@dataclass(slots=True)
class Entry:
    """One ``status.resources`` item (Argo CD ≥ 3.0: no per-resource health, empty keys omitted)."""

    key: ResourceKey
    version: str
    status: str | None
    requires_pruning: bool = False
    hook: bool = False

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.key.group:
            out["group"] = self.key.group
        out["version"] = self.version
        out["kind"] = self.key.kind
        if self.key.namespace:
            out["namespace"] = self.key.namespace
        out["name"] = self.key.name
        if self.status is not None:
            out["status"] = self.status
        if self.hook:
            out["hook"] = True
        if self.requires_pruning:
            out["requiresPruning"] = True
        return out


class AppBuilder:
    """Collects the resources of one Application; `ScenarioBuilder.app` creates these."""

    def __init__(
        self,
        builder: ScenarioBuilder,
        name: str,
        *,
        namespace: str,
        spec: dict[str, Any],
        health: str,
        health_since: datetime,
        created: datetime,
    ) -> None:
        self._b = builder
        self.name = name
        self.namespace = namespace
        self.spec = spec
        self.health = health
        self.health_since = health_since
        self.created = created
        self.entries: list[Entry] = []
        self.targets: list[RawObject] = []
        self.conditions: list[dict[str, Any]] = []
        self.managed_by: str | None = None
        """Tracking id written on this app's own CR by the app-of-apps listing it."""
        self.images: set[str] = set()

    @property
    def tracking_name(self) -> str:
        """The app name in tracking ids: ``<namespace>_<name>`` outside the control plane."""
        if self.namespace == self._b.control_plane:
            return self.name
        return f"{self.namespace}_{self.name}"

    @property
    def destination_namespace(self) -> str:
        return str(self.spec["destination"].get("namespace", ""))

    @property
    def key(self) -> ResourceKey:
        return ResourceKey("argoproj.io", "Application", self.namespace, self.name)

    def tracking_id(self, key: ResourceKey) -> str:
        return objects.tracking_id(self.tracking_name, key, self.destination_namespace)

    def tracked(self, manifest: RawObject, key: ResourceKey | None = None) -> RawObject:
        """What Argo CD compares against: git plus our tracking id (never on CRDs)."""
        key = key or key_of(manifest)
        if key.kind == "CustomResourceDefinition":
            return manifest
        return objects.with_tracking(manifest, self.tracking_id(key))

    # --- resources ----------------------------------------------------------------------------

    def synced(
        self,
        manifest: RawObject,
        *,
        age: timedelta = _DEFAULT_AGE,
        status: Any = objects.UNSET,
        managers: Sequence[dict[str, Any]] | None = None,
    ) -> RawObject:
        """A resource whose live object equals git (bookkeeping aside). Returns the live object."""
        key = key_of(manifest)
        target = self.tracked(manifest, key)
        live = self._b.add_live(
            self._b.live_copy(target),
            age=age,
            status=status,
            applied=target,
            managers=managers,
            key=key,
        )
        self._record(target, key, "Synced")
        return live

    def drifted(
        self,
        manifest: RawObject,
        changes: Mapping[str, Any],
        drift_class: str,
        *,
        age: timedelta = _DEFAULT_AGE,
        status: Any = objects.UNSET,
        managers: Sequence[dict[str, Any]] | None = None,
        extra_managers: Sequence[dict[str, Any]] = (),
    ) -> RawObject:
        """A resource whose live object differs from git exactly at the ``changes`` pointers."""
        key = key_of(manifest)
        target = self.tracked(manifest, key)
        live_body = pointers.patched(self._b.live_copy(target), changes)
        live = self._b.add_live(
            live_body,
            age=age,
            status=status,
            applied=target,
            managers=managers,
            extra_managers=extra_managers,
            key=key,
        )
        self._record(target, key, "OutOfSync", drift_class=drift_class, paths=tuple(changes))
        return live

    def claims(self, manifest: RawObject, paths: Sequence[str], drift_class: str) -> None:
        """List an object another app already created (two apps, one object: contested)."""
        key = key_of(manifest)
        self._record(
            self.tracked(manifest, key), key, "OutOfSync", drift_class=drift_class, paths=paths
        )

    def zombie(
        self,
        manifest: RawObject,
        *,
        safe: bool | None = None,
        drift_class: str = "zombie",
        age: timedelta = timedelta(days=140),
        status: Any = objects.UNSET,
    ) -> RawObject:
        """A live object no longer in git that Argo CD wants to prune (``prune: false`` keeps it).

        ``safe`` is the ground truth for zombies: whether deleting it breaks nothing.
        """
        tracked = self.tracked(manifest)
        live = self._b.add_live(self._b.live_copy(tracked), age=age, status=status, applied=tracked)
        key = key_of(live)
        self.entries.append(Entry(key, _version(live), "OutOfSync", requires_pruning=True))
        self._b.expect(self.name, key, drift_class, safe_to_delete=safe)
        return live

    def hook(
        self,
        manifest: RawObject,
        *,
        age: timedelta = timedelta(days=9),
        status: Any = objects.UNSET,
        drift_class: str = "hook-leftover",
    ) -> RawObject:
        """A finished hook kept by ``prune: false``: ``hook``, ``requiresPruning``, no status."""
        tracked = self.tracked(manifest)
        live = self._b.add_live(self._b.live_copy(tracked), age=age, status=status, applied=tracked)
        key = key_of(live)
        self.entries.append(Entry(key, _version(live), None, requires_pruning=True, hook=True))
        self._b.expect(self.name, key, drift_class)
        return live

    def child_app(
        self, child: AppBuilder, git_changes: Mapping[str, Any] | None = None, drift_class: str = ""
    ) -> None:
        """List another Application (app of apps); ``git_changes`` are what git has extra."""
        target = pointers.patched(self.tracked(child.manifest(), child.key), git_changes or {})
        child.managed_by = self.tracking_id(child.key)
        status = "OutOfSync" if git_changes else "Synced"
        paths = tuple(git_changes or ())
        self._record(target, child.key, status, drift_class=drift_class, paths=paths)

    def condition(self, kind: str, message: str) -> None:
        self.conditions.append(
            {"type": kind, "message": message, "lastTransitionTime": ts(self._b.now)}
        )

    def _record(
        self,
        target: RawObject,
        key: ResourceKey,
        status: str,
        *,
        drift_class: str = "",
        paths: Sequence[str] = (),
    ) -> None:
        self.targets.append(target)
        self.entries.append(Entry(key, _version(target), status))
        self._collect_images(target)
        self._b.check(self.name, key, target, tuple(paths))
        if drift_class:
            self._b.expect(self.name, key, drift_class)

    def _collect_images(self, manifest: RawObject) -> None:
        template = (manifest.get("spec") or {}).get("template") or {}
        for container in (template.get("spec") or {}).get("containers") or []:
            self.images.add(str(container.get("image")))

    # --- the Application CR -------------------------------------------------------------------

    def manifest(self) -> RawObject:
        """This Application as its parent's git renders it."""
        metadata: dict[str, Any] = {
            "name": self.name,
            "namespace": self.namespace,
            "finalizers": [FINALIZER],
        }
        return {
            "apiVersion": APPLICATION_API,
            "kind": "Application",
            "metadata": metadata,
            "spec": pointers.clone(self.spec),
        }

    @property
    def sync_status(self) -> str:
        return "OutOfSync" if any(e.status == "OutOfSync" for e in self.entries) else "Synced"

    def render(self, revision: str) -> RawObject:
        """The live Application CR, status included (what the Kubernetes API returns)."""
        body = self.manifest() if self.managed_by else _bootstrap_manifest(self)
        if self.managed_by:
            body = objects.with_tracking(body, self.managed_by)
        applied = objects.managed_entry(
            objects.ARGOCD_MANAGER if self.managed_by else "kubectl-client-side-apply",
            APPLICATION_API,
            self.created,
            self._b.shape_fields(body, ("app", bool(self.managed_by), *sorted(self.spec))),
            operation="Apply" if self.managed_by else "Update",
        )
        status_owner = objects.managed_entry(
            "argocd-application-controller", APPLICATION_API, self._b.now, _STATUS_FIELDS
        )
        live = self._b.bookkeep(body, created=self.created, managers=[applied, status_owner])
        live["status"] = self._status(revision)
        return live

    def _status(self, revision: str) -> dict[str, Any]:
        now = self._b.now
        compared: dict[str, Any] = {
            "source": self.spec["source"],
            "destination": self.spec["destination"],
        }
        if "ignoreDifferences" in self.spec:
            compared["ignoreDifferences"] = self.spec["ignoreDifferences"]
        synced_at = min(self.health_since, now - timedelta(minutes=4))
        status: dict[str, Any] = {
            "resources": [e.to_json() for e in self.entries],
            "sync": {"status": self.sync_status, "comparedTo": compared, "revision": revision},
            "health": {"status": self.health, "lastTransitionTime": ts(self.health_since)},
            "history": [_history(self.spec["source"], revision, synced_at)],
        }
        if self.conditions:
            status["conditions"] = self.conditions
        status["reconciledAt"] = ts(now - timedelta(seconds=41))
        status["operationState"] = _operation(self.spec, revision, synced_at)
        status["sourceType"] = "Helm"
        if self.images:
            status["summary"] = {"images": sorted(self.images)}
        else:
            status["summary"] = {}
        status["resourceHealthSource"] = "appTree"
        status["controllerNamespace"] = self._b.control_plane
        return status


def _bootstrap_manifest(app: AppBuilder) -> RawObject:
    """An app nobody manages (the root of an app of apps), applied once by hand."""
    body = app.manifest()
    return {**body, "metadata": {k: v for k, v in body["metadata"].items() if k != "finalizers"}}


def _history(source: Mapping[str, Any], revision: str, when: datetime) -> dict[str, Any]:
    return {
        "revision": revision,
        "deployedAt": ts(when),
        "id": 1,
        "source": source,
        "deployStartedAt": ts(when - timedelta(seconds=2)),
        "initiatedBy": {"automated": True},
    }


def _operation(spec: Mapping[str, Any], revision: str, when: datetime) -> dict[str, Any]:
    options = (spec.get("syncPolicy") or {}).get("syncOptions") or []
    return {
        "operation": {
            "sync": {"revision": revision, "syncOptions": options, "syncStrategy": {"hook": {}}},
            "initiatedBy": {"automated": True},
            "retry": {"limit": 5},
        },
        "phase": "Succeeded",
        "message": "successfully synced (all tasks run)",
        "syncResult": {"revision": revision, "source": spec["source"]},
        "startedAt": ts(when - timedelta(seconds=2)),
        "finishedAt": ts(when),
    }


def _version(obj: Mapping[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[2]
