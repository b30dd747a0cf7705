"""Raw Argo CD JSON → domain model, once, at the edge of the core.

Argo CD omits empty keys (no ``group`` for the core group, no ``namespace`` for cluster-scoped
objects, no ``status`` for hooks) and sends managed-resource states as JSON *strings* with the
literal ``"null"`` for "absent". Those rules are applied here so the rules never see them.
Malformed input raises `InputError` naming the JSON path, because "KeyError: 'kind'" from deep
in a rule tells an operator nothing about which app or item is broken.

The entry points take the typed shapes of `bot.core.raw`, which say what we expect; the
helpers below read them as plain mappings of ``object`` and check each value's type, which is
what makes that expectation safe to declare (the adapters' ``raw.as_*`` casts rely on it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TypeVar

import msgspec

from bot.core.model import (
    Application,
    Condition,
    ManagedResource,
    RawObject,
    ResourceKey,
    ResourceStatus,
)
from bot.core.raw import AppName, RawApplication, RawManagedResources
from bot.errors import InputError

_T = TypeVar("_T")
_decode = msgspec.json.Decoder().decode


def parse_application(raw: RawApplication, control_plane_namespace: str) -> Application:
    """Read an ``argoproj.io/v1alpha1`` Application CR.

    Args:
        raw: The Application as the Kubernetes API returned it.
        control_plane_namespace: Argo CD's own namespace (``ARGOCD_NAMESPACE``).

    Raises:
        InputError: A field has the wrong type or a required one is missing; the message
            names the app and the JSON path.
    """
    if not isinstance(raw, dict):
        raise InputError(f"Application: expected a JSON object, got {type(raw).__name__}")
    metadata = _obj(raw, "metadata", "Application: ")
    name = _req_str(metadata, "name", "Application: .metadata")
    where = f"Application {name}: "
    namespace = _opt(metadata, "namespace", str, f"{where}.metadata") or control_plane_namespace
    spec = _obj(raw, "spec", where, required=False)
    status = _obj(raw, "status", where, required=False)
    destination = _obj(spec, "destination", f"{where}.spec", required=False)
    sync = _obj(status, "sync", f"{where}.status", required=False)
    health = _obj(status, "health", f"{where}.status", required=False)
    return Application(
        name=AppName(name),
        namespace=namespace,
        control_plane_namespace=control_plane_namespace,
        project=_opt(spec, "project", str, f"{where}.spec") or "default",
        sync_status=_opt(sync, "status", str, f"{where}.status.sync") or "Unknown",
        health_status=_opt(health, "status", str, f"{where}.status.health") or "Unknown",
        health_since=_time(health, "lastTransitionTime", f"{where}.status.health"),
        destination_namespace=_opt(destination, "namespace", str, f"{where}.spec.destination")
        or "",
        destination_server=_opt(destination, "server", str, f"{where}.spec.destination") or "",
        destination_name=_opt(destination, "name", str, f"{where}.spec.destination") or "",
        resources=_statuses(_list(status, "resources", f"{where}.status"), where),
        conditions=tuple(
            _condition(item, f"{where}.status.conditions[{i}]")
            for i, item in enumerate(_list(status, "conditions", f"{where}.status"))
        ),
    )


def _statuses(items: list[object], where: str) -> tuple[ResourceStatus, ...]:
    """The entries as `ResourceStatus`; the kube adapter's view already decoded them so.

    Anything else (dicts from other callers, or a page the view refused) is checked here.
    """
    if all(type(item) is ResourceStatus for item in items):
        return tuple(items)  # type: ignore[arg-type]  # checked just above
    return tuple(
        item
        if type(item) is ResourceStatus
        else _well_typed_status(item) or _resource_status(item, f"{where}.status.resources[{i}]")
        for i, item in enumerate(items)
    )


def _well_typed_status(item: object) -> ResourceStatus | None:
    """The common case of `_resource_status` without building its error context.

    A fleet of 2,000 apps lists ~37,000 status entries; formatting a JSON path for each (only
    ever used in an error) was a third of parsing them. ``None`` sends anything unusual down
    the checked path, which reports it.
    """
    if not isinstance(item, dict):
        return None
    get = item.get  # plain calls: a generator over the field names cost a third of this
    group, kind, namespace, name = get("group"), get("kind"), get("namespace"), get("name")
    version, status, prune, hook = (
        get("version"),
        get("status"),
        get("requiresPruning"),
        get("hook"),
    )
    if not (
        type(kind) is str
        and kind
        and type(name) is str
        and name
        and (group is None or type(group) is str)
        and (namespace is None or type(namespace) is str)
        and (version is None or type(version) is str)
        and (status is None or type(status) is str)
        and (prune is None or type(prune) is bool)
        and (hook is None or type(hook) is bool)
    ):
        return None
    return ResourceStatus(
        kind,
        name,
        group or "",
        version or "",
        namespace or "",
        status or None,
        bool(prune),
        bool(hook),
    )


def _resource_status(item: object, where: str) -> ResourceStatus:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object, got {type(item).__name__}")
    return ResourceStatus.of(
        _key(item, where),
        _opt(item, "version", str, where) or "",
        _opt(item, "status", str, where) or None,
        requires_pruning=bool(_opt(item, "requiresPruning", bool, where)),
        hook=bool(_opt(item, "hook", bool, where)),
    )


def _condition(item: object, where: str) -> Condition:
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object, got {type(item).__name__}")
    return Condition(
        type=_req_str(item, "type", where), message=_opt(item, "message", str, where) or ""
    )


def _key(item: Mapping[str, object], where: str) -> ResourceKey:
    return ResourceKey(
        group=_opt(item, "group", str, where) or "",
        kind=_req_str(item, "kind", where),
        namespace=_opt(item, "namespace", str, where) or "",
        name=_req_str(item, "name", where),
    )


def parse_managed_resources(payload: RawManagedResources) -> tuple[ManagedResource, ...]:
    """Read ``GET /api/v1/applications/{name}/managed-resources``.

    ``live`` is the normalized live state when Argo CD sent one (it has ``ignoreDifferences``
    applied, which is what Argo CD compared), else the raw live state. ``metadata.managedFields``
    is carried over from the raw state when normalization dropped it, because the injected-fields
    rule reads field ownership from it.

    Raises:
        InputError: The body is not an object, an item lacks its identity, or a state is not
            valid JSON; the message names the item.
    """
    if not isinstance(payload, dict):
        raise InputError(f"managed-resources: expected an object, got {type(payload).__name__}")
    items = payload.get("items")
    if items is None:
        return ()
    if not isinstance(items, list):
        raise InputError("managed-resources: .items must be a list")
    return tuple(_managed(item, i) for i, item in enumerate(items))


def _managed(item: object, index: int) -> ManagedResource:
    where = f"managed-resources: .items[{index}]"
    if not isinstance(item, dict):
        raise InputError(f"{where}: expected an object, got {type(item).__name__}")
    key = _key(item, where)
    where = f"managed-resources ({key}): .items[{index}]"
    target = _state(item, "targetState", where)
    raw_live = _state(item, "liveState", where)
    normalized = _state(item, "normalizedLiveState", where)
    predicted = _state(item, "predictedLiveState", where)
    live = normalized if normalized else raw_live
    if normalized and raw_live:
        live = _keep_raw_parts(normalized, raw_live)
    failed = _empty(item, "normalizedLiveState") and _empty(item, "predictedLiveState")
    return ManagedResource(
        key=key,
        target=target,
        live=live,
        modified=bool(_opt(item, "modified", bool, where)),
        normalized=normalized,
        predicted=predicted if _is_prediction(target, normalized, predicted) else None,
        diff_failed=failed and raw_live is not None and target is not None,
    )


def _empty(item: Mapping[str, object], field: str) -> bool:
    """Argo CD's placeholder for "this item's diff failed" is the literal ``{}``."""
    text = item.get(field)
    return isinstance(text, str) and text.strip() == "{}"


