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

from bot.delivery.openapi import API_PREFIX, AUTH_SETTING, openapi_document
from bot.errors import (
    InputError,
    StoreError,
    UnknownAppError,
    UpstreamAuthError,
    UpstreamError,
)
from bot.ports import Classifier

log = logging.getLogger(__name__)

JSON_TYPE: Final = "application/json; charset=utf-8"

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
