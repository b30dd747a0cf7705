"""Acks in a real Redis: round trip, expiry by the caller's clock, atomic writes, audit trail."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from functools import partial
from unittest import mock

import pytest
import redis
from redis.client import Pipeline

from bot.adapters.redis_store import TX_ATTEMPTS, RedisStore
from bot.core.model import AckScope
from bot.errors import InputError, StoreError
from tests.adapters.redis_store.store_support import T0, StoreFactory, make_ack

WEEK = timedelta(days=7)


def test_ack_ids_are_short_typeable_and_never_repeat(new_store: StoreFactory) -> None:
    """Ids are ``a`` + 11 unambiguous base-32 digits; 400 from two replicas are distinct."""
    a, b = new_store(), new_store()
    ids = [store.new_ack_id() for _ in range(200) for store in (a, b)]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"a[0-9abcdefghjkmnpqrstvwxyz]{11}", i) for i in ids)


def test_ack_ids_survive_redis_losing_its_data(store: RedisStore, raw: redis.Redis) -> None:
    """A Redis that forgets everything (a flush, a new volume) hands out no old id again."""
    before = {store.new_ack_id() for _ in range(100)}
    raw.flushdb()
    after = {store.new_ack_id() for _ in range(100)}
    assert not before & after


def test_ack_ids_sort_by_minute_of_creation(new_store: StoreFactory) -> None:
    """The first five digits are the minute: a later ack's id sorts after an earlier one's."""
    store = new_store()
    with mock.patch("bot.adapters.redis_store.acks.time.time", return_value=1_800_000_000.0):
        early = store.new_ack_id()
    with mock.patch("bot.adapters.redis_store.acks.time.time", return_value=1_800_000_060.0):
        late = store.new_ack_id()
    assert early[:6] < late[:6]


def test_a_refused_ack_is_audited(store: RedisStore) -> None:
    """Refusals land in the audit stream with who, what was typed, and why it was refused."""
    store.record_refusal(by="U666", command="ack gitea 4h x", why="not in S0ACK", at=T0)
    (entry,) = store.audit(limit=5)
    assert entry["action"] == "refused"
    assert (entry["by"], entry["command"], entry["why"]) == (
        "U666",
        "ack gitea 4h x",
        "not in S0ACK",
    )


def test_an_added_ack_reads_back_equal(store: RedisStore) -> None:
    """Who, why, when, expiry, scope and fingerprints survive storage unchanged."""
    ack = make_ack(scope="gitea/Service/gitea-http")
    store.add_ack(ack)
    assert store.active_acks(T0) == [ack]


def test_active_acks_come_oldest_first(store: RedisStore) -> None:
    """Acks are listed by creation time, then id."""
    later = make_ack("a2", now=T0 + timedelta(hours=1))
    first = make_ack("a3")
    store.add_ack(later)
    store.add_ack(first)
    assert store.active_acks(T0 + timedelta(hours=2)) == [first, later]


def test_adding_an_ack_whose_id_exists_is_refused(store: RedisStore, raw: redis.Redis) -> None:
    """A second ack with the same id raises InputError and leaves the first, audited once."""
    store.add_ack(make_ack())
    with pytest.raises(InputError, match="already exists"):
        store.add_ack(make_ack(by="U999"))
    assert store.active_acks(T0) == [make_ack()]
    assert raw.xlen("test:audit") == 1


@pytest.mark.parametrize(
    ("offset", "active"),
    [
        pytest.param(WEEK - timedelta(seconds=1), True, id="a-second-before-expiry"),
        pytest.param(WEEK, False, id="at-expiry"),
        pytest.param(WEEK + timedelta(days=30), False, id="long-after"),
    ],
)
def test_expiry_is_decided_by_the_callers_clock(
    store: RedisStore, offset: timedelta, active: bool
) -> None:
    """An ack is active strictly before ``expires_at`` as judged by the ``now`` passed in."""
    store.add_ack(make_ack())
    assert bool(store.active_acks(T0 + offset)) is active


def test_expired_acks_are_deleted_and_the_expiry_audited(
    store: RedisStore, raw: redis.Redis
) -> None:
    """Reading after expiry removes the ack and appends an ``expire`` entry to the audit trail."""
    store.add_ack(make_ack())
    store.add_ack(make_ack("a2", duration=timedelta(days=30)))
    after = T0 + WEEK + timedelta(minutes=1)
    assert [a.id for a in store.active_acks(after)] == ["a2"]
    assert raw.hkeys("test:acks") == ["a2"]
    newest = store.audit(limit=1)[0]
    assert {k: newest[k] for k in ("action", "id", "by", "acked_by", "at")} == {
        "action": "expire",
        "id": "a1",
        "by": "drift-bot",
        "acked_by": "U123",
        "at": after.isoformat(),
    }


def test_two_replicas_cleaning_up_expire_each_ack_exactly_once(new_store: StoreFactory) -> None:
    """Replicas reading at the same moment audit every expiry once, not once per replica."""
    setup = new_store()
    for i in range(5):
        setup.add_ack(make_ack(f"a{i}"))
    replicas = [new_store() for _ in range(4)]
    barrier = threading.Barrier(len(replicas))
    after = T0 + WEEK

    def read(replica: RedisStore) -> None:
        barrier.wait()
        replica.active_acks(after)

    _run_in_threads([partial(read, r) for r in replicas])
    actions = [e["action"] for e in setup.audit()]
    assert sorted(actions) == ["ack"] * 5 + ["expire"] * 5


def test_unack_returns_the_ack_and_the_audit_keeps_both_events(store: RedisStore) -> None:
    """Removing an ack hands it back; the audit trail still shows the ack and the unack."""
    ack = make_ack()
    store.add_ack(ack)
    removed = store.remove_ack("a1", by="U777", now=T0 + timedelta(hours=1))
    assert removed == ack
    assert store.active_acks(T0) == []
    unack, added = store.audit()
    assert (unack["action"], unack["by"], unack["acked_by"]) == ("unack", "U777", "U123")
    assert unack["at"] == (T0 + timedelta(hours=1)).isoformat()
    assert (added["action"], added["scope"], added["reason"]) == ("ack", "gitea", "known chart bug")
    assert added["fingerprints"] == ",".join(sorted(ack.fingerprints))


def test_unack_of_an_unknown_id_is_an_input_error(store: RedisStore) -> None:
    """A missing id is the user's mistake (InputError naming it), not a store failure."""
    with pytest.raises(InputError, match="no ack with id a42"):
        store.remove_ack("a42", by="U1", now=T0)


