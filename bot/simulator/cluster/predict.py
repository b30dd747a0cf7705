"""Argo CD's diff of one resource: ``normalizedLiveState``, ``predictedLiveState``, ``modified``.

Follows gitops-engine ``pkg/diff/diff.go`` (``Diff``) as Argo CD v3 calls it, in the three modes
an Application can use:

* **legacy** (default): a three-way merge of git (``config``) into live, with the
  ``kubectl.kubernetes.io/last-applied-configuration`` annotation as the original (without it,
  git itself: ``TwoWayDiff``). Built-in kinds merge strategically (lists such as containers,
  env and ports by their merge key) and get scheme defaults on both sides afterwards; custom
  resources merge as JSON (lists atomic) after live fields absent from last-applied are set
  aside. Fields only live has (server defaults, a controller's writes, a person's
  ``kubectl edit`` of a field git never set) survive into the prediction: not drift.
* **structured merge** (``ServerSideApply=true``): server-side apply of git as
  ``argocd-controller``: git's fields win, fields that manager owned but git no longer sets are
  removed unless another manager also owns them, everything else stays.
* **server-side diff** (``compare-options: ServerSideDiff=true``): the API server's dry-run
  apply (simulated as the structured merge plus server defaults plus the scenario's mutating
  webhooks); fields a webhook changed, which no field manager owns, are reverted to live unless
  ``IncludeMutationWebhook=true``. ``managedFields`` leave both states.

Before any mode both sides are normalized as Argo CD does: ``metadata.creationTimestamp``
dropped, empty Role ``rules`` made null (aggregated ClusterRole rules too with
``ignoreAggregatedRoles``), ``status`` removed (``ignoreResourceStatusField: all``, the v3
default) and the app's ``ignoreDifferences`` JSON pointers removed. A missing resource predicts
git with normalized live ``null``; an extraneous one predicts ``null`` and is not modified.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import fieldsets, server_defaults

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


def diff(config: RawObject | None, live: RawObject | None, options: DiffOptions) -> DiffResult:
    """Argo CD's diff of git ``config`` against the ``live`` object (either may be absent)."""
    config = normalize(config, options) if config is not None else None
    live = normalize(live, options) if live is not None else None
    if config is None and live is None:
        raise ValueError("both git and live are absent: nothing to compare")
    if live is None:
        return DiffResult(None, config, True)
    if config is None:
        return DiffResult(live, None, False)
    if options.mode is DiffMode.SERVER_SIDE:
        return _server_side(config, live, options)
    if options.mode is DiffMode.STRUCTURED_MERGE or _annotated_ssa(config):
        return _structured(config, live)
    return _legacy(config, live)


def normalize(obj: RawObject, options: DiffOptions) -> RawObject:
    """``obj`` as Argo CD compares it (a deep copy)."""
    out: dict[str, Any] = json.loads(json.dumps(obj))
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("creationTimestamp", None)
    if _group(out) == "rbac.authorization.k8s.io" and out.get("kind") in ("Role", "ClusterRole"):
        if options.ignore_aggregated_roles and isinstance(out.get("aggregationRule"), dict):
            out["rules"] = None
        if out.get("rules") == []:
            out["rules"] = None
    if _group(out) == "" and out.get("kind") == "Secret":
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


# --- legacy: three-way merge on last-applied ---------------------------------------------------


def _legacy(config: RawObject, live: RawObject) -> DiffResult:
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    orig = _without_namespace(json.loads(text) if text else config)
    orig.get("metadata", {}).pop("creationTimestamp", None)
    config = _without_namespace(config)
    strategic = _builtin(config)
    predicted = _merge(orig, config, live, (), strategic, _kind(config))
    if strategic:
        predicted = _defaulted(predicted, live)
        live = _defaulted(live, live)
    return DiffResult(live, predicted, not fieldsets.equal(predicted, live))


def _merge(
    orig: Any, config: Any, live: Any, path: tuple[str, ...], strategic: bool, kind: str
) -> Any:
    """The value a three-way patch (orig → config, applied to live) leaves at one node."""
    if isinstance(config, dict) and isinstance(live, dict):
        out = dict(live)
        original = orig if isinstance(orig, dict) else {}
        for key, wanted in config.items():
            out[key] = _merge(
                original.get(key),
                wanted,
                live.get(key, fieldsets.ABSENT),
                (*path, key),
                strategic,
                kind,
            )
        for key in original:
            if key not in config:
                out.pop(key, None)
        return out
    if isinstance(config, list) and isinstance(live, list):
        key = fieldsets.merge_key(path, [*config, *live]) if strategic else None
        if key is not None:
            return _merge_keyed(orig, config, live, key, path, kind)
        compared = live
        if not strategic or (kind == "StatefulSet" and path == ("spec", "volumeClaimTemplates")):
            # JSON merge (and gitops-engine's StatefulSet workaround): live fields that
            # last-applied never had are set aside before comparing the atomic list.
            compared = _only_like(orig, live)
        return live if fieldsets.equal(compared, config) else config
    if (
        not strategic
        and isinstance(orig, dict | list)
        and fieldsets.equal(_only_like(orig, live), config)
    ):
        return live
    return config


