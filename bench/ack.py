"""Benchmark: time-to-ack of signed ``/drift`` slash commands under concurrency, vs a naive bot.

    python bench/ack.py --concurrency 50 --requests 500

Slack gives an app 3 s to acknowledge a slash command; issue 8's target is p99 ≤ 100 ms with
50 commands in flight. Measured over real HTTP on loopback:

* the bot: ``build_server(settings, role="all")`` — what ``drift-bot serve`` runs — with the
  seed simulator behind it (``--latency-ms`` per upstream request) and the recording fake
  Slack for the ``response_url`` answers;
* the naive baseline, in the same process against the same simulator: the same Bolt app,
  HTTP server and WSGI router, but a listener that does the whole job (an uncached
  ``app_report`` and its rendering) before it acknowledges.

The command mix alternates ``/drift help`` (answered in the ack) and ``/drift app X`` over the
seed's drifting apps (answered later through ``response_url``). Time-to-ack is the HTTP
response time of the POST, connection set-up included (a fresh connection per command, as
Slack's edge does not reuse ours). After the run, every ``app`` command's answer must have
reached the fake Slack.

Where things run: the bot in this process; the simulator (`_support.simulator`), the fake Slack
and the load generator (an asyncio client) each in a child process, so that only the bot's own
work is charged to the bot's interpreter (``--sim``/``--slack inprocess`` keep them here).
``--roles split`` measures the split deployment instead: ``serve --role slack`` here, asking a
``drift-bot serve --role classifier`` child process, so classification runs on another core.

Every loop is bounded: N requests, a 30 s timeout per request, 60 s for the answers.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import io
import itertools
import logging
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlencode
from wsgiref.util import setup_testing_defaults

import _support
from prometheus_client import CollectorRegistry
from slack_bolt import Ack as BoltAck
from slack_bolt import App
from slack_sdk import WebClient

from bot import logs
from bot.delivery.http import HttpServer, build_wsgi_app
from bot.delivery.render import answers as render
from bot.delivery.serve import SLACK_HTTP_THREADS, Role
from bot.delivery.slack import commands
from bot.errors import DriftBotError
from bot.service.scan import DriftService
from bot.settings import Settings, load_settings
from bot.simulator import scenarios
from bot.wiring import build_server, build_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for tests.fakes
from tests.fakes.slack_api import FakeSlackApi

SECRET: Final = "bench-signing-secret"
API_TOKEN: Final = "bench-api-token"
HOST: Final = "127.0.0.1"
TARGET_P99_MS: Final = 100.0
SLACK_DEADLINE_S: Final = 3.0
REQUEST_TIMEOUT_S: Final = 30.0
"""A command that has not been answered in 30 s counts as failed (Slack gave up at 3 s)."""
ANSWERS_TIMEOUT_S: Final = 60.0
"""How long the bot may take to post every ``response_url`` answer after the last ack."""
STARTUP_TIMEOUT_S: Final = 30.0
WARMUP: Final = 10
"""``/drift help`` commands sent before measuring, so lazy imports are not charged to p99."""
NOWHERE: Final = "http://127.0.0.1:9/"
"""The response_url of commands whose answer nobody reads (`help` is answered in the ack)."""


@dataclass(frozen=True)
class Result:
    """One command as the client saw it."""

    kind: str
    """``help`` or ``app``."""
    status: int
    """HTTP status; 0 when the connection failed or timed out."""
    seconds: float


@dataclass(frozen=True)
class Answers:
    """The ``response_url`` answers of the bot's ``app`` commands."""

    wanted: int
    good: int
    """Answers that name their app and report no error."""
    seconds: float
    """From the first command until the last answer arrived (polled every 50 ms)."""