def _is_prediction(
    target: RawObject | None, normalized: RawObject | None, predicted: RawObject | None
) -> bool:
    """Whether ``predictedLiveState`` is Argo CD's prediction of live, usable against
    ``normalizedLiveState``.

    Both must be present: a missing object (live ``"null"``) has git as its "prediction" and
    nothing to compare it with. Every real prediction starts from the live object (3-way merge,
    structured merge or server dry-run), so it carries what only live has, such as
    ``metadata.uid``; a "prediction" equal to git field for field while the object is live is
    git echoed back (an old or stubbed API), and comparing it would be git-vs-live again.
    """
    if not normalized or not predicted:
        return False
    return predicted != target


def _state(item: Mapping[str, object], field: str, where: str) -> RawObject | None:
    text = _opt(item, field, str, where)
    if not text or text == "null":
        return None
    try:
        value = _decode(text)  # msgspec: a third of json.loads's time on these states
    except ValueError as exc:  # msgspec.DecodeError is a ValueError
        raise InputError(f"{where}.{field} is not valid JSON ({exc})") from exc
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InputError(f"{where}.{field} must encode an object, got {type(value).__name__}")
    return value or None


def _keep_raw_parts(normalized: RawObject, raw: RawObject) -> RawObject:
    """Normalized live plus what normalization dropped that the rules read: field ownership,
    and ``status`` (``ignoreResourceStatusField`` drops it from custom resources, yet whether a
    PipelineRun finished is written there)."""
    out = normalized
    if "status" not in out and "status" in raw:
        out = {**out, "status": raw["status"]}
    fields = (raw.get("metadata") or {}).get("managedFields")
    metadata = out.get("metadata")
    if not fields or not isinstance(metadata, dict) or "managedFields" in metadata:
        return out
    return {**out, "metadata": {**metadata, "managedFields": fields}}


# --- typed field access with path-naming errors --------------------------------------------


def _obj(
    parent: Mapping[str, object], field: str, where: str, *, required: bool = True
) -> Mapping[str, object]:
    value = parent.get(field)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        got = "nothing" if value is None else type(value).__name__
        raise InputError(f"{where}.{field} must be an object, got {got}")
    return value


def _list(parent: Mapping[str, object], field: str, where: str) -> list[object]:
    value = parent.get(field)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}.{field} must be a list, got {type(value).__name__}")
    return value


def _opt(parent: Mapping[str, object], field: str, kind: type[_T], where: str) -> _T | None:
    value = parent.get(field)
    if value is None:
        return None
    if not isinstance(value, kind):
        raise InputError(f"{where}.{field} must be a {kind.__name__}, got {type(value).__name__}")
    return value


def _req_str(parent: Mapping[str, object], field: str, where: str) -> str:
    value = _opt(parent, field, str, where)
    if not value:
        raise InputError(f"{where}.{field} is missing")
    return value


def _time(parent: Mapping[str, object], field: str, where: str) -> datetime | None:
    text = _opt(parent, field, str, where)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InputError(f"{where}.{field} is not an RFC 3339 time: {text!r}") from exc
    # Kubernetes always writes UTC; a zone-less value is read as UTC so callers can compare it.
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
