"""Argo CD's own diff for a scenario: real live objects and the four states it serves.

`realize` turns a built `Scenario` into one Argo CD would see on a real cluster:

* every live object of a built-in kind carries its API-server defaults (`server_defaults`);
* each app compares in the mode it would in Argo CD (`options_for`): structured merge when it
  syncs with ``ServerSideApply=true``, server-side diff with ``compare-options:
  ServerSideDiff=true`` (``IncludeMutationWebhook=true`` honoured), the legacy three-way merge
  otherwise; legacy apps' objects carry ``kubectl.kubernetes.io/last-applied-configuration``
  written by ``argocd-application-controller`` (Argo CD's client-side apply, an ``Update``);
* each declared drift stays visible in Argo CD's diff the way it happens on a real cluster:
  a live-only field is drift only if Argo CD applied it before (owned by ``argocd-controller``
  for server-side apply, in last-applied for client-side apply; CRD defaults the API server
  wrote during Argo CD's apply count as applied). When another field manager also owns such a
  field, a structured merge would keep it and hide the drift; such an app is compared in the
  legacy mode instead, recorded in `Realism.legacy_apps`.

`build` then proves the result: every OutOfSync resource with git and live sides is
``modified`` in Argo CD's diff and every Synced one is not, and records the paths Argo CD's diff
shows (`Realism.paths`) next to the scenario's ground-truth classes, which do not change.

`item_states` is what the managed-resources endpoint serves per resource once a scenario has
a `Realism`: ``normalizedLiveState``/``predictedLiveState`` from `predict`, ``"{}"`` for both
when the app's whole comparison failed (``ComparisonError``), ``modified`` = they differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import fieldsets, pointers, predict, server_defaults
from bot.simulator.cluster.diff_model import SSA_MANAGER, DiffMode, DiffOptions
from bot.simulator.scenarios.scenario import Scenario, key_of

CLIENT_SIDE_MANAGER: Final = "argocd-application-controller"
COMPARE_OPTIONS: Final = "argocd.argoproj.io/compare-options"

ExpectKey = tuple[str, ResourceKey]


class RealismError(ValueError):
    """Argo CD's diff of the realized scenario contradicts its declared sync states."""


@dataclass
class Realism:
    """What the simulated Argo CD needs to diff like the real one (set by `realize`)."""

    webhook_writes: dict[ResourceKey, dict[str, Any]] = field(default_factory=dict)
    """Per object, pointer → value a mutating webhook writes at admission (server-side diff)."""
    comparison_errors: set[str] = field(default_factory=set)
    """Apps whose whole comparison failed (``"{}"`` states and a ComparisonError condition)."""
    ignore_aggregated_roles: bool = False
    """argocd-cm ``resource.compareoptions: ignoreAggregatedRoles: true``."""
    legacy_apps: set[str] = field(default_factory=set)
    """Apps compared with the three-way merge although they sync server-side (see module doc)."""
    paths: dict[ExpectKey, tuple[str, ...]] = field(default_factory=dict)
    """(app, resource) → pointers where Argo CD's normalized and predicted live states differ."""


def options_for(realism: Realism, app: RawObject, key: ResourceKey) -> DiffOptions:
    """How Argo CD compares ``key`` for ``app`` (modes, ignoreDifferences, webhooks)."""
    spec = app.get("spec") or {}
    name = str(app["metadata"]["name"])
    sync_options = ((spec.get("syncPolicy") or {}).get("syncOptions")) or []
    compare = str((app["metadata"].get("annotations") or {}).get(COMPARE_OPTIONS, ""))
    compare_flags = {part.strip() for part in compare.split(",")}
    if "ServerSideDiff=true" in compare_flags:
        mode = DiffMode.SERVER_SIDE
    elif "ServerSideApply=true" in sync_options and name not in realism.legacy_apps:
        mode = DiffMode.STRUCTURED_MERGE
    else:
        mode = DiffMode.LEGACY
    ignored = tuple(
        pointer
        for rule in spec.get("ignoreDifferences") or []
        if _rule_matches(rule, key)
        for pointer in rule.get("jsonPointers") or []
    )
    return DiffOptions(
        mode=mode,
        include_mutation_webhook="IncludeMutationWebhook=true" in compare_flags,
        ignore_aggregated_roles=realism.ignore_aggregated_roles,
        ignore_pointers=ignored,
        webhook_writes=realism.webhook_writes.get(key, {}),
    )


