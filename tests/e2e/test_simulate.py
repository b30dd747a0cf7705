"""A newcomer's path after the demo, as separate processes: `simulate`, then the other commands.

Issue #17: `drift-bot simulate --env-file F` serves the seed cluster until interrupted; another
shell sources F and runs `app gitea`, `logs argo-rollouts` and `digest --format blocks` against
it. Also here: what a closed pipe and the signals do to the process (exit codes, no traceback).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.settings import Settings

DRIFT_BOT = [sys.executable, "-m", "bot"]
TIMEOUT_S = 120  # a hang fails the test instead of the run; nothing here measures time


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without any drift-bot setting (a newcomer's fresh shell)."""
    names = {name.upper() for name in Settings.model_fields} | {"NO_COLOR", "COLUMNS"}
    env = {k: v for k, v in os.environ.items() if k not in names}
    return {**env, "HOME": env.get("HOME", "/nonexistent-home"), **extra}


def start_simulator(env_file: Path, *args: str) -> tuple[subprocess.Popen[str], list[str]]:
    """`drift-bot simulate --env-file F`, once its three export lines are out (it is ready)."""
    proc = subprocess.Popen(
        [*DRIFT_BOT, "simulate", "--env-file", str(env_file), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(),
    )
    assert proc.stdout is not None
    exports = [proc.stdout.readline() for _ in range(3)]
    return proc, exports


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, list[str]]]:
    env_file = tmp_path_factory.mktemp("simulate") / "drift.env"
    proc, exports = start_simulator(env_file)
    try:
        yield env_file, exports
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=TIMEOUT_S)


def in_shell(env_file: Path, command: str) -> subprocess.CompletedProcess[str]:
    """``source F && drift-bot ...`` in a fresh bash, as the README tells a newcomer."""
    drift_bot = " ".join(DRIFT_BOT)
    return subprocess.run(
        ["bash", "-c", f'source "$1" && {drift_bot} {command}', "bash", str(env_file)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=TIMEOUT_S,
        check=False,
    )


def test_simulate_prints_and_writes_the_export_lines(simulator: tuple[Path, list[str]]) -> None:
    """Three `export` lines on stdout, the same in F (mode 0600), with a kubeconfig that exists."""
    env_file, exports = simulator
    names = [line.split("=", 1)[0] for line in exports]
    assert names == ["export KUBECONFIG", "export ARGOCD_SERVER", "export ARGOCD_AUTH_TOKEN"]
    assert env_file.read_text(encoding="utf-8") == "".join(exports)
    assert env_file.stat().st_mode & 0o777 == 0o600
    kubeconfig = Path(exports[0].strip().split("=", 1)[1])
    assert "current-context: sim" in kubeconfig.read_text(encoding="utf-8")
    assert exports[1].strip().split("=", 1)[1].startswith("http://127.0.0.1:")


def test_app_gitea_against_the_simulator(simulator: tuple[Path, list[str]]) -> None:
    """`app gitea` reads the seed's gitea through the real clients: its ExternalSecrets drift."""
    done = in_shell(simulator[0], "app gitea")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("gitea  OutOfSync · Progressing")
    assert "[A] CRD schema defaults  ExternalSecret/gitea-admin in gitea" in done.stdout


def test_logs_argo_rollouts_against_the_simulator(simulator: tuple[Path, list[str]]) -> None:
    """`logs argo-rollouts` finds the 21-day crash loop and its decisive, redacted log line."""
    done = in_shell(simulator[0], "logs argo-rollouts")
    assert done.returncode == 0, done.stderr
    assert "CrashLoopBackOff, 1154 restarts" in done.stdout
    assert 'authorization="Bearer [REDACTED]"' in done.stdout


def test_digest_blocks_against_the_simulator(simulator: tuple[Path, list[str]]) -> None:
    """`digest --format blocks` is one Slack message: blocks (within Slack's 50) and a text."""
    done = in_shell(simulator[0], "digest --format blocks")
    assert done.returncode == 0, done.stderr
    message = json.loads(done.stdout)
    assert set(message) == {"blocks", "text"}
    assert message["blocks"][0]["type"] == "header"
    assert message["blocks"][0]["text"]["text"].startswith("Drift digest · ")
    assert 1 < len(message["blocks"]) <= 50
    assert "*52* apps · *20* OutOfSync · *4* Progressing · *1* stuck" in done.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_simulate_stops_cleanly_on_a_signal(tmp_path: Path, sig: signal.Signals) -> None:
    """Ctrl-C or a TERM ends `simulate` with exit 0, a one-line goodbye and no traceback."""
    proc, exports = start_simulator(tmp_path / "env", "--scenario", "fleet", "--apps", "20")
    assert exports[0].startswith("export KUBECONFIG=")
    kubeconfig = Path(exports[0].strip().split("=", 1)[1])
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 0
    assert "fleet cluster (20 apps)" in err
    assert err.rstrip().endswith("drift-bot simulate: stopped")
    assert "Traceback" not in err
    assert not kubeconfig.exists()  # its temporary directory went with it


def test_apps_only_applies_to_the_fleet(tmp_path: Path) -> None:
    """`--apps` with the seed scenario is a usage error naming both flags (exit 2)."""
    done = subprocess.run(
        [*DRIFT_BOT, "simulate", "--apps", "5"],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "drift-bot: --apps only applies to --scenario fleet (the seed cluster always has 52 apps)\n"
    )


def test_a_closed_pipe_ends_quietly_with_141() -> None:
    """`drift-bot demo | head` : the reader leaves early; no BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [*DRIFT_BOT, "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=clean_env(),
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the demo writes
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=TIMEOUT_S) == 141  # 128 + SIGPIPE, what a shell reports
    assert err == ""
