"""How the API server's answers and failures are read: JSON bodies described (never quoted),
every client error translated into a `bot.errors` type with redacted text.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Final

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from bot.adapters.kube import decoding
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

SOURCE: Final = "kubernetes"
SETTING: Final = "KUBECONFIG"
CREDENTIALS_HINT: Final = "check KUBECONFIG or the pod's service account"

# Client-side connection failures; urllib3 wraps most of them in MaxRetryError once its own
# (connect-only) retries are spent.
CONNECTION_ERRORS: Final = (
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.ProtocolError,
)


class ExpiredListError(UpstreamUnavailableError):
    """HTTP 410: the continue token of a paged list expired (the list restarts once)."""


def api_error(exc: ApiException, *, action: str, host: str) -> UpstreamError:
    """Map an API answer to the error tree (kopf ``check_response`` style)."""
    status = int(exc.status or 0)
    detail = _status_message(exc.body, fallback=str(exc.reason or ""))
    kwargs: dict[str, Any] = {"source": SOURCE, "setting": SETTING}
    if status == 0:  # the client's own TLS failure, no HTTP answer at all
        return UpstreamUnavailableError(
            f"cannot reach the Kubernetes API at {host} to {action}: {detail}", **kwargs
        )
    if status == 401:
        return UpstreamAuthError(
            f"Kubernetes rejected the credentials; {CREDENTIALS_HINT} ({detail})", **kwargs
        )
    if status == 403:
        return UpstreamAuthError(
            f"Kubernetes forbids the bot to {action}: {detail}. "
            "Its ClusterRole needs get/list on that resource.",
            **kwargs,
        )
    if status == 404:
        return UpstreamNotFoundError(f"Kubernetes found nothing to {action}: {detail}", **kwargs)
    if status == 410:
        return ExpiredListError(
            f"Kubernetes kept expiring the paging token to {action} (HTTP 410); "
            "the API server is under heavy churn, try again later",
            **kwargs,
        )
    if status == 429 or status >= 500:
        return UpstreamUnavailableError(
            f"the Kubernetes API at {host} failed to {action}: HTTP {status} {detail}", **kwargs
        )
    return UpstreamError(f"Kubernetes refused to {action}: HTTP {status} {detail}", **kwargs)


def _status_message(body: str | None, *, fallback: str) -> str:
    """The ``message`` of a ``Status`` body, else the (truncated) body itself."""
    if not body:
        return fallback
    try:
        parsed = json.loads(body)
    except ValueError:
        return excerpt(body)
    if isinstance(parsed, dict) and parsed.get("message"):
        return excerpt(str(parsed["message"]))
    return excerpt(body)


def json_value(body: bytes | str, what: str, view: decoding.View | None = None) -> Any:
    try:
        return decoding.loads(body, view)
    except ValueError as exc:
        msg = f"Kubernetes answered {what} with a body that is not JSON: {_described(body, exc)}"
        raise InputError(msg) from exc


def json_object(body: bytes | str, what: str) -> RawObject:
    value = json_value(body, what)
    if not isinstance(value, dict):
        kind = type(value).__name__
        msg = f"Kubernetes answered {what} with JSON that is not an object (a {kind})"
        raise InputError(msg)
    return value


def _described(body: bytes | str, exc: ValueError) -> str:
    """What a malformed body looks like, without quoting data it may hold.

    Broken JSON (cut short, mangled by a proxy) still carries live objects, so only its size
    and the parser's complaint are given; anything else (an HTML error page) is quoted, redacted.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if text.lstrip()[:1] in ("{", "["):
        return f"broken JSON of {len(text)} characters ({exc})"
    return excerpt(text)


def excerpt(text: str) -> str:
    """Upstream text for an error message: redacted first, so no cut can split a secret."""
    return truncate_body(redact(text))
