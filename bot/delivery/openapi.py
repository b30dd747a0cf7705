"""The classification API's OpenAPI 3.1 document.

The report schemas are not written here: ``components.schemas`` is `bot.core.report_schema`
(the one declaration the codec validates against and the tests check every ``to_json`` with),
plus the two shapes only this API has, its error body and the digest document.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core.report_schema import SCHEMAS, STR, STRS, obj, ref

API_PREFIX: Final = "/api/v1"
AUTH_SETTING: Final = "DRIFT_API_TOKEN"

# --- the document ----------------------------------------------------------------------------


def openapi_document() -> dict[str, Any]:
    """An OpenAPI 3.1 description of this API, generated from the model's enums."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "drift-bot classification API",
            "version": "1",
            "description": "Why each Argo CD Application is OutOfSync, and which apps hide a "
            "broken workload behind Progressing. Same JSON as `drift-bot scan --format json`.",
        },
        "servers": [{"url": API_PREFIX}],
        "security": [{"bearer": []}],
        "paths": {
            "/scan": {
                "get": _operation(
                    "scan",
                    "Classify every drifting resource and find stuck apps.",
                    "ScanReport",
                    params=[_param("app", "query", "Only this app (repeatable).", repeat=True)],
                )
            },
            "/apps/{name}": {
                "get": _operation(
                    "app", "One app's findings and health.", "AppReport", params=[_NAME]
                )
            },
            "/apps/{name}/logs": {
                "get": _operation(
                    "logs",
                    "Why one app's workload is unhealthy: pods, restarts, log lines.",
                    "StuckApp",
                    params=[_NAME],
                )
            },
            "/digest": {
                "get": _operation(
                    "digest", "The daily digest document (404 when not configured).", "Digest"
                )
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "security": [],
                    "responses": {"200": _json("The OpenAPI document.", {"type": "object"})},
                }
            },
        },
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "description": AUTH_SETTING}
            },
            "schemas": {**SCHEMAS, **_API_SCHEMAS},
        },
    }


def _operation(
    op_id: str, summary: str, schema: str, *, params: list[Any] | None = None
) -> dict[str, Any]:
    responses = {
        "200": _json("OK", ref(schema)),
        "400": _json("Malformed request or upstream data.", ref("Error")),
        "401": _json("Missing or wrong bearer token.", ref("Error")),
        "404": _json("Unknown app (with close matches), or no digest.", ref("Error")),
        "500": _json("Internal error (details in the server log).", ref("Error")),
        "502": _json("Kubernetes or Argo CD refused our credentials.", ref("Error")),
        "503": _json("Upstream unreachable, or DRIFT_API_TOKEN unset.", ref("Error")),
    }
    return {
        "operationId": op_id,
        "summary": summary,
        "parameters": params or [],
        "responses": responses,
    }


def _json(description: str, schema: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _param(name: str, where: str, description: str, *, repeat: bool = False) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if repeat:
        schema = {"type": "array", "items": schema}
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema,
        **({"explode": True} if repeat else {}),
    }


_NAME: Final = _param("name", "path", "Application name (or <namespace>_<name>).")


_API_SCHEMAS: Final[dict[str, Any]] = {
    "Digest": {"type": "object", "description": "The digest document the bot posts daily."},
    "Error": obj(
        {
            "error": STR,
            "message": STR,
            "app": STR,
            "matches": STRS,
            "source": STR,
            "setting": STR,
        },
        optional=("app", "matches", "source", "setting"),
    ),
}
