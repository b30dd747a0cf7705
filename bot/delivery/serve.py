"""``drift-bot serve``: the long-running process (Slack app, scheduler, classification API).

Roles (``--role``):

* ``all`` (default) — everything in one process: reads the cluster, answers Slack, posts.
* ``classifier`` — only the classification API (``/api/v1/...``); the one with cluster access.
* ``slack`` — only the Slack app and scheduler, asking a remote classifier
  (``DRIFT_CLASSIFIER_URL``); needs no Kubernetes or Argo CD credentials at all.

Every role serves ``/healthz`` (the process answers), ``/readyz`` (its upstreams answer) and
``/metrics`` on ``DRIFT_PORT``.

Configuration is checked in full before anything connects, so a missing setting fails
``serve`` with a `ConfigError` naming it (exit 2) instead of a half-started process. Every
connection pool opened here is closed by ``stop_background``, which may be called more than
once (SIGTERM, then the normal exit path) and from the signal handler.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Final, Literal

import httpx
from pydantic import SecretStr
from slack_bolt import App
from slack_sdk import WebClient

from bot.acking import Acknowledger
from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.adapters.redis_store import RedisStore
from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.core.model import AppReport, ScanReport, StuckApp
from bot.delivery.api import build_api_app
from bot.delivery.backend import Backend
from bot.delivery.http import ALL_INTERFACES, THREADS, HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.notify import Notifier, Renderers
from bot.delivery.render.digest import digest_blocks
from bot.delivery.render.escalation import escalation_message
from bot.delivery.scheduler import build_scheduler
from bot.delivery.slack.app import build_slack_app, start_socket_mode
from bot.errors import ConfigError, DriftBotError, UpstreamError, UpstreamUnavailableError
from bot.ports import Classifier
from bot.settings import Settings
from bot.wiring import build_classifier, build_store, utc_now

log = logging.getLogger(__name__)

MAX_CONCURRENT_SCANS = 1

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


def build_server(
    settings: Settings, *, role: Role, port: int, host: str = ALL_INTERFACES
) -> Server:
    """Assemble the process for ``role``; `ConfigError` naming what is missing.

    Nothing listens or runs in the background until `Server.run` (or ``http.serve_forever``
    and ``start_background``); ``stop_background`` undoes everything built here.
    """
    check_config(settings, role)
    resources = ExitStack()
    try:
        return _assemble(settings, role, port, host, resources)
    except BaseException:
        resources.close()
        raise


def check_config(settings: Settings, role: Role) -> None:
    """Every setting ``role`` cannot start without; raises `ConfigError` naming them."""
    if role == "slack" and not settings.drift_classifier_url:
        msg = (
            "--role slack needs DRIFT_CLASSIFIER_URL (the URL of a `drift-bot serve --role "
            "classifier` process) and DRIFT_API_TOKEN; use --role all to read the cluster here"
        )
        raise ConfigError(msg)
    if role in ("classifier", "slack") and not _given(settings.drift_api_token):
        what = "the classification API" if role == "classifier" else "the remote classifier"
        msg = f"--role {role} needs DRIFT_API_TOKEN: {what} only answers with a bearer token"
        raise ConfigError(msg)
    if role in ("all", "slack"):
        _check_slack(settings)


def _check_slack(settings: Settings) -> None:
    missing = [] if _given(settings.slack_bot_token) else ["SLACK_BOT_TOKEN"]
    if not _given(settings.slack_signing_secret) and not _given(settings.slack_app_token):
        missing.append("SLACK_SIGNING_SECRET")
    if missing:
        msg = (
            f"the Slack app needs {' and '.join(missing)} (SLACK_BOT_TOKEN, plus "
            "SLACK_SIGNING_SECRET for HTTP mode or SLACK_APP_TOKEN for Socket Mode); "
            "use --role classifier to serve only the classification API"
        )
        raise ConfigError(msg)


def _given(secret: SecretStr | None) -> bool:
    return secret is not None and bool(secret.get_secret_value())


def _assemble(settings: Settings, role: Role, port: int, host: str, resources: ExitStack) -> Server:
    """Build the parts of ``role``, registering each one's cleanup on ``resources``."""
    metrics = Metrics()
    store = build_store(settings)
    if store is not None:
        resources.callback(store.close)
    if role == "all" and settings.drift_classifier_url:
        log.warning("--role all classifies in-process; DRIFT_CLASSIFIER_URL is ignored")
    # In one process with the Slack app, one uncached scan runs at a time so that the threads
    # acknowledging commands keep the interpreter: bench/ack.py measured p99 time-to-ack
    # 72 ms with one, 136-152 ms with two, 193-353 ms unbounded (50 concurrent commands).
    classifier = build_classifier(
        settings,
        store,
        remote_ok=role == "slack",
        max_concurrent_scans=MAX_CONCURRENT_SCANS if role == "all" else None,
    )
    resources.callback(classifier.close)
    ready = _readiness(settings, role, resources)
    client = build_web_client(settings) if role != "classifier" else None
    notifier = _notifier(settings, classifier, store, client)
    api = None
    if role != "slack":
        if not _given(settings.drift_api_token):
            log.warning("DRIFT_API_TOKEN is not set: /api/v1 answers 503 until it is")
        api = build_api_app(
            _Metered(classifier, metrics),
            token=_secret(settings.drift_api_token),
            digest=lambda: notifier.build_digest().to_json(),
        )
    slack_app, start = None, _nothing
    if client is not None:
        slack_app, start = _slack(settings, client, classifier, store, notifier, metrics, resources)
    wsgi = build_wsgi_app(slack_app, ready=ready, metrics_registry=metrics.registry, api=api)
    threads = SLACK_HTTP_THREADS if slack_app is not None else THREADS
    http = HttpServer(wsgi, port=port, host=host, threads=threads)
    resources.callback(http.close)  # last in, first out: stop taking requests first
    return Server(http=http, start_background=start, stop_background=_once(resources.close))


