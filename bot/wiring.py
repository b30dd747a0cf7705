"""Composition root: the only module that knows every concrete adapter.

Every adapter, notifier, classifier chain, Slack client and readiness probe is built here;
delivery (the CLI, ``serve``, the Slack app, the API) receives built objects and never imports
`bot.adapters`. The console script and ``python -m bot`` enter through `main`, which hands the
CLI this module's builders (`Builders`), so tests can swap any of them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TextIO

from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.adapters.redis_store import RedisStore
from bot.adapters.remote_classifier import ClassifierProbe, RemoteClassifier
from bot.adapters.slack_poster import SlackPoster, SlackWebClient, build_web_client
from bot.core.digest import Digest
from bot.core.model import AppReport, StuckApp
from bot.core.tracking import TrackingConfig, TrackingMethod
from bot.delivery import cli, serve
from bot.delivery.api import build_api_app
from bot.delivery.http import ALL_INTERFACES, THREADS, HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.render import answers
from bot.delivery.render.digest import digest_blocks
from bot.delivery.render.escalation import escalation_message, recovered_message
from bot.delivery.scheduler import build_scheduler
from bot.delivery.slack import app as slack_app
from bot.delivery.slack import buttons, ids
from bot.delivery.slack.backend import Backend
from bot.delivery.slack.digest import DigestThreads
from bot.delivery.slack.interactions import SlackBackend
from bot.delivery.slack.links import ArgoLinks
from bot.delivery.slack.signing import check_signing
from bot.ports import Classifier, StateStore
from bot.service.acks import AckedClassifier, Acknowledger
from bot.service.caching import CachedClassifier
from bot.service.digest import Notifier, Renderers
from bot.service.scan import DriftService
from bot.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock, handed to the service (the core never reads a clock)."""
    return datetime.now(UTC)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """The ``drift-bot`` console script and ``python -m bot``: the CLI over these builders."""
    return cli.main(argv, stdout=stdout, builders=Builders())


# --- classifiers and stores ---------------------------------------------------------------


def build_service(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> DriftService:
    """A `DriftService` reading the cluster and Argo CD that ``settings`` point at."""
    return DriftService(
        KubeReader.from_settings(settings),
        ArgoClient.from_settings(settings),
        control_plane_namespace=settings.argocd_namespace,
        stuck_after=settings.drift_stuck_after,
        concurrency=settings.drift_concurrency,
        clock=clock or utc_now,
        tracking=tracking_config(settings),
    )


def tracking_config(settings: Settings) -> TrackingConfig:
    """How Argo CD marks what it owns, from ARGOCD_TRACKING_METHOD/ARGOCD_INSTANCE_LABEL_KEY."""
    method = TrackingMethod(settings.argocd_tracking_method)
    return TrackingConfig(method, settings.argocd_instance_label_key)


def build_store(settings: Settings) -> RedisStore | None:
    """The shared Redis store, or None when ``REDIS_URL`` is unset (acks then say so)."""
    if settings.redis_url is None:
        return None
    return RedisStore.from_url(settings.redis_url.get_secret_value())


def build_classifier(
    settings: Settings,
    store: RedisStore | None,
    *,
    remote_ok: bool = True,
    max_concurrent_scans: int | None = None,
) -> Classifier:
    """ "Ask the classifier": remote when DRIFT_CLASSIFIER_URL is set, else in-process.

    In-process answers are cached for DRIFT_CACHE_TTL with single-flight, and, with Redis,
    findings covered by an ack come back marked ``acked``.
    """
    upstream: Classifier
    if remote_ok and settings.drift_classifier_url:
        upstream = RemoteClassifier.from_settings(settings)
    else:
        upstream = build_service(settings)
    inner = CachedClassifier(
        upstream, ttl=settings.drift_cache_ttl, max_concurrent_misses=max_concurrent_scans
    )
    if store is None:
        return inner
    return AckedClassifier(inner, store, clock=utc_now)


# --- Slack and the notifier -----------------------------------------------------------------

RENDERERS = Renderers(
    digest=digest_blocks, escalation=escalation_message, recovered=recovered_message
)
"""The Block Kit renderings without buttons (the CLI's preview, tests)."""


def slack_renderers(settings: Settings) -> Renderers:
    """What the notifier posts: the digest as summary + threads, pings with buttons."""
    links = ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace)

    def ping(stuck: StuckApp, mention: str, now: datetime) -> tuple[list[dict[str, Any]], str]:
        panel = buttons.Buttons(links, now=now, surface=ids.SURFACE_ESCALATION)
        return buttons.escalation(stuck, mention, now, panel)

    return replace(RENDERERS, escalation=ping, digest_thread=DigestThreads(links))


