"""Decoding the model's JSON back into model objects: the inverse of every ``to_json``.

The classification API sends `ScanReport.to_json()` and friends over HTTP; a remote client
(`bot.adapters.remote_classifier`) needs the same objects the in-process service returns, so
Slack and the CLI cannot tell where the classifier runs. ``from_json(x.to_json()) == x`` holds
for every object, including evidence sides that are ``ABSENT`` (the key is missing) as opposed
to JSON ``null``, and ``Z``-suffixed datetimes.

What is well-formed is not written here: the document is first checked against the one
declaration of the shape, `bot.core.report_schema` (the same schemas the OpenAPI document
publishes), then read with plain indexing. Fields the model derives (``paths``,
``fingerprint``) are recomputed, not trusted. Anything malformed raises `InputError` naming the
JSON path (``$.findings[2].evidence[0].op``), because a client talking to a newer or broken
server should say exactly what it could not read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

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
from bot.core.report_schema import REF_PREFIX, SCHEMAS
from bot.errors import InputError

ROOT = "$"

Json = Mapping[str, Any]
"""A JSON object already validated against its schema."""


# --- public decoders ----------------------------------------------------------------------


def scan_report_from_json(d: object, path: str = ROOT) -> ScanReport:
    """The `ScanReport` that ``to_json`` turned into ``d``.

    ``health`` and ``sync`` are read when present (older servers do not send them); otherwise
    they are empty.

    Raises:
        InputError: ``d`` is not a scan report; the message names the offending JSON path.
    """
    obj = validate(d, "ScanReport", path)
    return ScanReport(
        generated_at=_time(obj["generated_at"]),
        totals=Totals(**obj["apps"]),
        findings=tuple(_finding(f) for f in obj["findings"]),
        stuck=tuple(_stuck(s) for s in obj["stuck"]),
        errors=tuple(ScanError(**e) for e in obj["errors"]),
        health=dict(obj.get("health", {})),
        sync=dict(obj.get("sync", {})),
        fleet_as_of=_opt_time(obj.get("fleet_as_of")),
    )


def app_report_from_json(d: object, path: str = ROOT) -> AppReport:
    """The `AppReport` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    obj = validate(d, "AppReport", path)
    stuck = obj["stuck"]
    return AppReport(
        generated_at=_time(obj["generated_at"]),
        app=AppName(obj["app"]),
        sync_status=obj["sync"],
        health_status=obj["health"],
        health_since=_opt_time(obj["health_since"]),
        findings=tuple(_finding(f) for f in obj["findings"]),
        stuck=None if stuck is None else _stuck(stuck),
        errors=tuple(ScanError(**e) for e in obj["errors"]),
        fleet_as_of=_opt_time(obj.get("fleet_as_of")),
    )


def stuck_app_from_json(d: object, path: str = ROOT) -> StuckApp:
    """The `StuckApp` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    return _stuck(validate(d, "StuckApp", path))


def finding_from_json(d: object, path: str = ROOT) -> Finding:
    """The `Finding` that ``to_json`` turned into ``d`` (InputError naming the path if not)."""
    return _finding(validate(d, "Finding", path))


# --- validated JSON -> model ----------------------------------------------------------------


def _finding(obj: Json) -> Finding:
    return Finding(
        app=TrackingName(obj["app"]),
        drift_class=DriftClass(obj["class"]),
        key=ResourceKey(obj["group"], obj["kind"], obj["namespace"], obj["name"]),
        summary=obj["summary"],
        # A missing side is ABSENT (the field does not exist there); null is a real value.
        evidence=tuple(
            Evidence(e["path"], DiffOp(e["op"]), e.get("git", ABSENT), e.get("live", ABSENT))
            for e in obj["evidence"]
        ),
        fix=Fix(kind=FixKind(obj["fix"]["kind"]), text=obj["fix"]["text"]),
        safe_to_delete=obj["safe_to_delete"],
        users=tuple(obj["users"]),
        acked=obj["acked"],
    )


def _stuck(obj: Json) -> StuckApp:
    return StuckApp(
        app=AppName(obj["app"]),
        health=obj["health"],
        since=_opt_time(obj["since"]),
        pods=tuple(
            PodDiagnosis(
                **{k: p[k] for k in ("namespace", "name", "container", "reason", "restarts")},
                started_at=_opt_time(p["started_at"]),
                message=p["message"],
                log=tuple(p["log"]),
            )
            for p in obj["pods"]
        ),
    )


def _opt_time(value: str | None) -> datetime | None:
    return None if value is None else _time(value)


def _time(value: str) -> datetime:
    # Python 3.11's fromisoformat reads the "Z" suffix the model writes; validate checked it.
    return datetime.fromisoformat(value)


# --- validation against bot.core.report_schema ----------------------------------------------

_WORDS: Final = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "boolean": "true or false",
}
_UNION_WORDS: Final = {("boolean", "null"): "true, false or null"}


def validate(d: object, name: str, path: str = ROOT) -> Json:
    """``d`` checked against ``SCHEMAS[name]``: the subset of JSON Schema the report uses.

    Types, required keys, enums, ``date-time`` strings, items, ``additionalProperties``,
    ``$ref`` and a nullable ``oneOf``. Unknown keys are allowed (a newer server may add some).

    Raises:
        InputError: naming the first offending JSON path.
    """
    _check(d, SCHEMAS[name], path)
    assert isinstance(d, Mapping)  # _check raised otherwise; narrows the type
    return d


def _check(value: object, schema: Mapping[str, Any], path: str) -> None:
    if "$ref" in schema:
        _check(value, SCHEMAS[schema["$ref"].removeprefix(REF_PREFIX)], path)
        return
    if "oneOf" in schema:
        # The schema's only union: a reference or null.
        if value is not None:
            _check(value, schema["oneOf"][0], path)
        return
    if "type" not in schema:
        return  # any JSON value
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    if value is None and "null" in types:
        return
    if not any(_is(value, t) for t in types if t != "null"):
        expected = _UNION_WORDS.get(tuple(types)) or _WORDS[types[0]]
        got = "null" if value is None else type(value).__name__
        raise InputError(f"{path}: expected {expected}, got {got}")
    if isinstance(value, str):
        _check_string(value, schema, path)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check(item, schema["items"], f"{path}[{i}]")
    elif isinstance(value, Mapping):
        _check_object(value, schema, path)


def _is(value: object, json_type: str) -> bool:
    if json_type == "object":
        return isinstance(value, Mapping) and all(isinstance(k, str) for k in value)
    if json_type == "integer":
        # bool is an int subclass; `true` is not a count.
        return isinstance(value, int) and not isinstance(value, bool)
    kinds = {"array": list, "string": str, "boolean": bool}
    return isinstance(value, kinds[json_type])


def _check_string(value: str, schema: Mapping[str, Any], path: str) -> None:
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(schema["enum"])
        raise InputError(f"{path}: {value!r} is not one of {allowed}")
    if schema.get("format") == "date-time":
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise InputError(f"{path}: {value!r} is not an ISO-8601 datetime") from None


def _check_object(value: Mapping[str, Any], schema: Mapping[str, Any], path: str) -> None:
    for key in schema.get("required", ()):
        if key not in value:
            raise InputError(f"{path}.{key}: missing")
    for key, sub in schema.get("properties", {}).items():
        if key in value:
            _check(value[key], sub, f"{path}.{key}")
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        for key, item in value.items():
            _check(item, extra, f"{path}.{key}")
