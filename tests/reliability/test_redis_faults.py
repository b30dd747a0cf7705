"""Redis down, lost mid-run, slow: acks fail loudly, drift still answers, nothing stored is lost.

A private redis-server (`RedisProcess`, AOF on as deployed) is stopped and restarted on the
same port, so "lost mid-run" and "Redis restarted" are real process events, not mocks. Slowness
is ``CLIENT PAUSE ... WRITE`` from a second connection: writes hang server-side exactly as on an
overloaded Redis, while the test keeps a connection to lift the pause at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from bot.adapters.redis_store.connection import HUNG_COOLDOWN_S
from bot.core.model import Ack, AckScope, AppReport, ScanReport, StuckApp, Totals
from bot.errors import StoreError
from bot.service.acks import AckedClassifier, Acknowledger
from tests.conftest import free_port
from tests.delivery.slack import seed
from tests.reliability.support import RedisProcess

T = TypeVar("T")
SCOPE = AckScope(app="gitea")


class SeedClassifier:
    """Answers every question with the seed's gitea report (acks need something to cover)."""

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        report = seed.gitea_report()
        return ScanReport(
            generated_at=seed.NOW,
            totals=Totals(total=1, out_of_sync=1, progressing=1, stuck=0),
            findings=report.findings,
        )

    def app_report(self, name: str) -> AppReport:
        return seed.gitea_report()

    def logs_report(self, name: str) -> StuckApp:
        return seed.rollouts_stuck()

    def close(self) -> None:
        """Nothing to release."""


@contextmanager
def opened(url: str, timeout_s: float = 0.3) -> Iterator[RedisStore]:
    store = RedisStore.from_url(url, timeout_s=timeout_s)
    try:
        yield store
    finally:
        store.close()


def timed(call: Callable[[], T], bound_s: float) -> T:
    """``call()``, failing the test if it (or the error it raises) took over ``bound_s``."""
    started = time.monotonic()
    try:
        return call()
    finally:
        elapsed = time.monotonic() - started
        assert elapsed < bound_s, f"took {elapsed:.2f}s, bound {bound_s}s"


def acknowledger(store: Any) -> Acknowledger:
    return Acknowledger(SeedClassifier(), store, clock=lambda: seed.NOW)


def ack_gitea(store: Any) -> Ack:
    return acknowledger(store).ack(SCOPE, timedelta(days=2), "known ESO defaults", by="U0ALICE")


def test_down_at_start_acks_fail_naming_redis_url_and_drift_still_answers() -> None:
    """Redis never up: ack/acks/unack raise StoreError naming REDIS_URL; scans still answer."""
    with opened(f"redis://127.0.0.1:{free_port()}/0") as store:
        for call in (
            lambda: ack_gitea(store),
            lambda: acknowledger(store).acks(),
            lambda: acknowledger(store).unack("a1", by="U0ALICE"),
        ):
            with pytest.raises(StoreError, match="REDIS_URL"):
                timed(call, bound_s=3)
        report = timed(
            lambda: AckedClassifier(SeedClassifier(), store, clock=lambda: seed.NOW).scan(),
            bound_s=3,
        )
    assert len(report.findings) == len(seed.gitea_report().findings)
    assert not any(f.acked for f in report.findings)
    (error,) = report.errors
    assert error.source == "redis"
    assert "REDIS_URL" in error.message


def test_lost_mid_run_fails_fast_then_recovers_on_the_same_client(
    redis_proc: RedisProcess,
) -> None:
    """Redis dies: StoreError at once; it comes back: the same store works, the ack is kept."""
    with opened(redis_proc.url) as store:
        ack = ack_gitea(store)
        redis_proc.stop()
        with pytest.raises(StoreError, match="REDIS_URL"):
            timed(lambda: store.active_acks(seed.NOW), bound_s=3)
        with pytest.raises(StoreError, match="REDIS_URL"):
            timed(lambda: ack_gitea(store), bound_s=3)
        redis_proc.start()
        assert store.active_acks(seed.NOW) == [ack]
        again = ack_gitea(store)
        assert {a.id for a in store.active_acks(seed.NOW)} == {ack.id, again.id}


def test_slow_writes_time_out_to_a_store_error_within_the_timeout(
    redis_proc: RedisProcess,
) -> None:
    """Redis hangs on writes: StoreError within the client's timeout budget, then recovery."""
    admin = redis.Redis.from_url(redis_proc.url)
    try:
        with opened(redis_proc.url, timeout_s=0.2) as store:
            admin.execute_command("CLIENT", "PAUSE", 10_000, "WRITE")
            try:
                # One attempt of 0.2 s (timeouts are not retried), far below the 10 s pause.
                with pytest.raises(StoreError, match="REDIS_URL") as info:
                    timed(lambda: ack_gitea(store), bound_s=2)
                assert "Timeout" in str(info.value)
                with pytest.raises(StoreError, match="is not asked again for"):
                    store.active_acks(seed.NOW)  # after a timeout the store fails fast a while
                time.sleep(HUNG_COOLDOWN_S)
                assert store.active_acks(seed.NOW) == [], "nothing half-written"
            finally:
                admin.execute_command("CLIENT", "UNPAUSE")
            ack = ack_gitea(store)
            assert store.active_acks(seed.NOW) == [ack]
    finally:
        admin.close()


def test_acks_survive_a_bot_restart_and_a_redis_restart(redis_proc: RedisProcess) -> None:
    """Stored acks and their audit entries outlive the bot's store and the Redis process."""
    with opened(redis_proc.url) as first:
        ack = ack_gitea(first)
    with opened(redis_proc.url) as second:  # the bot restarted
        assert second.active_acks(seed.NOW) == [ack]
    redis_proc.stop()
    redis_proc.start()  # Redis restarted (AOF, as deployed)
    with opened(redis_proc.url) as third:
        assert third.active_acks(seed.NOW) == [ack]
        audit = third.audit()
    assert [(e["action"], e["id"]) for e in audit] == [("ack", ack.id)]


class DiesBeforeWriting:
    """A store whose Redis goes away between allocating the ack id and writing the ack."""

    def __init__(self, store: RedisStore, proc: RedisProcess) -> None:
        self._store = store
        self._proc = proc

    def new_ack_id(self) -> str:
        return self._store.new_ack_id()

    def add_ack(self, ack: Ack) -> None:
        self._proc.stop()
        self._store.add_ack(ack)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_no_confirmation_without_the_write(redis_proc: RedisProcess) -> None:
    """The write fails: ack() raises, and after Redis returns no such ack or audit entry exists."""
    with opened(redis_proc.url) as store:
        with pytest.raises(StoreError, match="REDIS_URL"):
            ack_gitea(DiesBeforeWriting(store, redis_proc))
        redis_proc.start()
        assert store.active_acks(seed.NOW) == []
        assert store.audit() == []


def test_a_confirmed_ack_is_already_visible_to_every_replica(redis_proc: RedisProcess) -> None:
    """When ack() returns, another replica's fresh connection already sees the ack."""
    with opened(redis_proc.url) as mine, opened(redis_proc.url) as theirs:
        ack = ack_gitea(mine)
        assert theirs.active_acks(seed.NOW) == [ack]
        assert [e["id"] for e in theirs.audit()] == [ack.id]
