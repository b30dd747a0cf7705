"""The serving process's one HTTP surface: Slack events, probes, metrics and the API.

Bolt's built-in ``app.start()`` server is documented as not for production, so Slack's
``POST /slack/events`` goes through Bolt's WSGI adapter instead, under waitress (threaded, pure
Python, no C build). The same WSGI app answers the Kubernetes probes and Prometheus, so one
port and one Service cover everything:

* ``GET /healthz`` — 200 whenever the process can serve a request (liveness).
* ``GET /readyz`` — 200 only when the upstreams are reachable, else 503 with JSON naming what
  is down (readiness: a replica that cannot read Argo CD should not receive commands). Redis
  down is 200 with ``"status": "degraded"`` naming it (see `DEGRADED_ONLY`).
* ``GET /metrics`` — prometheus_client's text format.
* ``/api/v1/...`` — the classification API, when one is given (mounted: it sees paths
  relative to ``/api/v1`` in ``PATH_INFO`` and ``/api/v1`` in ``SCRIPT_NAME``).

Everything else is a JSON 404.
"""

from __future__ import annotations

import errno
import json
import logging
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from functools import partial
from typing import Any, Final, TypeAlias
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry, make_wsgi_app
from waitress import wasyncore
from waitress.server import create_server

from bot.delivery.slack.app import BoltApp, wsgi_handler
from bot.delivery.slack.gate import MAX_BODY_BYTES
from bot.delivery.slack.replay import Deliveries
from bot.errors import ConfigError

log = logging.getLogger(__name__)

WSGIApp: TypeAlias = WSGIApplication
ReadyCheck: TypeAlias = Callable[[], bool | Mapping[str, bool]]
"""``True``/``False``, or one boolean per dependency (``{"kubernetes": True, "argocd": False}``)
so that a 503 can name what is down."""

DEGRADED_ONLY: Final = frozenset({"redis"})
"""Checks whose failure is reported by /readyz (``"status": "degraded"``, naming them) but keeps
it 200. Redis down breaks acks, not the bot: every replica shares the one Redis, so a 503 would
take them all out of the Service at once and silence ``/drift app`` and ``/drift logs`` too."""

SLACK_PATH: Final = "/slack/events"
API_PREFIX: Final = "/api/v1"
THREADS: Final = 8
"""waitress worker threads. Slack handlers only acknowledge (the work runs on the Slack app's
own pool), probes and metrics are instant; eight absorbs a burst of API calls."""

CONNECTION_LIMIT: Final = 1000
"""Open connections waitress accepts (its default is 100). Idle half-open sockets each hold one
until `CHANNEL_TIMEOUT_S`; at waitress' 100, 110 of them (a slowloris) left the kubelet's
``/healthz`` in the listen backlog until it restarted the pod. Sockets are polled
(``asyncore_use_poll``), so the limit is not bound by select()'s 1024 descriptors."""
CHANNEL_TIMEOUT_S: Final = 30
"""A connection with no request in flight and no bytes for this long is closed (waitress
default 120 s). It is also the only header timeout waitress has: a client trickling a byte
every few seconds keeps its socket, so the limit above, not this, is what keeps probes in."""
CLEANUP_INTERVAL_S: Final = 5
"""How often waitress looks for such connections (default 30 s)."""
MAX_HEADER_BYTES: Final = 32 * 1024
"""Request line and headers; a bearer token or Slack's signature headers are far below it."""

ALL_INTERFACES: Final = "0.0.0.0"  # noqa: S104 - kubelet probes and the Service reach the pod IP
_JSON: Final = [("Content-Type", "application/json")]