@dataclass(frozen=True)
class Run:
    """Every command of one measured run, and the run's wall time."""

    label: str
    results: list[Result]
    wall_s: float

    def seconds(self) -> list[float]:
        return sorted(r.seconds for r in self.results)

    def ms(self, q: float) -> float:
        """The ``q`` quantile (0..1) of time-to-ack in milliseconds, nearest-rank."""
        ordered = self.seconds()
        rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
        return ordered[rank - 1] * 1000

    @property
    def failed(self) -> int:
        return sum(r.status != 200 for r in self.results)

    @property
    def late(self) -> int:
        """Commands Slack would have shown as failed (not acknowledged within 3 s)."""
        return sum(r.seconds > SLACK_DEADLINE_S for r in self.results)

    @property
    def rps(self) -> float:
        return len(self.results) / self.wall_s if self.wall_s else 0.0


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.direct:
        return _direct(args)
    logs.configure("text", logging.ERROR)  # the bench prints figures; the bot stays quiet
    for noisy in ("urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    build = partial(scenarios.seed, now=datetime.now(UTC))  # serve reads the real clock
    with (
        _support.simulator(build, args.latency_ms, args.sim) as sim,
        _support.workdir() as tmp,
        _fake_slack(args.slack) as fake,
    ):
        settings = _settings(sim, tmp, fake)
        apps = sorted({app for app, *_ in sim.expected})
        texts = _mix(apps, args.requests)
        bot, answers = _measure_bot(settings, fake, texts, args, tmp)
        naive = _measure_naive(settings, fake, texts[: args.naive_requests], args.concurrency)
        floor = _measure_floor(texts, args.concurrency)
    _report(args, apps, bot, naive, answers, floor)
    ok = not (bot.failed or naive.failed or floor.failed) and answers.good == answers.wanted
    return 0 if ok else 1


# --- the command mix -------------------------------------------------------------------------


def _mix(apps: Sequence[str], n: int) -> list[str]:
    """``help`` and ``app X`` alternating, X cycling through ``apps``."""
    names = itertools.cycle(apps)
    return ["help" if i % 2 == 0 else f"app {next(names)}" for i in range(n)]


def _app_count(texts: Sequence[str]) -> int:
    return sum(t.startswith("app ") for t in texts)


def _signed_request(text: str, ident: str, response_url: str) -> bytes:
    """The raw HTTP/1.1 POST Slack would send for ``/drift text`` (v0 HMAC signature)."""
    form = {
        "team_id": "T0FAKE",
        "channel_id": "C0DRIFT",
        "user_id": "U0BENCH",
        "user_name": "bench",
        "command": "/drift",
        "text": text,
        "api_app_id": "A0DRIFT",
        "response_url": response_url,
        "trigger_id": ident,
    }
    body = urlencode(form)
    ts = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    head = (
        "POST /slack/events HTTP/1.1\r\n"
        f"Host: {HOST}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\n"
        f"X-Slack-Signature: v0={digest}\r\n"
        "Connection: close\r\n\r\n"
    )
    return (head + body).encode()


def _requests(texts: Sequence[str], fake: SlackHandle, prefix: str) -> list[bytes]:
    return [
        _signed_request(text, f"{prefix}{i}", fake.response_url(f"{prefix}{i}"))
        for i, text in enumerate(texts)
    ]


# --- the fake Slack, in a child process or in this one ----------------------------------------


class SlackHandle(Protocol):
    """What the benchmark needs from the fake Slack, wherever it runs."""

    token: str
    api_url: str

    def response_url(self, ident: str) -> str: ...
    def answers(self, prefix: str) -> dict[str, str]:
        """Fallback text of each accepted response_url answer whose ident has ``prefix``."""
        ...


class _LocalSlack:
    def __init__(self, fake: FakeSlackApi) -> None:
        self._fake = fake
        self.token = fake.token
        self.api_url = fake.api_url

    def response_url(self, ident: str) -> str:
        return self._fake.response_url(ident)

    def answers(self, prefix: str) -> dict[str, str]:
        start = f"/response/{prefix}"
        return {
            r.path.removeprefix("/response/"): str(r.body.get("text", ""))
            for r in list(self._fake.requests)
            if r.path.startswith(start) and r.accepted
        }


class _ChildSlack:
    def __init__(self, conn: Connection, hello: dict[str, str]) -> None:
        self._conn = conn
        self.token = hello["token"]
        self.api_url = hello["api_url"]
        self._base = hello["base"]

    def response_url(self, ident: str) -> str:
        return f"{self._base}/response/{ident}"

    def answers(self, prefix: str) -> dict[str, str]:
        self._conn.send(("answers", prefix))
        answers: dict[str, str] = self._conn.recv()
        return answers


def _slack_child(conn: Connection) -> None:
    """Child process body: serve the fake Slack, count answers for the parent until told to stop."""
    with FakeSlackApi() as fake:
        local = _LocalSlack(fake)
        conn.send({"token": fake.token, "api_url": fake.api_url, "base": fake.base})
        while True:
            command, *args = conn.recv()
            if command != "answers":
                conn.send(None)
                return
            conn.send(local.answers(args[0]))


@contextmanager
def _fake_slack(mode: str) -> Iterator[SlackHandle]:
    """The recording fake Slack Web API, in a child process (default) or in this one."""
    if mode == "inprocess":
        with FakeSlackApi() as fake:
            yield _LocalSlack(fake)
        return
    with _child(_slack_child) as conn:
        yield _ChildSlack(conn, conn.recv())


@contextmanager
def _child(target: Callable[..., None], *args: Any) -> Iterator[Connection]:
    """Run ``target(conn, *args)`` in a spawned child; the parent's end of the pipe."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(target=target, args=(child, *args), daemon=True)
    process.start()
    child.close()
    try:
        yield parent
    finally:
        if process.is_alive():
            parent.send(("stop",))
        process.join(timeout=REQUEST_TIMEOUT_S)
        if process.is_alive():
            process.terminate()
            process.join()
        parent.close()
        process.close()


# --- the servers -------------------------------------------------------------------------------


def _settings(sim: _support.SimHandle, tmp: Path, fake: SlackHandle) -> Settings:
    """A role-all bot over ``sim``, answering Slack through ``fake``."""
    return _slack_settings(
        fake,
        kubeconfig=str(sim.write_kubeconfig(tmp / "kubeconfig")),
        argocd_server=sim.argocd_url,
        argocd_auth_token=_support.TOKEN,
    )


def _slack_settings(fake: SlackHandle, **values: Any) -> Settings:
    return load_settings(
        slack_bot_token=fake.token,
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        drift_api_token=API_TOKEN,
        **values,
    )


@contextmanager
def _serving(http: HttpServer) -> Iterator[int]:
    thread = threading.Thread(target=http.serve_forever, name="bench-http", daemon=True)
    thread.start()
    try:
        yield http.port
    finally:
        http.close()
        thread.join(timeout=10)


def _measure_bot(
    settings: Settings, fake: SlackHandle, texts: list[str], args: argparse.Namespace, tmp: Path
) -> tuple[Run, Answers]:
    """Serve ``--roles all`` here, or ``slack`` here with a classifier in a child process.

    The server stays up until every answer is posted (or the wait times out).
    """
    with ExitStack() as stack:
        role: Role = "all"
        if args.roles == "split":
            url = stack.enter_context(_classifier_process(settings, tmp))
            settings = _slack_settings(fake, drift_classifier_url=url)
            role = "slack"
        server = build_server(settings, role=role, port=0, host=HOST)
        stack.callback(server.stop_background)
        server.start_background()
        port = stack.enter_context(_serving(server.http))
        started = time.perf_counter()
        run = _load(port, _requests(texts, fake, "bot-"), texts, args.concurrency, "bot")
        answers = _answers(fake, texts, started)
    return run, answers


def _direct(args: argparse.Namespace) -> int:
    """``--direct N``: N signed ``/drift help`` commands handed one at a time to the WSGI app
    ``serve --role all`` serves, no network and no concurrency: the ack path's own cost."""
    logs.configure("text", logging.ERROR)
    build = partial(scenarios.seed, now=datetime.now(UTC))
    with (
        _support.simulator(build, args.latency_ms, args.sim) as sim,
        _support.workdir() as tmp,
        _fake_slack(args.slack) as fake,
    ):
        server = build_server(_settings(sim, tmp, fake), role="all", port=0, host=HOST)
        server.start_background()
        try:
            count = WARMUP + args.direct
            raw = [_signed_request("help", f"direct-{i}", NOWHERE) for i in range(count)]
            for request in raw[:WARMUP]:
                _call(server.http.app, request)
            cpu, wall = time.process_time(), time.perf_counter()
            statuses = [_call(server.http.app, request) for request in raw[WARMUP:]]
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            server.stop_background()
    print(
        f"direct       {args.direct} signed `/drift help` through the WSGI app, one at a time: "
        f"{wall / args.direct * 1000:.2f} ms wall, {cpu / args.direct * 1000:.2f} ms CPU each"
    )
    print(
        f"SUMMARY ack direct={args.direct} wall_ms={wall / args.direct * 1000:.2f} "
        f"cpu_ms={cpu / args.direct * 1000:.2f} non200={sum(s != 200 for s in statuses)}"
    )
    return 0 if all(s == 200 for s in statuses) else 1


def _call(app: Callable[..., Any], request: bytes) -> int:
    """One raw HTTP request through a WSGI app in this thread; the response status."""
    head, body = request.split(b"\r\n\r\n", 1)
    request_line, *header_lines = head.decode().split("\r\n")
    method, path, _ = request_line.split(" ")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.input": io.BytesIO(body),
    }
    for line in header_lines:
        name, value = line.split(": ", 1)
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    setup_testing_defaults(environ)  # the rest of a WSGI environ (server name, version...)
    status: list[str] = []
    chunks = app(environ, lambda s, _headers, _exc=None: status.append(s))
    b"".join(chunks)
    return int(status[0].split(" ", 1)[0])


