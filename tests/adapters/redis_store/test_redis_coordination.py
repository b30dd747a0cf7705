"""Coordination between replicas in a real Redis: locks, once-only keys, snapshot, incidents."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from bot.core.digest import Snapshot, snapshot_of
from bot.core.model import ScanReport, Totals
from tests.adapters.redis_store.store_support import T0, StoreFactory, finding

MINUTE = timedelta(minutes=1)


def _race(replicas: list[RedisStore], attempt: Callable[[RedisStore], bool]) -> list[bool]:
    """Start every replica's attempt at the same instant; collect who got ``True``."""
    barrier = threading.Barrier(len(replicas))
    results: list[bool] = [False] * len(replicas)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = attempt(replicas[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(replicas))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


# --- locks ----------------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(5))
def test_replicas_racing_for_a_lock_get_exactly_one_winner(
    new_store: StoreFactory, round_: int
) -> None:
    """Of several replicas taking the same lock at once, exactly one succeeds."""
    replicas = [new_store() for _ in range(6)]
    won = _race(replicas, lambda r: r.try_lock("digest", ttl=MINUTE, owner=str(id(r))))
    assert won.count(True) == 1


def test_a_held_lock_is_refused_to_others_until_released(store: RedisStore) -> None:
    """A second owner cannot take a held lock; after release it can."""
    assert store.try_lock("escalation", ttl=MINUTE, owner="r1")
    assert not store.try_lock("escalation", ttl=MINUTE, owner="r2")
    store.release_lock("escalation", owner="r1")
    assert store.try_lock("escalation", ttl=MINUTE, owner="r2")


def test_only_the_owner_can_release_a_lock(store: RedisStore) -> None:
    """A release by someone who does not hold the lock leaves it held."""
    assert store.try_lock("escalation", ttl=MINUTE, owner="r1")
    store.release_lock("escalation", owner="r2")
    assert not store.try_lock("escalation", ttl=MINUTE, owner="r3")


def test_a_crashed_holders_lock_expires(new_store: StoreFactory) -> None:
    """A holder that never releases (it crashed) blocks others only for the lock's TTL."""
    crashed, survivor = new_store(), new_store()
    assert crashed.try_lock("escalation", ttl=timedelta(milliseconds=80), owner="crashed")
    assert not survivor.try_lock("escalation", ttl=MINUTE, owner="survivor")
    deadline = time.monotonic() + 5
    while not survivor.try_lock("escalation", ttl=MINUTE, owner="survivor"):
        assert time.monotonic() < deadline, "the crashed holder's lock never expired"
        time.sleep(0.02)


def test_a_late_release_does_not_free_the_next_holders_lock(new_store: StoreFactory) -> None:
    """A slow holder releasing after its lock expired cannot delete the new holder's lock."""
    slow, fast = new_store(), new_store()
    assert slow.try_lock("digest", ttl=timedelta(milliseconds=30), owner="slow")
    deadline = time.monotonic() + 5
    while not fast.try_lock("digest", ttl=MINUTE, owner="fast"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    slow.release_lock("digest", owner="slow")
    assert not slow.try_lock("digest", ttl=MINUTE, owner="slow")


def test_a_ttl_below_one_millisecond_is_a_programming_error(store: RedisStore) -> None:
    """A zero TTL would make a lock that never expires or never exists; it raises ValueError."""
    with pytest.raises(ValueError, match="at least 1 ms"):
        store.try_lock("x", ttl=timedelta(0), owner="r1")


# --- idempotency keys -----------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(5))
def test_replicas_racing_to_mark_a_key_get_exactly_one_first(
    new_store: StoreFactory, round_: int
) -> None:
    """Of eight replicas marking the same day's digest key at once, exactly one is first."""
    replicas = [new_store() for _ in range(8)]
    first = _race(replicas, lambda r: r.mark_once("digest:C1:2024-05-01", ttl=MINUTE))
    assert first.count(True) == 1


def test_a_cleared_mark_can_be_taken_again(store: RedisStore) -> None:
    """Clearing a key (a failed post) lets the next run be first again."""
    assert store.mark_once("digest:C1:2024-05-01", ttl=MINUTE)
    assert not store.mark_once("digest:C1:2024-05-01", ttl=MINUTE)
    store.clear_mark("digest:C1:2024-05-01")
    assert store.mark_once("digest:C1:2024-05-01", ttl=MINUTE)


def test_marks_expire_after_their_ttl(store: RedisStore, raw: redis.Redis) -> None:
    """An idempotency key carries the TTL it was given."""
    store.mark_once("digest:C1:2024-05-01", ttl=timedelta(hours=36))
    assert 36 * 3600 * 1000 - 5000 < raw.pttl("test:once:digest:C1:2024-05-01") <= 36 * 3600 * 1000


# --- digest snapshot ------------------------------------------------------------------------


def _snapshot() -> Snapshot:
    report = ScanReport(
        generated_at=T0, totals=Totals(52, 20, 4, 1), findings=(finding(), finding(name="b"))
    )
    return snapshot_of(report)


def test_a_saved_snapshot_loads_back_equal_after_a_restart(new_store: StoreFactory) -> None:
    """Yesterday's snapshot written by one instance is read unchanged by a new one."""
    first = new_store()
    first.save_snapshot(_snapshot())
    first.close()
    assert new_store().load_snapshot() == _snapshot()


def test_no_snapshot_yet_loads_as_none(store: RedisStore) -> None:
    """Before the first digest there is no snapshot."""
    assert store.load_snapshot() is None


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("{not json", id="not-json"),
        pytest.param(json.dumps({"version": 99}), id="future-version"),
        pytest.param(b"\xff\xfe".decode("latin-1"), id="binary-junk"),
    ],
)
def test_an_unreadable_snapshot_loads_as_none_with_a_warning(
    store: RedisStore, raw: redis.Redis, caplog: pytest.LogCaptureFixture, stored: str
) -> None:
    """A snapshot this version cannot read is ignored (logged), never a crash."""
    raw.set("test:digest:snapshot", stored)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.redis_store"):
        assert store.load_snapshot() is None
    assert "unreadable digest snapshot" in caplog.text