def _merge_keyed(
    orig: Any,
    config: list[Any],
    live: list[Any],
    key: fieldsets.MergeKey,
    path: tuple[str, ...],
    kind: str,
) -> list[Any]:
    original = {fieldsets.key_of(item, key): item for item in orig or [] if isinstance(item, dict)}
    wanted = {fieldsets.key_of(item, key): item for item in config}
    out = []
    for item in live:
        name = fieldsets.key_of(item, key)
        if name in wanted:
            out.append(_merge(original.get(name), wanted[name], item, (*path, "*"), True, kind))
        elif name not in original:
            out.append(item)  # only live has it (someone else added it): the patch keeps it
    present = {fieldsets.key_of(item, key) for item in live}
    out.extend(item for item in config if fieldsets.key_of(item, key) not in present)
    return out


def _only_like(orig: Any, live: Any) -> Any:
    """``live`` restricted to the map fields ``orig`` has (gitops-engine ``RemoveMapFields``)."""
    if isinstance(orig, dict) and isinstance(live, dict):
        return {k: _only_like(orig[k], v) for k, v in live.items() if k in orig}
    if isinstance(orig, list) and isinstance(live, list):
        return [_only_like(o, v) for o, v in zip(orig, live, strict=False)] + live[len(orig) :]
    return live


# --- structured merge (server-side apply) ----------------------------------------------------


def _structured(config: RawObject, live: RawObject) -> DiffResult:
    merged = apply(config, live)
    if fieldsets.equal(merged, live):
        return DiffResult(live, live, False)
    predicted = _without_last_applied(merged)
    normalized = _without_last_applied(live)
    if _builtin(config):
        predicted = _defaulted(predicted, live)
        normalized = _defaulted(normalized, live)
    return DiffResult(normalized, predicted, not fieldsets.equal(predicted, normalized))


def apply(config: RawObject, live: RawObject, manager: str = SSA_MANAGER) -> RawObject:
    """Server-side apply of ``config`` by ``manager`` onto ``live`` (forced, as Argo CD does)."""
    merged = _overlay(config, live, ())
    mine = fieldsets.manager_tree(live, manager, "Apply")
    others = fieldsets.others_tree(live, manager)
    released = {
        path
        for path in fieldsets.owned_paths(mine, merged)
        if not fieldsets.present(config, path, merged) and not fieldsets.owns(others, merged, path)
    }
    outermost = [p for p in released if not any(p[:i] in released for i in range(1, len(p)))]
    out: RawObject = json.loads(json.dumps(merged))
    for path in sorted(outermost, key=_sort_key, reverse=True):
        fieldsets.remove(out, path)  # deepest and highest list index first
    return out


def _sort_key(path: tuple[str | int, ...]) -> tuple[tuple[int, str, int], ...]:
    return tuple((1, "", p) if isinstance(p, int) else (0, p, 0) for p in path)


def _overlay(config: Any, live: Any, path: tuple[str, ...]) -> Any:
    if isinstance(config, dict) and isinstance(live, dict):
        out = dict(live)
        for key, value in config.items():
            out[key] = _overlay(value, live.get(key, fieldsets.ABSENT), (*path, key))
        return out
    if isinstance(config, list) and isinstance(live, list):
        key = fieldsets.merge_key(path, [*config, *live])
        if key is not None:
            wanted = {fieldsets.key_of(item, key): item for item in config}
            items = [
                _overlay(wanted[k], i, (*path, "*"))
                if (k := fieldsets.key_of(i, key)) in wanted
                else i
                for i in live
            ]
            present = {fieldsets.key_of(item, key) for item in live}
            return items + [item for item in config if fieldsets.key_of(item, key) not in present]
    return config  # `apply` copies the merged result once


# --- server-side diff (dry-run apply) --------------------------------------------------------


def dry_run(config: RawObject, live: RawObject, options: DiffOptions) -> RawObject:
    """What the API server answers to a dry-run apply: merged, defaulted, webhook-mutated."""
    merged = apply(config, live)
    namespace = str((live.get("metadata") or {}).get("namespace") or "default")
    result = server_defaults.with_defaults(merged, namespace=namespace)
    metadata = result.setdefault("metadata", {})
    entries = [
        entry
        for entry in metadata.get("managedFields") or []
        if (entry.get("manager"), entry.get("operation")) != (SSA_MANAGER, "Apply")
    ]
    entries.append(
        {
            "manager": SSA_MANAGER,
            "operation": "Apply",
            "apiVersion": config.get("apiVersion", ""),
            "fieldsType": "FieldsV1",
            "fieldsV1": fieldsets.fields_of(_applied_body(config)),
        }
    )
    metadata["managedFields"] = entries
    for pointer, value in options.webhook_writes.items():
        fieldsets.set_pointer(result, pointer, value)  # admission runs after the field manager
    return result


