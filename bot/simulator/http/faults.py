"""Injected failures: a status, a delay, a hang or a broken body for matching requests.

A `Fault` is what a test asks for; `FaultBook` holds the active ones and counts down their
``times`` under a lock, so 16 client threads hitting the same fault consume it exactly as
often as requested.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True, slots=True)
class Fault:
    """Make matching requests fail.

    Attributes:
        api: ``"kube"`` or ``"argocd"``.
        path_regex: searched (``re.search``) in the URL path, query excluded.
        status: HTTP status to answer. ``0`` means hang: wait ``delay_s``, then drop the
            connection without answering (a client timeout). ``200`` with no ``body`` only
            delays the normal answer.
        times: how many requests it hits; ``None`` = every request until cleared.
        delay_s: seconds to wait before answering (or before dropping, for ``status=0``).
        body: raw body replacing the API's error payload (e.g. malformed JSON).
    """

    api: Literal["kube", "argocd"]
    path_regex: str = ""
    status: int = 503
    times: int | None = 1
    delay_s: float = 0.0
    body: bytes | str | None = None
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.api not in ("kube", "argocd"):
            raise ValueError(f"Fault.api must be 'kube' or 'argocd', not {self.api!r}")
        object.__setattr__(self, "_pattern", re.compile(self.path_regex))

    def matches(self, api: str, path: str) -> bool:
        return api == self.api and self._pattern.search(path) is not None


@dataclass(slots=True)
class _Slot:
    fault: Fault
    left: int | None


class FaultBook:
    """The active faults, consumed in injection order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: list[_Slot] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._active.append(_Slot(fault, fault.times))

    def clear(self) -> None:
        with self._lock:
            self._active.clear()

    def take(self, api: str, path: str) -> Fault | None:
        """The first fault matching this request, with one use consumed."""
        with self._lock:
            for slot in self._active:
                if not slot.fault.matches(api, path):
                    continue
                if slot.left is not None:
                    slot.left -= 1
                    if slot.left <= 0:
                        self._active.remove(slot)
                return slot.fault
        return None