def build_wsgi_app(
    slack_app: BoltApp | None,
    *,
    ready: ReadyCheck,
    metrics_registry: CollectorRegistry,
    api: WSGIApp | None = None,
    deliveries: Deliveries | None = None,
) -> WSGIApp:
    """Route one WSGI app over Slack, probes, metrics and the optional classification API.

    Args:
        slack_app: the Bolt app; ``None`` leaves ``/slack/events`` unrouted (Socket Mode).
        ready: readiness check, called on every ``GET /readyz``; exceptions count as "down".
        metrics_registry: the registry ``/metrics`` exposes.
        api: the classification API, mounted at ``/api/v1``.
        deliveries: which Slack requests were already handled (replays and retries are
            answered without work); default: this process's memory only.
    """
    slack: WSGIApp | None = None
    if slack_app is not None:
        slack = wsgi_handler(
            slack_app,
            SLACK_PATH,
            deliveries=deliveries or Deliveries(),
            registry=metrics_registry,
        )
    metrics = make_wsgi_app(registry=metrics_registry)

    def route(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        if path == SLACK_PATH and slack is not None:
            if method != "POST":
                return _json(start_response, 405, {"error": "use POST"}, allow="POST")
            return slack(environ, start_response)
        if api is not None and (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return api(_mounted(environ, path), start_response)
        if path in ("/healthz", "/readyz", "/metrics") and method not in ("GET", "HEAD"):
            return _json(start_response, 405, {"error": "use GET"}, allow="GET, HEAD")
        if path == "/healthz":
            return _json(start_response, 200, {"status": "ok"})
        if path == "/readyz":
            return _readiness(start_response, ready)
        if path == "/metrics":
            exposition: Iterable[bytes] = metrics(environ, start_response)
            return exposition
        return _json(start_response, 404, {"error": "not found", "path": path[:200]})

    return route


class HttpServer:
    """A threaded waitress server around a WSGI app; `serve_forever` blocks, `close` stops it."""

    def __init__(
        self,
        wsgi_app: WSGIApp,
        *,
        port: int,
        host: str = ALL_INTERFACES,
        threads: int = THREADS,
    ) -> None:
        # One host and port always yields a single-socket server; the stubs only know the
        # union, and close() needs its asyncore map, so it is held untyped.
        _check_port(host, port)
        try:
            self._server: Any = create_server(
                wsgi_app,
                host=host,
                port=port,
                threads=threads,
                ident="drift-bot",
                connection_limit=CONNECTION_LIMIT,
                channel_timeout=CHANNEL_TIMEOUT_S,
                cleanup_interval=CLEANUP_INTERVAL_S,
                asyncore_use_poll=True,
                # Nothing served takes a body bigger than a Slack payload: waitress answers
                # 413 on the Content-Length header alone, before reading any of it.
                max_request_body_size=MAX_BODY_BYTES,
                max_request_header_size=MAX_HEADER_BYTES,
            )
        except OSError as exc:  # taken between the check and now
            raise _port_error(port, exc) from exc
        # serve_forever and close may race (a test or SIGTERM stopping a server whose thread
        # is only starting): the lock decides which of them owns the sockets' closing.
        self._state = threading.Lock()
        self._running = False
        self._closed = False
        self.app = wsgi_app
        """What this server serves (benchmarks call it directly, without the network)."""

    @property
    def port(self) -> int:
        """The port actually bound (useful with ``port=0``)."""
        return int(self._server.effective_port)

    def serve_forever(self) -> None:
        """Run the loop until `close`; returns at once if `close` came first."""
        with self._state:
            if self._closed:
                return
            self._running = True
        log.info("serving HTTP on port %d", self.port)
        try:
            self._server.run()
        finally:
            with self._state:
                self._running = False  # a loop that died of an error: close() closes here

    def close(self) -> None:
        """Stop accepting, finish the worker threads, and let `serve_forever` return; idempotent.

        While the loop runs, only its own thread may close the sockets: a socket closed under
        a running poll can have its number reused by another file before the loop forgets it.
        """
        with self._state:
            if self._closed:
                return
            self._closed = True
            running = self._running
        self._server.task_dispatcher.shutdown()
        close_all = partial(wasyncore.close_all, self._server._map)
        if not running:
            close_all()
            return
        trigger = self._server.trigger
        try:
            # The loop runs queued thunks under the trigger's lock. waitress's pull_trigger
            # queues the thunk, releases the lock, then writes the wake-up byte: a loop already
            # awake (a worker had just pulled) could run our close_all in between, closing the
            # pipe before our write (EBADF, or a byte into whatever file reused the number).
            # Queuing and writing under the lock closes that window.
            with trigger.lock:
                trigger.thunks.append(close_all)
                trigger._physical_pull()
        except OSError as exc:
            # The wake-up pipe itself was closed under us: nothing else will stop the loop.
            log.warning("HTTP server's wake-up pipe is gone (%s); closing from this thread", exc)
            close_all()


def _check_port(host: str, port: int) -> None:
    """`ConfigError` naming --port and DRIFT_PORT when ``port`` cannot be bound.

    Tried with a socket of our own first: waitress leaks its half-built server (a socket and
    a trigger pipe) when its bind fails, and the message should not depend on its internals.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as waitress binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _port_error(port, exc) from exc


def _port_error(port: int, exc: OSError) -> ConfigError:
    why = {
        errno.EADDRINUSE: "is already in use (another drift-bot serve?)",
        errno.EACCES: "needs privileges (ports below 1024 do)",
    }.get(exc.errno or 0, f"cannot be opened ({exc.strerror or exc})")
    return ConfigError(f"port {port} {why}: choose a free one with --port or DRIFT_PORT")


def _readiness(start_response: StartResponse, ready: ReadyCheck) -> Iterable[bytes]:
    try:
        result = ready()
    except Exception as exc:  # a probe must answer, whatever the check raised
        log.warning("readiness check failed: %s", exc, exc_info=True)
        body = {"status": "not ready", "down": ["readiness check"], "error": type(exc).__name__}
        return _json(start_response, 503, body)
    checks = dict(result) if isinstance(result, Mapping) else {"upstreams": bool(result)}
    down = sorted(name for name, ok in checks.items() if not ok and name not in DEGRADED_ONLY)
    if down:
        return _json(start_response, 503, {"status": "not ready", "down": down, "checks": checks})
    degraded = sorted(name for name, ok in checks.items() if not ok)
    if degraded:
        return _json(
            start_response, 200, {"status": "degraded", "degraded": degraded, "checks": checks}
        )
    return _json(start_response, 200, {"status": "ready", "checks": checks})


def _mounted(environ: WSGIEnvironment, path: str) -> WSGIEnvironment:
    mounted = dict(environ)
    mounted["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + API_PREFIX
    mounted["PATH_INFO"] = path[len(API_PREFIX) :]
    return mounted


def _json(
    start_response: StartResponse, status: int, body: object, *, allow: str = ""
) -> list[bytes]:
    payload = json.dumps(body).encode()
    headers = [*_JSON, ("Content-Length", str(len(payload)))]
    if allow:
        headers.append(("Allow", allow))
    start_response(f"{status} {_REASONS[status]}", headers)
    return [payload]


_REASONS: Final = {
    200: "OK",
    404: "Not Found",
    405: "Method Not Allowed",
    503: "Service Unavailable",
}
