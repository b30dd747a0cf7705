"""Decoding large JSON bodies without the cyclic garbage collector walking the heap.

A page of 500 Applications is ~6 MB of JSON and a page of pods ~2.6 MB; decoding one allocates
hundreds of thousands of dicts and lists, and every 700 new containers CPython runs a young
collection, every tenth of those an older one, and a full collection whenever the long-lived
heap grew by a quarter. During a scan the long-lived heap *is* the fleet being decoded, so the
collector re-walks it again and again: measured on a realistic 2,000-app fleet, decoding its
pods took 5.0 s with the collector on and 1.1 s with it paused. JSON decoding creates no
reference cycles, so pausing it there frees nothing late; reference counting still frees
everything as usual.

The pause is process-wide, so it is counted: the collector comes back when the last of the
decoders running side by side (the scan's pool threads) is done, never in the middle of one.
"""

from __future__ import annotations

import gc
import json
import threading
from typing import Any

_lock = threading.Lock()
_active = 0
_was_enabled = False


def loads(body: bytes | str) -> Any:
    """`json.loads` with the cyclic collector paused (raises `ValueError` like it)."""
    global _active, _was_enabled
    with _lock:
        if _active == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _active += 1
    try:
        return json.loads(body)
    finally:
        with _lock:
            _active -= 1
            if _active == 0 and _was_enabled:
                gc.enable()
