"""Fixtures for `drift-bot serve` as a whole process: every part real, nothing faked inside.

The server is the one ``build_server`` assembles for a role, serving real HTTP on an ephemeral
loopback port. Behind it: the seed simulator (real kubernetes client and httpx), the recording
fake Slack Web API (real slack_sdk clients), and a real redis-server when a test asks for one.
Slash commands are real signed POSTs (`tests.delivery.slack.conftest.sign`).

The simulator's scenario is built at the real current time: ``serve`` reads the real clock, so
"Progressing for 21 days" must be 21 days before now.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.delivery.serve import Role, Server
from bot.settings import Settings
from bot.simulator import Simulator, scenarios
from bot.wiring import build_server
from tests.delivery.slack.conftest import SIGNING_SECRET, sign
from tests.e2e.conftest import settings_for
from tests.fakes.slack_api import FakeSlackApi, Recorded, wait_for

API_TOKEN = "api-token-for-tests"
SIM_TOKEN = "sim-token"
USER = "U0ALICE"


@dataclass
class Running:
    """A started server: its URL, and what it talks to."""

    url: str
    server: Server
    fake: FakeSlackApi

    def command(
        self,
        text: str,
        *,
        ident: str = "1",
        secret: str = SIGNING_SECRET,
        timestamp: int | None = None,
    ) -> tuple[int, str, float]:
        """POST a signed ``/drift`` command; returns (status, body, seconds to the answer)."""
        form = {
            "team_id": "T0FAKE",
            "channel_id": "C0DRIFT",
            "user_id": USER,
            "user_name": "alice",
            "command": "/drift",
            "text": text,
            "api_app_id": "A0DRIFT",
            "response_url": self.fake.response_url(ident),
            "trigger_id": uuid.uuid4().hex,
        }
        body = urlencode(form)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            **sign(body, secret, timestamp),
        }
        request = urllib.request.Request(  # noqa: S310 - loopback URL of the fixture
            self.url + "/slack/events", data=body.encode(), headers=headers, method="POST"
        )
        return send(request)

    def get(self, path: str, *, token: str | None = None) -> tuple[int, str]:
        """GET ``path`` (with ``Authorization: Bearer token`` when given); (status, body)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        status, body, _ = send(request)
        return status, body

    def get_json(self, path: str, *, token: str | None = None) -> tuple[int, Any]:
        status, body = self.get(path, token=token)
        return status, json.loads(body)

    def answer(self, ident: str = "1") -> Recorded:
        """The one message posted to response_url ``ident`` (waits for the worker thread)."""
        wait_for(lambda: self.fake.responses(ident))
        (posted,) = self.fake.responses(ident)
        assert posted.accepted, posted.answer
        return posted


def send(request: urllib.request.Request) -> tuple[int, str, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode(), time.monotonic() - started
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read().decode(), time.monotonic() - started


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    """The seed cluster at the real current time, shared by a module's tests."""
    with Simulator(scenarios.seed(now=datetime.now(UTC)), token=SIM_TOKEN) as sim:
        yield sim


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


def slack_values(fake: FakeSlackApi) -> dict[str, Any]:
    """The Slack settings of an HTTP-mode bot talking to ``fake``."""
    return {
        "slack_bot_token": fake.token,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake.api_url,
    }


def cluster_settings(sim: Simulator, tmp: Path, **overrides: Any) -> Settings:
    """Settings of a process that reads ``sim`` and serves the API with `API_TOKEN`."""
    return settings_for(sim, tmp, drift_api_token=API_TOKEN, **overrides)


StartFn = Callable[[Settings, Role], Running]


@pytest.fixture
def start(fake_slack: FakeSlackApi) -> Iterator[StartFn]:
    """Build and start servers (serve_forever on a thread); all are stopped at teardown."""
    started: list[tuple[Server, threading.Thread]] = []

    def _start(settings: Settings, role: Role) -> Running:
        server = build_server(settings, role=role, port=0, host="127.0.0.1")
        thread = threading.Thread(target=server.http.serve_forever, name=f"serve-{role}")
        thread.start()
        started.append((server, thread))
        server.start_background()
        return Running(f"http://127.0.0.1:{server.http.port}", server, fake_slack)

    yield _start
    for server, thread in reversed(started):
        server.stop_background()
        thread.join(timeout=10)
        assert not thread.is_alive(), "serve_forever returned after stop_background"
