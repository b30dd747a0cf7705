"""``drift-bot serve``: the long-running process (Slack app, scheduler, classification API).

Roles (``--role``):

* ``all`` (default) — everything in one process: reads the cluster, answers Slack, posts.
* ``classifier`` — only the classification API (``/api/v1/...``); the one with cluster access.
* ``slack`` — only the Slack app and scheduler, asking a remote classifier
  (``DRIFT_CLASSIFIER_URL``); needs no Kubernetes or Argo CD credentials at all.

Every role serves ``/healthz`` (the process answers), ``/readyz`` (its upstreams answer) and
``/metrics`` on ``DRIFT_PORT``.

The parts of each role are built by `bot.wiring.build_server`; this module holds what the
process does with them. Configuration is checked in full before anything connects, so a
missing setting fails ``serve`` with a `ConfigError` naming it (exit 2) instead of a
half-started process. Every connection pool opened for it is closed by ``stop_background``,
which may be called more than once (SIGTERM, then the normal exit path) and from the signal
handler.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Final, Literal

from pydantic import SecretStr

from bot.core.model import AppReport, ScanReport, StuckApp
from bot.delivery.http import HttpServer
from bot.delivery.metrics import Metrics
from bot.errors import ConfigError, DriftBotError, UpstreamError
from bot.ports import Classifier
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_CONCURRENT_SCANS = 1
"""Uncached scans at once in a process that also answers Slack (see `bot.wiring`)."""

Role = Literal["all", "classifier", "slack"]

SLACK_HTTP_THREADS: Final = 32
"""waitress threads of a process that answers Slack. Bolt holds the request's thread until the
listener has acknowledged, polling every 10 ms, so each command in flight occupies a thread for
at least 10 ms: with the default 8, fifty concurrent commands queue for 60 ms and more before
Bolt even sees them (bench/ack.py). Idle threads cost little; a classifier keeps the default."""

CLASSIFIER_PROBE_TIMEOUT_S: Final = 2.0
"""A ``--role slack`` readiness probe asks the classifier's ``/healthz``; kubelet gives a probe
one second by default, so a slow answer is as good as none."""


@dataclass
class Server:
    """A configured, not yet started ``serve`` process (tests start and stop it)."""

    http: HttpServer
    start_background: Callable[[], None]
    """Start the scheduler and, with ``SLACK_APP_TOKEN``, the Socket Mode connection."""
    stop_background: Callable[[], None]
    """Stop HTTP, the background jobs and every connection pool; idempotent, thread-safe."""

    def run(self) -> None:
        """Serve until `stop_background` is called (SIGTERM) or the loop is interrupted."""
        try:
            self.start_background()
            self.http.serve_forever()
        finally:
            self.stop_background()


def check_config(settings: Settings, role: Role) -> None:
    """Every setting ``role`` cannot start without; raises `ConfigError` naming them."""
    if role == "slack" and not settings.drift_classifier_url:
        msg = (
            "--role slack needs DRIFT_CLASSIFIER_URL (the URL of a `drift-bot serve --role "
            "classifier` process) and DRIFT_API_TOKEN; use --role all to read the cluster here"
        )
        raise ConfigError(msg)
    if role in ("classifier", "slack") and not given(settings.drift_api_token):
        what = "the classification API" if role == "classifier" else "the remote classifier"
        msg = f"--role {role} needs DRIFT_API_TOKEN: {what} only answers with a bearer token"
        raise ConfigError(msg)
    if role in ("all", "slack"):
        _check_slack(settings)


def _check_slack(settings: Settings) -> None:
    missing = [] if given(settings.slack_bot_token) else ["SLACK_BOT_TOKEN"]
    if not given(settings.slack_signing_secret) and not given(settings.slack_app_token):
        missing.append("SLACK_SIGNING_SECRET")
    if missing:
        msg = (
            f"the Slack app needs {' and '.join(missing)} (SLACK_BOT_TOKEN, plus "
            "SLACK_SIGNING_SECRET for HTTP mode or SLACK_APP_TOKEN for Socket Mode); "
            "use --role classifier to serve only the classification API"
        )
        raise ConfigError(msg)


def given(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value())


def readiness(checks: Mapping[str, Callable[[], None]]) -> Callable[[], Mapping[str, bool]]:
    """The /readyz callback over ``checks`` (name -> raises `DriftBotError` unless ready).

    The classifier roles check Kubernetes and Argo CD. The Slack role checks that its
    classifier answers at all (``/healthz``, not ``/readyz``): when the cluster is down behind
    it, the bot should stay in service and say so in its answers rather than vanish from Slack.
    """

    def ready() -> Mapping[str, bool]:
        return {name: _passes(name, check) for name, check in checks.items()}

    return ready


def nothing() -> None:
    """The background of a role that has none (the classifier)."""


def _passes(name: str, check: Callable[[], None]) -> bool:
    try:
        check()
    except DriftBotError as exc:
        log.warning("not ready: %s: %s", name, exc)
        return False
    return True


class Metered:
    """The API's `Classifier`: times each use case and counts upstream errors on /metrics.

    The Slack handlers record their own commands; this gives a ``--role classifier`` process
    the same view of what it serves.
    """

    def __init__(self, inner: Classifier, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        with self._measured("api_scan"):
            return self._inner.scan(only)

    def app_report(self, name: str) -> AppReport:
        with self._measured("api_app"):
            return self._inner.app_report(name)

    def logs_report(self, name: str) -> StuckApp:
        with self._measured("api_logs"):
            return self._inner.logs_report(name)

    def close(self) -> None:
        self._inner.close()

    @contextmanager
    def _measured(self, use_case: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        except UpstreamError as exc:
            self._metrics.upstream_errors.labels(exc.source or "unknown").inc()
            raise
        self._metrics.scan_seconds.labels(use_case).observe(time.perf_counter() - started)


def once(action: Callable[[], None]) -> Callable[[], None]:
    """``action`` guarded to run at most once, whoever calls first (signal handler or exit)."""
    lock = threading.Lock()
    done = False

    def run_once() -> None:
        nonlocal done
        with lock:
            if done:
                return
            done = True
        action()

    return run_once


def run(server: Server, role: Role) -> int:
    """Serve until SIGTERM (exit 0) or SIGINT (`KeyboardInterrupt`); returns the exit code."""

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        server.stop_background()

    previous = signal.signal(signal.SIGTERM, _stop)
    log.info("drift-bot serving role=%s on port %d", role, server.http.port)
    try:
        server.run()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
