"""Which Slack deliveries were already handled: each one does its work once, across replicas.

A delivery is named by several keys (`bot.delivery.slack.gate.delivery_keys`); it is new only
when *every* key is new, and taking it claims all of them. Claims live for `REPLAY_WINDOW`:
Slack's signatures are only accepted within 5 minutes either side of their timestamp, so after
10 minutes a replay is refused by the signature check anyway.

Two layers:

* This replica's memory, always: a replay to the same replica is caught with no I/O.
* The shared store (Redis ``SET NX`` with a TTL, `bot.ports.StateStore.mark_once`) when there
  is one, so the copy sent to another replica is caught too.

The store is asked on the request's own thread, before Bolt acknowledges, so it gets a hard
deadline (`STORE_DEADLINE_S`) on a small pool of its own: a hung Redis costs a command at most
that long, never Slack's 3 s. When the store cannot answer, the memory layer alone decides
(logged): better a replay to another replica than a bot that cannot acknowledge anything.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Final, Protocol

from bot.errors import StoreError

log = logging.getLogger(__name__)

REPLAY_WINDOW: Final = timedelta(minutes=10)
STORE_DEADLINE_S: Final = 0.5
"""The longest a command waits for Redis to say whether it is a replay."""
STORE_THREADS: Final = 4
MEMORY_ENTRIES: Final = 50_000
"""Keys remembered per replica (about 10 minutes of a busy workspace, a few MB)."""


class Marks(Protocol):
    """The part of the shared store this needs (`bot.ports.StateStore`)."""

    def mark_once(self, key: str, *, ttl: timedelta) -> bool: ...


class Deliveries:
    """``first(keys)``: True the first time any replica sees these keys within the window."""

    def __init__(self, store: Marks | None = None) -> None:
        self._store = store
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._pool = (
            ThreadPoolExecutor(STORE_THREADS, thread_name_prefix="slack-replay") if store else None
        )
        self._slots = threading.BoundedSemaphore(STORE_THREADS)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def first(self, keys: Sequence[str]) -> bool:
        hashed = [hashlib.sha256(k.encode()).hexdigest()[:32] for k in keys]
        if not self._remember(hashed):
            return False
        return self._store_first(hashed)

    def _remember(self, keys: Sequence[str]) -> bool:
        """Claim ``keys`` in memory; False when any was claimed within the window."""
        now = time.monotonic()
        window = REPLAY_WINDOW.total_seconds()
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if now - at < window and len(self._seen) < MEMORY_ENTRIES:
                    break
                del self._seen[oldest]
            if any(k in self._seen for k in keys):
                return False
            for key in keys:
                self._seen[key] = now
            return True

    def _store_first(self, keys: Sequence[str]) -> bool:
        if self._pool is None or self._store is None:
            return True
        if not self._slots.acquire(blocking=False):
            log.warning("replay check skipped Redis: earlier checks are still waiting for it")
            return True
        future = self._pool.submit(_claim_all, self._store, keys)
        future.add_done_callback(lambda _: self._slots.release())
        try:
            return future.result(timeout=STORE_DEADLINE_S)
        except FutureTimeout:
            log.warning("replay check: Redis did not answer within %.1f s", STORE_DEADLINE_S)
        except StoreError as exc:
            log.warning("replay check without Redis (this replica only): %s", exc)
        return True


def _claim_all(store: Marks, keys: Sequence[str]) -> bool:
    # Every key is claimed (no short-circuit): a later copy may carry only one of them.
    fresh = [store.mark_once(f"slack-delivery:{k}", ttl=REPLAY_WINDOW) for k in keys]
    return all(fresh)
