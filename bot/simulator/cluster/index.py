"""A read-optimised view of a `Scenario` that both fake APIs answer from.

Built once when a `Simulator` starts (or reloads) and never mutated afterwards, so request
threads read it without locks. Serialized JSON is cached per object and per derived view
(managed-resources, resource trees): the benchmark lists 10,000 apps in pages of 500 and asks
for managed-resources a thousand times from 16 threads, and re-encoding each time would make
the simulator, not the bot, the bottleneck.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import kinds as k
from bot.simulator.cluster.kinds import KindInfo
from bot.simulator.http.responses import dumps
from bot.simulator.scenarios.scenario import Scenario, key_of

T = TypeVar("T")


@dataclass(slots=True)
class Stored:
    """One live object, where it sorts in its list, and its JSON once encoded."""

    obj: RawObject
    key: ResourceKey
    info: KindInfo | None
    sort_key: str
    _full: bytes | None = None
    _item: bytes | None = None

    def full_bytes(self) -> bytes:
        """The object as a GET returns it."""
        if self._full is None:
            self._full = dumps(self.obj, sort_keys=self._unstructured)
        return self._full

    def item_bytes(self) -> bytes:
        """The object as a list item: built-in kinds drop ``kind``/``apiVersion`` there."""
        if self._item is None:
            if self.info is not None and self.info.builtin:
                body = {k: v for k, v in self.obj.items() if k not in ("kind", "apiVersion")}
                self._item = dumps(body)
            else:
                self._item = self.full_bytes()
        return self._item

    @property
    def _unstructured(self) -> bool:
        return self.info is None or not self.info.builtin


class ClusterIndex:
    """Lookups by type, identity, owner and app over one scenario snapshot."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.control_plane = scenario.control_plane_namespace
        self.now = scenario.now
        self.logs = scenario.logs
        self.kinds: dict[tuple[str, str, str], KindInfo] = {}
        self.preferred: dict[tuple[str, str], KindInfo] = {}
        self._register_kinds(scenario.objects)
        self.by_key: dict[ResourceKey, Stored] = {}
        self._types: dict[tuple[str, str], list[Stored]] = {}
        self._type_keys: dict[tuple[str, str], list[str]] = {}
        self._children: dict[str, list[RawObject]] = {}
        self.apps: dict[tuple[str, str], RawObject] = {}
        self._store([*scenario.objects, *scenario.applications])
        self.targets = {
            app: {key_of(obj): obj for obj in rendered}
            for app, rendered in scenario.targets.items()
        }
        self.resource_version = str(max((_rv(s.obj) for s in self.by_key.values()), default=1))
        self._views: dict[Any, Any] = {}

    # --- building -----------------------------------------------------------------------------

    def _register_kinds(self, objects: Iterable[RawObject]) -> None:
        infos = list(k.BUILTIN_KINDS)
        for obj in objects:
            if obj.get("kind") == "CustomResourceDefinition":
                infos.extend(k.kinds_of_crd(obj))
        for info in infos:
            self.kinds[(info.group, info.version, info.plural)] = info
            self.preferred.setdefault((info.group, info.kind), info)

    def _store(self, objects: Iterable[RawObject]) -> None:
        for obj in objects:
            key = key_of(obj)
            if key.kind == "Application" and key.group == "argoproj.io":
                self.apps[(key.namespace, key.name)] = obj
            info = self.preferred.get((key.group, key.kind))
            sort_key = f"{key.namespace}/{key.name}" if key.namespace else key.name
            self.by_key[key] = Stored(obj, key, info, sort_key)
            for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
                self._children.setdefault(str(ref.get("uid")), []).append(obj)
        for stored in self.by_key.values():
            plural = stored.info.plural if stored.info else stored.key.kind.lower() + "s"
            self._types.setdefault((stored.key.group, plural), []).append(stored)
        for type_key, entries in self._types.items():
            entries.sort(key=lambda s: s.sort_key)
            self._type_keys[type_key] = [s.sort_key for s in entries]

    # --- reading ------------------------------------------------------------------------------

    def kind(self, group: str, version: str, plural: str) -> KindInfo | None:
        return self.kinds.get((group, version, plural))

    def listing(self, info: KindInfo, namespace: str | None) -> tuple[list[Stored], list[str]]:
        """Objects of one type in storage order (and their sort keys), optionally one namespace."""
        type_key = (info.group, info.plural)
        entries = self._types.get(type_key, [])
        keys = self._type_keys.get(type_key, [])
        if namespace is None or not info.namespaced:
            return entries, keys
        lo = bisect_left(keys, namespace + "/")
        hi = bisect_left(keys, namespace + "0")  # "0" sorts right after "/"
        return entries[lo:hi], keys[lo:hi]

    def get(self, key: ResourceKey) -> RawObject | None:
        stored = self.by_key.get(key)
        return stored.obj if stored else None

    def stored(self, key: ResourceKey) -> Stored | None:
        return self.by_key.get(key)

    def children(self, uid: str) -> list[RawObject]:
        """Objects whose ownerReferences name ``uid`` (ReplicaSets of a Deployment, pods...)."""
        return self._children.get(uid, [])

    def app(self, namespace: str, name: str) -> RawObject | None:
        return self.apps.get((namespace, name))

    def target(self, app: str, key: ResourceKey) -> RawObject | None:
        return self.targets.get(app, {}).get(key)

    def view(self, cache_key: Any, compute: Callable[[], T]) -> T:
        """A derived value computed once (a benign race may compute it twice; same result)."""
        found = self._views.get(cache_key)
        if found is None:
            found = self._views[cache_key] = compute()
        return cast(T, found)

    def pod(self, namespace: str, name: str) -> RawObject | None:
        return self.get(ResourceKey("", "Pod", namespace, name))


def _rv(obj: RawObject) -> int:
    value = (obj.get("metadata") or {}).get("resourceVersion", "0")
    return int(value) if str(value).isdigit() else 0
