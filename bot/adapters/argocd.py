"""Argo CD REST client: the one production module that imports httpx.

One pooled, thread-safe ``httpx.Client`` serves every scan thread, with timeouts always on.
Retries cover only what an overloaded or restarting argocd-server (or its ingress) answers:
429, 502/503/504 and timeouts, waiting the server's ``Retry-After`` when it sends one. A 4xx
means the request itself is wrong (token, name, role), so repeating it cannot help and would
only delay the error a person has to read.

Retries alone do not bound a scan: with Argo CD down, every one of a thousand apps would wait
out its own timeouts. A circuit breaker shared by all threads (`_Breaker`) stops calling after a
few requests in a row got no answer (timeouts, refused connections, 429/502/503/504 after their
retries) and fails the rest at once for a while, so "Argo CD is down" costs one round of
timeouts, not one per app. Any answer, even a 500 for one app, proves the server is up.

Argo CD answers errors gRPC-style, ``{"error", "code", "message"}``, and hides whether an app
exists: a missing app and one the token may not see are both 403/7. The not-found message says
both, because the bot cannot tell which. Text quoted from an answer into an error message is
redacted first (an error may echo a repo URL with its password), and a malformed JSON body is
described, never quoted: it may carry live objects, Secrets included.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

import httpx

from bot import __version__
from bot.core.model import RawObject
from bot.core.redact import redact
from bot.errors import (
    ConfigError,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
    truncate_body,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

SOURCE: Final = "argocd"
SERVER_SETTING: Final = "ARGOCD_SERVER"
TOKEN_SETTING: Final = "ARGOCD_AUTH_TOKEN"  # noqa: S105 - the variable's name, not a secret

_RETRY_STATUSES: Final = frozenset({429, 502, 503, 504})
_RETRY_AFTER_CAP_S: Final = 10.0
"""Longest ``Retry-After`` we honour: a scan should fail visibly rather than hang for minutes."""
_DEFAULT_MAX_CONNECTIONS: Final = 32
_BREAKER_FAILURES: Final = 5
"""Requests in a row without an answer before the breaker opens: more than one app's worth of
retries, fewer than one round of a 16-thread scan."""
_BREAKER_OPEN_S: Final = 30.0
"""How long an open breaker fails requests at once before letting them try again."""

# gRPC status codes Argo CD puts in error bodies.
_GRPC_NOT_FOUND: Final = 5
_GRPC_PERMISSION_DENIED: Final = 7
_GRPC_UNAUTHENTICATED: Final = 16


class ArgoClient:
    """`bot.ports.ArgoReader` over Argo CD's REST API; safe to share between threads."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        verify: bool = True,
        timeout_s: float = 10.0,
        retries: int = 3,
        backoff_s: float = 0.2,
        max_connections: int = _DEFAULT_MAX_CONNECTIONS,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        breaker_failures: int = _BREAKER_FAILURES,
        breaker_open_s: float = _BREAKER_OPEN_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._retries = retries
        self._backoff_s = backoff_s
        self._sleep = sleep
        self._breaker = _Breaker(breaker_failures, breaker_open_s, clock)
        # Jitter spreads the retries of parallel scan threads; it guards no secret.
        self._jitter = random.Random()  # noqa: S311
        self._client = httpx.Client(
            base_url=self._base_url,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"drift-bot/{__version__}",
                "Accept": "application/json",
            },
            timeout=httpx.Timeout(timeout_s),
            verify=verify,
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ArgoClient:
        """Build the client from ``ARGOCD_SERVER``/``ARGOCD_AUTH_TOKEN``/``ARGOCD_INSECURE``.

        Raises:
            ConfigError: the server URL or the token is not set.
        """
        if not settings.argocd_server:
            msg = "ARGOCD_SERVER is not set: give the Argo CD API URL, e.g. https://argocd.example.com"
            raise ConfigError(msg)
        token = settings.argocd_auth_token.get_secret_value() if settings.argocd_auth_token else ""
        if not token:
            msg = (
                "ARGOCD_AUTH_TOKEN is not set: create a token for a read-only account "
                "(argocd account generate-token)"
            )
            raise ConfigError(msg)
        return cls(
            settings.argocd_server,
            token,
            verify=not settings.argocd_insecure,
            timeout_s=settings.drift_http_timeout.total_seconds(),
            max_connections=max(_DEFAULT_MAX_CONNECTIONS, settings.drift_concurrency),
        )

    def __enter__(self) -> ArgoClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._client.close()

    # --- ArgoReader -------------------------------------------------------------------------

    def managed_resources(self, app: str, app_namespace: str) -> RawObject:
        """The raw ``managed-resources`` body (``{}`` when the app has no items)."""
        what = f"the managed resources of app {app!r}"
        response = self._get(_app_path(app, "managed-resources"), _ns(app_namespace), what, app)
        return _json_object(response, what)

    def resource_tree(self, app: str, app_namespace: str) -> RawObject:
        """The raw ``resource-tree`` body: every live node with its health and parents."""
        what = f"the resource tree of app {app!r}"
        response = self._get(_app_path(app, "resource-tree"), _ns(app_namespace), what, app)
        return _json_object(response, what)

    def pod_logs(
        self,
        app: str,
        app_namespace: str,
        *,
        pod: str,
        container: str,
        namespace: str,
        previous: bool,
        tail_lines: int,
    ) -> str:
        """A container's log through Argo CD (the fallback without cluster credentials).

        Argo CD streams NDJSON ``{"result": {"content": ...}}`` entries; the contents are joined
        with newlines. Its closing ``last`` marker carries no text and is dropped.
        """
        what = f"the log of pod {namespace}/{pod} of app {app!r}"
        params = {
            **_ns(app_namespace),
            "namespace": namespace,
            "container": container,
            "previous": "true" if previous else "false",
            "tailLines": str(tail_lines),
            "follow": "false",
        }
        path = _app_path(app, f"pods/{quote(pod, safe='')}/logs")
        response = self._get(path, params, what, app)
        return _log_text(response, what)

    def check(self) -> None:
        """Raise an `UpstreamError` unless Argo CD answers and accepts our token."""
        what = "the session of our token"
        response = self._get("/api/v1/session/userinfo", {}, what, None)
        if _json_object(response, what).get("loggedIn") is not True:
            msg = "Argo CD does not accept the token as logged in; check ARGOCD_AUTH_TOKEN"
            raise UpstreamAuthError(msg, source=SOURCE, setting=TOKEN_SETTING)

    # --- transport --------------------------------------------------------------------------

    def _get(
        self, path: str, params: Mapping[str, str], what: str, app: str | None
    ) -> httpx.Response:
        """GET with retries on 429/502/503/504/timeouts; any other error status raises.

        Raises at once, without a request, while the breaker is open.
        """
        refusal = self._breaker.refusal()
        if refusal:
            msg = f"Argo CD at {self._base_url} {refusal}; check ARGOCD_SERVER"
            raise UpstreamUnavailableError(msg, source=SOURCE, setting=SERVER_SETTING)
        attempt = 0
        while True:
            attempt += 1
            final = attempt > self._retries
            try:
                response = self._send(path, params)
            except httpx.TimeoutException as exc:
                if final:
                    self._breaker.unanswered(f"timed out {attempt} times")
                    raise self._unreachable(path, f"timed out {attempt} times", exc) from exc
                self._sleep(self._backoff(attempt - 1))
                continue
            except httpx.TransportError as exc:
                self._breaker.unanswered(type(exc).__name__)
                raise self._unreachable(path, type(exc).__name__, exc) from exc
            if response.status_code in _RETRY_STATUSES and not final:
                self._sleep(self._delay(attempt - 1, response))
                continue
            if response.status_code in _RETRY_STATUSES:
                self._breaker.unanswered(f"HTTP {response.status_code} {attempt} times")
            else:
                self._breaker.answered()
            if response.is_error:
                raise _status_error(response, what=what, app=app, attempts=attempt)
            return response

    def _send(self, path: str, params: Mapping[str, str]) -> httpx.Response:
        """One request, logged as one line (never with the token)."""
        started = time.perf_counter()
        status: int | str = "error"
        try:
            response = self._client.get(path, params=params)
            status = response.status_code
            return response
        except httpx.HTTPError as exc:
            status = type(exc).__name__
            raise
        finally:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.info("argocd GET %s -> %s in %.0f ms", path, status, elapsed_ms)

    def _delay(self, attempt: int, response: httpx.Response) -> float:
        """The server's ``Retry-After`` seconds (capped) when it gave one, else backoff.

        HTTP defines ``Retry-After`` for 429 and 503; the server knows its own recovery time
        better than our backoff curve does.
        """
        after = _retry_after_s(response.headers.get("Retry-After"))
        if after is not None and response.status_code in (429, 503):
            return min(after, _RETRY_AFTER_CAP_S)
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        """``backoff_s * 2**attempt`` with "equal jitter": between half and all of it."""
        ceiling = self._backoff_s * 2.0**attempt
        return ceiling / 2 + self._jitter.uniform(0, ceiling / 2)

    def _unreachable(self, path: str, why: str, exc: Exception) -> UpstreamUnavailableError:
        msg = (
            f"cannot reach Argo CD at {self._base_url}{path} "
            f"({why}: {_excerpt(str(exc))}); check ARGOCD_SERVER"
        )
        return UpstreamUnavailableError(msg, source=SOURCE, setting=SERVER_SETTING)


