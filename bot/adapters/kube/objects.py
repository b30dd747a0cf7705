"""Where objects live and how they relate: REST paths, workload kinds, label selectors and
owner references, and a per-reader memo of discovered plurals.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from bot.core.model import RawObject, ResourceKey
from bot.errors import (
    InputError,
)

logger = logging.getLogger(__package__)

APP_GROUP: Final = "argoproj.io"
APP_VERSION: Final = "v1alpha1"
APP_PLURAL: Final = "applications"


@dataclass(frozen=True, slots=True)
class _Workload:
    """How to reach a workload's pods: its API version, plural, and whether via ReplicaSets."""

    version: str
    plural: str
    via_replicasets: bool = False


WORKLOADS: Final[Mapping[tuple[str, str], _Workload]] = {
    ("apps", "Deployment"): _Workload("v1", "deployments", via_replicasets=True),
    ("argoproj.io", "Rollout"): _Workload("v1alpha1", "rollouts", via_replicasets=True),
    ("apps", "StatefulSet"): _Workload("v1", "statefulsets"),
    ("apps", "DaemonSet"): _Workload("v1", "daemonsets"),
    ("apps", "ReplicaSet"): _Workload("v1", "replicasets"),
    ("batch", "Job"): _Workload("v1", "jobs"),
}


class Memo:
    """Compute each key once, even when many scan threads ask for it at the same moment.

    ``None`` results are not kept: a CRD installed later must still be found by a long-running
    ``serve`` process. Failures are not kept either, so the next call tries again.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: tuple[str, str], compute: Callable[[], str | None]) -> str | None:
        with self._guard:
            if key in self._values:
                return self._values[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:  # filled while we waited for the key's lock
                    return self._values[key]
            value = compute()
            if value is not None:
                with self._guard:
                    self._values[key] = value
            return value


def label_selector(selector: Mapping[str, Any]) -> str:
    """A ``LabelSelector`` object as the ``labelSelector`` query string the API expects.

    Raises:
        InputError: a ``matchExpressions`` operator Kubernetes does not define.
    """
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, operator = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(str(v) for v in expr.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            msg = f"unknown label selector operator {operator!r} on key {key!r}"
            raise InputError(msg)
    return ",".join(parts)


def owned_by(obj: Mapping[str, Any], owner_uids: set[str]) -> bool:
    """Whether one of ``obj``'s ``ownerReferences`` points at one of ``owner_uids``."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("uid") in owner_uids for ref in refs)


def uid_of(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def unseen(items: Iterable[RawObject], seen: set[str]) -> Iterator[RawObject]:
    for item in items:
        uid = uid_of(item)
        if uid and uid in seen:
            continue
        seen.add(uid)
        yield item


def group_suffix(group: str) -> str:
    return f".{group}" if group else ""


def collection_path(group: str, version: str, plural: str, namespace: str = "") -> str:
    """``/api/v1/pods``, ``/apis/apps/v1/namespaces/x/replicasets``... (namespace optional)."""
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    scope = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
    return f"{base}{scope}/{plural}"


def object_path(group: str, version: str, plural: str, key: ResourceKey) -> str:
    return f"{collection_path(group, version, plural, key.namespace)}/{quote(key.name, safe='')}"
