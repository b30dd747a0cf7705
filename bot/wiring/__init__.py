"""Composition root: the only module that knows every concrete adapter.

Every adapter, notifier, classifier chain, Slack client and readiness probe is built here;
delivery (the CLI, ``serve``, the Slack app, the API) receives built objects and never imports
`bot.adapters`. The console script and ``python -m bot`` enter through `main`, which hands the
CLI this module's builders (`Builders`), so tests can swap any of them.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, TextIO

from bot.delivery import cli
from bot.ports import Classifier, StateStore
from bot.settings import Settings

# Every client library and delivery channel is imported by the builder that needs it, not
# here: `drift-bot --help` or a `scan` should not pay for the kubernetes client's ~1 s import
# when it does not use it, nor for Slack Bolt, apscheduler, redis or waitress when it runs no
# server (python -X importtime -m bot --help; see bench/README.md).
if TYPE_CHECKING:
    from bot.adapters.redis_store import RedisStore
    from bot.adapters.slack_poster import SlackWebClient
    from bot.core.model import StuckApp
    from bot.core.tracking import TrackingConfig
    from bot.delivery import serve
    from bot.delivery.metrics import Metrics
    from bot.delivery.slack import app as slack_app
    from bot.delivery.slack.interactions import SlackBackend
    from bot.service.digest import Notifier, Renderers
    from bot.service.fleet import FleetModel
    from bot.service.scan import DriftService

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The real clock, handed to the service (the core never reads a clock)."""
    return datetime.now(UTC)


GC_THRESHOLDS: Final = (100_000, 50, 100)
"""Young-generation threshold 100,000 allocations instead of CPython's 700 (older ones alike).

A scan keeps a fleet's worth of small long-lived objects (10,000 apps × ~20 status entries,
the reference index of every pod), and with the default threshold the collector walks them
again every few hundred allocations. bench/scan.py, 5,000 apps / 500 drifting: 11.3 s with
the defaults, 7.3 s with these, 7.7 s with the collector off; peak RSS 235 → 256 MB. The
bot's data has no reference cycles to speak of; the collector still runs, just less often."""


def tune_gc() -> None:
    """Set `GC_THRESHOLDS` for this process (the CLI and ``serve`` entry; benchmarks too)."""
    gc.set_threshold(*GC_THRESHOLDS)


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None) -> int:
    """The ``drift-bot`` console script and ``python -m bot``: the CLI over these builders."""
    tune_gc()
    return cli.main(argv, stdout=stdout, builders=Builders())


# --- classifiers and stores ---------------------------------------------------------------


def build_service(
    settings: Settings, *, clock: Callable[[], datetime] | None = None
) -> DriftService:
    """A `DriftService` reading the cluster and Argo CD that ``settings`` point at."""
    from bot.adapters.argocd import ArgoClient
    from bot.adapters.kube import KubeReader
    from bot.service.scan import DriftService

    return DriftService(
        KubeReader.from_settings(settings),
        ArgoClient.from_settings(settings),
        control_plane_namespace=settings.argocd_namespace,
        stuck_after=settings.drift_stuck_after,
        concurrency=settings.drift_concurrency,
        clock=clock or utc_now,
        tracking=tracking_config(settings),
    )


def build_watched_service(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    watch_timeout_s: int = 300,
) -> tuple[DriftService, FleetModel, Callable[[], None]]:
    """`build_service` plus the live fleet model ``serve`` keeps (list + watch).

    Returns the service, its model and the function that starts watching (nothing runs until
    it is called; `DriftService.close` stops it).
    """
    from bot.adapters.argocd import ArgoClient
    from bot.adapters.kube import KubeReader
    from bot.adapters.kube.watch import ApplicationInformer
    from bot.service.fleet import FleetModel
    from bot.service.scan import DriftService

    reader = KubeReader.from_settings(settings)
    fleet = FleetModel(settings.argocd_namespace, settings.app_namespaces, clock or utc_now)
    informer = ApplicationInformer(
        reader.api_client,
        settings.app_namespaces,
        fleet,
        request_timeout_s=settings.drift_http_timeout.total_seconds(),
        watch_timeout_s=watch_timeout_s,
    )
    service = DriftService(
        reader,
        ArgoClient.from_settings(settings),
        control_plane_namespace=settings.argocd_namespace,
        stuck_after=settings.drift_stuck_after,
        concurrency=settings.drift_concurrency,
        clock=clock or utc_now,
        tracking=tracking_config(settings),
        fleet=fleet,
        on_close=(informer.stop,),
    )
    return service, fleet, informer.start