class _Breaker:
    """Counts requests in a row that got no answer; past a threshold, refuses for a while.

    Shared by every scan thread, hence the lock. After the open period requests go through
    again: one answer closes the breaker, one more failure reopens it at once. A threshold
    of 0 disables it.
    """

    def __init__(self, threshold: int, open_s: float, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._last = ""
        self._open_until = 0.0

    def refusal(self) -> str | None:
        """Why a request must not be sent now, or ``None`` when it may be."""
        with self._lock:
            left = self._open_until - self._clock()
            if left <= 0:
                return None
            return (
                f"did not answer {self._failures} requests in a row (last: {self._last}); "
                f"not calling it again for {left:.0f} s"
            )

    def answered(self) -> None:
        with self._lock:
            self._failures = 0

    def unanswered(self, why: str) -> None:
        with self._lock:
            self._failures += 1
            self._last = why
            if not self._threshold or self._failures < self._threshold:
                return
            now = self._clock()
            opening = self._open_until <= now
            self._open_until = now + self._open_s
            if opening:  # once per opening, not once per thread that piles on
                logger.warning(
                    "Argo CD did not answer %d requests in a row (last: %s); "
                    "failing requests at once for %.0f s",
                    self._failures,
                    why,
                    self._open_s,
                )


def _status_error(
    response: httpx.Response, *, what: str, app: str | None, attempts: int
) -> UpstreamError:
    """Map an error answer (HTTP status + gRPC code of the body) to the error tree."""
    body = _error_body(response.text)
    return classify_error(
        response.status_code,
        body.get("code"),
        detail=_excerpt(str(body.get("message") or body.get("error") or response.text)),
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
    if status == 404 or code == _GRPC_NOT_FOUND:
        msg = f"Argo CD has no {what} ({detail})"
        return UpstreamNotFoundError(msg, source=SOURCE, setting=SERVER_SETTING)
    if status in _RETRY_STATUSES or status >= 500:
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


def _retry_after_s(value: str | None) -> float | None:
    """``Retry-After`` in seconds; ``None`` for the HTTP-date form or garbage (use backoff)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())


def _json_object(response: httpx.Response, what: str) -> RawObject:
    endpoint = response.request.url.path
    try:
        value = response.json()
    except ValueError as exc:
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
    return _excerpt(text)


def _excerpt(text: str) -> str:
    """Upstream text for an error message: redacted first, so no cut can split a secret."""
    return truncate_body(redact(text))


def _log_text(response: httpx.Response, what: str) -> str:
    """Join the ``content`` of an NDJSON log stream; a stream ``error`` entry raises."""
    lines: list[str] = []
    for raw in response.text.splitlines():
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError as exc:
            msg = f"Argo CD streamed {what} with a line that is not JSON: {_excerpt(raw)}"
            raise InputError(msg) from exc
        if not isinstance(entry, dict):
            msg = f"Argo CD streamed {what} with a line that is not an object: {_excerpt(raw)}"
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
        detail=_excerpt(str(error.get("message", ""))),
        what=what,
        app=None,
        url=url,
    )


def _app_path(app: str, tail: str) -> str:
    return f"/api/v1/applications/{quote(app, safe='')}/{tail}"


def _ns(app_namespace: str) -> dict[str, str]:
    return {"appNamespace": app_namespace} if app_namespace else {}
