"""Composition root: the only module that knows every concrete adapter.

Entry points (CLI, serve, demo) call these builders with a `Settings`; everything below gets
its collaborators passed in, so tests can swap any of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from bot.acking import AckedClassifier
from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.adapters.redis_store import RedisStore
from bot.adapters.remote_classifier import RemoteClassifier
from bot.caching import CachedClassifier
from bot.core.tracking import TrackingConfig, TrackingMethod
from bot.ports import Classifier
from bot.service import DriftService
from bot.settings import Settings


def utc_now() -> datetime:
    """The real clock, handed to the service (the core never reads a clock)."""
    return datetime.now(UTC)


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
