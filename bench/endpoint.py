"""Benchmark: the public endpoint under abuse, drift-bot's stack against the unguarded one.

    python bench/endpoint.py                  # 3 x 10 MB unsigned posts, 110 idle sockets
    python bench/endpoint.py --body-mb 1 --idle 50

Two stacks are served on loopback in this process, one after the other, each behind the real
Bolt app (signing secret, fake Slack Web API for ``auth.test``) with logging formatted by
`bot.logs` (redaction included) into a byte counter:

* **bot**: `bot.delivery.http.build_wsgi_app` + `HttpServer` — what ``drift-bot serve`` runs
  (the gate in front of Bolt, waitress' limits).
* **naive**: Bolt's WSGI adapter alone under waitress' defaults — the stack before issue #15.

For each it measures: the time to refuse each unsigned N MB post and the log bytes they cause;
the worst time-to-ack of signed ``/drift help`` commands sent while those posts stream in; the
answer of ``/healthz`` and a signed command with I idle half-open sockets connected (3 s client
timeout: a kubelet probe's); malformed signature headers; and a signed ``/drift ack`` sent
three times. With ``redis-server`` installed it also times ``/drift ack`` against a hung Redis
(``CLIENT PAUSE``) through the real store, until the answer reaches ``response_url``.

Bounded: every request has a timeout, sockets and servers are closed at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import io
import logging
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.*
from bot import logs
from bot.core.model import Ack, AppReport, StuckApp
from bot.delivery.http import HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.slack.commands import AckCmd
from bot.delivery.slack.replay import Deliveries
from bot.settings import Settings
from bot.wiring import build_slack_app
from tests.fakes.slack_api import FakeSlackApi

SECRET = "bench-signing-secret"
HOST = "127.0.0.1"


@dataclass
class CountingBackend:
    """A `SlackBackend` that answers instantly and counts acks (the work being measured is
    the endpoint's, not the classifier's)."""

    stored: list[Ack] = field(default_factory=list)

    def app_report(self, name: str) -> AppReport:
        raise NotImplementedError(name)

    def logs_report(self, name: str) -> StuckApp:
        raise NotImplementedError(name)

    def digest_preview(self) -> tuple[list[dict[str, Any]], str]:
        return [], "digest"

    def ack(self, cmd: AckCmd, user_id: str) -> Ack:
        now = datetime.now(UTC)
        ack = Ack(
            id=f"a{len(self.stored) + 1}",
            scope=cmd.scope,
            fingerprints=frozenset(),
            by=user_id,
            reason=cmd.reason,
            created_at=now,
            expires_at=now + cmd.duration,
        )
        self.stored.append(ack)
        return ack

    def acks(self) -> list[Ack]:
        return list(self.stored)

    def unack(self, ack_id: str, user_id: str) -> Ack:
        raise NotImplementedError(ack_id)

    def refused(self, command: str, why: str, user_id: str) -> None:
        """Refusals are not measured here."""


class ByteCounter(io.TextIOBase):
    """A log stream that only counts what is written."""

    def __init__(self) -> None:
        self.bytes = 0
        self.lock = threading.Lock()

    def write(self, text: str) -> int:
        with self.lock:
            self.bytes += len(text.encode())
        return len(text)


@contextlib.contextmanager
def counted_logs() -> Iterator[ByteCounter]:
    counter = ByteCounter()
    handler = logs.make_handler("text", counter)  # type: ignore[arg-type]
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    try:
        yield counter
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def signed(
    text: str, fake: FakeSlackApi, *, trigger_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "command": "/drift",
            "text": text,
            "user_id": "U0BENCH",
            "channel_id": "C0DRIFT",
            "team_id": "T0FAKE",
            "response_url": fake.response_url(uuid.uuid4().hex),
            "trigger_id": trigger_id or uuid.uuid4().hex,
        }
    )
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def post(port: int, body: bytes, headers: dict[str, str], timeout: float = 30) -> tuple[int, float]:
    """POST to /slack/events; (status or 0 on timeout/reset, seconds)."""
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        status = conn.getresponse().status
    except (TimeoutError, OSError):
        status = 0
    finally:
        conn.close()
    return status, time.monotonic() - started


def get(port: int, path: str, timeout: float = 3) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    except (TimeoutError, OSError):
        status = 0
    finally:
        conn.close()
    return status, time.monotonic() - started


@dataclass
class Stack:
    name: str
    port: int
    backend: CountingBackend
    stop: Callable[[], None]


def bot_stack(fake: FakeSlackApi) -> Stack:
    backend = CountingBackend()
    settings = Settings(
        slack_bot_token=fake.token, slack_signing_secret=SECRET, slack_api_url=fake.api_url
    )
    metrics = Metrics()
    app = build_slack_app(backend, settings, metrics=metrics)  # type: ignore[arg-type]
    wsgi = build_wsgi_app(
        app, ready=lambda: True, metrics_registry=metrics.registry, deliveries=Deliveries()
    )
    server = HttpServer(wsgi, port=0, host=HOST, threads=32)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return Stack("bot", server.port, backend, server.close)


def naive_stack(fake: FakeSlackApi) -> Stack:
    backend = CountingBackend()
    settings = Settings(
        slack_bot_token=fake.token, slack_signing_secret=SECRET, slack_api_url=fake.api_url
    )
    app = build_slack_app(backend, settings)  # type: ignore[arg-type]
    handler = SlackRequestHandler(app, path="/slack/events")

    def route(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return handler(environ, start_response)

    server: Any = create_server(route, host=HOST, port=0, threads=32)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def stop() -> None:
        server.task_dispatcher.shutdown()
        server.close()

    return Stack("naive", int(server.effective_port), backend, stop)


def flood(stack: Stack, fake: FakeSlackApi, body_mb: float) -> dict[str, str]:
    """3 unsigned posts of ``body_mb`` MB while signed /drift help commands keep coming."""
    body = b"text=" + b"A\n2026-01-01 00:00:00,000 ERROR forged: x\n" * 300_000
    body = (body * (1 + int(body_mb * 2**20) // len(body)))[: int(body_mb * 2**20)]
    with counted_logs() as counter, ThreadPoolExecutor(4) as pool:
        stop = threading.Event()

        def keep_acking() -> list[float]:
            times: list[float] = []
            while not stop.is_set():
                status, took = post(stack.port, *signed("help", fake), timeout=10)
                times.append(took if status == 200 else float("inf"))
                time.sleep(0.05)
            return times

        ackers = [pool.submit(keep_acking) for _ in range(2)]
        refusals = [post(stack.port, body, {}, timeout=60) for _ in range(3)]
        stop.set()
        acks = [t for f in ackers for t in f.result()]
    worst = max(acks) if acks else float("nan")
    return {
        "refuse_s": "/".join(f"{t:.2f}" for _, t in refusals),
        "refuse_status": "/".join(str(s) for s, _ in refusals),
        "log_kb": f"{counter.bytes / 1024:.0f}",
        "signed_acks": str(len(acks)),
        "worst_ack_s": f"{worst:.2f}",
    }


def slowloris(stack: Stack, fake: FakeSlackApi, idle: int) -> dict[str, str]:
    sockets: list[socket.socket] = []
    try:
        for _ in range(idle):
            sock = socket.create_connection((HOST, stack.port), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n")
            sockets.append(sock)
        health, health_s = get(stack.port, "/healthz", timeout=3)
        command, command_s = post(stack.port, *signed("help", fake), timeout=3)
    finally:
        for sock in sockets:
            sock.close()
    return {
        "healthz": f"{health or 'timeout'}@{health_s:.2f}s",
        "command": f"{command or 'timeout'}@{command_s:.2f}s",
    }


def malformed(stack: Stack) -> dict[str, str]:
    statuses = []
    for ts, sig in [
        ("abc", "v0=" + "0" * 64),
        ("9" * 400, "v0=" + "0" * 64),
        (str(int(time.time())), "v0=é"),
    ]:
        conn = http.client.HTTPConnection(HOST, stack.port, timeout=10)
        try:
            conn.putrequest("POST", "/slack/events")
            conn.putheader("Content-Length", "4")
            conn.putheader("X-Slack-Request-Timestamp", ts.encode())
            conn.putheader("X-Slack-Signature", sig.encode())
            conn.endheaders()
            conn.send(b"x=yz")
            statuses.append(str(conn.getresponse().status))
        finally:
            conn.close()
    return {"malformed": "/".join(statuses)}


def replay(stack: Stack, fake: FakeSlackApi) -> dict[str, str]:
    body, headers = signed("ack gitea 4h known", fake, trigger_id="t-replayed")
    for _ in range(3):
        post(stack.port, body, headers, timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not stack.backend.stored:
        time.sleep(0.05)
    time.sleep(0.3)
    return {"acks_of_3": str(len(stack.backend.stored))}


def hung_redis_ack(fake: FakeSlackApi) -> dict[str, str]:
    """/drift ack through the real Acknowledger and RedisStore while Redis is paused."""
    binary = shutil.which("redis-server")
    if binary is None:
        return {"hung_redis_ack_s": "n/a"}
    import redis

    from bot.adapters.redis_store import RedisStore
    from bot.delivery.slack.backend import Backend
    from bot.service.acks import Acknowledger
    from tests.delivery.slack import seed

    class OneApp:
        def app_report(self, name: str) -> AppReport:
            return seed.gitea_report()

        def scan(self, only: Any = ()) -> Any:
            raise NotImplementedError

        def logs_report(self, name: str) -> StuckApp:
            raise NotImplementedError

        def close(self) -> None:
            """Nothing to release."""

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", HOST, "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        admin = redis.Redis(host=HOST, port=port, socket_timeout=10)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                admin.ping()
                break
            time.sleep(0.05)
        store = RedisStore.from_url(f"redis://{HOST}:{port}/0")
        settings = Settings(
            slack_bot_token=fake.token, slack_signing_secret=SECRET, slack_api_url=fake.api_url
        )
        acknowledger = Acknowledger(OneApp(), store, clock=lambda: seed.NOW)  # type: ignore[arg-type]
        backend = Backend(OneApp(), acknowledger, None)  # type: ignore[arg-type]
        metrics = Metrics()
        app = build_slack_app(backend, settings, metrics=metrics)
        wsgi = build_wsgi_app(
            app, ready=lambda: True, metrics_registry=metrics.registry, deliveries=Deliveries(store)
        )
        server = HttpServer(wsgi, port=0, host=HOST, threads=8)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        admin.execute_command("CLIENT", "PAUSE", 5000, "ALL")
        ident = uuid.uuid4().hex
        body = urlencode(
            {
                "command": "/drift", "text": "ack gitea 4h known", "user_id": "U0BENCH",
                "response_url": fake.response_url(ident), "trigger_id": ident,
            }
        )  # fmt: skip
        ts = str(int(time.time()))
        sig = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
        started = time.monotonic()
        post(
            server.port,
            body.encode(),
            {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={sig}"},
        )
        while not fake.responses(ident) and time.monotonic() - started < 15:
            time.sleep(0.01)
        took = time.monotonic() - started
        answered = fake.responses(ident)
        says_redis = bool(answered) and "REDIS_URL" in answered[0].text_of_blocks
        server.close()
        store.close()
        time.sleep(5.2)  # let the pause run out before stopping the server
        admin.close()
        return {
            "hung_redis_ack_s": f"{took:.2f}",
            "hung_redis_names_redis_url": "yes" if says_redis else "no",
        }
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--body-mb", type=float, default=10.0, help="size of each unsigned post")
    parser.add_argument("--idle", type=int, default=110, help="idle half-open sockets")
    parser.add_argument("--skip-naive", action="store_true", help="measure drift-bot's stack only")
    args = parser.parse_args()
    results: dict[str, dict[str, str]] = {}
    # Everything logged goes to a counter (the flood measures its own share): the naive
    # stack's 500s would otherwise print tracebacks between the rows.
    with FakeSlackApi() as fake, counted_logs():
        builders = [bot_stack] if args.skip_naive else [bot_stack, naive_stack]
        for build in builders:
            stack = build(fake)
            try:
                row = flood(stack, fake, args.body_mb)
                row |= slowloris(stack, fake, args.idle)
                row |= malformed(stack)
                row |= replay(stack, fake)
            finally:
                stack.stop()
            results[stack.name] = row
            print(f"{stack.name:6} " + " ".join(f"{k}={v}" for k, v in row.items()), flush=True)
        extra = hung_redis_ack(fake)
        print("redis  " + " ".join(f"{k}={v}" for k, v in extra.items()))
    bot = results["bot"]
    summary = {
        "refuse_s": bot["refuse_s"],
        "log_kb": bot["log_kb"],
        "worst_ack_s": bot["worst_ack_s"],
        "healthz": bot["healthz"],
        "command": bot["command"],
        "malformed": bot["malformed"],
        "acks_of_3": bot["acks_of_3"],
        **extra,
    }
    if "naive" in results:
        naive = results["naive"]
        summary |= {
            "naive_refuse_s": naive["refuse_s"],
            "naive_log_kb": naive["log_kb"],
            "naive_healthz": naive["healthz"],
        }
    print("SUMMARY endpoint " + " ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
