"""`HttpServer`'s lifecycle: however `close` and `serve_forever` interleave, both return and
the port is released (a real waitress server on loopback, real sockets)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import urllib.request
from collections.abc import Iterable

import pytest

from bot.delivery.http import HttpServer


def _hello(environ: object, start_response: object) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])  # type: ignore[operator]
    return [b"hi"]


def _start(server: HttpServer) -> threading.Thread:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread


def _refused(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def test_close_while_serving_returns_serve_forever_and_frees_the_port() -> None:
    server = HttpServer(_hello, port=0, host="127.0.0.1", threads=2)
    thread = _start(server)
    url = f"http://127.0.0.1:{server.port}/healthz-free-path"
    with urllib.request.urlopen(url, timeout=5) as answer:
        assert answer.read() == b"hi"  # serving: the loop answered
    server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert _refused(server.port)
    server.close()  # a second close (SIGTERM after a test's stop) is a no-op


def test_close_before_the_loop_starts_makes_serve_forever_return_at_once() -> None:
    server = HttpServer(_hello, port=0, host="127.0.0.1", threads=2)
    server.close()
    thread = _start(server)
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert _refused(server.port)


def test_close_while_the_loop_is_already_awake_writes_before_the_pipe_closes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The race CI hit: a worker has just woken the loop when close() queues its close_all.

    waitress's pull_trigger queues the thunk, then writes the wake-up byte outside the lock;
    a loop already awake ran close_all in between and closed the pipe under that write
    (EBADF at a serve fixture's teardown). Here the write is held back until the loop has had
    a second to run whatever is queued.
    """
    server = HttpServer(_hello, port=0, host="127.0.0.1", threads=2)
    thread = _start(server)
    urllib.request.urlopen(f"http://127.0.0.1:{server.port}/", timeout=5).close()
    trigger = server._server.trigger
    wake = trigger._physical_pull

    def worker_woke_the_loop_first() -> None:
        wake()  # a worker's pull, just before ours
        deadline = time.monotonic() + 1.0
        while not trigger._closed and time.monotonic() < deadline:
            time.sleep(0.01)  # the loop runs queued thunks now, unless close() holds the lock
        wake()

    trigger._physical_pull = worker_woke_the_loop_first
    with caplog.at_level(logging.WARNING, logger="bot.delivery.http"):
        server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert _refused(server.port)
    assert "wake-up pipe is gone" not in caplog.text


def test_close_when_the_wake_up_pipe_is_gone_still_stops_the_loop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A close must not raise (and leave the loop running) because waitress's trigger died."""
    server = HttpServer(_hello, port=0, host="127.0.0.1", threads=2)
    thread = _start(server)
    # Running, and no request served: a waitress worker ending a request pulls the trigger
    # too, and would meet the broken pipe injected below.
    deadline = time.monotonic() + 5
    while not server._running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server._running, "the server loop did not start within 5 s"
    # Point the pipe's write end at a read-only file: writing is then EBADF, as after a close,
    # but the number stays ours, so waitress's own close later cannot hit another file.
    read_only = os.open(os.devnull, os.O_RDONLY)
    os.dup2(read_only, server._server.trigger.trigger)  # the fault injected
    os.close(read_only)
    with caplog.at_level(logging.WARNING, logger="bot.delivery.http"):
        server.close()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert _refused(server.port)
    assert "wake-up pipe is gone" in caplog.text
