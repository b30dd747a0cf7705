"""Fixtures for the Slack layer: the fake Slack API, a fake backend, and the served WSGI app.

The backend fake is built from model objects (the service is tested by its own suite); the
Slack side is real: Bolt verifies real HMAC signatures, waitress serves real HTTP, and the
real slack_sdk clients post to the recording fake.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App

from bot.core.model import Ack, AppReport, ScanReport, StuckApp, Totals
from bot.delivery.http import HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.slack.commands import AckCmd
from bot.delivery.slack.ids import Target
from bot.errors import InputError, UnknownAppError
from bot.settings import Settings
from bot.wiring import build_slack_app
from tests.delivery.slack import seed
from tests.fakes.slack_api import FakeSlackApi

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ALICE = "U0ALICE"
ACK_GROUP = "S0ACKERS"


@dataclass
class FakeBackend:
    """A `SlackBackend` over fixed answers; records calls and raises what it is told to."""

    reports: dict[str, AppReport] = field(default_factory=dict)
    stuck: dict[str, StuckApp] = field(default_factory=dict)
    digest: tuple[list[dict[str, Any]], str] = ([], "")
    stored: dict[str, Ack] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, ...]] = field(default_factory=list)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)
    """(user, command, why) of every refused ack or unack the Slack app reported."""
    delay: float = 0.0
    """Seconds every call takes, to prove Slack is acknowledged before the work is done."""

    def _call(self, method: str, *args: str) -> None:
        self.calls.append((method, *args))
        time.sleep(self.delay)
        if method in self.errors:
            raise self.errors[method]

    def _known(self, name: str) -> None:
        names = {*self.reports, *self.stuck}
        if name not in names:
            raise UnknownAppError(name, difflib.get_close_matches(name, sorted(names), n=3))

    def app_report(self, name: str) -> AppReport:
        self._call("app_report", name)
        self._known(name)
        return self.reports[name]

    def logs_report(self, name: str) -> StuckApp:
        self._call("logs_report", name)
        self._known(name)
        return self.stuck[name]

    def digest_preview(self) -> tuple[list[dict[str, Any]], str]:
        self._call("digest_preview")
        return self.digest

    def ack(self, cmd: AckCmd, user_id: str) -> Ack:
        self._call("ack", str(cmd.scope), user_id)
        self._known(cmd.scope.app)
        report = self.reports[cmd.scope.app]
        ack = Ack(
            id=f"a{len(self.stored) + 1}",
            scope=cmd.scope,
            fingerprints=frozenset(f.fingerprint for f in report.findings if cmd.scope.matches(f)),
            by=user_id,
            reason=cmd.reason,
            created_at=seed.NOW,
            expires_at=seed.NOW + cmd.duration,
        )
        self.stored[ack.id] = ack
        return ack

    def acks(self) -> list[Ack]:
        self._call("acks")
        return list(self.stored.values())

    def refused(self, command: str, why: str, user_id: str) -> None:
        self.refusals.append((user_id, command, why))

    def scan(self) -> ScanReport:
        self._call("scan")
        findings = tuple(f for r in self.reports.values() for f in r.findings)
        stuck = tuple(self.stuck.values())
        totals = Totals(len(self.reports), len(self.reports), len(stuck), len(stuck))
        return ScanReport(seed.NOW, totals, findings, stuck)

    def ack_target(self, target: Target, duration: timedelta, reason: str, user_id: str) -> Ack:
        self._call("ack_target", str(target.scope), user_id)
        self._known(target.app)
        report = self.reports[target.app]
        covered = {f.fingerprint for f in report.findings if target.scope.matches(f)}
        if report.stuck is not None and not target.kind:
            covered.add(report.stuck.fingerprint)
        if target.fingerprint and target.fingerprint not in covered:
            raise InputError(f"the drift of {target.scope} changed since that message")
        ack = Ack(
            id=f"a{len(self.stored) + 1}",
            scope=target.scope,
            fingerprints=frozenset(covered),
            by=user_id,
            reason=reason,
            created_at=seed.NOW,
            expires_at=seed.NOW + duration,
        )
        self.stored[ack.id] = ack
        return ack

    def unack_target(self, target: Target, user_id: str) -> list[Ack]:
        self._call("unack_target", str(target.scope), user_id)
        gone = [a for a in self.stored.values() if target.fingerprint in a.fingerprints]
        if not gone:
            raise InputError("no ack covers that drift")
        return [self.stored.pop(a.id) for a in gone]

    def refresh_digest(self) -> str:
        self._call("refresh_digest")
        return "refreshed"

    def unack(self, ack_id: str, user_id: str) -> Ack:
        self._call("unack", ack_id, user_id)
        if ack_id not in self.stored:
            raise InputError(f"No ack with id {ack_id!r}; `/drift acks` lists them.")
        return self.stored.pop(ack_id)


def seed_backend() -> FakeBackend:
    """gitea and argo-rollouts as the seed has them."""
    rollouts = seed.rollouts_report()
    assert rollouts.stuck is not None
    return FakeBackend(
        reports={"gitea": seed.gitea_report(), "argo-rollouts": rollouts},
        stuck={"argo-rollouts": rollouts.stuck},
    )


@pytest.fixture(name="fake_slack")
def _fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(usergroups={ACK_GROUP: [ALICE]}) as fake:
        yield fake


def make_settings(fake: FakeSlackApi, **overrides: Any) -> Settings:
    """Settings pointing the Slack client at the fake (what SLACK_API_URL does in production)."""
    values: dict[str, Any] = {
        "slack_bot_token": fake.token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Served:
    """The WSGI app served by waitress on an ephemeral port, plus everything behind it."""

    url: str
    fake: FakeSlackApi
    backend: FakeBackend
    metrics: Metrics
    app: App

    def command(
        self,
        text: str,
        *,
        ident: str = "1",
        user: str = ALICE,
        channel: str = "C0DRIFT",
        timestamp: int | None = None,
        secret: str = SIGNING_SECRET,
        trigger_id: str | None = None,
    ) -> tuple[int, str, float]:
        """POST a signed ``/drift`` slash command; returns (status, body, seconds taken).

        Each command gets a fresh ``trigger_id`` unless one is given, as Slack does.
        """
        form = {
            "token": "deprecated-verification-token",
            "team_id": "T0FAKE",
            "team_domain": "fake",
            "channel_id": channel,
            "channel_name": "platform",
            "user_id": user,
            "user_name": "alice",
            "command": "/drift",
            "text": text,
            "api_app_id": "A0DRIFT",
            "response_url": self.fake.response_url(ident),
            "trigger_id": trigger_id or uuid.uuid4().hex,
        }
        body = urlencode(form)
        return self.post("/slack/events", body, sign(body, secret, timestamp))

    def post(self, path: str, body: str, headers: dict[str, str]) -> tuple[int, str, float]:
        request = urllib.request.Request(  # noqa: S310 - loopback URL built by the fixture
            self.url + path,
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **headers},
            method="POST",
        )
        return _send(request)

    def get(self, path: str) -> tuple[int, str, float]:
        return _send(urllib.request.Request(self.url + path))  # noqa: S310 - loopback


def sign(body: str, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature: HMAC-SHA256 of ``v0:{timestamp}:{body}``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def _send(request: urllib.request.Request) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), time.monotonic() - started


@pytest.fixture(name="serve")
def _serve(fake_slack: FakeSlackApi) -> Iterator[Callable[..., Served]]:
    """Start the whole HTTP stack; call with a backend and Settings overrides."""
    servers: list[tuple[HttpServer, threading.Thread]] = []

    def start(
        backend: FakeBackend | None = None,
        *,
        ready: Callable[[], Any] = lambda: True,
        api: Any = None,
        **overrides: Any,
    ) -> Served:
        backend = backend or seed_backend()
        metrics = Metrics()
        settings = make_settings(fake_slack, **overrides)
        app = build_slack_app(backend, settings, metrics=metrics, clock=lambda: seed.NOW)
        wsgi = build_wsgi_app(app, ready=ready, metrics_registry=metrics.registry, api=api)
        server = HttpServer(wsgi, port=0, host="127.0.0.1", threads=4)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        url = f"http://127.0.0.1:{server.port}"
        return Served(url=url, fake=fake_slack, backend=backend, metrics=metrics, app=app)

    yield start
    for server, thread in servers:
        server.close()
        thread.join(timeout=5)
        assert not thread.is_alive(), "serve_forever still running after close()"


def response_json(body: str) -> dict[str, Any]:
    """The JSON body of an HTTP answer."""
    parsed = json.loads(body)
    assert isinstance(parsed, dict)
    return parsed
