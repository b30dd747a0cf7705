"""HTTP responses in the exact shapes Kubernetes and Argo CD send, serialized like Go does.

Both servers are Go: compact JSON, ``<``, ``>`` and ``&`` escaped as ``\\u003c`` etc., UTF-8
unescaped, map keys sorted for unstructured objects (custom resources, Argo CD's JSON-string
states). Errors are Kubernetes ``Status`` objects on one side and gRPC-gateway bodies
(``{"error", "code", "message"}``; stream errors ``{"error": {"grpc_code", ...}}``) on the other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Final


@dataclass(frozen=True, slots=True)
class Response:
    """What one handler answers; the server adds Content-Length and Date."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """JSON the way Go's encoding/json writes it."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    return go_escape(text).encode("utf-8")


def dumps_str(value: Any, *, sort_keys: bool = False) -> str:
    """`dumps` as text (for Argo CD's JSON-inside-JSON states)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
    return go_escape(text)


def go_escape(text: str) -> str:
    """Go's HTML-safe escaping; safe on serialized JSON because these only occur in strings."""
    if "<" in text or ">" in text or "&" in text or "\u2028" in text or "\u2029" in text:
        for char, escaped in _GO_ESCAPES:
            text = text.replace(char, escaped)
    return text


_GO_ESCAPES: Final = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def ok(value: Any, *, sort_keys: bool = False) -> Response:
    return Response(200, dumps(value, sort_keys=sort_keys))


# --- Kubernetes ---------------------------------------------------------------------------------

_KUBE_REASONS: Final = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "AlreadyExists",
    410: "Expired",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def kube_status(
    code: int, message: str, *, reason: str | None = None, details: dict[str, Any] | None = None
) -> Response:
    """A ``kind: Status`` failure, as the API server sends for every error."""
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason or _KUBE_REASONS.get(code, "Unknown"),
    }
    if details is not None:
        body["details"] = details
    body["code"] = code
    return Response(code, dumps(body))


def kube_default_message(code: int) -> str:
    """The API server's generic text for a status code (used by injected faults)."""
    return {
        401: "Unauthorized",
        429: "Too many requests, please try again later.",
        500: "Internal error occurred: simulated failure",
        503: "the server is currently unable to handle the request",
        504: "the server was unable to return a response in the time allotted",
    }.get(code, HTTPStatus(code).phrase if code in _HTTP_CODES else "simulated failure")


_HTTP_CODES: Final = frozenset(s.value for s in HTTPStatus)


# --- Argo CD ------------------------------------------------------------------------------------

GRPC_CODES: Final = {
    400: 3,
    401: 16,
    403: 7,
    404: 5,
    405: 12,
    409: 6,
    429: 8,
    499: 1,
    500: 13,
    501: 12,
    503: 14,
    504: 4,
}


def argo_error(status: int, message: str, *, grpc_code: int | None = None) -> Response:
    """gRPC-gateway's error body for unary calls."""
    code = GRPC_CODES.get(status, 2) if grpc_code is None else grpc_code
    return Response(status, dumps({"error": message, "code": code, "message": message}))


def argo_stream_error(status: int, message: str, *, grpc_code: int | None = None) -> Response:
    """gRPC-gateway's error chunk for streaming calls such as ``/logs``."""
    code = GRPC_CODES.get(status, 2) if grpc_code is None else grpc_code
    phrase = HTTPStatus(status).phrase if status in _HTTP_CODES else ""
    chunk = {
        "error": {"grpc_code": code, "http_code": status, "message": message, "http_status": phrase}
    }
    return Response(status, dumps(chunk) + b"\n")


def argo_default_message(status: int) -> str:
    return {
        429: "rate limit exceeded",
        500: "simulated internal error",
        502: "simulated bad gateway",
        503: 'connection error: desc = "transport: Error while dialing: connection refused"',
        504: "context deadline exceeded",
    }.get(status, HTTPStatus(status).phrase if status in _HTTP_CODES else "simulated failure")
