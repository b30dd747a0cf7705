"""The JSON shape of every report, declared once (JSON Schema, as OpenAPI 3.1 embeds it).

DESIGN.md §3 is the contract; this module is its one machine-readable statement. The
classification API publishes it as ``components.schemas`` of its OpenAPI document, the codec
(`bot.core.codec`) validates what it decodes against it, and the tests validate what every
``to_json`` emits against it, so the emitter, the decoder and the published document cannot
drift apart. Enums come from the model's enums.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from bot.core.model import DiffOp, DriftClass, FixKind

REF_PREFIX: Final = "#/components/schemas/"


def ref(name: str) -> dict[str, str]:
    """A reference to one of `SCHEMAS` as the OpenAPI document spells it."""
    return {"$ref": f"{REF_PREFIX}{name}"}


def obj(props: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object schema whose keys are all required except ``optional``."""
    required = [k for k in props if k not in optional]
    return {"type": "object", "properties": props, "required": required}


def _str_enum(values: Iterable[object]) -> dict[str, Any]:
    return {"type": "string", "enum": [str(v) for v in values]}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": ref(name)}


STR: Final = {"type": "string"}
STRS: Final = {"type": "array", "items": STR}
_INT: Final = {"type": "integer", "minimum": 0}
_TIME: Final = {"type": "string", "format": "date-time"}
_OPT_TIME: Final = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: Final[dict[str, Any]] = {
    "Totals": obj({"total": _INT, "out_of_sync": _INT, "progressing": _INT, "stuck": _INT}),
    "Evidence": obj(
        {"path": STR, "op": _str_enum(DiffOp), "git": {}, "live": {}},
        optional=("git", "live"),  # absent key: the field does not exist on that side
    ),
    "Fix": obj({"kind": _str_enum(FixKind), "text": STR}),
    "Finding": obj(
        {
            "app": STR,
            "class": _str_enum(DriftClass),
            "group": STR,
            "kind": STR,
            "namespace": STR,
            "name": STR,
            "summary": STR,
            "paths": STRS,
            "evidence": _list("Evidence"),
            "fix": ref("Fix"),
            "safe_to_delete": {"type": ["boolean", "null"]},
            "users": STRS,
            "acked": {"type": "boolean"},
            "fingerprint": STR,
        },
        # Derived from the other keys; a decoder recomputes them rather than trust them.
        optional=("paths", "fingerprint"),
    ),
    "PodDiagnosis": obj(
        {
            "namespace": STR,
            "name": STR,
            "container": STR,
            "reason": STR,
            "restarts": _INT,
            "started_at": _OPT_TIME,
            "message": STR,
            "log": STRS,
        }
    ),
    "StuckApp": obj({"app": STR, "health": STR, "since": _OPT_TIME, "pods": _list("PodDiagnosis")}),
    "ScanError": obj({"app": STR, "source": STR, "message": STR}),
    "ScanReport": obj(
        {
            "generated_at": _TIME,
            "apps": ref("Totals"),
            "findings": _list("Finding"),
            "stuck": _list("StuckApp"),
            "errors": _list("ScanError"),
            "health": {"type": "object", "additionalProperties": STR},
            "sync": {"type": "object", "additionalProperties": STR},
            "fleet_as_of": _TIME,
        },
        # servers before per-app status did not send health and sync; fleet_as_of only
        # answers from the watched fleet model of `serve` carry
        optional=("health", "sync", "fleet_as_of"),
    ),
    "AppReport": obj(
        {
            "generated_at": _TIME,
            "app": STR,
            "sync": STR,
            "health": STR,
            "health_since": _OPT_TIME,
            "findings": _list("Finding"),
            "stuck": {"oneOf": [ref("StuckApp"), {"type": "null"}]},
            "errors": _list("ScanError"),
            "fleet_as_of": _TIME,
        },
        optional=("fleet_as_of",),  # only answers from serve's watched fleet model carry it
    ),
}
"""Every report object by name; references between them use `ref`."""
