"""The door of ``POST /slack/events``: size, signature and replay checks before Bolt sees a byte.

The endpoint is public, so everything that reaches it is hostile until proven otherwise.
Bolt checks signatures too, but only after reading the whole body, and it logs the body of
every request that fails the check; the log formatter then redacts it. A 10 MB unsigned post
cost 4–6 s of GIL and logging lock and 270 MB of memory, and newlines in it forged log
records. So this gate runs first, in this order, and stops at the first failure:

1. **Size.** waitress refuses a ``Content-Length`` over ``max_request_body_size`` (set to
   `MAX_BODY_BYTES` by `bot.delivery.http`) with a 413 before reading the body; the gate reads
   at most `MAX_BODY_BYTES` + 1 bytes in any case (chunked bodies, or a server configured
   otherwise). Slack's payloads are a few KiB.
2. **Headers.** ``X-Slack-Request-Timestamp`` must be 1–12 ASCII digits within 5 minutes of
   now, ``X-Slack-Signature`` ``v0=`` and 64 hex digits. Anything else (``abc``, 400 digits,
   non-ASCII) is a 401, never an exception.
3. **Signature.** HMAC-SHA256 of ``v0:{timestamp}:{body}`` under ``SLACK_SIGNING_SECRET``,
   compared in constant time (Slack's documented scheme; stdlib only, as the gate must not
   import slack_sdk).
4. **Replay.** A verified request whose signature, ``trigger_id`` or ``event_id`` was seen in
   the last `REPLAY_WINDOW` (`bot.delivery.slack.replay`) is answered 200 with nothing done:
   a replayed ``/drift ack`` makes no second ack, and a Slack retry (``X-Slack-Retry-Num``) of
   an event already taken is acknowledged so Slack stops retrying.

A refusal is one log line of fixed shape (reason, byte count, peer address): never the body
or a header value. Lines are throttled (`LOG_BURST` per `LOG_WINDOW_S`), the count of every
refusal goes to ``drift_slack_requests_refused_total{reason}``.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Final
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, Counter

from bot.delivery.slack.replay import Deliveries

log = logging.getLogger(__name__)

MAX_BODY_BYTES: Final = 64 * 1024
"""Slash commands and interactivity payloads are a few KiB; 64 KiB leaves room for big views."""
MAX_SKEW_S: Final = 300
"""Slack's own rule: a timestamp more than 5 minutes from now is refused (replay window)."""
LOG_BURST: Final = 10
LOG_WINDOW_S: Final = 10.0
"""At most ``LOG_BURST`` refusal lines per window; the next line says how many were skipped."""

_TIMESTAMP: Final = re.compile(r"[0-9]{1,12}")
_SIGNATURE: Final = re.compile(r"v0=[0-9a-f]{64}")


