"""The network floor of a scan: the same requests, replayed with a raw HTTP client.

What no implementation of the scan can beat on this machine: every request the scan made
(recorded by the simulator, in arrival order, ``continue`` tokens included) sent again by
``threads`` workers over keep-alive `http.client` connections, each body read to its end and
never parsed. The ratio scan / floor is what the bot adds on top of the network: JSON decoding,
parsing, classification and its own scheduling (a list page must arrive before the next is
asked for; the floor ignores that ordering, so it is a lower bound, not a target to reach).
"""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Sequence
from queue import Empty, SimpleQueue
from urllib.parse import urlsplit


def replay(
    requests: Sequence[tuple[str, str]], urls: dict[str, str], token: str, threads: int = 32
) -> tuple[float, int]:
    """Send ``requests`` ((api, path?query)) with ``threads`` workers; (seconds, bytes read)."""
    work: SimpleQueue[tuple[str, str]] = SimpleQueue()
    for request in requests:
        work.put(request)
    total = [0]
    lock = threading.Lock()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def worker() -> None:
        connections: dict[str, http.client.HTTPConnection] = {}
        read = 0
        try:
            while True:
                try:
                    api, path = work.get_nowait()
                except Empty:
                    break
                conn = connections.get(api)
                if conn is None:
                    parts = urlsplit(urls[api])
                    conn = http.client.HTTPConnection(parts.hostname or "", parts.port)
                    connections[api] = conn
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                read += len(response.read())
        finally:
            for conn in connections.values():
                conn.close()
            with lock:
                total[0] += read

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started, total[0]
