"""``drift-bot serve``: the long-running process (Slack app, scheduler, classification API).

Roles (``--role``):

* ``all`` (default) — everything in one process: reads the cluster, answers Slack, posts.
* ``classifier`` — only the classification API (`/api/v1/...`); the one with cluster access.
* ``slack`` — only the Slack app and scheduler, asking a remote classifier
  (``DRIFT_CLASSIFIER_URL``); needs no Kubernetes or Argo CD credentials at all.

Every role serves ``/healthz`` (the process answers), ``/readyz`` (its upstreams answer) and
``/metrics`` on ``DRIFT_PORT``.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import FrameType
from typing import Any, Literal

from slack_bolt import App
from slack_sdk import WebClient

from bot.acking import Acknowledger
from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.adapters.redis_store import RedisStore
from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.delivery.api import build_api_app
from bot.delivery.backend import Backend
from bot.delivery.digest_render import digest_blocks
from bot.delivery.http import HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.notify import Notifier, Renderers
from bot.delivery.scheduler import build_scheduler
from bot.delivery.slack.app import build_slack_app, start_socket_mode
from bot.delivery.slack.escalation import escalation_message
from bot.errors import ConfigError, DriftBotError
from bot.ports import Classifier
from bot.settings import Settings
from bot.wiring import build_classifier, build_store, utc_now

log = logging.getLogger(__name__)

Role = Literal["all", "classifier", "slack"]


@dataclass
class Server:
    """A configured, not yet started ``serve`` process (tests start and stop it)."""

    http: HttpServer
    start_background: Callable[[], None]
    stop_background: Callable[[], None]

    def run(self) -> None:
        self.start_background()
        try:
            self.http.serve_forever()
        finally:
            self.stop_background()


def build_server(settings: Settings, *, role: Role, port: int) -> Server:
    """Assemble the process for ``role``; `ConfigError` naming what is missing."""
    metrics = Metrics()
    store = build_store(settings)
    if role == "slack" and not settings.drift_classifier_url:
        msg = "--role slack needs DRIFT_CLASSIFIER_URL (and DRIFT_API_TOKEN) of a classifier"
        raise ConfigError(msg)
    classifier = build_classifier(settings, store, remote_ok=role == "slack")
    ready = _readiness(settings, role, store)
    with_slack = role in ("all", "slack")
    client = _web_client(settings) if with_slack else None
    notifier = Notifier(
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
    api = None
    if role in ("all", "classifier"):
        api = build_api_app(
            classifier,
            token=_secret(settings.drift_api_token),
            digest=lambda: notifier.build_digest().to_json(),
        )
    slack_app = None
    starters: list[Callable[[], None]] = []
    stoppers: list[Callable[[], None]] = []
    if client is not None:
        slack_app, start, stop = _slack(settings, client, classifier, store, notifier, metrics)
        starters.append(start)
        stoppers.append(stop)
    wsgi = build_wsgi_app(slack_app, ready=ready, metrics_registry=metrics.registry, api=api)
    http = HttpServer(wsgi, port=port)

    def start_all() -> None:
        for start in starters:
            start()

    def stop_all() -> None:
        for stop in stoppers:
            stop()
        http.close()

    return Server(http=http, start_background=start_all, stop_background=stop_all)


def _web_client(settings: Settings) -> WebClient:
    if settings.slack_bot_token is None or (
        settings.slack_signing_secret is None and settings.slack_app_token is None
    ):
        msg = (
            "the Slack role needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP mode) or "
            "SLACK_APP_TOKEN (Socket Mode); use --role classifier to serve only the API"
        )
        raise ConfigError(msg)
    return build_web_client(settings)


def _slack(
    settings: Settings,
    client: WebClient,
    classifier: Classifier,
    store: RedisStore | None,
    notifier: Notifier,
    metrics: Metrics,
) -> tuple[App, Callable[[], None], Callable[[], None]]:
    acknowledger = Acknowledger(classifier, store, clock=utc_now) if store else None
    app = build_slack_app(
        Backend(classifier, acknowledger, notifier), settings, client=client, metrics=metrics
    )
    scheduler = build_scheduler(
        notifier, cron=settings.drift_digest_cron, timezone=settings.drift_timezone
    )
    handler: list[Any] = []

    def start() -> None:
        if settings.drift_channel:
            scheduler.start()
        else:
            log.warning("DRIFT_CHANNEL is not set: no digest and no escalation will be posted")
        if settings.slack_app_token is not None:
            handler.append(start_socket_mode(app, settings))

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for h in handler:
            h.close()

    return app, start, stop


def _readiness(
    settings: Settings, role: Role, store: RedisStore | None
) -> Callable[[], Mapping[str, bool]]:
    """Checks behind /readyz: the upstreams this role cannot work without."""
    checks: dict[str, Callable[[], None]] = {}
    if role in ("all", "classifier"):
        kube = KubeReader.from_settings(settings)
        argo = ArgoClient.from_settings(settings)
        checks["kubernetes"] = kube.check
        checks["argocd"] = argo.check

    def ready() -> Mapping[str, bool]:
        status: dict[str, bool] = {}
        for name, check in checks.items():
            try:
                check()
                status[name] = True
            except DriftBotError as exc:
                log.warning("not ready: %s: %s", name, exc)
                status[name] = False
        return status

    return ready


def run(settings: Settings, *, role: Role, port: int | None) -> int:
    """Serve until SIGTERM/SIGINT; returns the exit code."""
    server = build_server(settings, role=role, port=port or settings.drift_port)

    def _stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: shutting down", signum)
        server.stop_background()

    signal.signal(signal.SIGTERM, _stop)
    log.info("drift-bot serving role=%s on port %d", role, server.http.port)
    server.run()
    return 0


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None
