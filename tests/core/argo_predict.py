"""Build managed-resources items from real config/live pairs the way Argo CD builds them.

A test helper, not product code: it turns gitops-engine's recorded objects into the JSON-string
items ``GET /api/v1/applications/{name}/managed-resources`` returns, so the classifier is tested
on what Argo CD would send. It follows gitops-engine's ``pkg/diff/diff.go``:

* ``Diff`` first normalizes both sides: ``metadata.creationTimestamp`` removed; Secrets get
  ``stringData`` folded into ``data``; Roles' empty ``rules`` become null; Endpoints subsets get
  the default ``TCP`` protocol and a stable order.
* legacy (``ThreeWayDiff``): the patch is a 3-way merge of ``last-applied`` (orig), git (config)
  and live; ``metadata.namespace`` and an empty annotations map are dropped from orig and
  config (``removeNamespaceAnnotation``); fields orig has and config lacks are deleted; lists
  Kubernetes merges by key (``patchMergeKey``) are merged item by item, other lists replaced.
  For kinds outside the scheme (custom resources) the patch is a plain JSON merge patch, so
  every list is replaced. The prediction is the live object with that patch applied; both keep
  their ``managedFields``.
* server-side diff (``serverSideDiff``): the prediction is the recorded dry-run result with the
  fields Argo CD's manager does not own reverted to live (``removeWebhookMutation``: a mutating
  webhook's additions are hidden), then ``managedFields`` removed from both sides.
* structured merge (``ServerSideApply=true``): an apply of git by Argo CD's manager: fields it
  owned and git no longer sets are dropped, git's fields overlay live.

Secret values are not hidden here (the corpus has none worth hiding).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, Final

from bot.core.model import ABSENT
from bot.core.rules import managed_fields

ARGO_MANAGER: Final = "argocd-controller"
LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
_MERGE_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "containers": ("name",),
    "initContainers": ("name",),
    "env": ("name",),
    "volumes": ("name",),
    "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",),
    "webhooks": ("name",),
    "secrets": ("name",),
    "tolerations": ("key",),
    "ports": ("containerPort",),
}
# Defaults Kubernetes' scheme fills in (applyPatch runs them on the prediction): the ones this
# corpus needs. Paths end in "*" for every list item.
_SCHEME_DEFAULTS: Final = (
    (("spec", "template", "spec", "containers", "*", "ports", "*"), "protocol", "TCP"),
    (("spec", "ports", "*"), "protocol", "TCP"),
    (("webhooks", "*", "rules", "*"), "scope", "*"),
)
_BUILTIN_GROUPS: Final = frozenset(
    {"", "apps", "batch", "policy", "rbac.authorization.k8s.io", "admissionregistration.k8s.io"}
)


def item(
    config: dict[str, Any] | None,
    live: dict[str, Any] | None,
    predicted: dict[str, Any] | None,
    normalized: dict[str, Any] | None,
) -> dict[str, Any]:
    """One ``v1alpha1ResourceDiff`` with JSON-string states."""
    source = config or live or {}
    api_version = str(source.get("apiVersion", ""))
    group = api_version.rpartition("/")[0]
    meta = source.get("metadata") or {}
    out: dict[str, Any] = {"kind": source.get("kind"), "name": meta.get("name")}
    if group:
        out["group"] = group
    if meta.get("namespace") or (live or {}).get("metadata", {}).get("namespace"):
        out["namespace"] = meta.get("namespace") or live["metadata"]["namespace"]  # type: ignore[index]
    out["targetState"] = json.dumps(config) if config is not None else "null"
    out["liveState"] = json.dumps(live) if live is not None else "null"
    out["normalizedLiveState"] = json.dumps(normalized) if normalized is not None else "null"
    out["predictedLiveState"] = json.dumps(predicted) if predicted is not None else "null"
    if json.dumps(normalized, sort_keys=True) != json.dumps(predicted, sort_keys=True):
        out["modified"] = True
    return out


# --- normalization (gitops-engine Normalize) ---------------------------------------------------


def normalize(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    (out.get("metadata") or {}).pop("creationTimestamp", None)
    kind, group = out.get("kind"), str(out.get("apiVersion", "")).rpartition("/")[0]
    if (group, kind) == ("", "Secret") and isinstance(out.get("stringData"), dict):
        data = out.setdefault("data", {}) or {}
        data.update(out.pop("stringData"))
        out["data"] = data
    role = group == "rbac.authorization.k8s.io" and kind in ("Role", "ClusterRole")
    if role and out.get("rules") in ([], None):
        # normalizeRole: empty rules are null; Go marshals the unset slice away on both sides.
        out.pop("rules", None)
    if (group, kind) == ("", "Secret") and isinstance(out.get("data"), dict):
        out["data"] = {k: "" if v is None else v for k, v in out["data"].items()}
    if (group, kind) == ("", "Endpoints"):
        for subset in out.get("subsets") or []:
            for port in subset.get("ports") or []:
                port.setdefault("protocol", "TCP")
            for field in ("addresses", "notReadyAddresses"):
                if isinstance(subset.get(field), list):
                    subset[field].sort(key=lambda a: str(a.get("ip", "")))
            if isinstance(subset.get("ports"), list):
                subset["ports"].sort(key=lambda p: str(p.get("name", "")))
    return out


# --- legacy: 3-way merge on last-applied -------------------------------------------------------


def three_way(
    config: dict[str, Any], live: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(predicted, normalized live) for a legacy client-side diff."""
    config, live = normalize(config), normalize(live)
    text = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    orig = normalize(json.loads(text)) if text else copy.deepcopy(config)  # TwoWayDiff
    orig, config = _drop_namespace(orig), _drop_namespace(config)
    group = str(config.get("apiVersion", "")).rpartition("/")[0]
    keyed = group in _BUILTIN_GROUPS
    base = live
    if config.get("kind") == "StatefulSet" and isinstance(orig.get("spec"), dict):
        # statefulSetWorkaround: the server's extra fields of volumeClaimTemplates are not
        # reproducible client side, so they are left out when computing the patch.
        base = copy.deepcopy(live)
        templates = (live.get("spec") or {}).get("volumeClaimTemplates")
        mine = orig["spec"].get("volumeClaimTemplates")
        if isinstance(templates, list) and isinstance(mine, list):
            base["spec"]["volumeClaimTemplates"] = _only_fields(mine, templates)
    predicted = _merge(orig, config, live, "", keyed, base)
    if keyed:
        _fill_defaults(predicted)
    return normalize(predicted), live


