"""Server-side bookkeeping that makes a manifest look like an object read back from a cluster.

uid, resourceVersion, generation, creationTimestamp and managedFields are what a real API
server adds to every object; the classifier must see (and ignore) them, so the simulator
writes them too. Identifiers are derived from a seed, never from the clock or `uuid4`, so two
builds of the same scenario are byte-identical and tests can compare them.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

from bot.core.model import TRACKING_ID_ANNOTATION, RawObject, ResourceKey

_POD_SUFFIX_ALPHABET: Final = "bcdfghjklmnpqrstvwxz2456789"

NO_GENERATION: Final = frozenset(
    {
        "Namespace",
        "Pod",
        "Service",
        "ConfigMap",
        "Secret",
        "ServiceAccount",
        "Endpoints",
        "Event",
        "Node",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Role",
        "RoleBinding",
        "ClusterRole",
        "ClusterRoleBinding",
    }
)
"""Kinds whose objects have no ``metadata.generation`` on a real API server."""

ARGOCD_MANAGER: Final = "argocd-controller"
"""The field manager Argo CD applies with (server-side apply)."""


class _Unset:
    """Marks "use the kind's default" where ``None`` already means "no status"."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final[Any] = _Unset()


@lru_cache(maxsize=8192)
def ts(moment: datetime) -> str:
    """Kubernetes' timestamp format: RFC 3339, UTC, whole seconds."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_nano(moment: datetime) -> str:
    """Go's RFC3339Nano in UTC (trailing zeros of the fraction dropped, as Go does)."""
    utc = moment.astimezone(UTC)
    base = utc.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{utc.microsecond:06d}000".rstrip("0")
    return f"{base}.{fraction}Z" if fraction else f"{base}Z"


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large, acyclic JSON structures.

    Scenario and index builds create hundreds of thousands of dicts and no cycles; the
    collector would rescan the growing heap again and again for nothing (3-5x slower builds),
    and once re-enabled it would still pay one full pass over them. `gc.freeze` moves what
    exists to the permanent generation instead: reference counting still frees it, the cyclic
    collector just stops re-reading it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def tracking_id(app: str, key: ResourceKey, destination_namespace: str) -> str:
    """Argo CD's annotation value; cluster-scoped objects carry the app's destination namespace."""
    namespace = key.namespace or destination_namespace
    return f"{app}:{key.group}/{key.kind}:{namespace}/{key.name}"


def with_annotation(obj: RawObject, name: str, value: str) -> RawObject:
    """A copy of ``obj`` (metadata copied, the rest shared) with one annotation set."""
    meta = dict(obj.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), name: value}
    return {**obj, "metadata": meta}


def with_tracking(obj: RawObject, value: str) -> RawObject:
    return with_annotation(obj, TRACKING_ID_ANNOTATION, value)


class Ids:
    """Deterministic uids, hashes and an increasing resourceVersion for one scenario build."""

    def __init__(self, seed: str) -> None:
        self._seed = seed
        self._resource_version = 4_180_000

    def uid(self, *parts: str) -> str:
        """A version-4-shaped UUID derived from the seed and ``parts`` (hashing beats uuid5 3x)."""
        blob = (self._seed + "|" + "|".join(parts)).encode()
        h = hashlib.blake2b(blob, digest_size=16).hexdigest()
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"

    def resource_version(self) -> str:
        self._resource_version += 7
        return str(self._resource_version)

    def hexdigest(self, length: int, *parts: str) -> str:
        blob = (self._seed + "|" + "|".join(parts)).encode()
        return hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:length]

    def pod_template_hash(self, *parts: str) -> str:
        """A 10-character ReplicaSet hash in the controller's alphabet."""
        return self._alphabet(10, "rs", *parts)

    def pod_suffix(self, *parts: str) -> str:
        """The 5-character random suffix of a generated pod name."""
        return self._alphabet(5, "pod", *parts)

    def _alphabet(self, length: int, *parts: str) -> str:
        number = int(self.hexdigest(32, *parts), 16)
        chars = []
        for _ in range(length):
            number, index = divmod(number, len(_POD_SUFFIX_ALPHABET))
            chars.append(_POD_SUFFIX_ALPHABET[index])
        return "".join(chars)


def fields_v1(value: Any) -> dict[str, Any]:
    """The managedFields ``fieldsV1`` set of a (partial) object.

    Lists of named items become associative keys (``k:{"name":...}``) as server-side apply
    writes them for containers, env and ports; other lists are atomic.
    """
    if isinstance(value, dict):
        return {f"f:{key}": fields_v1(item) for key, item in value.items()}
    if isinstance(value, list) and value and all(_named(item) for item in value):
        out: dict[str, Any] = {}
        for item in value:
            key = "k:" + json.dumps({"name": item["name"]}, separators=(",", ":"))
            out[key] = {".": {}, **fields_v1(item)}
        return out
    return {}


def _named(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("name"), str)


def applied_fields(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """The fields an applier owns: everything it sent except identity and status."""
    body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind", "status")}
    meta = {
        k: v
        for k, v in (manifest.get("metadata") or {}).items()
        if k in ("labels", "annotations", "finalizers", "ownerReferences")
    }
    if meta:
        body["metadata"] = meta
    else:
        body.pop("metadata", None)
    return fields_v1(body)


def managed_entry(
    manager: str,
    api_version: str,
    when: datetime,
    fields: dict[str, Any],
    *,
    operation: str = "Update",
    subresource: str | None = None,
) -> dict[str, Any]:
    """One ``metadata.managedFields`` entry."""
    entry: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": ts(when),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }
    if subresource:
        entry["subresource"] = subresource
    return entry


def bookkeep(
    obj: RawObject,
    *,
    ids: Ids,
    created: datetime,
    managers: Sequence[dict[str, Any]] = (),
    generation: int = 1,
) -> RawObject:
    """``obj`` with the API server's metadata added (metadata copied, the rest shared)."""
    meta = dict(obj.get("metadata") or {})
    namespace = meta.get("namespace", "")
    meta["uid"] = ids.uid(obj["apiVersion"], obj["kind"], namespace, meta["name"])
    meta["resourceVersion"] = ids.resource_version()
    if obj.get("kind") not in NO_GENERATION:
        meta["generation"] = generation
    meta["creationTimestamp"] = ts(created)
    if managers:
        meta["managedFields"] = list(managers)
    return {**obj, "metadata": meta}


def fields_at(changes: Mapping[str, Any]) -> dict[str, Any]:
    """The ``fieldsV1`` set of the values written at JSON pointers (for a second field manager)."""
    out: dict[str, Any] = {}
    for pointer, value in changes.items():
        node = out
        tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
        for token in tokens[:-1]:
            node = node.setdefault(f"f:{token}", {})
        node[f"f:{tokens[-1]}"] = fields_v1(value)
    return out
