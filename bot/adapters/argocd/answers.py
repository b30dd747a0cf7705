"""How Argo CD's answers and failures are read: gRPC-gateway error bodies mapped onto
`bot.errors` types (naming ARGOCD_SERVER or ARGOCD_AUTH_TOKEN), JSON bodies described, never
quoted, and quoted text redacted.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

import httpx
import msgspec

from bot.core.model import RawObject
from bot.core.redact import redact
from bot.errors import (
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
    truncate_body,
)

logger = logging.getLogger(__package__)

SOURCE: Final = "argocd"
SERVER_SETTING: Final = "ARGOCD_SERVER"
TOKEN_SETTING: Final = "ARGOCD_AUTH_TOKEN"  # noqa: S105 - the variable's name, not a secret

RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
RETRY_AFTER_CAP_S: Final = 10.0
"""Longest ``Retry-After`` we honour: a scan should fail visibly rather than hang for minutes."""
_decode = msgspec.json.Decoder().decode
# gRPC status codes Argo CD puts in error bodies.
_GRPC_NOT_FOUND: Final = 5
_GRPC_PERMISSION_DENIED: Final = 7
_GRPC_UNAUTHENTICATED: Final = 16


def status_error(
    response: httpx.Response, *, what: str, app: str | None, attempts: int
) -> UpstreamError:
    """Map an error answer (HTTP status + gRPC code of the body) to the error tree."""
    body = _error_body(response.text)
    return classify_error(
        response.status_code,
        body.get("code"),
        detail=excerpt(str(body.get("message") or body.get("error") or response.text)),
        what=what,
        app=app,
        url=str(response.request.url),
        attempts=attempts,
    )


def classify_error(
    status: int,
    code: Any,
    *,
    detail: str,
    what: str,
    app: str | None,
    url: str,
    attempts: int = 1,
) -> UpstreamError:
    """The `bot.errors` type for an Argo CD error answer (also used for log-stream errors)."""
    if status == 401 or code == _GRPC_UNAUTHENTICATED:
        msg = f"Argo CD rejected the token; check ARGOCD_AUTH_TOKEN ({detail})"
        return UpstreamAuthError(msg, source=SOURCE, setting=TOKEN_SETTING)
    if status == 403 or code == _GRPC_PERMISSION_DENIED:
        if app is None:
            msg = f"Argo CD denied {what}; check the token's role (ARGOCD_AUTH_TOKEN) ({detail})"
            return UpstreamAuthError(msg, source=SOURCE, setting=TOKEN_SETTING)
        msg = (
            f"Argo CD denied {what}: no such app, or the token may not get it; "
            f"check the app name and the token's project role ({detail})"
        )
        return UpstreamNotFoundError(msg, source=SOURCE, setting=TOKEN_SETTING)
    if code == _GRPC_NOT_FOUND:  # Argo CD's own "not found" says what is missing
        msg = f"Argo CD could not find {what}: {detail}"
        return UpstreamNotFoundError(msg, source=SOURCE, setting=SERVER_SETTING)
    if status == 404:
        # No gRPC body: a web server, an ingress or another API answered, not Argo CD's.
        said = f"; it said: {detail}" if detail else ""
        msg = (
            f"Argo CD answered 404 Not Found for {what} (GET {url}{said}); "
            "is ARGOCD_SERVER the Argo CD API server's URL?"
        )
        return UpstreamNotFoundError(msg, source=SOURCE, setting=SERVER_SETTING)
    if status in RETRY_STATUSES or status >= 500:
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        msg = f"Argo CD failed{tries}: GET {url} answered HTTP {status} ({detail})"
        msg += "; check ARGOCD_SERVER"
        return UpstreamUnavailableError(msg, source=SOURCE, setting=SERVER_SETTING)
    msg = f"Argo CD refused {what}: HTTP {status} ({detail})"
    return UpstreamError(msg, source=SOURCE, setting=SERVER_SETTING)


def _error_body(text: str) -> dict[str, Any]:
    """The gRPC-style error object, or ``{}`` when the body is not one (e.g. an ingress page)."""
    try:
        body = json.loads(text)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def retry_after_s(value: str | None) -> float | None:
    """``Retry-After`` in seconds; ``None`` for the HTTP-date form or garbage (use backoff)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def json_object(response: httpx.Response, what: str) -> RawObject:
    endpoint = response.request.url.path
    try:
        value = _decode(response.content)  # msgspec: ~2.5× json.loads on these bodies
    except ValueError as exc:  # msgspec.DecodeError is a ValueError
        msg = f"Argo CD answered {what} ({endpoint}) with a body that is not JSON: "
        raise InputError(msg + _describe_body(response.text, exc)) from exc
    if not isinstance(value, dict):
        kind = type(value).__name__
        msg = f"Argo CD answered {what} ({endpoint}) with JSON that is not an object (a {kind})"
        raise InputError(msg)
    return value


def _describe_body(text: str, exc: ValueError) -> str:
    """What a malformed body looks like, without quoting data it may hold.

    Broken JSON (cut short, mangled by a proxy) still carries live objects, so only the
    parser's complaint is given; anything else (an HTML error page) is quoted, redacted.
    """
    if text.lstrip()[:1] in ("{", "["):
        return f"broken JSON of {len(text)} characters ({exc})"
    return excerpt(text)


def excerpt(text: str) -> str:
    """Upstream text for an error message: redacted first, so no cut can split a secret."""
    return truncate_body(redact(text))


def log_text(response: httpx.Response, what: str) -> str:
    """Join the ``content`` of an NDJSON log stream; a stream ``error`` entry raises."""
    lines: list[str] = []
    for raw in response.text.splitlines():
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError as exc:
            msg = f"Argo CD streamed {what} with a line that is not JSON: {excerpt(raw)}"
            raise InputError(msg) from exc
        if not isinstance(entry, dict):
            msg = f"Argo CD streamed {what} with a line that is not an object: {excerpt(raw)}"
            raise InputError(msg)
        if entry.get("error"):
            raise _stream_error(entry["error"], what, str(response.request.url))
        result = entry.get("result") or {}
        if result.get("last") and not result.get("content"):
            continue
        lines.append(str(result.get("content", "")))
    return "\n".join(lines)


def _stream_error(error: Any, what: str, url: str) -> UpstreamError:
    error = error if isinstance(error, dict) else {"message": str(error)}
    return classify_error(
        int(error.get("http_code") or 500),
        error.get("grpc_code"),
        detail=excerpt(str(error.get("message", ""))),
        what=what,
        app=None,
        url=url,
    )