def _measure_floor(texts: list[str], concurrency: int) -> Run:
    """The same load against the same HTTP server (class, threads, limits) in front of a WSGI
    app that only reads the body and answers 200: what the machine, the load generator and
    waitress cost before the bot does anything. Signed like the real commands, never checked.
    """
    http = HttpServer(_empty_answer, port=0, host=HOST, threads=SLACK_HTTP_THREADS)
    raw = [_signed_request(text, f"floor-{i}", NOWHERE) for i, text in enumerate(texts)]
    with _serving(http) as port:
        return _load(port, raw, texts, concurrency, "floor")


def _empty_answer(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
    return [b"{}"]


@contextmanager
def _classifier_process(settings: Settings, tmp: Path) -> Iterator[str]:
    """``drift-bot serve --role classifier`` in a child process; its URL once it answers."""
    port = _free_port()
    env = {
        **os.environ,
        "KUBECONFIG": str(settings.kubeconfig),
        "ARGOCD_SERVER": str(settings.argocd_server),
        "ARGOCD_AUTH_TOKEN": _support.TOKEN,
        "DRIFT_API_TOKEN": API_TOKEN,
        "DRIFT_PORT": str(port),
    }
    with (tmp / "classifier.log").open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--role", "classifier"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://{HOST}:{port}"
            _wait_healthy(url, process)
            yield url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=REQUEST_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"the classifier process did not answer {url}/healthz")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _measure_naive(
    settings: Settings, fake: SlackHandle, texts: list[str], concurrency: int
) -> Run:
    service = build_service(settings)
    client = WebClient(token=fake.token, base_url=fake.api_url)
    app = App(
        signing_secret=SECRET,
        client=client,
        process_before_response=True,  # the listener runs to completion before the response
        logger=logging.getLogger("bench.naive"),
    )
    app.command("/drift")(partial(_naive_listener, service))
    wsgi = build_wsgi_app(app, ready=lambda: True, metrics_registry=CollectorRegistry())
    try:
        http = HttpServer(wsgi, port=0, host=HOST, threads=SLACK_HTTP_THREADS)  # as the bot's
        with _serving(http) as port:
            return _load(port, _requests(texts, fake, "naive-"), texts, concurrency, "naive")
    finally:
        service.close()


