"""The circuit breaker in front of Argo CD: after a run of requests without an answer, fail
fast for a while instead of letting every app of a scan wait out its own timeouts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

logger = logging.getLogger(__package__)

BREAKER_FAILURES: Final = 5
"""Requests in a row without an answer before the breaker opens: more than one app's worth of
retries, fewer than one round of a 16-thread scan."""
BREAKER_OPEN_S: Final = 30.0
"""How long an open breaker fails requests at once before letting them try again."""


class Breaker:
    """Counts requests in a row that got no answer; past a threshold, refuses for a while.

    Shared by every scan thread, hence the lock. After the open period requests go through
    again: one answer closes the breaker, one more failure reopens it at once. A threshold
    of 0 disables it.
    """

    def __init__(self, threshold: int, open_s: float, clock: Callable[[], float]) -> None:
        self._threshold = threshold
        self._open_s = open_s
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._last = ""
        self._open_until = 0.0

    def refusal(self) -> str | None:
        """Why a request must not be sent now, or ``None`` when it may be."""
        with self._lock:
            left = self._open_until - self._clock()
            if left <= 0:
                return None
            return (
                f"did not answer {self._failures} requests in a row (last: {self._last}); "
                f"not calling it again for {left:.0f} s"
            )

    def answered(self) -> None:
        with self._lock:
            self._failures = 0

    def unanswered(self, why: str) -> None:
        with self._lock:
            self._failures += 1
            self._last = why
            if not self._threshold or self._failures < self._threshold:
                return
            now = self._clock()
            opening = self._open_until <= now
            self._open_until = now + self._open_s
            if opening:  # once per opening, not once per thread that piles on
                logger.warning(
                    "Argo CD did not answer %d requests in a row (last: %s); "
                    "failing requests at once for %.0f s",
                    self._failures,
                    why,
                    self._open_s,
                )