def test_audit_lists_newest_first_up_to_the_limit(store: RedisStore) -> None:
    """The audit trail is read newest first, ``limit`` entries at most, none for limit 0."""
    for i in range(3):
        store.add_ack(make_ack(f"a{i}"))
    assert [e["id"] for e in store.audit(limit=2)] == ["a2", "a1"]
    assert store.audit(limit=0) == []
    assert all(e["event"] for e in store.audit())


def test_unreadable_acks_are_skipped_with_a_warning_and_kept(
    store: RedisStore, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Garbled JSON or a foreign shape is skipped (logged), the rest still read, nothing lost."""
    store.add_ack(make_ack())
    raw.hset("test:acks", "a8", "{not json")
    raw.hset("test:acks", "a9", json.dumps({"id": "a9", "scope": 3}))
    with caplog.at_level(logging.WARNING, logger="bot.adapters.redis_store"):
        assert store.active_acks(T0) == [make_ack()]
    assert sorted(r.getMessage().split("'")[1] for r in caplog.records) == ["a8", "a9"]
    assert sorted(raw.hkeys("test:acks")) == ["a1", "a8", "a9"]


def test_an_unreadable_ack_can_still_be_removed(store: RedisStore, raw: redis.Redis) -> None:
    """Unacking a garbled entry deletes it, audits it, and says its data was unreadable."""
    raw.hset("test:acks", "a8", "{not json")
    removed = store.remove_ack("a8", by="U1", now=T0)
    assert (removed.id, removed.scope) == ("a8", AckScope("(unreadable)"))
    assert raw.hkeys("test:acks") == []
    assert store.audit()[0]["action"] == "unack"


def test_a_key_of_the_wrong_type_fails_before_anything_is_written(
    store: RedisStore, raw: redis.Redis
) -> None:
    """If the audit key is not a stream, the ack is not stored either: no half-written ack."""
    raw.set("test:audit", "someone else's string")
    with pytest.raises(StoreError, match=r"'test:audit' holds a string, expected a stream"):
        store.add_ack(make_ack())
    assert raw.exists("test:acks") == 0


def test_a_write_refused_inside_the_transaction_leaves_nothing(
    store: RedisStore, raw: redis.Redis, refuse_writes: Callable[[], None]
) -> None:
    """When Redis rejects the queued writes, EXEC applies none of them: no ack, no audit."""
    refuse_writes()
    with pytest.raises(StoreError, match="failed to store an ack") as err:
        store.add_ack(make_ack())
    assert isinstance(err.value.__cause__, redis.RedisError)
    assert raw.exists("test:acks", "test:audit") == 0


def test_a_refused_unack_keeps_the_ack_and_its_history_intact(
    store: RedisStore, raw: redis.Redis, refuse_writes: Callable[[], None]
) -> None:
    """A failed unack neither deletes the ack nor records an unack in the audit trail."""
    store.add_ack(make_ack())
    refuse_writes()
    with pytest.raises(StoreError, match="failed to remove an ack"):
        store.remove_ack("a1", by="U1", now=T0)
    assert raw.hkeys("test:acks") == ["a1"]
    assert raw.xlen("test:audit") == 1


class _Interfering(RedisStore):
    """A store whose transactions see another replica write right after WATCH."""

    interruptions = 1
    seen = 0

    def _check_types(self, pipe: Pipeline, watched: Mapping[str, str]) -> None:
        if self.seen < self.interruptions:
            self.seen += 1
            other = redis.Redis(connection_pool=self._client.connection_pool)
            other.xadd("test:audit", {"action": "other-replica"})
        super()._check_types(pipe, watched)


def test_a_concurrent_write_between_read_and_write_is_retried(
    redis_url: str, raw: redis.Redis
) -> None:
    """When another replica changes a watched key mid-transaction, the write is redone once."""
    store = _Interfering.from_url(redis_url, prefix="test")
    store.add_ack(make_ack())
    assert raw.hkeys("test:acks") == ["a1"]
    assert [e["action"] for e in store.audit()] == ["ack", "other-replica"]
    store.close()


def test_endless_conflicts_give_up_with_a_store_error_and_write_nothing(
    redis_url: str, raw: redis.Redis
) -> None:
    """After the retry budget the write is abandoned whole, with an error saying why."""
    store = _Interfering.from_url(redis_url, prefix="test")
    store.interruptions = TX_ATTEMPTS
    with pytest.raises(StoreError, match=f"gave up .* after {TX_ATTEMPTS} conflicting"):
        store.add_ack(make_ack())
    store.close()
    assert raw.exists("test:acks") == 0
    assert raw.xlen("test:audit") == TX_ATTEMPTS


class _Unacking(RedisStore):
    """A store that sees another replica unack ``a1`` just as it starts cleaning up."""

    def _check_types(self, pipe: Pipeline, watched: Mapping[str, str]) -> None:
        other = redis.Redis(connection_pool=self._client.connection_pool)
        other.hdel("test:acks", "a1")
        super()._check_types(pipe, watched)


def test_an_ack_removed_by_another_replica_during_cleanup_is_not_audited_as_expired(
    redis_url: str, raw: redis.Redis
) -> None:
    """Cleanup re-reads under WATCH, so an ack already gone gets no ``expire`` entry."""
    store = _Unacking.from_url(redis_url, prefix="test")
    raw.hset("test:acks", "a1", json.dumps(make_ack().to_json()))
    assert store.active_acks(T0 + WEEK) == []
    store.close()
    assert raw.exists("test:acks", "test:audit") == 0


def test_when_an_expiry_cannot_be_recorded_the_ack_stays_stored_but_inactive(
    store: RedisStore, raw: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """An expiry is never deleted unaudited; the answer still leaves the expired ack out."""
    store.add_ack(make_ack())
    store.add_ack(make_ack("a2", duration=timedelta(days=30)))
    raw.delete("test:audit")
    raw.set("test:audit", "not a stream")
    with caplog.at_level(logging.WARNING, logger="bot.adapters.redis_store"):
        assert [a.id for a in store.active_acks(T0 + WEEK)] == ["a2"]
    assert "expired acks not cleaned up this time" in caplog.text
    assert sorted(raw.hkeys("test:acks")) == ["a1", "a2"]


def test_a_client_that_returns_bytes_works_the_same(redis_url: str) -> None:
    """A store over a client without ``decode_responses`` reads acks, audit and incidents."""
    store = RedisStore(redis.Redis.from_url(redis_url), prefix="test")
    store.add_ack(make_ack())
    store.save_incident("web", {"ts": "1.2"})
    assert store.active_acks(T0) == [make_ack()]
    assert store.audit()[0]["action"] == "ack"
    assert store.incident("web") == {"ts": "1.2"}
    assert store.open_incidents() == ["web"]
    store.close()


def test_two_replicas_adding_at_once_lose_nothing(new_store: StoreFactory) -> None:
    """Concurrent acks from two replicas are all stored, each with one audit entry."""
    replicas = [new_store(), new_store()]

    def add_many(replica: RedisStore) -> None:
        for _ in range(25):
            replica.add_ack(make_ack(replica.new_ack_id()))

    _run_in_threads([partial(add_many, r) for r in replicas])
    assert len(replicas[0].active_acks(T0)) == 50
    assert len(replicas[1].audit(limit=1000)) == 50


def test_acks_ids_and_audit_survive_a_restart(new_store: StoreFactory) -> None:
    """A new store instance (a restarted bot) sees the acks and audit, and a fresh id."""
    before = new_store()
    ack = replace(make_ack(), id=before.new_ack_id())
    before.add_ack(ack)
    before.close()
    after = new_store()
    assert after.active_acks(T0) == [ack]
    assert after.audit()[0]["id"] == ack.id
    assert after.new_ack_id() != ack.id


def _run_in_threads(jobs: list[Callable[[], None]]) -> None:
    """Run jobs concurrently and re-raise the first failure in the test's thread."""
    errors: list[BaseException] = []

    def guarded(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # re-raised below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
