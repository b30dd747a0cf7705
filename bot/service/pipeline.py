"""Generic concurrency helpers of the scan pipeline (`bot.service.scan`), tested on their own.

Nothing here knows about apps, Argo CD or Kubernetes: `Once` fetches each key once, as early as
it is known to be needed; `Lane` feeds one kind of job to a shared pool at most a window at a
time; `read_ahead` lets a helper thread pull the next chunk of an iterator while the caller
works on the current one. Failures they carry are `bot.errors` types, so callers decide what
becomes a report entry.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from bot.errors import DriftBotError, InputError, UpstreamError

T = TypeVar("T")
K = TypeVar("K")
V = TypeVar("V")


@dataclass
class _Slot(Generic[V]):
    """One key of a `Once`: who asked, and the answer once ``done`` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    claimed: bool = False
    """Someone is fetching (or fetched) it; everyone else waits for ``done``."""
    value: V | None = None
    error: DriftBotError | None = None
    users: list[str] = field(default_factory=list)


class Once(Generic[K, V]):
    """Fetch each key once per scan, and as early as it is known to be needed.

    `prefetch` queues the fetch on the pool as soon as it will probably be needed, so it
    travels while other work does. `get` (from a worker, once the need is certain) takes over
    the fetch if nobody has started it yet, then waits: a worker never waits for a task still
    queued behind it, so the pool cannot deadlock. A failed fetch (`UpstreamError` or
    `InputError`) answers ``None`` to every asker; `failures` lists it with the users that
    needed it (a prefetch nobody needed has no users).
    """

    def __init__(self, fetch: Callable[[K], V]) -> None:
        self._fetch = fetch
        self._lock = threading.Lock()
        self._slots: dict[K, _Slot[V]] = {}

    def prefetch(self, key: K, pool: ThreadPoolExecutor) -> None:
        with self._lock:
            if key in self._slots:
                return
            slot = self._slots[key] = _Slot()
        pool.submit(self._claim, key, slot)

    def get(self, key: K, user: str) -> V | None:
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot()
            slot.users.append(user)
            mine, slot.claimed = not slot.claimed, True
        if mine:
            self._fill(key, slot)
        slot.done.wait()
        return slot.value

    def failure(self, key: K) -> DriftBotError | None:
        """Why ``key`` could not be fetched (after `get`), or ``None``."""
        with self._lock:
            slot = self._slots.get(key)
        return slot.error if slot is not None else None

    def failures(self) -> list[tuple[list[str], DriftBotError]]:
        """(sorted users, error) per failed key someone needed, in a stable key order."""
        failed = sorted(self._slots.items(), key=lambda item: repr(item[0]))
        return [
            (sorted(slot.users), slot.error)
            for _, slot in failed
            if slot.error is not None and slot.users
        ]

    def _claim(self, key: K, slot: _Slot[V]) -> None:
        with self._lock:
            if slot.claimed:
                return
            slot.claimed = True
        self._fill(key, slot)

    def _fill(self, key: K, slot: _Slot[V]) -> None:
        try:
            slot.value = self._fetch(key)
        except (UpstreamError, InputError) as exc:
            slot.error = exc
        finally:
            slot.done.set()


class Lane:
    """Feeds one kind of job to the pool, at most ``window`` at a time.

    Diffs are the bulk of a scan. Queued all at once, they would make a health check or a CRD
    read submitted later wait for the whole backlog; fed a pool's width at a time, anything
    submitted directly to the pool is next in line when a worker frees up.
    """

    def __init__(self, pool: ThreadPoolExecutor, window: int) -> None:
        self._pool = pool
        self._window = window
        self._lock = threading.Lock()
        self._waiting: deque[tuple[Future[Any], Callable[[], Any]]] = deque()
        self._busy = 0
        self._closed = False

    def submit(self, work: Callable[[], T]) -> Future[T]:
        outer: Future[T] = Future()
        with self._lock:
            self._waiting.append((outer, work))
        self._pump()
        return outer

    def close(self) -> None:
        """Stop feeding; jobs still waiting are cancelled (the pool is about to shut down)."""
        with self._lock:
            self._closed = True
            waiting, self._waiting = self._waiting, deque()
        for outer, _ in waiting:
            outer.cancel()

    def _pump(self) -> None:
        while True:
            with self._lock:
                if self._closed or self._busy >= self._window or not self._waiting:
                    return
                outer, work = self._waiting.popleft()
                self._busy += 1
            self._pool.submit(work).add_done_callback(partial(self._landed, outer))

    def _landed(self, outer: Future[Any], inner: Future[Any]) -> None:
        with self._lock:
            self._busy -= 1
        if inner.cancelled():
            outer.cancel()
        elif (error := inner.exception()) is not None:
            outer.set_exception(error)
        else:
            outer.set_result(inner.result())
        self._pump()


def read_ahead(items: Iterator[T], chunk: int) -> Iterator[T]:
    """Yield ``items`` while a helper thread already pulls the next ``chunk`` of them.

    The next page of a paged list is then on the wire (and its JSON decoded) while the caller
    parses the current one. The helper advances ``items`` one chunk at a time, never two at
    once, and the generator waits for it before returning, so no thread outlives the listing.
    """
    reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="drift-list")
    pending = reader.submit(_take, items, chunk)
    try:
        while batch := pending.result():
            pending = reader.submit(_take, items, chunk)
            yield from batch
    finally:
        wait([pending])
        reader.shutdown()


def _take(items: Iterator[T], count: int) -> list[T]:
    return list(itertools.islice(items, count))
