"""The Slack backend over the real use cases, up to the issue's acceptance path.

A signed ``/drift ack`` through the served Slack app makes the finding ``acked`` in
``drift-bot scan --format json``; both use the production Redis key prefix, as two processes
of one deployment would.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.adapters.redis_store import RedisStore
from bot.adapters.slack_poster import build_web_client
from bot.core.model import AckScope, ResourceKey
from bot.delivery.http import HttpServer, build_wsgi_app
from bot.delivery.metrics import Metrics
from bot.delivery.render.limits import MAX_BLOCKS
from bot.delivery.slack.backend import Backend
from bot.delivery.slack.commands import AckCmd
from bot.errors import StoreError
from bot.service.acks import AckedClassifier, Acknowledger
from bot.service.scan import DriftService
from bot.simulator import Simulator, scenarios
from bot.wiring import build_service, build_slack_app, main, utc_now
from tests.fakes.slack_api import FakeSlackApi, wait_for
from tests.service.support import (
    SIM_TOKEN,
    Clock,
    FakeClassifier,
    FlakySlackApi,
    finding,
    notifier,
    report,
    sim_settings,
    slack_settings,
)

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
ACKERS = "S0ACKERS"
ALICE, MALLORY = "U0ALICE", "U0MALLORY"
ADMIN = ResourceKey("external-secrets.io", "ExternalSecret", "gitea", "gitea-admin")


class TestWithoutRedis:
    def test_ack_commands_say_redis_is_not_configured_and_the_rest_answers(
        self, slack: FlakySlackApi
    ) -> None:
        """REDIS_URL unset: ack, acks and unack raise a `StoreError` naming it; app works."""
        classifier = FakeClassifier(report(findings=[finding()]))
        backend = Backend(classifier, None, notifier(classifier, None, slack, Clock()))
        cmd = AckCmd(scope=AckScope("gitea"), duration=timedelta(days=1), reason="x")
        for call in (
            lambda: backend.ack(cmd, ALICE),
            backend.acks,
            lambda: backend.unack("a1", ALICE),
        ):
            with pytest.raises(StoreError, match="REDIS_URL is not set"):
                call()
        assert backend.app_report("gitea").findings == (finding(),)

    def test_the_digest_preview_fits_slack(self, slack: FlakySlackApi) -> None:
        """`/drift digest` gets the digest's blocks and fallback text, within Slack's limits."""
        classifier = FakeClassifier(report(findings=[finding()]))
        backend = Backend(classifier, None, notifier(classifier, None, slack, Clock()))
        blocks, text = backend.digest_preview()
        assert 0 < len(blocks) <= MAX_BLOCKS
        assert text.startswith("Drift digest")


# --- the acceptance path ----------------------------------------------------------------------


@dataclass
class Served:
    url: str
    fake: FakeSlackApi

    def drift(self, text: str, *, user: str, ident: str) -> int:
        """POST a signed ``/drift`` command, as Slack does; returns the HTTP status."""
        body = urlencode(
            {
                "command": "/drift",
                "text": text,
                "user_id": user,
                "channel_id": "C0DRIFT",
                "team_id": "T0FAKE",
                "response_url": self.fake.response_url(ident),
                "trigger_id": uuid.uuid4().hex,
            }
        )
        ts = str(int(time.time()))
        signature = hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256)
        request = urllib.request.Request(  # noqa: S310 - loopback URL of the served app
            f"{self.url}/slack/events",
            data=body.encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Slack-Request-Timestamp": ts,
                "X-Slack-Signature": f"v0={signature.hexdigest()}",
            },
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return int(response.status)

    def answer(self, ident: str) -> str:
        """The text of the answer posted to the command's response_url."""
        wait_for(lambda: self.fake.responses(ident))
        return self.fake.responses(ident)[-1].text_of_blocks


