"""A recording fake of Slack's Web API and ``response_url`` endpoint, for real slack_sdk clients.

``slack_sdk.WebClient(base_url=fake.api_url)`` and ``WebhookClient(fake.response_url(...))``
talk to it over loopback exactly as they would to Slack: bearer-token checks, Slack's message
limits (an over-long message is refused with ``invalid_blocks`` instead of being accepted
silently, so a renderer that breaks the limits fails its test), and ``429 Retry-After`` on
demand. Every request is recorded, so tests assert on what was actually sent.

Unlike bolt-python's mock server it binds an ephemeral port, so parallel runs never collide.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.slack_limits import (
    MAX_BLOCKS,
    MAX_TEXT,
    TRIGGER_TTL_SECONDS,
    limit_problem,
    view_problem,
)

__all__ = [
    "MAX_BLOCKS",
    "MAX_TEXT",
    "FakeSlackApi",
    "Recorded",
    "limit_problem",
    "view_problem",
    "wait_for",
]

BOT_USER_ID = "U0DRIFTBOT"
TEAM_ID = "T0FAKE"


@dataclass(frozen=True)
class Recorded:
    """One request the fake received, and what it answered."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: Mapping[str, Any]
    """Parsed JSON or form body (a form's ``blocks`` JSON string is decoded too)."""
    raw: bytes
    status: int
    answer: Any
    """The JSON answer of a Web API method, or the text answer of a response_url."""

    @property
    def accepted(self) -> bool:
        """Whether Slack would have taken this request (HTTP 200 and ``ok``)."""
        if self.status != 200:
            return False
        return self.answer == "ok" or (isinstance(self.answer, dict) and bool(self.answer["ok"]))

    @property
    def text_of_blocks(self) -> str:
        """Every text in the blocks plus the fallback text, joined (for content assertions)."""
        return "\n".join([*_texts(self.body.get("blocks") or []), str(self.body.get("text", ""))])


@dataclass
class _RateLimit:
    remaining: int
    retry_after: int


