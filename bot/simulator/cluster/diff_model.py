"""The vocabulary of Argo CD's diff, and the normalization it applies before any mode.

gitops-engine ``pkg/diff/diff.go`` ``Normalize`` (creationTimestamp, Secret ``stringData``,
Role ``rules``) plus Argo CD's ignore normalizer (the app's ``ignoreDifferences`` JSON
pointers and ``status``: ``ignoreResourceStatusField: all`` is the default since Argo CD 3).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import fieldsets

LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
SSA_MANAGER: Final = "argocd-controller"


class DiffMode(StrEnum):
    LEGACY = "legacy"
    STRUCTURED_MERGE = "structured-merge"
    SERVER_SIDE = "server-side-diff"


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """How one Application compares (its sync/compare options and ignoreDifferences)."""

    mode: DiffMode = DiffMode.LEGACY
    include_mutation_webhook: bool = False
    ignore_aggregated_roles: bool = False
    ignore_status: bool = True
    ignore_pointers: tuple[str, ...] = ()
    webhook_writes: Mapping[str, Any] = field(default_factory=dict)
    """Pointer → value a mutating webhook writes at admission (server-side dry-run only)."""


@dataclass(frozen=True, slots=True)
class DiffResult:
    normalized_live: RawObject | None
    predicted_live: RawObject | None
    modified: bool


def normalize(obj: RawObject, options: DiffOptions) -> RawObject:
    """``obj`` as Argo CD compares it (a deep copy)."""
    out: dict[str, Any] = json.loads(json.dumps(obj))
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("creationTimestamp", None)
    if group_of(out) == "rbac.authorization.k8s.io" and out.get("kind") in ("Role", "ClusterRole"):
        if options.ignore_aggregated_roles and isinstance(out.get("aggregationRule"), dict):
            out["rules"] = None
        if out.get("rules") == []:
            out["rules"] = None
    if group_of(out) == "" and out.get("kind") == "Secret":
        _normalize_secret(out)
    if options.ignore_status:
        out.pop("status", None)
    for pointer in options.ignore_pointers:
        fieldsets.remove_pointer(out, pointer)
    return out


def _normalize_secret(secret: dict[str, Any]) -> None:
    """gitops-engine ``NormalizeSecret``: null values become "", stringData moves into data."""
    data = secret.get("data")
    if isinstance(data, dict):
        secret["data"] = {k: "" if v is None else v for k, v in data.items()}
    strings = secret.pop("stringData", None)
    if isinstance(strings, dict) and strings:
        encoded = {k: base64.b64encode(str(v).encode()).decode() for k, v in strings.items()}
        secret["data"] = {**(secret.get("data") or {}), **encoded}


def group_of(obj: Mapping[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]