def _naive_listener(service: DriftService, ack: BoltAck, command: dict[str, Any]) -> None:
    """Do the whole job, then acknowledge with the answer (what a first draft would do)."""
    try:
        cmd = commands.parse(str(command.get("text", "")))
        if isinstance(cmd, commands.AppCmd):
            message = render.app_report(service.app_report(cmd.name))
        else:
            message = render.help_message()
    except DriftBotError as exc:
        message = render.Message(blocks=[], text=str(exc))
    ack(text=message.text, blocks=message.blocks or None, response_type="ephemeral")


def _answers(fake: SlackHandle, texts: list[str], started: float) -> Answers:
    """Wait (bounded) until every ``app`` command has its answer; count the good ones."""
    wanted = {
        f"bot-{i}": text.removeprefix("app ") for i, text in enumerate(texts) if text != "help"
    }
    deadline = time.monotonic() + ANSWERS_TIMEOUT_S
    posted = fake.answers("bot-")
    while len(posted) < len(wanted) and time.monotonic() < deadline:
        time.sleep(0.05)
        posted = fake.answers("bot-")
    seconds = time.perf_counter() - started
    good = sum(1 for ident, text in posted.items() if _good_answer(wanted.get(ident, ""), text))
    return Answers(wanted=len(wanted), good=good, seconds=seconds)