def _nothing() -> None:
    """The background of a role that has none (the classifier)."""


def _notifier(
    settings: Settings,
    classifier: Classifier,
    store: RedisStore | None,
    client: WebClient | None,
) -> Notifier:
    return Notifier(
        classifier,
        store,
        SlackPoster(client) if client else None,
        Renderers(digest=digest_blocks, escalation=escalation_message),
        channel=settings.drift_channel,
        oncall_group=settings.drift_oncall_group,
        timezone=settings.drift_timezone,
        reping_after=settings.drift_reping_after,
        clock=utc_now,
    )


def _slack(
    settings: Settings,
    client: WebClient,
    classifier: Classifier,
    store: RedisStore | None,
    notifier: Notifier,
    metrics: Metrics,
    resources: ExitStack,
) -> tuple[App, Callable[[], None]]:
    """The Bolt app, and the start of its scheduler and Socket Mode (their stop on resources)."""
    acknowledger = Acknowledger(classifier, store, clock=utc_now) if store else None
    app = build_slack_app(
        Backend(classifier, acknowledger, notifier),
        settings,
        client=client,
        metrics=metrics,
        resources=resources,
    )
    scheduler = build_scheduler(
        notifier, cron=settings.drift_digest_cron, timezone=settings.drift_timezone
    )
    sockets: list[Callable[[], None]] = []

    def start() -> None:
        if settings.drift_channel:
            scheduler.start()
        else:
            log.warning("DRIFT_CHANNEL is not set: no digest and no escalation will be posted")
        if settings.slack_app_token is not None:
            sockets.append(start_socket_mode(app, settings).close)

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for close in sockets:
            close()

    resources.callback(stop)
    return app, start


def _readiness(
    settings: Settings, role: Role, resources: ExitStack
) -> Callable[[], Mapping[str, bool]]:
    """Checks behind /readyz: the upstreams this role cannot work without.

    The classifier roles need Kubernetes and Argo CD. The Slack role needs its classifier to
    answer at all (``/healthz``, not ``/readyz``): when the cluster is down behind it, the bot
    should stay in service and say so in its answers rather than vanish from Slack.
    """
    checks: dict[str, Callable[[], None]] = {}
    if role == "slack":
        probe = httpx.Client(
            base_url=settings.drift_classifier_url or "", timeout=CLASSIFIER_PROBE_TIMEOUT_S
        )
        resources.callback(probe.close)
        checks["classifier"] = lambda: _probe(probe)
    else:
        kube = KubeReader.from_settings(settings, pool_size=1)
        resources.callback(kube.close)
        argo = ArgoClient.from_settings(settings)
        resources.callback(argo.close)
        checks["kubernetes"] = kube.check
        checks["argocd"] = argo.check

    def ready() -> Mapping[str, bool]:
        return {name: _passes(name, check) for name, check in checks.items()}

    return ready


def _passes(name: str, check: Callable[[], None]) -> bool:
    try:
        check()
    except DriftBotError as exc:
        log.warning("not ready: %s: %s", name, exc)
        return False
    return True


def _probe(client: httpx.Client) -> None:
    """Raise `UpstreamUnavailableError` unless the classifier process answers ``/healthz``."""
    try:
        response = client.get("/healthz")
    except httpx.HTTPError as exc:
        msg = f"the classifier is unreachable ({exc}); check DRIFT_CLASSIFIER_URL"
        raise UpstreamUnavailableError(
            msg, source="classifier", setting="DRIFT_CLASSIFIER_URL"
        ) from exc
    if response.status_code != httpx.codes.OK:
        msg = f"the classifier answered /healthz with HTTP {response.status_code}"
        raise UpstreamUnavailableError(msg, source="classifier", setting="DRIFT_CLASSIFIER_URL")


class _Metered:
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


def _once(action: Callable[[], None]) -> Callable[[], None]:
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


def run(settings: Settings, *, role: Role, port: int | None) -> int:
    """Serve until SIGTERM (exit 0) or SIGINT (`KeyboardInterrupt`); returns the exit code."""
    server = build_server(settings, role=role, port=settings.drift_port if port is None else port)

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


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