# --- incidents ------------------------------------------------------------------------------


def test_incidents_are_saved_listed_replaced_and_closed(store: RedisStore) -> None:
    """An incident round-trips, saving replaces it whole, closing removes it from the list."""
    store.save_incident("argo-rollouts", {"since": "2024-04-10T00:00:00Z", "ts": "1.2"})
    store.save_incident("web", {"since": "x", "ts": "3.4", "last_ping": "y"})
    assert store.open_incidents() == ["argo-rollouts", "web"]
    store.save_incident("web", {"since": "z", "ts": "5.6"})
    assert store.incident("web") == {"since": "z", "ts": "5.6"}
    store.close_incident("web")
    assert store.incident("web") is None
    assert store.open_incidents() == ["argo-rollouts"]


def test_saving_an_empty_incident_closes_it(store: RedisStore) -> None:
    """Empty incident data means there is no incident any more."""
    store.save_incident("web", {"since": "x"})
    store.save_incident("web", {})
    assert store.incident("web") is None
    assert store.open_incidents() == []


def test_incidents_survive_a_restart(new_store: StoreFactory) -> None:
    """Escalation state written before a restart is there after it (no duplicate page)."""
    first = new_store()
    first.save_incident("argo-rollouts", {"since": "s", "ts": "1.2", "last_ping": "p"})
    first.close()
    later = new_store()
    assert later.open_incidents() == ["argo-rollouts"]
    assert later.incident("argo-rollouts") == {"since": "s", "ts": "1.2", "last_ping": "p"}


# --- user-group cache -----------------------------------------------------------------------


def test_user_group_members_are_cached_with_a_ttl(store: RedisStore, raw: redis.Redis) -> None:
    """Cached members read back as a set; an empty group is cached as empty, not missing."""
    assert store.user_group_members("S1") is None
    store.cache_user_group_members("S1", ["U2", "U1", "U2"], ttl=timedelta(minutes=10))
    store.cache_user_group_members("S2", [], ttl=timedelta(minutes=10))
    assert store.user_group_members("S1") == frozenset({"U1", "U2"})
    assert store.user_group_members("S2") == frozenset()
    assert 0 < raw.pttl("test:usergroup:S1") <= 600_000


@pytest.mark.parametrize(
    "stored",
    [
        pytest.param("{oops", id="not-json"),
        pytest.param('{"U1": 1}', id="not-a-list"),
        pytest.param("[1, 2]", id="not-strings"),
    ],
)
def test_an_unreadable_user_group_cache_is_a_miss(
    store: RedisStore, raw: redis.Redis, caplog: pytest.LogCaptureFixture, stored: str
) -> None:
    """A garbled cache entry reads as "not cached" (logged), so Slack is asked again."""
    raw.set("test:usergroup:S1", stored)
    with caplog.at_level(logging.WARNING, logger="bot.adapters.redis_store"):
        assert store.user_group_members("S1") is None
    assert "user-group cache of S1" in caplog.text


def test_ping_succeeds_when_redis_answers(store: RedisStore, raw: redis.Redis) -> None:
    """A reachable Redis passes the readiness check without raising, and was really asked."""

    def pings() -> int:
        stats = raw.info("commandstats").get("cmdstat_ping", {"calls": 0})
        return int(stats["calls"])

    before = pings()
    store.ping()
    assert pings() > before  # (a fresh connection may add redis-py's own health-check PING)