def _good_answer(app: str, text: str) -> bool:
    return bool(app) and app in text and not any(bad in text for bad in _BAD_ANSWERS)


_BAD_ANSWERS: Final = ("went wrong", "unreachable", "Working on it")


# --- the load generator (a child process) ----------------------------------------------------


def _load(port: int, raw: list[bytes], texts: list[str], concurrency: int, label: str) -> Run:
    """Fire ``raw`` with ``concurrency`` in flight from a child process; collect the timings."""
    warmup = [_signed_request("help", f"warm-{i}", NOWHERE) for i in range(WARMUP)]
    with _child(_client, port, warmup, raw, concurrency) as conn:
        timings, wall_s = conn.recv()
    kinds = ["app" if t.startswith("app ") else "help" for t in texts]
    results = [Result(kind, status, s) for kind, (status, s) in zip(kinds, timings, strict=True)]
    return Run(label, results, wall_s)


def _client(
    conn: Connection, port: int, warmup: list[bytes], raw: list[bytes], concurrency: int
) -> None:
    asyncio.run(_fire(port, warmup, 1))
    started = time.perf_counter()
    timings = asyncio.run(_fire(port, raw, concurrency))
    conn.send((timings, time.perf_counter() - started))
    conn.recv()  # the parent's "stop"


async def _fire(port: int, raw: list[bytes], concurrency: int) -> list[tuple[int, float]]:
    """Send every request, ``concurrency`` at a time; (status, seconds) in request order."""
    timings: list[tuple[int, float]] = [(0, 0.0)] * len(raw)
    pending = iter(range(len(raw)))

    async def worker() -> None:
        for i in pending:  # one iterator shared by all workers: each request is sent once
            timings[i] = await _one(port, raw[i])

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return timings


async def _one(port: int, request: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT_S):
            reader, writer = await asyncio.open_connection(HOST, port)
            try:
                writer.write(request)
                await writer.drain()
                response = await reader.read()  # Connection: close — the body ends at EOF
            finally:
                writer.close()
                await writer.wait_closed()
    except (OSError, TimeoutError):
        return 0, time.perf_counter() - started
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, time.perf_counter() - started


# --- output ----------------------------------------------------------------------------------


