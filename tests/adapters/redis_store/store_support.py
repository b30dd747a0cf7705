"""Shared helpers of the Redis store tests: a fixed clock origin, findings and acks.

Times are plain values passed to the store, so expiry is tested by moving ``now``, never by
sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.adapters.redis_store import RedisStore
from bot.core import acks
from bot.core.model import Ack, DiffOp, DriftClass, Evidence, Finding, Fix, FixKind, ResourceKey

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)

StoreFactory = Callable[[], RedisStore]


def finding(app: str = "gitea", name: str = "gitea-http", live: object = 1) -> Finding:
    return Finding(
        app=app,
        drift_class=DriftClass.INJECTED_FIELDS,
        key=ResourceKey("", "Service", app, name),
        summary="one injected field",
        evidence=(Evidence("/metadata/annotations/checksum~1config", DiffOp.ADDED, live=live),),
        fix=Fix(FixKind.IGNORE_DIFFERENCES, "jsonPointers: [...]"),
    )


def make_ack(
    ack_id: str = "a1",
    *,
    scope: str = "gitea",
    now: datetime = T0,
    duration: timedelta = timedelta(days=7),
    by: str = "U123",
) -> Ack:
    return acks.new_ack(
        ack_id=ack_id,
        scope=acks.parse_scope(scope),
        findings=[finding(), finding(name="other")],
        by=by,
        reason="known chart bug",
        now=now,
        duration=duration,
    )
