"""Pausing CPython's cyclic garbage collector while large acyclic data is alive.

A scan decodes pages of JSON (500 Applications are ~70,000 dicts and lists, a page of pods as
many) and reduces each to a few survivors (parsed apps, a reference index) before dropping it.
CPython runs a young collection whenever the allocated-minus-freed count passes its threshold,
and every such collection walks all young objects: the raw pages still being read. Measured on
the realistic 2,000-app fleet (`bench/scan.py`): ~40 young collections per scan, 0.58 s of a
1.8 s scan's CPU, collecting almost nothing (decoded JSON has no reference cycles). Paused
from the decoding of a page to its release, the page is freed (by reference counting, as
always) before the collector ever sees it; what survives is walked once, after the pause.

The pause is process-wide, so it is counted: the collector comes back when the last of the
pausers running side by side (the scan's threads, a watch) is done, never in the middle of
one. It defers collection, never disables it for good: cyclic garbage made meanwhile is
collected on the first collection after the pause.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_active = 0
_was_enabled = False


@contextmanager
def paused() -> Iterator[None]:
    """Run the block with the cyclic collector paused (re-entrant, thread-safe)."""
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        yield
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()
