"""`drift-bot digest [--post] [--force]` as an operator runs it: real clients, Redis and Slack fake.

The CLI reads the real clock, so the simulated cluster is the seed at the current time.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.simulator import Simulator, scenarios
from bot.wiring import main
from tests.service.support import CHANNEL, POST, SIM_TOKEN, FlakySlackApi

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live_sim() -> Iterator[Simulator]:
    with Simulator(scenarios.seed(now=datetime.now(UTC)), token=SIM_TOKEN) as sim:
        yield sim


@pytest.fixture
def env(
    live_sim: Simulator,
    tmp_path: Path,
    redis_url: str,
    slack: FlakySlackApi,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """The environment an operator exports for `digest --post` (also set in this process)."""
    values = {
        "KUBECONFIG": str(live_sim.write_kubeconfig(tmp_path / "kubeconfig")),
        "ARGOCD_SERVER": live_sim.argocd_url,
        "ARGOCD_AUTH_TOKEN": SIM_TOKEN,
        "REDIS_URL": redis_url,
        "SLACK_BOT_TOKEN": slack.token,
        "SLACK_API_URL": slack.api_url,
        "DRIFT_CHANNEL": CHANNEL,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out)
    return code, out.getvalue()


def test_digest_prints_the_text_digest_without_posting(
    env: dict[str, str], slack: FlakySlackApi
) -> None:
    """Without --post the digest is printed (stuck app first) and Slack is not called."""
    code, out = run("digest")
    assert code == 0
    assert out.startswith("Drift digest")
    assert out.index("STUCK (1)") < out.index("[A] CRD schema defaults")
    assert "argo-rollouts" in out
    assert "UNEXPLAINED" in out
    assert slack.calls(POST) == []


def test_post_twice_posts_once(env: dict[str, str], slack: FlakySlackApi) -> None:
    """`digest --post` run twice the same day posts one message; the second run says why."""
    first = run("digest", "--post")
    second = run("digest", "--post")
    assert first == (0, f"digest posted: posted to {CHANNEL}\n")
    assert second[0] == 0
    assert second[1].startswith("digest not posted: already posted today")
    (post,) = slack.top_posts()
    assert "argo-rollouts" in post.text_of_blocks


def test_force_posts_again(env: dict[str, str], slack: FlakySlackApi) -> None:
    """`--force` posts even though today's digest is out."""
    assert run("digest", "--post")[0] == 0
    assert run("digest", "--post", "--force") == (0, f"digest posted: posted to {CHANNEL}\n")
    assert len(slack.top_posts()) == 2


def test_concurrent_runs_in_threads_post_once(env: dict[str, str], slack: FlakySlackApi) -> None:
    """Two `digest --post` started together in one process post once."""
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def go() -> None:
        barrier.wait()
        codes.append(main(["digest", "--post"], stdout=io.StringIO()))

    threads = [threading.Thread(target=go) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert codes == [0, 0]
    assert len(slack.top_posts()) == 1
    # ... and its class replies once each, all in that summary's thread.
    assert len({r.body["thread_ts"] for r in slack.calls(POST) if r.body.get("thread_ts")}) == 1


def test_concurrent_processes_post_once(env: dict[str, str], slack: FlakySlackApi) -> None:
    """Two `python -m bot digest --post` processes started together post once."""
    environ = {**os.environ, **env, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "digest", "--post"],
            env=environ,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    said = sorted(out.split(":")[0] for out, _ in outputs)
    assert said == ["digest not posted", "digest posted"]
    assert len(slack.top_posts()) == 1
    # ... and its class replies once each, all in that summary's thread.
    assert len({r.body["thread_ts"] for r in slack.calls(POST) if r.body.get("thread_ts")}) == 1


def test_a_failed_post_exits_3_and_the_next_run_posts(
    env: dict[str, str], slack: FlakySlackApi, capsys: pytest.CaptureFixture[str]
) -> None:
    """Slack 500: exit 3 with the reason on stderr; run again, it posts."""
    slack.fail(POST)
    code, _ = run("digest", "--post")
    assert code == 3
    assert "internal_error" in capsys.readouterr().err
    assert run("digest", "--post")[0] == 0
    assert len(slack.top_posts()) == 1


def test_post_without_a_token_exits_2_naming_it(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--post` without SLACK_BOT_TOKEN is a configuration error that names the variable."""
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    assert run("digest", "--post")[0] == 2
    assert "SLACK_BOT_TOKEN" in capsys.readouterr().err
