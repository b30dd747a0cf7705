"""``serve --role all``: Slack, API and probes in one process over the seed cluster."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from bot.simulator import Simulator
from tests.conftest import free_port
from tests.delivery.serve.conftest import (
    API_TOKEN,
    Running,
    StartFn,
    cluster_settings,
    slack_values,
)
from tests.fakes.slack_api import FakeSlackApi

pytestmark = pytest.mark.usefixtures("live_sim")

ROLLOUTS_SECRETS = (
    "Sup3rS3cr3tPassw0rd",
    "eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXJnby1yb2xsb3V0czphcmdvLXJvbGxvdXRzIn0",
    "c2ltdWxhdGVkLXNpZ25hdHVyZS1ub3QtYS1yZWFsLWtleQ",
)


@pytest.fixture
def bot(start: StartFn, live_sim: Simulator, fake_slack: FakeSlackApi, tmp_path: Path) -> Running:
    """A role-all server without Redis."""
    return start(cluster_settings(live_sim, tmp_path, **slack_values(fake_slack)), "all")


def upstream_calls(sim: Simulator) -> int:
    """Requests a command caused: the fleet informer's own list and watch of Applications run
    in the background whatever the commands do, so they are not counted."""
    return sim.count("kube", r"^(?!.*/applications$)") + sim.count("argocd")


def test_app_command_acks_fast_and_answers_with_classes_and_fixes(bot: Running) -> None:
    """A signed `/drift app gitea` gets 200 within 3 s; the answer names each class and fix."""
    status, body, seconds = bot.command("app gitea")
    assert status == 200
    assert seconds < 3
    assert json.loads(body)["text"] == "Working on it…"
    text = bot.answer().text_of_blocks
    assert "[A] CRD schema defaults" in text
    assert "[D] zombie" in text
    assert "ExternalSecret/gitea-admin in gitea" in text
    assert "ExternalSecret/gitea-runner in gitea" in text
    assert "deletionPolicy: Retain" in text
    assert "kubectl delete -n gitea service gitea-redis-cluster" in text
    assert "*Safe to delete*: nothing uses it." in text


@pytest.mark.parametrize(
    ("secret", "age"),
    [
        pytest.param("forged-secret", 0, id="forged-signature"),
        pytest.param(None, 6 * 60, id="stale-timestamp"),
    ],
)
def test_unverified_commands_get_401_and_touch_no_upstream(
    bot: Running, live_sim: Simulator, secret: str | None, age: int
) -> None:
    """Forged or stale requests are refused with 401 before any upstream request is made."""
    before = upstream_calls(live_sim)
    kwargs = {"secret": secret} if secret else {}
    status, _, _ = bot.command("app gitea", timestamp=int(time.time()) - age, **kwargs)
    assert status == 401
    assert upstream_calls(live_sim) == before
    assert bot.fake.responses() == []
    _, metrics = bot.get("/metrics")
    assert "drift_commands_total{" not in metrics


def test_logs_command_shows_the_fatal_reason_and_no_secret(bot: Running) -> None:
    """`/drift logs argo-rollouts` shows the plugin-download failure; the log's secrets stay out."""
    status, _, _ = bot.command("logs argo-rollouts")
    assert status == 200
    text = bot.answer().text_of_blocks
    assert "*CrashLoopBackOff*" in text
    assert "1154 restarts" in text
    assert 'level=fatal msg="Failed to download plugins: failed to download plugin' in text
    assert "[REDACTED]" in text
    sent = b"".join(recorded.raw for recorded in bot.fake.requests)
    for secret in ROLLOUTS_SECRETS:
        assert secret.encode() not in sent


def test_ack_marks_the_apps_findings_acked_in_the_api(
    start: StartFn,
    live_sim: Simulator,
    fake_slack: FakeSlackApi,
    tmp_path: Path,
    redis_url: str,
) -> None:
    """`/drift ack gitea 4h known` makes the API report every gitea finding as acked."""
    settings = cluster_settings(live_sim, tmp_path, redis_url=redis_url, **slack_values(fake_slack))
    bot = start(settings, "all")
    _, before = bot.get_json("/api/v1/scan?app=gitea", token=API_TOKEN)
    assert before["findings"]
    assert not any(f["acked"] for f in before["findings"])

    status, _, _ = bot.command("ack gitea 4h known", ident="ack")
    assert status == 200
    assert re.search(r"Ack id `a[0-9a-z]{11}`", bot.answer("ack").text_of_blocks)

    status, after = bot.get_json("/api/v1/scan?app=gitea", token=API_TOKEN)
    assert status == 200
    assert {f["app"] for f in after["findings"]} == {"gitea"}
    assert len(after["findings"]) == len(before["findings"])
    assert all(f["acked"] for f in after["findings"])


def test_probes_answer(bot: Running) -> None:
    """/healthz is 200, and /readyz is 200 naming both upstreams while the simulator is up."""
    assert bot.get("/healthz")[0] == 200
    status, body = bot.get_json("/readyz")
    assert status == 200
    assert body["checks"] == {"kubernetes": True, "argocd": True}


def test_readyz_names_argocd_when_it_is_down(
    start: StartFn, live_sim: Simulator, fake_slack: FakeSlackApi, tmp_path: Path
) -> None:
    """With nothing listening at ARGOCD_SERVER, /readyz is 503 and names argocd as down."""
    dead = f"http://127.0.0.1:{free_port()}"
    settings = cluster_settings(live_sim, tmp_path, argocd_server=dead, **slack_values(fake_slack))
    bot = start(settings, "all")
    assert bot.get("/healthz")[0] == 200
    status, body = bot.get_json("/readyz")
    assert status == 503
    assert body["down"] == ["argocd"]
    assert body["checks"]["kubernetes"] is True


def test_metrics_count_the_command(bot: Running) -> None:
    """After a command, /metrics exposes the command counter with its outcome."""
    bot.command("app gitea")
    bot.answer()
    status, metrics = bot.get("/metrics")
    assert status == 200
    assert 'drift_commands_total{command="app",outcome="ok"} 1.0' in metrics
    assert 'drift_scan_duration_seconds_count{use_case="app"} 1.0' in metrics