def _applied_body(config: RawObject) -> dict[str, Any]:
    body = {k: v for k, v in config.items() if k not in ("apiVersion", "kind", "status")}
    kept = ("labels", "annotations", "finalizers", "ownerReferences")
    metadata = {k: v for k, v in (config.get("metadata") or {}).items() if k in kept}
    if metadata:
        body["metadata"] = metadata
    else:
        body.pop("metadata", None)
    return body


def server_side_diff(
    config: RawObject, live: RawObject, options: DiffOptions, answer: RawObject | None = None
) -> DiffResult:
    """Server-side diff given the dry-run ``answer`` (simulated with `dry_run` when absent).

    Both objects must already be normalized (`diff` does that); tests pass a real server's
    recorded answer to check the steps after the dry-run against Argo CD's own expectations.
    """
    return _server_side(config, live, options, answer)


def _server_side(
    config: RawObject, live: RawObject, options: DiffOptions, answer: RawObject | None = None
) -> DiffResult:
    predicted = json.loads(json.dumps(answer)) if answer else dry_run(config, live, options)
    live = json.loads(json.dumps(live))
    if not options.include_mutation_webhook:
        predicted = _revert_unowned(predicted, live)
    predicted = normalize(predicted, options)
    for state in (predicted, live):
        state.get("metadata", {}).pop("managedFields", None)
    return DiffResult(live, predicted, not fieldsets.equal(predicted, live))


def _revert_unowned(predicted: RawObject, live: RawObject) -> RawObject:
    """gitops-engine ``removeWebhookMutation``: changes no field manager owns go back to live.

    A field git dropped that ``argocd-controller`` owned in live is a real removal, not a
    webhook's: gitops-engine's test data (``ssd-svc-no-label``) expects it to stay removed.
    """
    owned = fieldsets.all_tree(predicted)
    applied_before = fieldsets.manager_tree(live, SSA_MANAGER, "Apply")
    out: dict[str, Any] = json.loads(json.dumps(predicted))
    for path in list(fieldsets.leaves(predicted)):
        if path[:2] == ("metadata", "managedFields") or fieldsets.owns(owned, predicted, path):
            continue
        before = fieldsets.at(live, path)
        if before is fieldsets.ABSENT:
            fieldsets.remove(out, path)
        elif not fieldsets.equal(before, fieldsets.at(predicted, path)):
            fieldsets.put(out, path, before)
    for path in fieldsets.leaves(live):
        if (
            fieldsets.at(out, path) is fieldsets.ABSENT
            and path[:2] != ("metadata", "managedFields")
            and not fieldsets.owns(owned, live, path)
            and not fieldsets.owns(applied_before, live, path)
        ):
            fieldsets.put(out, path, fieldsets.at(live, path))
    return out


# --- helpers ---------------------------------------------------------------------------------


def _group(obj: Mapping[str, Any]) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def _kind(obj: Mapping[str, Any]) -> str:
    return str(obj.get("kind", ""))


def _builtin(obj: Mapping[str, Any]) -> bool:
    """Whether the kind is in client-go's scheme (merged strategically, defaulted)."""
    group = _group(obj)
    return "." not in group or (group.endswith(".k8s.io") and group != "apiextensions.k8s.io")


def _annotated_ssa(config: Mapping[str, Any]) -> bool:
    options = ((config.get("metadata") or {}).get("annotations") or {}).get(
        "argocd.argoproj.io/sync-options", ""
    )
    return "ServerSideApply=true" in str(options).replace(" ", "").split(",")


def _without_namespace(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(obj))
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata.pop("namespace", None)
        if not metadata.get("annotations"):
            metadata.pop("annotations", None)
    return out


def _without_last_applied(obj: RawObject) -> RawObject:
    """A copy without the annotation (only the maps on the way are copied)."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return obj
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or LAST_APPLIED not in annotations:
        return obj
    kept = {k: v for k, v in annotations.items() if k != LAST_APPLIED}
    return {**obj, "metadata": {**metadata, "annotations": kept}}


def _defaulted(obj: RawObject, live: RawObject) -> RawObject:
    """Scheme defaults on ``obj``; Service addresses come from live (the scheme allocates none)."""
    namespace = str((live.get("metadata") or {}).get("namespace") or "default")
    # `diff` normalized private copies of both sides, so defaulting in place touches nothing
    # the caller holds (defaults never overwrite, so a subtree both sides share is fine too).
    return server_defaults.with_defaults(obj, namespace=namespace, in_place=True)
