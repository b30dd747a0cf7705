"""The public endpoint under abuse: real HTTP against the served app (waitress + gate + Bolt).

Oversized and unsigned bodies, malformed signature headers, newlines meant to forge log
records, 110 idle half-open sockets, and replays of a signed ack. Timings are not asserted
here (two shared cores); ``bench/endpoint.py`` prints them.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlencode, urlsplit

import pytest

from bot import logs
from tests.delivery.slack.conftest import SIGNING_SECRET, Served, sign
from tests.fakes.slack_api import wait_for

ServeFn = Callable[..., Served]
_RECORD_START = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \S+: ")


@pytest.fixture
def log_text() -> Iterator[io.StringIO]:
    """Everything logged during the test, formatted exactly as ``drift-bot serve`` writes it."""
    stream = io.StringIO()
    handler = logs.make_handler("text", stream)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def raw_post(served: Served, body: bytes, headers: dict[str, str | bytes]) -> tuple[int, bytes]:
    """POST with headers sent byte for byte (http.client; urllib would re-encode them)."""
    parts = urlsplit(served.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    try:
        conn.putrequest("POST", "/slack/events")
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(len(body)))
        for name, value in headers.items():
            conn.putheader(name, value)
        conn.endheaders()
        # The server may answer (and close) before taking the whole body, as it should.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.send(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def command_body(text: str, served: Served, *, trigger_id: str = "t-1") -> str:
    return urlencode(
        {
            "command": "/drift",
            "text": text,
            "user_id": "U0ALICE",
            "channel_id": "C0DRIFT",
            "response_url": served.fake.response_url("1"),
            "trigger_id": trigger_id,
        }
    )


NOW = str(int(time.time()))
GOOD_SIG = "v0=" + "0" * 64


@pytest.mark.parametrize(
    ("timestamp", "signature"),
    [
        pytest.param("abc", GOOD_SIG, id="letters-timestamp"),
        pytest.param("9" * 400, GOOD_SIG, id="400-digit-timestamp"),
        pytest.param("-1", GOOD_SIG, id="negative-timestamp"),
        pytest.param("１２３", GOOD_SIG, id="full-width-timestamp"),
        pytest.param(NOW, "v0=" + "é" * 64, id="non-ascii-signature"),
        pytest.param(NOW, "v1=" + "0" * 64, id="unknown-version"),
        pytest.param(NOW, "v0=" + "0" * 65, id="long-signature"),
        pytest.param(NOW, "", id="empty-signature"),
    ],
)
def test_malformed_signature_headers_get_401_and_no_traceback(
    serve: ServeFn, log_text: io.StringIO, timestamp: str, signature: str
) -> None:
    """Headers no signature check could accept are refused with 401, not a 500."""
    served = serve()
    headers: dict[str, str | bytes] = {
        "X-Slack-Request-Timestamp": timestamp.encode(),
        "X-Slack-Signature": signature.encode(),
    }
    status, _ = raw_post(served, command_body("app gitea", served).encode(), headers)
    assert status == 401
    assert served.backend.calls == []
    assert "Traceback" not in log_text.getvalue()


def test_oversized_unsigned_bodies_are_refused_without_logging_them(
    serve: ServeFn, log_text: io.StringIO
) -> None:
    """Three 10 MB unsigned posts get 413 each, log almost nothing, and commands still ack."""
    served = serve()
    body = (b"text=" + b"A\n2026-01-01 00:00:00,000 ERROR forged: x\n" * 250_000)[: 10 * 2**20]
    for _ in range(3):
        status, _ = raw_post(served, body, {})
        assert status == 413
    status, answer, _ = served.command("app gitea")
    assert status == 200
    assert "Working on it" in answer
    assert len(log_text.getvalue().encode()) < 200_000
    assert "forged" not in log_text.getvalue()


def test_a_refused_request_is_one_bounded_line_without_its_content(
    serve: ServeFn, log_text: io.StringIO
) -> None:
    """A badly signed request logs one line naming the reason, never its body or headers."""
    served = serve()
    body = command_body("app gitea\n2026-01-01 00:00:00,000 CRITICAL forged: pwned", served)
    status, _, _ = served.post("/slack/events", body, sign(body, "wrong-secret"))
    assert status == 401
    lines = [line for line in log_text.getvalue().splitlines() if "refused" in line]
    assert len(lines) == 1
    assert "bad signature" in lines[0]
    assert len(lines[0]) < 300
    assert "pwned" not in log_text.getvalue()


def test_no_record_can_be_forged_through_a_logged_message(
    serve: ServeFn, log_text: io.StringIO
) -> None:
    """Every line written starts a real record or continues one indented; none is forged."""
    served = serve()
    forged = "x\n2026-01-01 00:00:00,000 CRITICAL bot: forged\r\x1b[2K"
    body = command_body(f"app {forged}", served)
    served.post("/slack/events", body, sign(body, SIGNING_SECRET))
    served.post(
        "/slack/events",
        forged,
        {"X-Slack-Signature": "v0=forged", "X-Slack-Request-Timestamp": "1"},
    )
    logging.getLogger("bot.test").warning("upstream said: %s", forged)
    try:
        raise ValueError(forged)
    except ValueError:
        logging.getLogger("bot.test").exception("with a traceback")
    lines = log_text.getvalue().splitlines()
    assert lines
    for line in lines:
        assert _RECORD_START.match(line) or line.startswith("    "), line
    assert not any(_RECORD_START.match(line) and "forged" in line.split(": ")[0] for line in lines)
    assert sum(line.startswith("2026-01-01") for line in lines) == 0


def test_idle_half_open_sockets_leave_probes_and_commands_answering(serve: ServeFn) -> None:
    """110 connections that send half a request and wait do not lock out /healthz or Slack."""
    served = serve()
    parts = urlsplit(served.url)
    idle: list[socket.socket] = []
    try:
        for _ in range(110):
            sock = socket.create_connection((parts.hostname or "", parts.port or 0), timeout=5)
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 900\r\n")
            idle.append(sock)
        status, body, _ = served.get("/healthz")
        assert (status, body) == (200, '{"status": "ok"}')
        status, answer, _ = served.command("app gitea")
        assert status == 200
        assert "Working on it" in answer
    finally:
        for sock in idle:
            sock.close()


def test_a_signed_ack_sent_three_times_makes_one_ack(serve: ServeFn) -> None:
    """The same signed bytes replayed (or re-signed with the same trigger_id) do the work once."""
    served = serve()
    body = command_body("ack gitea 4h known drift", served, trigger_id="t-ack")
    headers = sign(body, SIGNING_SECRET)
    answers = [served.post("/slack/events", body, headers)[:2] for _ in range(3)]
    resigned = sign(body, SIGNING_SECRET, int(time.time()) - 1)
    answers.append(served.post("/slack/events", body, resigned)[:2])
    assert [status for status, _ in answers] == [200, 200, 200, 200]
    assert "Working on it" in answers[0][1]
    assert [text for _, text in answers[1:]] == ["", "", ""]
    wait_for(lambda: served.fake.responses("1"))
    assert len(served.backend.stored) == 1
    assert [c[0] for c in served.backend.calls] == ["ack"]


def test_a_slack_retry_of_an_event_is_acknowledged_once(serve: ServeFn) -> None:
    """Slack retries an event with a new signature and X-Slack-Retry-Num: 200, nothing redone."""
    served = serve()
    first = command_body("app gitea", served, trigger_id="t-retry")
    status, answer, _ = served.post("/slack/events", first, sign(first, SIGNING_SECRET))
    assert (status, "Working on it" in answer) == (200, True)
    retry = sign(first, SIGNING_SECRET, int(time.time()) + 1)
    status, answer, _ = served.post("/slack/events", first, {**retry, "X-Slack-Retry-Num": "1"})
    assert (status, answer) == (200, "")
    wait_for(lambda: served.fake.responses("1"))
    assert [c for c in served.backend.calls if c[0] == "app_report"] == [("app_report", "gitea")]
