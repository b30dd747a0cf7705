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

import json
from collections.abc import Mapping
from typing import Any

from bot.core.model import RawObject
from bot.simulator.cluster import fieldsets, server_defaults, server_side
from bot.simulator.cluster.diff_model import (
    LAST_APPLIED,
    DiffMode,
    DiffOptions,
    DiffResult,
    group_of,
    normalize,
)
from bot.simulator.cluster.ssa import apply

__all__ = ["LAST_APPLIED", "DiffMode", "DiffOptions", "DiffResult", "diff", "normalize"]


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
        return server_side.run(config, live, options)
    if options.mode is DiffMode.STRUCTURED_MERGE or _annotated_ssa(config):
        return _structured(config, live)
    return _legacy(config, live)


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


# --- helpers ---------------------------------------------------------------------------------


def _kind(obj: Mapping[str, Any]) -> str:
    return str(obj.get("kind", ""))


def _builtin(obj: Mapping[str, Any]) -> bool:
    """Whether the kind is in client-go's scheme (merged strategically, defaulted)."""
    group = group_of(obj)
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
