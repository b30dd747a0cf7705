"""Degrade, don't go silent: Argo CD down still escalates and posts; Redis down posts once.

Real parts throughout: the simulator fails every Argo CD request (its fault injection), the
CLI runs as a CronJob would (`drift-bot escalate`, `drift-bot digest --post`), Slack is the
recording fake, Redis is a real redis-server that the test stops and starts again.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.redis_store import RedisStore
from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.delivery import scheduler as sched
from bot.service.digest import Notifier
from bot.settings import load_settings
from bot.simulator import Fault, Simulator, scenarios
from bot.wiring import main, slack_renderers
from tests.fakes.slack_api import FakeSlackApi
from tests.reliability.support import NOW, RedisProcess, make_service

TOKEN = "sim-token"
CHANNEL = "C0DRIFT"
ONCALL = "S0ONCALL"
POST = "/api/chat.postMessage"


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    """The seed cluster at the real current time (the CLI reads the real clock)."""
    with Simulator(scenarios.seed(now=datetime.now(UTC)), token=TOKEN) as sim:
        yield sim


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def argocd_down(
    live_sim: Simulator,
    fake_slack: FakeSlackApi,
    redis_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Simulator]:
    """The CLI's environment (cluster, Slack, Redis), with every Argo CD request failing."""
    env = {
        "KUBECONFIG": str(live_sim.write_kubeconfig(tmp_path / "kubeconfig")),
        "ARGOCD_SERVER": live_sim.argocd_url,
        "ARGOCD_AUTH_TOKEN": TOKEN,
        "SLACK_BOT_TOKEN": fake_slack.token,
        "SLACK_API_URL": fake_slack.api_url,
        "DRIFT_CHANNEL": CHANNEL,
        "DRIFT_ONCALL_GROUP": ONCALL,
        "REDIS_URL": redis_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    live_sim.inject(Fault(api="argocd", status=500, times=None))
    try:
        yield live_sim
    finally:
        live_sim.clear_faults()


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), stdout=out), out.getvalue()


def test_argocd_down_the_stuck_app_is_pinged_once(
    argocd_down: Simulator, fake_slack: FakeSlackApi
) -> None:
    """Every Argo CD request fails; two `escalate` runs (two replicas' checks) ping once."""
    first = run("escalate")
    second = run("escalate")
    assert first == (0, "pinged on-call about argo-rollouts\n")
    assert second[0] == 0
    assert "pinged" not in second[1]
    (ping,) = [c for c in fake_slack.calls(POST) if c.accepted]
    assert f"<!subteam^{ONCALL}>" in ping.text_of_blocks
    assert "argo-rollouts" in ping.text_of_blocks
    assert argocd_down.count("argocd", "/managed-resources$") > 0, "Argo CD was asked, and failed"


def test_argocd_down_the_digest_posts_naming_the_error(
    argocd_down: Simulator, fake_slack: FakeSlackApi
) -> None:
    """The digest goes out with the stuck app and a warning that Argo CD could not be read."""
    code, out = run("digest", "--post")
    assert (code, out) == (0, f"digest posted: posted to {CHANNEL}\n")
    summary, *_replies = [c for c in fake_slack.calls(POST) if c.accepted]
    text = summary.text_of_blocks
    assert "Argo CD could not be read" in text
    assert "ARGOCD_SERVER" in text
    assert "argo-rollouts" in text


def test_argocd_down_scan_prints_partial_json_and_exits_3(argocd_down: Simulator) -> None:
    """`scan` prints apps, stuck and the error naming Argo CD, then exits 3."""
    code, out = run("scan", "--format", "json")
    printed = json.loads(out)
    assert code == 3
    assert printed["apps"]["stuck"] == 1
    assert [s["app"] for s in printed["stuck"]] == ["argo-rollouts"]
    assert [(e["app"], e["source"]) for e in printed["errors"]] == [("*", "argocd")]


class _Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def test_redis_down_two_replicas_post_one_digest_late(
    seed_sim: Simulator, redis_proc: RedisProcess, fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    """Redis down at 09:00: neither replica posts; when it is back, exactly one does, late."""
    clock = _Clock()
    settings = load_settings(slack_bot_token=fake_slack.token, slack_api_url=fake_slack.api_url)
    service = make_service(seed_sim, tmp_path)
    replicas = []
    for name in ("replica-a", "replica-b"):
        store = RedisStore.from_url(redis_proc.url)
        notifier = Notifier(
            service,
            store,
            SlackPoster(build_web_client(settings)),
            slack_renderers(settings),
            channel=CHANNEL,
            oncall_group=ONCALL,
            timezone="UTC",
            reping_after=timedelta(hours=4),
            clock=clock,
            replica=name,
        )
        scheduler = sched.build_scheduler(notifier, cron="0 9 * * *", timezone="UTC", clock=clock)
        replicas.append((store, sched.DigestJob(notifier, scheduler, clock), scheduler))
    try:
        redis_proc.stop()
        for _, job, _ in replicas:
            job()
        assert fake_slack.calls(POST) == []
        retries = [scheduler.get_job("digest-retry") for _, _, scheduler in replicas]
        assert all(r is not None for r in retries)
        redis_proc.start()
        clock.now += sched.DIGEST_RETRY_EVERY
        for (_, job, _), retry in zip(replicas, retries, strict=True):
            job(*retry.args)
        posted = [c for c in fake_slack.calls(POST) if c.accepted]
        summaries = [p for p in posted if "thread_ts" not in p.body]
        assert len(summaries) == 1, "one digest (a summary and its thread replies)"
        assert "Posted late: it was due" in summaries[0].text_of_blocks
        assert "Redis was unreachable" in summaries[0].text_of_blocks
    finally:
        for store, _, _ in replicas:
            store.close()
        service.close()