def _rule_matches(rule: Mapping[str, Any], key: ResourceKey) -> bool:
    if str(rule.get("group", "")) != key.group or rule.get("kind") != key.kind:
        return False
    if rule.get("name") and rule["name"] != key.name:
        return False
    return not (rule.get("namespace") and rule["namespace"] != key.namespace)


def item_states(
    realism: Realism,
    app: RawObject,
    key: ResourceKey,
    target: RawObject | None,
    live: RawObject | None,
) -> dict[str, Any]:
    """The four states and ``modified`` of one managed-resources item, as Argo CD serves them."""
    out: dict[str, Any] = {"targetState": _state(target), "liveState": _state(live)}
    if str(app["metadata"]["name"]) in realism.comparison_errors:
        out["normalizedLiveState"] = out["predictedLiveState"] = "{}"
        return out
    result = predict.diff(target, live, options_for(realism, app, key))
    out["normalizedLiveState"] = _state(result.normalized_live)
    out["predictedLiveState"] = _state(result.predicted_live)
    if result.modified:
        out["modified"] = True
    return out


def _state(obj: RawObject | None) -> str:
    return "null" if obj is None else json.dumps(obj, sort_keys=True, separators=(",", ":"))


# --- realize -------------------------------------------------------------------------------


class _Cluster:
    """Constant-time lookups over a scenario's live objects and targets while realizing."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self._where: dict[ResourceKey, tuple[list[RawObject], int]] = {}
        for pool in (scenario.objects, scenario.applications):
            for index, obj in enumerate(pool):
                self._where[key_of(obj)] = (pool, index)
        self._targets = {
            (app, key_of(obj)): obj for app, objs in scenario.targets.items() for obj in objs
        }

    def live(self, key: ResourceKey) -> RawObject | None:
        found = self._where.get(key)
        return found[0][found[1]] if found else None

    def target(self, app: str, key: ResourceKey) -> RawObject | None:
        return self._targets.get((app, key))

    def replace(self, key: ResourceKey, obj: RawObject) -> None:
        pool, index = self._where[key]
        pool[index] = obj


def realize(scenario: Scenario, realism: Realism | None = None) -> Scenario:
    """Give ``scenario`` real live objects and Argo CD's diff (in place; returns it)."""
    realism = realism or Realism()
    cluster = _Cluster(scenario)
    done: set[ResourceKey] = set()
    for app in scenario.applications:
        name = str(app["metadata"]["name"])
        entries = _entries(app)
        if _hidden_by_merge(cluster, app, entries, realism):
            realism.legacy_apps.add(name)
        legacy = options_for(realism, app, _ANY).mode is DiffMode.LEGACY
        for entry in entries:
            key = _key(entry)
            live = cluster.live(key)
            if live is None:
                continue
            target = cluster.target(name, key)
            if key not in done:
                # One private copy per object (live objects may share subtrees with targets);
                # later steps change that copy in place.
                live = _with_defaults(live) if key.group != "argoproj.io" else _copy(live)
                done.add(key)
                cluster.replace(key, live)
            if target is not None:
                declared = _live_only(target, scenario.expected_paths.get((name, key), ()))
                _applied(live, target, declared, legacy=legacy)
    scenario.realism = realism
    _verify(cluster, realism)
    return scenario


_ANY: Final = ResourceKey("", "", "", "")


def _entries(app: RawObject) -> list[dict[str, Any]]:
    return [e for e in (app.get("status") or {}).get("resources") or [] if not e.get("hook")]


def _key(entry: Mapping[str, Any]) -> ResourceKey:
    return ResourceKey(
        str(entry.get("group", "")),
        str(entry.get("kind", "")),
        str(entry.get("namespace", "")),
        str(entry.get("name", "")),
    )


def _live_only(target: RawObject, declared: tuple[str, ...]) -> tuple[str, ...]:
    missing = object()
    return tuple(p for p in declared if pointers.resolve(target, p, missing) is missing)


def _hidden_by_merge(
    cluster: _Cluster, app: RawObject, entries: list[dict[str, Any]], realism: Realism
) -> bool:
    """Whether a structured merge would hide a declared drift another manager also owns."""
    name = str(app["metadata"]["name"])
    if options_for(realism, app, _ANY).mode is DiffMode.LEGACY:
        return False
    for entry in entries:
        key = _key(entry)
        live, target = cluster.live(key), cluster.target(name, key)
        if live is None or target is None:
            continue
        others = fieldsets.others_tree(live, SSA_MANAGER)
        declared = cluster.scenario.expected_paths.get((name, key), ())
        for pointer in _live_only(target, declared):
            if fieldsets.owns(others, live, _tokens(pointer)):
                return True
    return False