def tracking_config(settings: Settings) -> TrackingConfig:
    """How Argo CD marks what it owns, from ARGOCD_TRACKING_METHOD/ARGOCD_INSTANCE_LABEL_KEY."""
    from bot.core.tracking import TrackingConfig, TrackingMethod

    method = TrackingMethod(settings.argocd_tracking_method)
    return TrackingConfig(method, settings.argocd_instance_label_key)


def build_store(settings: Settings) -> RedisStore | None:
    """The shared Redis store, or None when ``REDIS_URL`` is unset (acks then say so)."""
    from bot.adapters.redis_store import RedisStore

    if settings.redis_url is None:
        return None
    return RedisStore.from_url(settings.redis_url.get_secret_value())


def build_classifier(
    settings: Settings,
    store: RedisStore | None,
    *,
    remote_ok: bool = True,
    max_concurrent_scans: int | None = None,
    service: DriftService | None = None,
    fleet: FleetModel | None = None,
) -> Classifier:
    """ "Ask the classifier": remote when DRIFT_CLASSIFIER_URL is set, else in-process.

    In-process answers are cached for DRIFT_CACHE_TTL with single-flight, and, with Redis,
    findings covered by an ack come back marked ``acked``.
    """
    from bot.adapters.remote_classifier import RemoteClassifier
    from bot.service.acks import AckedClassifier
    from bot.service.caching import CachedClassifier

    upstream: Classifier
    if remote_ok and settings.drift_classifier_url:
        upstream = RemoteClassifier.from_settings(settings)
    else:
        upstream = service or build_service(settings)
    inner = CachedClassifier(
        upstream,
        ttl=settings.drift_cache_ttl,
        max_concurrent_misses=max_concurrent_scans,
        version=fleet.version if fleet is not None else None,
    )
    if store is None:
        return inner
    return AckedClassifier(inner, store, clock=utc_now)


# --- Slack and the notifier -----------------------------------------------------------------


def renderers() -> Renderers:
    """The Block Kit renderings the digest and escalation use cases post."""
    from bot.delivery.render.digest import digest_blocks
    from bot.delivery.render.escalation import escalation_message, recovered_message
    from bot.service.digest import Renderers

    return Renderers(
        digest=digest_blocks, escalation=escalation_message, recovered=recovered_message
    )


def slack_renderers(settings: Settings) -> Renderers:
    """What the notifier posts: the digest as summary + threads, pings with buttons."""
    from dataclasses import replace

    from bot.delivery.slack import buttons, ids
    from bot.delivery.slack.digest import DigestThreads
    from bot.delivery.slack.links import ArgoLinks

    links = ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace)

    def ping(stuck: StuckApp, mention: str, now: datetime) -> tuple[list[dict[str, Any]], str]:
        panel = buttons.Buttons(links, now=now, surface=ids.SURFACE_ESCALATION)
        return buttons.escalation(stuck, mention, now, panel)

    return replace(renderers(), escalation=ping, digest_thread=DigestThreads(links))


def build_notifier(
    settings: Settings,
    classifier: Classifier,
    store: StateStore | None,
    client: SlackWebClient | None,
) -> Notifier:
    """Digest and escalation, posting through ``client`` (``None``: nothing can be posted)."""
    from bot.adapters.slack_poster import SlackPoster
    from bot.service.digest import Notifier

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
    from bot.adapters.slack_poster import SlackPoster, build_web_client
    from bot.delivery.metrics import Metrics
    from bot.delivery.slack import app as slack_app
    from bot.delivery.slack.links import ArgoLinks
    from bot.delivery.slack.signing import check_signing

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
        from bot.adapters.slack_poster import build_web_client

        client = build_web_client(settings) if post else None
        return build_notifier(settings, classifier, store, client)

    def service(self, settings: Settings) -> Classifier:
        return build_service(settings)

    def slack_preview(self, settings: Settings) -> cli.SlackPreview:
        from bot.wiring.preview import SlackPreview

        return SlackPreview(settings)

    def serve(self, settings: Settings, *, role: serve.Role, port: int | None) -> int:
        from bot.delivery import serve

        server = build_server(
            settings, role=role, port=settings.drift_port if port is None else port
        )
        return serve.run(server, role)


def build_server(
    settings: Settings, *, role: serve.Role, port: int, host: str | None = None
) -> serve.Server:
    """`bot.wiring.server.build_server` (the assembly of ``serve`` lives there)."""
    from bot.wiring.server import build_server as build

    return build(settings, role=role, port=port, host=host)
