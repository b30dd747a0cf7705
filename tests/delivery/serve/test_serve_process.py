"""`drift-bot serve` as an operator runs it: a real process, its exit codes and SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from bot.simulator import Simulator
from tests.conftest import free_port
from tests.delivery.serve.conftest import API_TOKEN, SIM_TOKEN, send

STARTUP_TIMEOUT_S = 20.0


def serve(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", *args],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: subprocess.Popen[str], timeout: float = 20) -> tuple[int, str]:
    """Wait for ``proc`` (killing it if it hangs); returns (exit code, stderr)."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"serve did not exit within {timeout}s:\n{err}")
    return proc.returncode, err


def wait_until_serving(proc: subprocess.Popen[str], url: str) -> None:
    """Poll /healthz until the process answers (it has to import and bind first)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"serve exited early: {finish(proc)}")
        try:
            if send(_request(url + "/healthz"))[0] == 200:
                return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail(f"serve did not answer /healthz within {STARTUP_TIMEOUT_S}s: {finish(proc)}")


def _request(url: str, token: str = "") -> urllib.request.Request:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback


@pytest.mark.parametrize(
    ("env", "named"),
    [
        pytest.param({"DRIFT_PORT": "http"}, "DRIFT_PORT", id="bad-port"),
        pytest.param({}, "SLACK_BOT_TOKEN", id="no-slack-credentials"),
    ],
)
def test_bad_setting_exits_2_naming_it(env: dict[str, str], named: str) -> None:
    """`drift-bot serve` with an invalid or missing setting exits 2 and names the setting."""
    code, err = finish(serve(env=env))
    assert code == 2
    assert "configuration error" in err
    assert named in err


def test_classifier_serves_until_sigterm_then_exits_0(live_sim: Simulator, tmp_path: Path) -> None:
    """`serve --role classifier` answers the API, and SIGTERM stops it cleanly with exit 0."""
    port = free_port()
    env = {
        "KUBECONFIG": str(live_sim.write_kubeconfig(tmp_path / "kubeconfig")),
        "ARGOCD_SERVER": live_sim.argocd_url,
        "ARGOCD_AUTH_TOKEN": SIM_TOKEN,
        "DRIFT_API_TOKEN": API_TOKEN,
    }
    proc = serve("--role", "classifier", "--port", str(port), env=env)
    url = f"http://127.0.0.1:{port}"
    wait_until_serving(proc, url)
    status, body, _ = send(_request(f"{url}/api/v1/apps/gitea", API_TOKEN))
    assert status == 200
    assert '"app": "gitea"' in body
    proc.send_signal(signal.SIGTERM)
    code, err = finish(proc)
    assert code == 0, err
    assert "shutting down" in err
    assert "Traceback" not in err