@pytest.fixture
def live_sim() -> Iterator[Simulator]:
    """The seed at the real current time: the CLI reads the real clock."""
    with Simulator(scenarios.seed(now=datetime.now(UTC)), token=SIM_TOKEN) as sim:
        yield sim


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi(usergroups={ACKERS: [ALICE]}) as fake:
        yield fake


@pytest.fixture
def served(
    live_sim: Simulator,
    tmp_path: Path,
    redis_url: str,
    fake_slack: FakeSlackApi,
) -> Iterator[Served]:
    """The Slack app with the real backend (service on the simulator, acks in Redis)."""
    store = RedisStore.from_url(redis_url)
    service: DriftService = build_service(sim_settings(live_sim, tmp_path))
    classifier = AckedClassifier(service, store, clock=utc_now)
    settings = slack_settings(
        fake_slack, slack_signing_secret=SECRET, drift_ack_group=ACKERS, drift_channel="C0DRIFT"
    )
    backend = Backend(
        classifier,
        Acknowledger(classifier, store, clock=utc_now),
        notifier(classifier, store, fake_slack, utc_now),
    )
    app = build_slack_app(backend, settings, client=build_web_client(settings), metrics=Metrics())
    wsgi = build_wsgi_app(app, ready=dict, metrics_registry=Metrics().registry)
    server = HttpServer(wsgi, port=0, host="127.0.0.1", threads=4)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(f"http://127.0.0.1:{server.port}", fake_slack)
    finally:
        server.close()
        thread.join(timeout=5)
        service.close()
        store.close()


def scan_json(live_sim: Simulator, tmp: Path, redis_url: str, mp: pytest.MonkeyPatch) -> Any:
    """`drift-bot scan --format json` with the operator's environment."""
    mp.setenv("KUBECONFIG", str(live_sim.write_kubeconfig(tmp / "cli-kubeconfig")))
    mp.setenv("ARGOCD_SERVER", live_sim.argocd_url)
    mp.setenv("ARGOCD_AUTH_TOKEN", SIM_TOKEN)
    mp.setenv("REDIS_URL", redis_url)
    out = io.StringIO()
    assert main(["scan", "--format", "json"], stdout=out) == 0
    return json.loads(out.getvalue())


def _admin(doc: Any) -> dict[str, Any]:
    (found,) = [
        f for f in doc["findings"] if f["kind"] == "ExternalSecret" and f["name"] == "gitea-admin"
    ]
    return dict(found)


def test_a_signed_slack_ack_shows_as_acked_in_scan_json_until_the_drift_changes(
    served: Served,
    live_sim: Simulator,
    tmp_path: Path,
    redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's acceptance: ack via Slack → ``acked: true`` in the CLI's JSON; changing the
    drift in the cluster un-covers it."""
    assert _admin(scan_json(live_sim, tmp_path, redis_url, monkeypatch))["acked"] is False
    status = served.drift(
        "ack gitea/ExternalSecret/gitea-admin 4h ESO v2.8 defaults", user=ALICE, ident="ack"
    )
    assert status == 200
    assert re.search(r"\ba[0-9a-z]{11}\b", served.answer("ack"))
    doc = scan_json(live_sim, tmp_path, redis_url, monkeypatch)
    assert _admin(doc)["acked"] is True
    assert sum(f["acked"] for f in doc["findings"]) == 1

    live_sim.scenario.set_live(ADMIN, {"/spec/target/deletionPolicy": "Delete"})
    live_sim.reload()
    assert _admin(scan_json(live_sim, tmp_path, redis_url, monkeypatch))["acked"] is False


def test_an_ack_from_outside_the_ack_group_is_refused(served: Served, redis_url: str) -> None:
    """DRIFT_ACK_GROUP set: a user outside it is told so and nothing is stored."""
    served.drift("ack gitea 1d not mine to ack", user=MALLORY, ident="bad")
    assert "Only members of the ack user group" in served.answer("bad")
    store = RedisStore.from_url(redis_url)
    try:
        assert store.active_acks(datetime.now(UTC)) == []
    finally:
        store.close()