class SlackGate:
    """WSGI middleware in front of Bolt's handler; see the module docstring."""

    def __init__(
        self,
        inner: WSGIApplication,
        *,
        signing_secret: str,
        deliveries: Deliveries,
        registry: CollectorRegistry,
        clock: Callable[[], float] = time.time,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self._inner = inner
        self._secret = signing_secret.encode()
        self._deliveries = deliveries
        self._clock = clock
        self._max_body = max_body
        self._refused = Counter(
            "drift_slack_requests_refused",
            "Requests to /slack/events refused before Bolt saw them, by reason.",
            ["reason"],
            registry=registry,
        )
        self._duplicates = Counter(
            "drift_slack_requests_duplicate",
            "Verified requests to /slack/events already handled (replays, Slack retries).",
            registry=registry,
        )
        self._throttle = _Throttle(LOG_BURST, LOG_WINDOW_S)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        declared = _content_length(environ)
        if declared is not None and declared > self._max_body:
            return self._refuse(environ, start_response, 413, "too large", declared)
        body = environ["wsgi.input"].read(self._max_body + 1)
        if len(body) > self._max_body:
            return self._refuse(environ, start_response, 413, "too large", len(body))
        problem = self._problem(environ, body)
        if problem is not None:
            return self._refuse(environ, start_response, 401, problem, len(body))
        if not self._deliveries.first(delivery_keys(environ, body)):
            self._duplicates.inc()
            log.info("ignored a repeated Slack request (replay or retry of one already handled)")
            start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "0")])
            return [b""]
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self._inner(environ, start_response)

    def _problem(self, environ: WSGIEnvironment, body: bytes) -> str | None:
        """Why the request is not Slack's, or None when the signature holds."""
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")
        signature = environ.get("HTTP_X_SLACK_SIGNATURE", "")
        if not timestamp or not signature:
            return "unsigned"
        if not _TIMESTAMP.fullmatch(timestamp):
            return "malformed timestamp"
        if abs(self._clock() - int(timestamp)) > MAX_SKEW_S:
            return "stale timestamp"
        if not _SIGNATURE.fullmatch(signature):
            return "malformed signature"
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = "v0=" + hmac.new(self._secret, base, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return "bad signature"
        return None

    def _refuse(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        status: int,
        reason: str,
        size: int,
    ) -> list[bytes]:
        self._refused.labels(reason).inc()
        skipped = self._throttle.allow()
        if skipped is not None:
            peer = str(environ.get("REMOTE_ADDR", "?"))[:64]
            more = f" ({skipped} more refused since the last line)" if skipped else ""
            log.warning("refused a request to /slack/events: %s, %d bytes, from %s%s",
                        reason, size, peer, more)  # fmt: skip
        payload = b"request too large" if status == 413 else b"invalid request signature"
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(payload)))]
        if status == 413:
            headers.append(("Connection", "close"))
        start_response(f"{status} {_REASONS[status]}", headers)
        return [payload]


def delivery_keys(environ: WSGIEnvironment, body: bytes) -> list[str]:
    """What identifies this delivery: its signature, and its ``trigger_id``/``event_id``.

    Each is a separate key, so a replay is caught by any of them: the same signed bytes, a
    re-signed copy of the same command (same ``trigger_id``), or Slack retrying an event
    (new signature, same ``event_id``).
    """
    keys = [f"sig:{environ.get('HTTP_X_SLACK_SIGNATURE', '')}"]
    fields = _fields(environ, body)
    for name in ("trigger_id", "event_id"):
        value = fields.get(name)
        if isinstance(value, str) and value:
            keys.append(f"{name}:{value}")
    return keys


def _fields(environ: WSGIEnvironment, body: bytes) -> dict[str, object]:
    """Top-level fields of a form (commands; interactivity's ``payload`` JSON) or a JSON body."""
    text = body.decode("utf-8", "replace")
    found: dict[str, object] = {}
    if str(environ.get("CONTENT_TYPE", "")).startswith("application/json"):
        return _json_object(text)
    form = parse_qs(text, max_num_fields=200)
    for name, values in form.items():
        found[name] = values[0]
    payload = found.get("payload")
    if isinstance(payload, str):
        found.update(_json_object(payload))
    return found


def _json_object(text: str) -> dict[str, object]:
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _content_length(environ: WSGIEnvironment) -> int | None:
    value = str(environ.get("CONTENT_LENGTH") or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


class _Throttle:
    """At most ``burst`` events per ``window_s``; `allow` says how many were held back before."""

    def __init__(self, burst: int, window_s: float) -> None:
        self._burst = burst
        self._window = window_s
        self._lock = threading.Lock()
        self._start = -window_s
        self._used = 0
        self._skipped = 0

    def allow(self) -> int | None:
        """``None``: stay quiet; else the number of events skipped since the last allowed one."""
        with self._lock:
            now = time.monotonic()
            if now - self._start >= self._window:
                self._start, self._used = now, 0
            if self._used >= self._burst:
                self._skipped += 1
                return None
            self._used += 1
            skipped, self._skipped = self._skipped, 0
            return skipped


_REASONS: Final = {401: "Unauthorized", 413: "Payload Too Large"}