def build_notifier(
    settings: Settings,
    classifier: Classifier,
    store: StateStore | None,
    client: SlackWebClient | None,
) -> Notifier:
    """Digest and escalation, posting through ``client`` (``None``: nothing can be posted)."""
    return Notifier(
        classifier,
        store,
        SlackPoster(client) if client else None,
        slack_renderers(settings),
        channel=settings.drift_channel,
        oncall_group=settings.drift_oncall_group,
        timezone=settings.drift_timezone,
        reping_after=settings.drift_reping_after,
        clock=utc_now,
    )


def build_slack_app(
    backend: SlackBackend,
    settings: Settings,
    *,
    client: SlackWebClient | None = None,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] | None = None,
    resources: ExitStack | None = None,
) -> slack_app.BoltApp:
    """`bot.delivery.slack.app.build_slack_app` with the production Web API client by default."""
    check_signing(settings)
    web = client if client is not None else build_web_client(settings)
    return slack_app.build_slack_app(
        backend,
        settings,
        client=web,
        metrics=metrics or Metrics(),
        clock=clock or utc_now,
        resources=resources,
        surfaces=SlackPoster(web),
        links=ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace),
    )


class SlackPreview:
    """``--format blocks``: the very renderings the Slack app and the digest post.

    ``/drift app`` and ``/drift logs`` answer with buttons (`slack.buttons`), drawn here as for
    a user with no ack in force. The digest is ``/drift digest``'s answer: the whole digest in
    one message (the scheduled post spreads the same content over a summary and its thread).
    """

    def __init__(self, settings: Settings) -> None:
        self._links = ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace)

    def app(self, report: AppReport) -> cli.Preview:
        panel = buttons.Buttons(self._links, now=report.generated_at, surface=ids.SURFACE_APP)
        message = buttons.app_answer(report, panel)
        return message.blocks, message.text

    def logs(self, stuck: StuckApp, now: datetime) -> cli.Preview:
        panel = buttons.Buttons(self._links, now=now, surface=ids.SURFACE_LOGS)
        message = buttons.logs_answer(stuck, now, panel)
        return message.blocks, message.text

    def digest(self, digest: Digest) -> cli.Preview:
        blocks, text = RENDERERS.digest(digest)
        message = answers.fit(blocks, text, more="run `drift-bot digest`")
        return message.blocks, message.text


class Builders:
    """What the CLI builds per command (`bot.delivery.cli.Builders`), over the real adapters."""

    @contextmanager
    def session(
        self, settings: Settings, *, acks: bool = True
    ) -> Iterator[tuple[Classifier, RedisStore | None]]:
        """The classifier (acks applied when REDIS_URL is set) and store, closed afterwards."""
        store = build_store(settings) if acks else None
        classifier = build_classifier(settings, store)
        try:
            yield classifier, store
        finally:
            classifier.close()
            if store is not None:
                store.close()

    def notifier(
        self, settings: Settings, classifier: Classifier, store: StateStore | None, *, post: bool
    ) -> Notifier:
        client = build_web_client(settings) if post else None
        return build_notifier(settings, classifier, store, client)

    def service(self, settings: Settings) -> Classifier:
        return build_service(settings)

    def slack_preview(self, settings: Settings) -> cli.SlackPreview:
        return SlackPreview(settings)

    def serve(self, settings: Settings, *, role: serve.Role, port: int | None) -> int:
        server = build_server(
            settings, role=role, port=settings.drift_port if port is None else port
        )
        return serve.run(server, role)


# --- serve ------------------------------------------------------------------------------------


def build_server(
    settings: Settings, *, role: serve.Role, port: int, host: str = ALL_INTERFACES
) -> serve.Server:
    """Assemble the process for ``role``; `ConfigError` naming what is missing.

    Nothing listens or runs in the background until `Server.run` (or ``http.serve_forever``
    and ``start_background``); ``stop_background`` undoes everything built here.
    """
    serve.check_config(settings, role)
    resources = ExitStack()
    try:
        return _assemble(settings, role, port, host, resources)
    except BaseException:
        resources.close()
        raise


def _assemble(
    settings: Settings, role: serve.Role, port: int, host: str, resources: ExitStack
) -> serve.Server:
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
        max_concurrent_scans=serve.MAX_CONCURRENT_SCANS if role == "all" else None,
    )
    resources.callback(classifier.close)
    ready = _readiness(settings, role, resources)
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
    app, start = None, serve.nothing
    if client is not None:
        app, start = _slack(settings, client, classifier, store, notifier, metrics, resources)
    wsgi = build_wsgi_app(app, ready=ready, metrics_registry=metrics.registry, api=api)
    threads = serve.SLACK_HTTP_THREADS if app is not None else THREADS
    http = HttpServer(wsgi, port=port, host=host, threads=threads)
    resources.callback(http.close)  # last in, first out: stop taking requests first
    return serve.Server(
        http=http, start_background=start, stop_background=serve.once(resources.close)
    )


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
    settings: Settings, role: serve.Role, resources: ExitStack
) -> Callable[[], Mapping[str, bool]]:
    """Checks behind /readyz: the upstreams this role cannot work without (`serve.readiness`)."""
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
    return serve.readiness(checks)
