"""`CachedClassifier`: one upstream call per question per TTL, shared by concurrent askers."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.errors import UpstreamUnavailableError
from bot.service.caching import CachedClassifier
from tests.delivery.api.api_fakes import FakeClassifier

TTL = timedelta(seconds=30)


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """A hand-driven clock."""
    return FakeClock()


CALLS: dict[str, Callable[[CachedClassifier], Any]] = {
    "scan-all": lambda c: c.scan(),
    "scan-some": lambda c: c.scan(["gitea", "immich"]),
    "app": lambda c: c.app_report("gitea"),
    "logs": lambda c: c.logs_report("gitea"),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_repeat_within_ttl_costs_no_upstream_call(
    call: Callable[[CachedClassifier], Any], fake: FakeClassifier, clock: FakeClock
) -> None:
    """Asking the same question again before the TTL ends returns the cached answer."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    first = call(cache)
    clock.now += TTL.total_seconds() - 0.001
    assert call(cache) is first
    assert len(fake.calls) == 1


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_repeat_after_ttl_asks_upstream_again(
    call: Callable[[CachedClassifier], Any], fake: FakeClassifier, clock: FakeClock
) -> None:
    """Once the TTL has passed, the next call goes upstream again."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    call(cache)
    clock.now += TTL.total_seconds()
    call(cache)
    assert len(fake.calls) == 2


def test_each_method_and_argument_list_is_its_own_key(
    fake: FakeClassifier, clock: FakeClock
) -> None:
    """Different methods or arguments never answer each other."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    for call in CALLS.values():
        call(cache)
    cache.scan(["immich", "gitea"])
    cache.app_report("immich")
    assert fake.calls == [
        ("scan", ()),
        ("scan", ("gitea", "immich")),
        ("app", "gitea"),
        ("logs", "gitea"),
        ("scan", ("immich", "gitea")),
        ("app", "immich"),
    ]


def test_clear_forgets_cached_answers(fake: FakeClassifier, clock: FakeClock) -> None:
    """After clear(), the next call goes upstream even within the TTL."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    cache.scan()
    cache.clear()
    cache.scan()
    assert len(fake.calls) == 2


def test_failures_are_not_cached(fake: FakeClassifier, clock: FakeClock) -> None:
    """A call that raised is retried by the next caller, whose success is then cached."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    fake.error = UpstreamUnavailableError("down", source="kubernetes")
    with pytest.raises(UpstreamUnavailableError):
        cache.app_report("gitea")
    fake.error = None
    report = cache.app_report("gitea")
    assert cache.app_report("gitea") is report
    assert len(fake.calls) == 2


def test_the_oldest_entry_is_evicted_at_the_cap(fake: FakeClassifier, clock: FakeClock) -> None:
    """With the cache full, storing a new answer drops the oldest one and keeps the rest."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock, max_entries=3)
    for name in ("a", "b", "c", "d"):
        cache.app_report(name)
    cache.app_report("d")
    cache.app_report("b")
    assert [arg for _, arg in fake.calls] == ["a", "b", "c", "d"]
    cache.app_report("a")
    assert [arg for _, arg in fake.calls] == ["a", "b", "c", "d", "a"]


def test_expired_entries_are_dropped_when_a_new_answer_is_stored(
    fake: FakeClassifier, clock: FakeClock
) -> None:
    """Storing an answer drops every expired one, so stale answers do not pile up."""
    cache = CachedClassifier(fake, ttl=TTL, clock=clock)
    for name in ("a", "b", "c"):
        cache.app_report(name)
    assert len(cache) == 3
    clock.now += TTL.total_seconds()
    cache.app_report("d")
    assert len(cache) == 1


def test_max_entries_must_be_positive(fake: FakeClassifier) -> None:
    """A cache that could hold nothing is refused at construction."""
    with pytest.raises(ValueError, match="max_entries"):
        CachedClassifier(fake, ttl=TTL, max_entries=0)


# --- single flight ------------------------------------------------------------------------------

CALLERS = 10
SETTLE_S = 0.2
"""How long the followers get to reach the cache while the leader is blocked upstream."""


def _ask_concurrently(cache: CachedClassifier, fake: FakeClassifier) -> list[Any]:
    """Ten threads ask ``app_report("gitea")`` at once while the first upstream call is held.

    The TTL in these tests is zero, so a caller that arrived after the leader finished would
    cost a second upstream call: only real single-flight keeps the count at one.
    """
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        entered.set()
        assert release.wait(timeout=5)

    fake.before = hold
    outcomes: list[Any] = [None] * CALLERS
    start = threading.Barrier(CALLERS)

    def ask(i: int) -> None:
        start.wait(timeout=5)
        try:
            outcomes[i] = cache.app_report("gitea")
        except UpstreamUnavailableError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    assert entered.wait(timeout=5)
    time.sleep(SETTLE_S)
    release.set()
    for thread in threads:
        thread.join(timeout=5)
    return outcomes


def test_concurrent_identical_calls_share_one_upstream_call(fake: FakeClassifier) -> None:
    """Ten simultaneous identical calls cost one upstream call and all get the same object."""
    cache = CachedClassifier(fake, ttl=timedelta(0))
    outcomes = _ask_concurrently(cache, fake)
    assert len(fake.calls) == 1
    assert all(outcome is outcomes[0] for outcome in outcomes)
    assert outcomes[0].app == "gitea"


def test_concurrent_callers_share_the_leaders_exception(fake: FakeClassifier) -> None:
    """When the shared call fails, every waiting caller gets that same exception."""
    cache = CachedClassifier(fake, ttl=timedelta(0))
    fake.error = UpstreamUnavailableError("kubernetes is down", source="kubernetes")
    outcomes = _ask_concurrently(cache, fake)
    assert len(fake.calls) == 1
    assert all(outcome is fake.error for outcome in outcomes)


def test_a_failed_flight_is_retried_by_the_next_caller(fake: FakeClassifier) -> None:
    """After a shared failure, the next call starts a fresh upstream call."""
    cache = CachedClassifier(fake, ttl=timedelta(0))
    fake.error = UpstreamUnavailableError("kubernetes is down", source="kubernetes")
    _ask_concurrently(cache, fake)
    fake.before, fake.error = (lambda: None), None
    assert cache.app_report("gitea").app == "gitea"
    assert len(fake.calls) == 2


def test_concurrent_misses_are_bounded() -> None:
    """With max_concurrent_misses=1, two different uncached questions never run at once."""
    running = 0
    peak = 0
    guard = threading.Lock()

    class Slow(FakeClassifier):
        def app_report(self, name: str) -> Any:
            nonlocal running, peak
            with guard:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with guard:
                running -= 1
            return super().app_report(name)

    cached = CachedClassifier(Slow(), ttl=timedelta(seconds=30), max_concurrent_misses=1)
    threads = [threading.Thread(target=cached.app_report, args=(n,)) for n in ("gitea", "root")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert peak == 1
    assert len(cached) == 2