def _report(
    args: argparse.Namespace,
    apps: Sequence[str],
    bot: Run,
    naive: Run,
    answers: Answers,
    floor: Run,
) -> None:
    topology = "serve --role all" if args.roles == "all" else "serve --role slack + classifier"
    print(
        f"commands     {len(bot.results)} (help / app X over {len(apps)} drifting apps, "
        f"alternating), {args.concurrency} in flight, {args.latency_ms:g} ms per upstream request"
    )
    print(
        f"processes    bot: {topology}; simulator: {args.sim}; fake Slack: {args.slack}; "
        "load generator: subprocess"
    )
    print(
        f"{'time-to-ack':12} {'n':>5} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'req/s':>7} {'non-200':>8} {'>3 s':>5}"
    )
    rows = [
        bot,
        *(_only(bot, kind) for kind in ("help", "app")),
        naive,
        _only(naive, "app"),
        floor,
    ]
    for run in rows:
        rps = f"{run.rps:7.0f}" if run in (bot, naive, floor) else f"{'':7}"
        print(
            f"{run.label:12} {len(run.results):5d} {run.ms(0.5):8.1f} {run.ms(0.9):8.1f} "
            f"{run.ms(0.99):8.1f} {run.ms(1.0):8.1f} {rps} {run.failed:8d} {run.late:5d}"
        )
    ratio_p50 = naive.ms(0.5) / bot.ms(0.5)
    ratio_p99 = naive.ms(0.99) / bot.ms(0.99)
    verdict = "PASS" if bot.ms(0.99) <= TARGET_P99_MS else "MISS"
    print(
        f"answers      {answers.good}/{answers.wanted} app answers posted to response_url, "
        f"the last {answers.seconds:.1f} s after the first command"
    )
    print(f"ratio        naive/bot time-to-ack: p50 {ratio_p50:.1f}x, p99 {ratio_p99:.1f}x")
    print(
        f"floor        an empty 200 on the same server and load: p50 {floor.ms(0.5):.1f} ms, "
        f"p99 {floor.ms(0.99):.1f} ms; the bot adds {bot.ms(0.5) - floor.ms(0.5):.1f} ms "
        f"at p50, {bot.ms(0.99) - floor.ms(0.99):.1f} ms at p99"
    )
    print(f"target       p99 ≤ {TARGET_P99_MS:g} ms: {verdict}")
    print(
        f"SUMMARY ack roles={args.roles} concurrency={args.concurrency} "
        f"requests={len(bot.results)} p50_ms={bot.ms(0.5):.1f} p90_ms={bot.ms(0.9):.1f} "
        f"p99_ms={bot.ms(0.99):.1f} max_ms={bot.ms(1.0):.1f} rps={bot.rps:.0f} "
        f"naive_p50_ms={naive.ms(0.5):.1f} naive_p99_ms={naive.ms(0.99):.1f} "
        f"ratio_p99={ratio_p99:.1f} answers={answers.good}/{answers.wanted} "
        f"floor_p50_ms={floor.ms(0.5):.1f} floor_p99_ms={floor.ms(0.99):.1f} "
        f"non200={bot.failed + naive.failed + floor.failed} "
        f"target_p99_{TARGET_P99_MS:g}ms={verdict}"
    )


def _only(run: Run, kind: str) -> Run:
    """The commands of one kind within ``run``."""
    return Run(f"{run.label} {kind}", [r for r in run.results if r.kind == kind], run.wall_s)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=50, help="commands in flight")
    parser.add_argument("--requests", type=int, default=500, help="commands in total")
    parser.add_argument(
        "--naive-requests",
        type=int,
        default=None,
        help="commands sent to the naive baseline (default: --requests)",
    )
    parser.add_argument("--latency-ms", type=float, default=25.0, help="per upstream request")
    parser.add_argument(
        "--direct",
        type=int,
        default=0,
        metavar="N",
        help="only time N `/drift help` acks called straight into the WSGI app (no network)",
    )
    parser.add_argument(
        "--roles",
        choices=("all", "split"),
        default="all",
        help="all: one `serve --role all`; split: `--role slack` here asking a "
        "`--role classifier` child process",
    )
    parser.add_argument(
        "--slack",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="where the fake Slack runs (default: a child process, as Slack is not in the bot)",
    )
    parser.add_argument(
        "--sim",
        choices=("subprocess", "inprocess"),
        default="subprocess",
        help="where the simulator runs (default: a child process)",
    )
    args = parser.parse_args(argv)
    if args.naive_requests is None:
        args.naive_requests = args.requests
    return args


if __name__ == "__main__":
    sys.exit(main())