@dataclass
class FakeSlackApi:
    """The fake server; use as a context manager or call `start`/`close`."""

    token: str = "xoxb-fake-bot-token"
    usergroups: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """User-group id → member user ids, for ``usergroups.users.list``."""
    channels: Mapping[str, str] = field(default_factory=lambda: {"C0DRIFT": "platform"})
    """Channel id → name, for ``conversations.info``."""
    requests: list[Recorded] = field(default_factory=list)

    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Open modals by view id (views.open / views.update)."""
    homes: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Published App Home views by user id (views.publish)."""
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(channel, ts) → the message as last posted or updated (chat.postMessage/chat.update)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._triggers: dict[str, float] = {}
        self._limits: dict[str, _RateLimit] = {}
        self._ts = 1_700_000_000
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> FakeSlackApi:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- addresses and controls -----------------------------------------------------------

    @property
    def base(self) -> str:
        assert self._server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        """What SLACK_API_URL / ``WebClient(base_url=...)`` should be."""
        return f"{self.base}/api/"

    def response_url(self, ident: str = "1") -> str:
        """A ``response_url`` for one slash command invocation."""
        return f"{self.base}/response/{ident}"

    def rate_limit(self, path: str, *, times: int, retry_after: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` with 429 and ``Retry-After``."""
        with self._lock:
            self._limits[path] = _RateLimit(times, retry_after)

    def issue_trigger(self, *, age: float = 0.0) -> str:
        """A trigger_id as Slack puts in a click, issued ``age`` seconds ago."""
        with self._lock:
            self._ts += 1
            trigger = f"{self._ts}.{len(self._triggers)}.fake-trigger"
            self._triggers[trigger] = time.monotonic() - age
        return trigger

    def calls(self, path: str) -> list[Recorded]:
        """Requests received on ``path`` (e.g. ``/api/chat.postMessage``), oldest first."""
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def responses(self, ident: str = "1") -> list[Recorded]:
        """Messages posted to one ``response_url``."""
        return self.calls(f"/response/{ident}")

    # --- request handling (called on server threads) --------------------------------------

    def _handle(
        self, method: str, path: str, headers: Mapping[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], Any]:
        body = _parse(headers.get("content-type", ""), raw, urlsplit(path).query)
        path = urlsplit(path).path
        status, extra, answer = self._answer(path, headers, body)
        with self._lock:
            self.requests.append(Recorded(method, path, dict(headers), body, raw, status, answer))
        return status, extra, answer

    def _answer(
        self, path: str, headers: Mapping[str, str], body: Mapping[str, Any]
    ) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            limit = self._limits.get(path)
            if limit is not None and limit.remaining > 0:
                limit.remaining -= 1
                retry = {"Retry-After": str(limit.retry_after)}
                return 429, retry, {"ok": False, "error": "ratelimited"}
        if path.startswith("/response/"):
            problem = limit_problem(body)
            return (400, {}, problem) if problem else (200, {}, "ok")
        if not path.startswith("/api/"):
            return 404, {}, {"ok": False, "error": "not_found"}
        auth = headers.get("authorization", "")
        if not auth:
            return 200, {}, {"ok": False, "error": "not_authed"}
        if auth != f"Bearer {self.token}":
            return 200, {}, {"ok": False, "error": "invalid_auth"}
        return 200, {}, self._method(path.removeprefix("/api/"), body)

    def _method(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        if name == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.test/",
                "team": "Fake",
                "user": "drift-bot",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "B0DRIFTBOT",
            }
        if name in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
            return self._message(name, body)
        if name in ("views.open", "views.update", "views.publish"):
            return self._view(name, body)
        if name == "usergroups.users.list":
            group = str(body.get("usergroup", ""))
            if group not in self.usergroups:
                return {"ok": False, "error": "no_such_subteam"}
            return {"ok": True, "users": list(self.usergroups[group])}
        if name == "conversations.info":
            channel = str(body.get("channel", ""))
            if channel not in self.channels:
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": {"id": channel, "name": self.channels[channel]}}
        return {"ok": False, "error": "unknown_method"}

    def _message(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel", ""))
        if channel not in self.channels:
            return {"ok": False, "error": "channel_not_found"}
        if not body.get("text") and not body.get("blocks"):
            return {"ok": False, "error": "no_text"}
        problem = limit_problem(body)
        if problem:
            return {"ok": False, "error": problem}
        with self._lock:
            self._ts += 1
            ts = f"{self._ts}.000100"
        if name == "chat.postEphemeral":
            return {"ok": True, "message_ts": ts}
        stored = {"text": body.get("text"), "blocks": body.get("blocks") or []}
        if body.get("thread_ts"):
            stored["thread_ts"] = body["thread_ts"]
        if name == "chat.update":
            key = (channel, str(body.get("ts", "")))
            with self._lock:
                if key not in self.messages:
                    return {"ok": False, "error": "message_not_found"}
                self.messages[key] = {**self.messages[key], **stored}
            return {"ok": True, "channel": channel, "ts": key[1]}
        with self._lock:
            self.messages[(channel, ts)] = {**stored, "ts": ts}
        return {"ok": True, "channel": channel, "ts": ts, "message": {**stored, "ts": ts}}

    def _view(self, name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        view = body.get("view")
        if isinstance(view, str):
            view = json.loads(view)
        if not isinstance(view, dict):
            return {"ok": False, "error": "invalid_arguments"}
        problem = view_problem(view)
        if problem:
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": [problem]},
            }
        with self._lock:
            if name == "views.open":
                issued = self._triggers.pop(str(body.get("trigger_id", "")), None)
                if issued is None:
                    return {"ok": False, "error": "invalid_trigger_id"}
                if time.monotonic() - issued > TRIGGER_TTL_SECONDS:
                    return {"ok": False, "error": "expired_trigger_id"}
                self._ts += 1
                view_id = f"V{self._ts}"
                self.views[view_id] = view
            elif name == "views.update":
                view_id = str(body.get("view_id", ""))
                if view_id not in self.views:
                    return {"ok": False, "error": "not_found"}
                self.views[view_id] = view
            else:
                user = str(body.get("user_id", ""))
                if not user:
                    return {"ok": False, "error": "invalid_arguments"}
                self.homes[user] = view
                view_id = f"VHOME{user}"
        return {"ok": True, "view": {**view, "id": view_id}}


class _Handler(BaseHTTPRequestHandler):
    owner: FakeSlackApi

    def do_POST(self) -> None:
        self._serve("POST")

    def do_GET(self) -> None:
        self._serve("GET")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, answer = self.owner._handle(method, self.path, headers, raw)
        text = answer if isinstance(answer, str) else json.dumps(answer)
        payload = text.encode()
        self.send_response(status)
        ctype = "text/plain" if isinstance(answer, str) else "application/json"
        self.send_header("Content-Type", f"{ctype}; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output clean; the recorded requests are the log."""


def wait_for(predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.01) -> None:
    """Poll until ``predicate()`` is truthy (answers sent from worker threads arrive later)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def _parse(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    body: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query).items()}
    if "json" in content_type and raw:
        parsed = json.loads(raw)
        if isinstance(parsed, dict):
            body.update(parsed)
    elif raw:
        body.update({k: v[-1] for k, v in parse_qs(raw.decode()).items()})
    if isinstance(body.get("blocks"), str):
        body["blocks"] = json.loads(body["blocks"])
    return body


def _texts(blocks: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict):
            yield str(text.get("text", ""))
        for item in [*(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(item, dict) and "text" in item:
                yield str(item["text"])
