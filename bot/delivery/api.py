"""The classification service: an HTTP JSON API over any `Classifier`.

The Slack bot, CI jobs and dashboards all want the same answers the CLI prints with
``--format json``; serving them over HTTP lets one classifier (and one cache, one set of
upstream credentials) answer everyone. This is a plain WSGI application with no framework:
four read-only GET endpoints do not need one, and the HTTP server (`bot.delivery.http`) mounts
it at ``/api/v1/`` next to the Slack and probe endpoints.

Every request needs ``Authorization: Bearer $DRIFT_API_TOKEN``; without a configured token the
API refuses to serve at all (503) rather than serve unauthenticated. Only ``openapi.json`` is
public: it describes the API, not the cluster. Every answer is JSON, errors included; a stack
trace goes to the log, never to the client.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from bot.core.model import DiffOp, DriftClass, FixKind
from bot.errors import (
    InputError,
    StoreError,
    UnknownAppError,
    UpstreamAuthError,
    UpstreamError,
)
from bot.ports import Classifier

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"
JSON_TYPE: Final = "application/json; charset=utf-8"
AUTH_SETTING: Final = "DRIFT_API_TOKEN"

Digest = Callable[[], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Response:
    status: HTTPStatus
    body: Any
    headers: tuple[tuple[str, str], ...] = ()


def build_api_app(
    classifier: Classifier, *, token: str | None, digest: Digest | None = None
) -> WSGIApplication:
    """The ``/api/v1/`` WSGI application answering from ``classifier``.

    Args:
        classifier: where answers come from (in-process, cached or remote).
        token: the bearer token clients must send (``DRIFT_API_TOKEN``); ``None`` or empty
            makes every endpoint but ``openapi.json`` answer 503.
        digest: builds the digest document for ``GET digest``; ``None`` answers 404.
    """
    return _Api(classifier, token or None, digest)


class _Api:
    """The WSGI callable: route, authenticate, call the classifier, map errors to JSON."""

    def __init__(self, classifier: Classifier, token: str | None, digest: Digest | None) -> None:
        self._classifier = classifier
        self._token = token.encode() if token else None
        self._digest = digest

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        response = self._respond(environ)
        body = json.dumps(response.body, ensure_ascii=False).encode("utf-8")
        headers = [
            ("Content-Type", JSON_TYPE),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            *response.headers,
        ]
        start_response(f"{response.status.value} {response.status.phrase}", headers)
        return [body]

    def _respond(self, environ: WSGIEnvironment) -> _Response:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = _relative_path(environ)
        try:
            return self._dispatch(method, path, environ)
        except UnknownAppError as exc:
            return _error(
                HTTPStatus.NOT_FOUND,
                "unknown_app",
                str(exc),
                app=exc.name,
                matches=list(exc.matches),
            )
        except InputError as exc:
            return _error(HTTPStatus.BAD_REQUEST, "bad_request", str(exc))
        except UpstreamAuthError as exc:
            return _upstream(HTTPStatus.BAD_GATEWAY, "upstream_auth", exc)
        except UpstreamError as exc:
            return _upstream(HTTPStatus.SERVICE_UNAVAILABLE, "upstream_unavailable", exc)
        except StoreError as exc:
            return _error(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "store_unavailable",
                str(exc),
                source="redis",
                setting="REDIS_URL",
            )
        except Exception:
            # The delivery edge: whatever broke, the client gets JSON and the log the traceback.
            log.exception("classification API %s %s failed", method, path)
            return _error(
                HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "internal error; see the server log"
            )

    def _dispatch(self, method: str, path: str, environ: WSGIEnvironment) -> _Response:
        if method != "GET":
            return _error(
                HTTPStatus.METHOD_NOT_ALLOWED,
                "method_not_allowed",
                f"{method} is not allowed; this API is read-only (GET)",
                headers=(("Allow", "GET"),),
            )
        if path == "/openapi.json":
            return _Response(HTTPStatus.OK, openapi_document())
        refusal = self._authenticate(environ)
        if refusal is not None:
            return refusal
        query = _query(environ)
        match path.strip("/").split("/"):
            case ["scan"]:
                _only_params(query, {"app"})
                return _ok(self._classifier.scan(query.get("app", [])).to_json())
            case ["apps", name] if name:
                _only_params(query, set())
                return _ok(self._classifier.app_report(name).to_json())
            case ["apps", name, "logs"] if name:
                _only_params(query, set())
                return _ok(self._classifier.logs_report(name).to_json())
            case ["digest"]:
                if self._digest is None:
                    return _error(HTTPStatus.NOT_FOUND, "not_found", "digest not configured")
                return _ok(self._digest())
        return _error(HTTPStatus.NOT_FOUND, "not_found", f"no endpoint {API_PREFIX}{path}")

    def _authenticate(self, environ: WSGIEnvironment) -> _Response | None:
        if self._token is None:
            return _error(
                HTTPStatus.SERVICE_UNAVAILABLE,
                "not_configured",
                f"{AUTH_SETTING} is unset; the classification API does not serve "
                "without a bearer token",
                source="classifier",
                setting=AUTH_SETTING,
            )
        scheme, _, presented = str(environ.get("HTTP_AUTHORIZATION", "")).partition(" ")
        # WSGI headers are latin-1 strings; comparing bytes keeps compare_digest constant-time
        # and total (it raises TypeError on non-ASCII str).
        given = presented.strip().encode("latin-1", "replace")
        if scheme.lower() == "bearer" and hmac.compare_digest(given, self._token):
            return None
        reason = "missing bearer token" if not presented else "wrong bearer token"
        return _error(
            HTTPStatus.UNAUTHORIZED,
            "unauthorized",
            f"{reason}; send 'Authorization: Bearer <{AUTH_SETTING}>'",
            headers=(("WWW-Authenticate", "Bearer"),),
        )


def _relative_path(environ: WSGIEnvironment) -> str:
    """PATH_INFO below the mount point.

    A mounting router moves ``/api/v1`` into SCRIPT_NAME (PEP 3333); served on its own, the
    prefix is still in PATH_INFO, so it is dropped here and both ways work.
    """
    raw = str(environ.get("PATH_INFO", "")) or "/"
    # WSGI hands the URL-decoded path as latin-1 code points; app names may be UTF-8.
    path = raw.encode("latin-1", "replace").decode("utf-8", "replace")
    if path.startswith(API_PREFIX + "/"):
        path = path.removeprefix(API_PREFIX)
    return path


def _query(environ: WSGIEnvironment) -> dict[str, list[str]]:
    return parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=False)


def _only_params(query: Mapping[str, list[str]], allowed: set[str]) -> None:
    unknown = sorted(set(query) - allowed)
    if unknown:
        expected = ", ".join(sorted(allowed)) or "none"
        raise InputError(f"unknown query parameter {unknown[0]!r} (expected: {expected})")


def _ok(body: Any) -> _Response:
    return _Response(HTTPStatus.OK, body)


def _error(
    status: HTTPStatus,
    code: str,
    message: str,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    **extra: Any,
) -> _Response:
    return _Response(status, {"error": code, "message": message, **extra}, headers)


def _upstream(status: HTTPStatus, code: str, exc: UpstreamError) -> _Response:
    log.warning("classification API: %s upstream error: %s", exc.source, exc)
    return _error(status, code, str(exc), source=exc.source, setting=exc.setting)


# --- OpenAPI 3.1 ----------------------------------------------------------------------------


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
            "schemas": _SCHEMAS,
        },
    }


def _operation(
    op_id: str, summary: str, schema: str, *, params: list[Any] | None = None
) -> dict[str, Any]:
    responses = {
        "200": _json("OK", _ref(schema)),
        "400": _json("Malformed request or upstream data.", _ref("Error")),
        "401": _json("Missing or wrong bearer token.", _ref("Error")),
        "404": _json("Unknown app (with close matches), or no digest.", _ref("Error")),
        "500": _json("Internal error (details in the server log).", _ref("Error")),
        "502": _json("Kubernetes or Argo CD refused our credentials.", _ref("Error")),
        "503": _json("Upstream unreachable, or DRIFT_API_TOKEN unset.", _ref("Error")),
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


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    required = [k for k in props if k not in optional]
    return {"type": "object", "properties": props, "required": required}


def _str_enum(values: Iterable[object]) -> dict[str, Any]:
    return {"type": "string", "enum": [str(v) for v in values]}


_STR: Final = {"type": "string"}
_INT: Final = {"type": "integer", "minimum": 0}
_TIME: Final = {"type": "string", "format": "date-time"}
_OPT_TIME: Final = {"type": ["string", "null"], "format": "date-time"}
_STRS: Final = {"type": "array", "items": _STR}


def _list(name: str) -> dict[str, Any]:
    return {"type": "array", "items": _ref(name)}


_SCHEMAS: Final[dict[str, Any]] = {
    "Totals": _obj({"total": _INT, "out_of_sync": _INT, "progressing": _INT, "stuck": _INT}),
    "Evidence": _obj(
        {"path": _STR, "op": _str_enum(DiffOp), "git": {}, "live": {}},
        optional=("git", "live"),  # absent key: the field does not exist on that side
    ),
    "Fix": _obj({"kind": _str_enum(FixKind), "text": _STR}),
    "Finding": _obj(
        {
            "app": _STR,
            "class": _str_enum(DriftClass),
            "group": _STR,
            "kind": _STR,
            "namespace": _STR,
            "name": _STR,
            "summary": _STR,
            "paths": _STRS,
            "evidence": _list("Evidence"),
            "fix": _ref("Fix"),
            "safe_to_delete": {"type": ["boolean", "null"]},
            "users": _STRS,
            "acked": {"type": "boolean"},
            "fingerprint": _STR,
        }
    ),
    "PodDiagnosis": _obj(
        {
            "namespace": _STR,
            "name": _STR,
            "container": _STR,
            "reason": _STR,
            "restarts": _INT,
            "started_at": _OPT_TIME,
            "message": _STR,
            "log": _STRS,
        }
    ),
    "StuckApp": _obj(
        {"app": _STR, "health": _STR, "since": _OPT_TIME, "pods": _list("PodDiagnosis")}
    ),
    "ScanError": _obj({"app": _STR, "source": _STR, "message": _STR}),
    "ScanReport": _obj(
        {
            "generated_at": _TIME,
            "apps": _ref("Totals"),
            "findings": _list("Finding"),
            "stuck": _list("StuckApp"),
            "errors": _list("ScanError"),
            "health": {"type": "object", "additionalProperties": _STR},
        }
    ),
    "AppReport": _obj(
        {
            "generated_at": _TIME,
            "app": _STR,
            "sync": _STR,
            "health": _STR,
            "health_since": _OPT_TIME,
            "findings": _list("Finding"),
            "stuck": {"oneOf": [_ref("StuckApp"), {"type": "null"}]},
            "errors": _list("ScanError"),
        }
    ),
    "Digest": {"type": "object", "description": "The digest document the bot posts daily."},
    "Error": _obj(
        {
            "error": _STR,
            "message": _STR,
            "app": _STR,
            "matches": _STRS,
            "source": _STR,
            "setting": _STR,
        },
        optional=("app", "matches", "source", "setting"),
    ),
}
