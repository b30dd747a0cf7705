"""Acks under replay, refusal and a hung Redis, through whole ``serve`` processes.

Two servers sharing one real redis-server stand for two replicas behind the Service: the same
signed request delivered to both makes one ack. Redis is hung with ``CLIENT PAUSE`` (it takes
connections and never answers). Timings are printed by ``bench/endpoint.py``, not asserted.
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from bot.simulator import Simulator
from tests.delivery.serve.conftest import (
    USER,
    Running,
    StartFn,
    cluster_settings,
    send,
    slack_values,
)
from tests.delivery.slack.conftest import SIGNING_SECRET, sign
from tests.fakes.slack_api import FakeSlackApi, wait_for

pytestmark = pytest.mark.usefixtures("live_sim")


PAUSE_MS = 4000


@pytest.fixture
def paused(redis_url: str) -> Iterator[redis.Redis]:
    """An admin connection to the test Redis; the test waits out any pause it set.

    ``CLIENT PAUSE ALL`` pauses this connection's own ``UNPAUSE`` too, so the pause is short
    and teardown simply waits until Redis answers again.
    """
    admin = redis.Redis.from_url(redis_url, socket_timeout=PAUSE_MS / 1000 + 5)
    try:
        yield admin
    finally:
        admin.ping()
        admin.close()


def signed_command(bot: Running, text: str, ident: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "command": "/drift",
            "text": text,
            "user_id": USER,
            "channel_id": "C0DRIFT",
            "team_id": "T0FAKE",
            "response_url": bot.fake.response_url(ident),
            "trigger_id": uuid.uuid4().hex,
        }
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, SIGNING_SECRET)}
    return body.encode(), headers


def post(bot: Running, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(  # noqa: S310 - loopback URL of the fixture
        bot.url + "/slack/events", data=body, headers=headers, method="POST"
    )
    status, text, _ = send(request)
    return status, text


def test_one_signed_ack_delivered_to_two_replicas_makes_one_ack(
    start: StartFn,
    live_sim: Simulator,
    fake_slack: FakeSlackApi,
    tmp_path: Path,
    redis_url: str,
) -> None:
    """The same signed bytes sent to replica A, then B, then A: one ack, one answer."""
    settings = cluster_settings(live_sim, tmp_path, redis_url=redis_url, **slack_values(fake_slack))
    a, b = start(settings, "all"), start(settings, "all")
    body, headers = signed_command(a, "ack gitea 4h known ESO defaults", "ack")
    answers = [post(bot, body, headers) for bot in (a, b, a)]
    assert [status for status, _ in answers] == [200, 200, 200]
    assert [text for _, text in answers[1:]] == ["", ""]
    assert "Working on it" in answers[0][1]
    a.answer("ack")
    store = RedisStore.from_url(redis_url)
    try:
        assert len(store.active_acks(datetime.now(UTC))) == 1
        assert [e["action"] for e in store.audit()] == ["ack"]
    finally:
        store.close()
    assert len(fake_slack.responses("ack")) == 1


def test_a_refused_ack_is_audited(
    start: StartFn,
    live_sim: Simulator,
    fake_slack: FakeSlackApi,
    tmp_path: Path,
    redis_url: str,
) -> None:
    """Outside DRIFT_ACK_GROUP, or with a duration we do not accept: refused, and audited."""
    settings = cluster_settings(
        live_sim,
        tmp_path,
        redis_url=redis_url,
        drift_ack_group="S0NOBODY",
        **slack_values(fake_slack),
    )
    bot = start(settings, "all")
    bot.command("ack gitea 4h known", ident="forbidden")
    bot.answer("forbidden")
    status, answer, _ = bot.command("ack gitea 1e9h known", ident="bad")
    assert status == 200
    assert "4h, 1d or 7d" in answer
    store = RedisStore.from_url(redis_url)
    try:
        wait_for(lambda: len(store.audit()) == 2)
        entries = store.audit()
    finally:
        store.close()
    assert [(e["action"], e["by"]) for e in entries] == [("refused", USER), ("refused", USER)]
    assert {e["command"].split()[2] for e in entries} == {"4h", "1e9h"}
    assert any("S0NOBODY" in e["why"] for e in entries)


def test_a_hung_redis_fails_the_ack_clearly_and_readyz_says_so(
    start: StartFn,
    live_sim: Simulator,
    fake_slack: FakeSlackApi,
    tmp_path: Path,
    redis_url: str,
    paused: redis.Redis,
) -> None:
    """Redis takes connections but never answers: the ack says Redis failed, naming
    REDIS_URL; /readyz stays 200 but reports Redis as degraded; /drift app still answers."""
    settings = cluster_settings(live_sim, tmp_path, redis_url=redis_url, **slack_values(fake_slack))
    bot = start(settings, "all")
    paused.execute_command("CLIENT", "PAUSE", PAUSE_MS, "ALL")
    status, _, _ = bot.command("ack gitea 4h known", ident="ack")
    assert status == 200
    text = bot.answer("ack").text_of_blocks
    assert "REDIS_URL" in text
    status, body = bot.get("/readyz")
    readiness = json.loads(body)
    assert status == 200
    assert readiness["status"] == "degraded"
    assert readiness["degraded"] == ["redis"]
    bot.command("app gitea", ident="app")
    assert "gitea" in bot.answer("app").text_of_blocks
