"""The assembly of ``drift-bot serve``: each role's classifier, Slack app, API and probes.

Part of the composition root (`bot.wiring`): like it, it is allowed to build adapters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from typing import TYPE_CHECKING

from bot.ports import Classifier
from bot.settings import Settings
from bot.wiring import (
    build_classifier,
    build_notifier,
    build_slack_app,
    build_store,
    build_watched_service,
    utc_now,
)

if TYPE_CHECKING:
    from bot.adapters.redis_store import RedisStore
    from bot.adapters.slack_poster import SlackWebClient
    from bot.delivery import serve
    from bot.delivery.metrics import Metrics
    from bot.delivery.slack import app as slack_app
    from bot.service.digest import Notifier

log = logging.getLogger("bot.wiring")


def build_server(
    settings: Settings,
    *,
    role: serve.Role,
    port: int,
    host: str | None = None,
) -> serve.Server:
    """Assemble the process for ``role`` (on every interface unless ``host``); `ConfigError`
    naming what is missing.

    Nothing listens or runs in the background until `Server.run` (or ``http.serve_forever``
    and ``start_background``); ``stop_background`` undoes everything built here.
    """
    from bot.delivery import serve
    from bot.delivery.http import ALL_INTERFACES

    serve.check_config(settings, role)
    resources = ExitStack()
    try:
        return _assemble(settings, role, port, host or ALL_INTERFACES, resources)
    except BaseException:
        resources.close()
        raise


def _assemble(
    settings: Settings, role: serve.Role, port: int, host: str, resources: ExitStack
) -> serve.Server:
    """Build the parts of ``role``, registering each one's cleanup on ``resources``."""
    from bot.adapters.slack_poster import build_web_client
    from bot.delivery import serve
    from bot.delivery.api import build_api_app
    from bot.delivery.http import THREADS, HttpServer, build_wsgi_app
    from bot.delivery.metrics import Metrics
    from bot.delivery.slack.replay import Deliveries

    metrics = Metrics()
    store = build_store(settings)
    if store is not None:
        resources.callback(store.close)
    if role == "all" and settings.drift_classifier_url:
        log.warning("--role all classifies in-process; DRIFT_CLASSIFIER_URL is ignored")
    # In one process with the Slack app, one uncached scan runs at a time so that the threads
    # acknowledging commands keep the interpreter: bench/ack.py measured p99 time-to-ack
    # 72 ms with one, 136-152 ms with two, 193-353 ms unbounded (50 concurrent commands).
    # Classifying in this process: questions start from a watched model of the fleet.
    service, fleet, watch = None, None, serve.nothing
    if not (role == "slack" and settings.drift_classifier_url):
        service, fleet, watch = build_watched_service(settings)
    classifier = build_classifier(
        settings,
        store,
        remote_ok=role == "slack",
        max_concurrent_scans=serve.MAX_CONCURRENT_SCANS if role == "all" else None,
        service=service,
        fleet=fleet,
    )
    resources.callback(classifier.close)
    ready = _readiness(settings, role, resources, store)
    client = build_web_client(settings) if role != "classifier" else None
    notifier = build_notifier(settings, classifier, store, client)
    api = None
    if role != "slack":
        if not serve.given(settings.drift_api_token):
            log.warning("DRIFT_API_TOKEN is not set: /api/v1 answers 503 until it is")
        api = build_api_app(
            serve.Metered(classifier, metrics),
            token=serve.secret(settings.drift_api_token),
            digest=lambda: notifier.build_digest().to_json(),
        )
    app, start = None, watch
    if client is not None:
        app, start_slack = _slack(settings, client, classifier, store, notifier, metrics, resources)
        start = _in_turn(watch, start_slack)
    # Replays and Slack retries do their work once across replicas (SET NX in Redis).
    deliveries = Deliveries(store)
    resources.callback(deliveries.close)
    wsgi = build_wsgi_app(
        app, ready=ready, metrics_registry=metrics.registry, api=api, deliveries=deliveries
    )
    threads = serve.SLACK_HTTP_THREADS if app is not None else THREADS
    http = HttpServer(wsgi, port=port, host=host, threads=threads)
    resources.callback(http.close)  # last in, first out: stop taking requests first
    return serve.Server(
        http=http, start_background=start, stop_background=serve.once(resources.close)
    )


def _in_turn(*steps: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        for step in steps:
            step()

    return run


def _slack(
    settings: Settings,
    client: SlackWebClient,
    classifier: Classifier,
    store: RedisStore | None,
    notifier: Notifier,
    metrics: Metrics,
    resources: ExitStack,
) -> tuple[slack_app.BoltApp, Callable[[], None]]:
    """The Bolt app, and the start of its scheduler and Socket Mode (their stop on resources)."""
    from bot.delivery.scheduler import build_scheduler
    from bot.delivery.slack import app as slack_app
    from bot.delivery.slack.backend import Backend
    from bot.service.acks import Acknowledger

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
            sockets.append(slack_app.start_socket_mode(app, settings).close)

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)
        for close in sockets:
            close()

    resources.callback(stop)
    return app, start


def _readiness(
    settings: Settings, role: serve.Role, resources: ExitStack, store: RedisStore | None
) -> Callable[[], Mapping[str, bool]]:
    """Checks behind /readyz: the upstreams this role cannot work without (`serve.readiness`)."""
    from bot.adapters.argocd import ArgoClient
    from bot.adapters.kube import KubeReader
    from bot.adapters.remote_classifier import ClassifierProbe
    from bot.delivery import serve

    checks: dict[str, Callable[[], None]] = {}
    if role == "slack":
        probe = ClassifierProbe(
            settings.drift_classifier_url or "", timeout_s=serve.CLASSIFIER_PROBE_TIMEOUT_S
        )
        resources.callback(probe.close)
        checks["classifier"] = probe.check
    else:
        kube = KubeReader.from_settings(settings, pool_size=1)
        resources.callback(kube.close)
        argo = ArgoClient.from_settings(settings)
        resources.callback(argo.close)
        checks["kubernetes"] = kube.check
        checks["argocd"] = argo.check
    if store is not None:
        checks["redis"] = store.ping  # reported as degraded, not down (http.DEGRADED_ONLY)
    return serve.readiness(checks)
