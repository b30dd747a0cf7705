"""A caching, single-flight `Classifier` in front of any other one.

A scan costs one Argo CD request per drifting app plus CRD and inventory reads. When ten people
type ``/drift app gitea`` at once, or a dashboard and a CI job poll the API together, they
should cost one scan, not ten. So results are kept for ``DRIFT_CACHE_TTL`` per exact call
(method and arguments), and concurrent identical calls share one upstream call: the first
caller computes, the others wait for it and receive the same result or the same exception.

Failures are never cached: the next caller after a failure tries again. Keys stay per call (an
``app_report`` is not carved out of a cached full scan): simpler, and obviously correct. One
question has one call: acking an app asks its ``app_report`` (`bot.service.acks`), the same
key as ``/drift app`` that usually precedes it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar, cast

from bot.core.model import AppReport, ScanReport, StuckApp
from bot.ports import Classifier

T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 256
"""Distinct calls kept at once. Far more than the apps a team asks about within one TTL; it
only bounds memory when something loops over every app name."""


@dataclass
class _Flight:
    """One upstream call in progress; waiters block on ``done``."""

    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


@dataclass(frozen=True, slots=True)
class _Entry:
    value: Any
    expires_at: float


class CachedClassifier:
    """`Classifier` that caches ``inner``'s answers for ``ttl`` and merges concurrent calls."""

    def __init__(
        self,
        inner: Classifier,
        *,
        ttl: timedelta,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_concurrent_misses: int | None = None,
        version: Callable[[Sequence[str]], Hashable] | None = None,
    ) -> None:
        """``version`` (the fleet model's, in ``serve``) names what an answer was computed
        from; it joins the cache key, so a watched change to an app makes its next answer
        fresh at once instead of after the TTL."""
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        # Uncached scans are CPU-heavy (parsing, diffing) and share one interpreter with the
        # threads that acknowledge Slack commands; bounding them keeps acks fast. Cache hits
        # never wait on this.
        self._misses = (
            threading.BoundedSemaphore(max_concurrent_misses) if max_concurrent_misses else None
        )
        self._inner = inner
        self._ttl = ttl.total_seconds()
        self._clock = clock
        self._max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, _Entry] = {}
        self._flights: dict[Hashable, _Flight] = {}
        self._version = version

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        """The inner scan, shared with identical calls within the TTL."""
        selected = tuple(only)
        key = self._key("scan", selected)
        return self._call(key, lambda: self._inner.scan(selected))

    def app_report(self, name: str) -> AppReport:
        """The inner app report, shared with identical calls within the TTL."""
        return self._call(self._key("app", (name,)), lambda: self._inner.app_report(name))

    def logs_report(self, name: str) -> StuckApp:
        """The inner logs report, shared with identical calls within the TTL."""
        return self._call(self._key("logs", (name,)), lambda: self._inner.logs_report(name))

    def _key(self, method: str, names: tuple[str, ...]) -> Hashable:
        if self._version is None:
            return (method, names)
        return (method, names, self._version(names))

    def __len__(self) -> int:
        """Answers held right now, expired ones not yet dropped included (for metrics)."""
        with self._lock:
            return len(self._entries)

    def close(self) -> None:
        """Close the wrapped classifier."""
        self._inner.close()

    def clear(self) -> None:
        """Forget every cached answer (calls in flight still finish and are shared)."""
        with self._lock:
            self._entries.clear()

    def _call(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry.expires_at > self._clock():
                return cast(T, entry.value)
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
        if leader:
            return self._lead(key, flight, compute)
        return cast(T, self._follow(flight))

    def _lead(self, key: Hashable, flight: _Flight, compute: Callable[[], T]) -> T:
        try:
            if self._misses is None:
                value = compute()
            else:
                with self._misses:
                    value = compute()
        except BaseException as exc:
            # Not swallowed: waiters must wake up whatever happened, then it propagates.
            self._land(key, flight, error=exc)
            raise
        self._land(key, flight, value=value)
        return value

    def _land(
        self,
        key: Hashable,
        flight: _Flight,
        *,
        value: Any = None,
        error: BaseException | None = None,
    ) -> None:
        with self._lock:
            del self._flights[key]
            if error is None and self._ttl > 0:
                self._store(key, value)
            flight.value, flight.error = value, error
        flight.done.set()

    @staticmethod
    def _follow(flight: _Flight) -> Any:
        flight.done.wait()
        if flight.error is not None:
            raise flight.error
        return flight.value

    def _store(self, key: Hashable, value: Any) -> None:
        """Keep ``value`` until the TTL ends; called with the lock held."""
        now = self._clock()
        for stale in [k for k, e in self._entries.items() if e.expires_at <= now]:
            del self._entries[stale]
        self._entries.pop(key, None)  # re-inserting moves the key to the young end
        while len(self._entries) >= self._max_entries:
            del self._entries[next(iter(self._entries))]  # oldest first
        self._entries[key] = _Entry(value=value, expires_at=now + self._ttl)
