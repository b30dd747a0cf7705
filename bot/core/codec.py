"""Decoding the model's JSON back into model objects: the inverse of every ``to_json``.

The classification API sends `ScanReport.to_json()` and friends over HTTP; a remote client
(`bot.adapters.remote_classifier`) needs the same objects the in-process service returns, so
Slack and the CLI cannot tell where the classifier runs. ``from_json(x.to_json()) == x`` holds
for every object, including evidence sides that are ``ABSENT`` (the key is missing) as opposed
to JSON ``null``, and ``Z``-suffixed datetimes.

Fields the model derives (``paths``, ``fingerprint``) are recomputed, not trusted. Anything
malformed raises `InputError` naming the JSON path (``$.findings[2].evidence[0].op``), because a
client talking to a newer or broken server should say exactly what it could not read.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, TypeVar

from bot.core.model import (
    ABSENT,
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.core.raw import AppName, TrackingName
from bot.errors import InputError

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

ROOT = "$"


# --- public decoders ----------------------------------------------------------------------


def scan_report_from_json(d: object, path: str = ROOT) -> ScanReport:
    """The `ScanReport` that ``to_json`` turned into ``d``.

    ``health`` is read when present; today's ``to_json`` does not write it, so it comes back
    empty.

    Raises:
        InputError: ``d`` is not a scan report; the message names the offending JSON path.
    """
    obj = _object(d, path)
    return ScanReport(
        generated_at=_datetime(obj, "generated_at", path),
        totals=_totals(_field(obj, "apps", path), f"{path}.apps"),
        findings=_list_of(obj, "findings", path, finding_from_json),
        stuck=_list_of(obj, "stuck", path, stuck_app_from_json),
        errors=_list_of(obj, "errors", path, _scan_error),
        health=_health(obj, path),
    )


def app_report_from_json(d: object, path: str = ROOT) -> AppReport:
    """The `AppReport` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    obj = _object(d, path)
    stuck = _field(obj, "stuck", path)
    return AppReport(
        generated_at=_datetime(obj, "generated_at", path),
        app=_str(obj, "app", path),
        sync_status=_str(obj, "sync", path),
        health_status=_str(obj, "health", path),
        health_since=_opt_datetime(obj, "health_since", path),
        findings=_list_of(obj, "findings", path, finding_from_json),
        stuck=None if stuck is None else stuck_app_from_json(stuck, f"{path}.stuck"),
        errors=_list_of(obj, "errors", path, _scan_error),
    )


def stuck_app_from_json(d: object, path: str = ROOT) -> StuckApp:
    """The `StuckApp` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    obj = _object(d, path)
    return StuckApp(
        app=AppName(_str(obj, "app", path)),
        health=_str(obj, "health", path),
        since=_opt_datetime(obj, "since", path),
        pods=_list_of(obj, "pods", path, _pod),
    )


def finding_from_json(d: object, path: str = ROOT) -> Finding:
    """The `Finding` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    obj = _object(d, path)
    safe = _field(obj, "safe_to_delete", path)
    if safe is not None and not isinstance(safe, bool):
        raise _wrong(f"{path}.safe_to_delete", "true, false or null", safe)
    return Finding(
        app=TrackingName(_str(obj, "app", path)),
        drift_class=_enum(DriftClass, obj, "class", path),
        key=ResourceKey(
            group=_str(obj, "group", path),
            kind=_str(obj, "kind", path),
            namespace=_str(obj, "namespace", path),
            name=_str(obj, "name", path),
        ),
        summary=_str(obj, "summary", path),
        evidence=_list_of(obj, "evidence", path, _evidence),
        fix=_fix(_field(obj, "fix", path), f"{path}.fix"),
        safe_to_delete=safe,
        users=tuple(_list_of(obj, "users", path, _any_str)),
        acked=_bool(obj, "acked", path),
    )


# --- nested objects -------------------------------------------------------------------------