def _only_fields(orig: Any, live: Any) -> Any:
    """gitops-engine's RemoveMapFields/RemoveListFields: live restricted to orig's fields."""
    if isinstance(orig, dict) and isinstance(live, dict):
        return {k: _only_fields(orig[k], v) for k, v in live.items() if k in orig}
    if isinstance(orig, list) and isinstance(live, list):
        return [_only_fields(o, v) for o, v in zip(orig, live, strict=False)] + live[len(orig) :]
    return live


def _fill_defaults(obj: dict[str, Any]) -> None:
    for path, field, value in _SCHEME_DEFAULTS:
        for parent in _walk_items(obj, path):
            if isinstance(parent, dict):
                parent.setdefault(field, value)


def _walk_items(node: Any, path: tuple[str, ...]) -> list[Any]:
    if not path:
        return [node]
    head, rest = path[0], path[1:]
    if head == "*":
        items = node if isinstance(node, list) else []
        return [x for item in items for x in _walk_items(item, rest)]
    return _walk_items(node.get(head), rest) if isinstance(node, dict) else []


def _drop_namespace(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("namespace", None)
        if not meta.get("annotations"):
            meta.pop("annotations", None)
    return out


def _merge(orig: Any, cfg: Any, live: Any, field: str, keyed: bool, base: Any = ABSENT) -> Any:
    """Live with the 3-way patch applied; ``base`` is what the patch was computed against."""
    base = live if base is ABSENT else base
    if isinstance(cfg, dict) and isinstance(live, dict):
        out = dict(live)
        before = orig if isinstance(orig, dict) else {}
        against = base if isinstance(base, dict) else {}
        for key, value in cfg.items():
            if value is None:
                out.pop(key, None)  # null in a merge patch deletes
            elif key in live:
                out[key] = _merge(before.get(key), value, live[key], key, keyed, against.get(key))
            else:
                out[key] = copy.deepcopy(value)
        for key in before:
            if key not in cfg:
                out.pop(key, None)  # git dropped what it applied last time
        return out
    keys = _MERGE_KEYS.get(field) if keyed else None
    if keys and isinstance(cfg, list) and isinstance(live, list):
        if field == "ports" and not all("containerPort" in x for x in (*cfg, *live)):
            keys = ("port",)
        return _merge_list(orig if isinstance(orig, list) else [], cfg, live, keys, keyed)
    if cfg == base:
        return copy.deepcopy(live)  # no patch for an equal value: live keeps what it has
    return copy.deepcopy(cfg)


def _merge_list(
    orig: list[Any], cfg: list[Any], live: list[Any], keys: tuple[str, ...], keyed: bool
) -> list[Any]:
    def ident(x: Any) -> tuple[Any, ...]:
        return tuple(x.get(k) for k in keys) if isinstance(x, dict) else (x,)

    wanted = {ident(x): x for x in cfg}
    dropped = {ident(x) for x in orig} - set(wanted)
    before = {ident(x): x for x in orig}
    out = []
    for entry in live:
        who = ident(entry)
        if who in dropped:
            continue
        if who in wanted:
            out.append(_merge(before.get(who), wanted.pop(who), entry, "", keyed))
        else:
            out.append(entry)
    out.extend(copy.deepcopy(x) for x in cfg if ident(x) in wanted)
    return out


# --- server-side diff: dry run with webhook mutations removed ----------------------------------


def server_side(
    dry_run: dict[str, Any], live: dict[str, Any], *, include_webhooks: bool = False
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(predicted, normalized live) for ``ServerSideDiff=true``."""
    predicted = copy.deepcopy(dry_run)
    if not include_webhooks:
        owned = _owned_by(dry_run, ARGO_MANAGER)
        predicted = _overlay(live, _restrict(dry_run, owned, ()))
    predicted, live = normalize(predicted), normalize(live)
    for obj in (predicted, live):
        meta = obj.get("metadata", {})
        meta.pop("managedFields", None)
        # The dry run may carry the client-side copy; Argo CD's result has it on neither side.
        (meta.get("annotations") or {}).pop(LAST_APPLIED, None)
    return predicted, live


def structured_merge(
    config: dict[str, Any], live: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(predicted, normalized live) for ``ServerSideApply=true``: git applied by Argo CD."""
    config, live = normalize(config), normalize(live)
    owned = _owned_by(live, ARGO_MANAGER)
    kept = _without(live, owned, config, ())
    predicted = _overlay(kept, config)
    _fill_defaults(predicted)
    if predicted.get("kind") == "Service":
        predicted.setdefault("spec", {}).setdefault("type", "ClusterIP")
    for obj in (predicted, live):
        (obj.get("metadata") or {}).get("annotations", {}).pop(LAST_APPLIED, None)
    return predicted, live


def _owned_by(obj: Mapping[str, Any], manager: str) -> dict[str, Any]:
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    return {
        "metadata": {
            "managedFields": [e for e in entries if e.get("manager") == manager],
        }
    }


def _covered(owner: dict[str, Any], doc: Any, path: tuple[Any, ...]) -> bool:
    probe = copy.deepcopy(doc) if isinstance(doc, dict) else {}
    probe["metadata"] = {**(probe.get("metadata") or {}), **owner["metadata"]}
    return bool(managed_fields.managers_of(probe, path))


def _restrict(doc: Any, owner: dict[str, Any], path: tuple[Any, ...], root: Any = ABSENT) -> Any:
    """Only the parts of ``doc`` the manager owns (``removeWebhookMutation``)."""
    root = doc if root is ABSENT else root
    if isinstance(doc, dict):
        out = {}
        for key, value in doc.items():
            if path == () and key in ("apiVersion", "kind"):
                out[key] = value
                continue
            sub = (*path, key)
            if _covered(owner, root, sub):
                out[key] = _restrict(value, owner, sub, root)
        return out
    if isinstance(doc, list):
        return [
            _restrict(v, owner, (*path, i), root)
            for i, v in enumerate(doc)
            if _covered(owner, root, (*path, i))
        ]
    return doc


def _overlay(base: Any, top: Any) -> Any:
    if isinstance(base, dict) and isinstance(top, dict):
        out = dict(base)
        for key, value in top.items():
            out[key] = _overlay(base.get(key, ABSENT), value)
        return out
    if isinstance(base, list) and isinstance(top, list) and _keyed(base, top):
        return _overlay_list(base, top)
    return copy.deepcopy(top)


def _keyed(base: list[Any], top: list[Any]) -> bool:
    return all(
        isinstance(x, dict) and ("name" in x or "port" in x or "containerPort" in x)
        for x in (*base, *top)
    )


def _ident(x: dict[str, Any]) -> Any:
    if "port" in x or "containerPort" in x:
        return (x.get("port", x.get("containerPort")), x.get("protocol", "TCP"))
    return x.get("name")


def _overlay_list(base: list[Any], top: list[Any]) -> list[Any]:
    pending = {_ident(x): x for x in top}
    out = [_overlay(x, pending.pop(_ident(x))) if _ident(x) in pending else x for x in base]
    out.extend(x for x in top if _ident(x) in pending)
    return out


def _without(live: Any, owner: dict[str, Any], config: Any, path: tuple[Any, ...]) -> Any:
    """Live minus the map fields the manager owned outright that git no longer sets."""
    fields: dict[str, Any] = {}
    for entry in owner["metadata"]["managedFields"]:
        fields = _union(fields, entry.get("fieldsV1") or {})
    return _prune(live, fields, config)


def _union(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    out = dict(a)
    for key, value in b.items():
        out[key] = _union(out.get(key) or {}, value) if isinstance(value, dict) else value
    return out


def _prune(live: Any, fields: Any, config: Any) -> Any:
    if not isinstance(live, dict) or not isinstance(fields, dict):
        return live
    out = {}
    for key, value in live.items():
        node = fields.get(f"f:{key}")
        in_git = isinstance(config, dict) and key in config
        if node == {} and not in_git:
            continue  # owned by Argo CD's last apply, gone from git: the apply removes it
        sub = config.get(key) if isinstance(config, dict) else None
        out[key] = _prune(value, node, sub) if node else value
    return out