def _with_defaults(live: RawObject) -> RawObject:
    # A live object already has its namespace (or is cluster-scoped): never invent one.
    return server_defaults.with_defaults(live, namespace="")


def _copy(obj: RawObject) -> RawObject:
    out: RawObject = json.loads(json.dumps(obj))
    return out


def _applied(out: RawObject, target: RawObject, declared: tuple[str, ...], *, legacy: bool) -> None:
    """Leave on ``out`` (in place) the trace of Argo CD's last apply of git plus ``declared``."""
    metadata = out.setdefault("metadata", {})
    entries = list(metadata.get("managedFields") or [])
    if legacy:
        applied = json.loads(json.dumps(target))
        for pointer in declared:  # git set these when it was last applied
            fieldsets.set_pointer(applied, pointer, pointers.resolve(out, pointer))
        text = json.dumps(applied, sort_keys=True, separators=(",", ":"))
        metadata.setdefault("annotations", {})[predict.LAST_APPLIED] = text
        for entry in entries:
            if (entry.get("manager"), entry.get("operation")) == (SSA_MANAGER, "Apply"):
                entry["manager"], entry["operation"] = CLIENT_SIDE_MANAGER, "Update"
                entry["fieldsV1"] = _with_last_applied(entry.get("fieldsV1") or {})
    else:
        for entry in entries:
            if (entry.get("manager"), entry.get("operation")) == (SSA_MANAGER, "Apply"):
                tree = json.loads(json.dumps(entry.get("fieldsV1") or {}))
                for pointer in declared:
                    _own(tree, out, _tokens(pointer))
                entry["fieldsV1"] = tree
    metadata["managedFields"] = entries


def _with_last_applied(tree: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(json.dumps(tree))
    annotations = out.setdefault("f:metadata", {}).setdefault("f:annotations", {})
    annotations[f"f:{predict.LAST_APPLIED}"] = {}
    return out


def _own(tree: dict[str, Any], obj: Any, path: list[str | int]) -> None:
    """Add ``path`` of ``obj`` to a fieldsV1 tree (an atomic list is owned as a whole)."""
    node, here = obj, tree
    at: tuple[str, ...] = ()
    for key in path:
        if isinstance(node, list):
            merge = fieldsets.merge_key(at, node) if isinstance(key, int) else None
            if merge is None or not isinstance(key, int):
                here.clear()  # atomic list: owning the list means owning all of it
                return
            identity = dict(zip(merge, fieldsets.key_of(node[key], merge), strict=True))
            token = "k:" + json.dumps(identity, separators=(",", ":"))
            here = here.setdefault(token, {".": {}})
            node, at = node[key], (*at, "*")
            continue
        here = here.setdefault(f"f:{key}", {})
        node = node.get(key) if isinstance(node, dict) else None
        at = (*at, str(key))
    here.clear()


def _tokens(pointer: str) -> list[str | int]:
    return [int(t) if t.isdigit() else t for t in pointers.split(pointer)]


def _verify(cluster: _Cluster, realism: Realism) -> None:
    problems = []
    for app in cluster.scenario.applications:
        name = str(app["metadata"]["name"])
        if name in realism.comparison_errors:
            continue
        for entry in _entries(app):
            key = _key(entry)
            live, target = cluster.live(key), cluster.target(name, key)
            if live is None or target is None:
                continue
            result = predict.diff(target, live, options_for(realism, app, key))
            drifting = entry.get("status") == "OutOfSync"
            if result.modified != drifting:
                problems.append(
                    f"{name}: {key} is {entry.get('status')} but modified={result.modified}"
                )
            if drifting:
                realism.paths[(name, key)] = _differing(result)
    if problems:
        raise RealismError("; ".join(problems[:5]))


def _differing(result: predict.DiffResult) -> tuple[str, ...]:
    found: list[str] = []
    _walk(result.normalized_live, result.predicted_live, "", found)
    return tuple(found)


def _walk(live: Any, predicted: Any, at: str, found: list[str]) -> None:
    if fieldsets.equal(live, predicted):
        return
    if isinstance(live, dict) and isinstance(predicted, dict):
        for key in sorted(live.keys() | predicted.keys()):
            _walk(
                live.get(key, fieldsets.ABSENT),
                predicted.get(key, fieldsets.ABSENT),
                f"{at}/{pointers.escape(str(key))}",
                found,
            )
    elif isinstance(live, list) and isinstance(predicted, list) and len(live) == len(predicted):
        for index, (a, b) in enumerate(zip(live, predicted, strict=True)):
            _walk(a, b, f"{at}/{index}", found)
    else:
        found.append(at)