def _evidence(d: object, path: str) -> Evidence:
    obj = _object(d, path)
    # A missing key is ABSENT (the field does not exist on that side); null is a real value.
    return Evidence(
        path=_str(obj, "path", path),
        op=_enum(DiffOp, obj, "op", path),
        git=obj.get("git", ABSENT),
        live=obj.get("live", ABSENT),
    )


def _fix(d: object, path: str) -> Fix:
    obj = _object(d, path)
    return Fix(kind=_enum(FixKind, obj, "kind", path), text=_str(obj, "text", path))


def _pod(d: object, path: str) -> PodDiagnosis:
    obj = _object(d, path)
    return PodDiagnosis(
        namespace=_str(obj, "namespace", path),
        name=_str(obj, "name", path),
        container=_str(obj, "container", path),
        reason=_str(obj, "reason", path),
        restarts=_int(obj, "restarts", path),
        started_at=_opt_datetime(obj, "started_at", path),
        message=_str(obj, "message", path),
        log=_list_of(obj, "log", path, _any_str),
    )


def _scan_error(d: object, path: str) -> ScanError:
    obj = _object(d, path)
    return ScanError(
        app=_str(obj, "app", path),
        source=_str(obj, "source", path),
        message=_str(obj, "message", path),
    )


def _totals(d: object, path: str) -> Totals:
    obj = _object(d, path)
    return Totals(
        total=_int(obj, "total", path),
        out_of_sync=_int(obj, "out_of_sync", path),
        progressing=_int(obj, "progressing", path),
        stuck=_int(obj, "stuck", path),
    )


def _health(obj: Mapping[str, Any], path: str) -> dict[str, str]:
    if "health" not in obj:
        return {}
    health = _object(obj["health"], f"{path}.health")
    return {app: _str(health, app, f"{path}.health") for app in health}


# --- primitives -----------------------------------------------------------------------------


def _object(d: object, path: str) -> Mapping[str, Any]:
    if not isinstance(d, Mapping) or not all(isinstance(k, str) for k in d):
        raise _wrong(path, "an object", d)
    return d


def _field(obj: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in obj:
        raise InputError(f"{path}.{key}: missing")
    return obj[key]


def _str(obj: Mapping[str, Any], key: str, path: str) -> str:
    return _any_str(_field(obj, key, path), f"{path}.{key}")


def _any_str(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise _wrong(path, "a string", value)
    return value


def _int(obj: Mapping[str, Any], key: str, path: str) -> int:
    value = _field(obj, key, path)
    # bool is an int subclass; `true` is not a count.
    if not isinstance(value, int) or isinstance(value, bool):
        raise _wrong(f"{path}.{key}", "an integer", value)
    return value


def _bool(obj: Mapping[str, Any], key: str, path: str) -> bool:
    value = _field(obj, key, path)
    if not isinstance(value, bool):
        raise _wrong(f"{path}.{key}", "true or false", value)
    return value


def _enum(cls: type[E], obj: Mapping[str, Any], key: str, path: str) -> E:
    raw = _str(obj, key, path)
    try:
        return cls(raw)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in cls)
        raise InputError(f"{path}.{key}: {raw!r} is not one of {allowed}") from None


def _opt_datetime(obj: Mapping[str, Any], key: str, path: str) -> datetime | None:
    if _field(obj, key, path) is None:
        return None
    return _datetime(obj, key, path)


def _datetime(obj: Mapping[str, Any], key: str, path: str) -> datetime:
    raw = _str(obj, key, path)
    try:
        # Python 3.11's fromisoformat reads the "Z" suffix the model writes.
        return datetime.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{path}.{key}: {raw!r} is not an ISO-8601 datetime") from None


def _list_of(
    obj: Mapping[str, Any], key: str, path: str, item: Callable[[object, str], T]
) -> tuple[T, ...]:
    value = _field(obj, key, path)
    where = f"{path}.{key}"
    if not isinstance(value, list):
        raise _wrong(where, "a list", value)
    return tuple(item(v, f"{where}[{i}]") for i, v in enumerate(value))


def _wrong(path: str, expected: str, value: object) -> InputError:
    got = "null" if value is None else type(value).__name__
    return InputError(f"{path}: expected {expected}, got {got}")
