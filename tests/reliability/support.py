"""Shared pieces of the reliability suite: a service wired for fast failure, and a private Redis.

The service is built by hand (not through `bot.wiring`) so each test can give the adapters
timeouts of a fraction of a second and record the Argo CD client's waits instead of sleeping
them: a fault test then proves the scan ends, and how fast, without the suite waiting out
production timeouts.

`RedisProcess` is a redis-server this suite owns, unlike the session-wide one in
``tests/conftest.py``: tests stop it, restart it on the same port, and check what survived.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.service.scan import DriftService
from bot.settings import load_settings
from bot.simulator import Simulator
from tests.conftest import free_port

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
"""The scenarios' "now", and the service's clock: ages and stuck thresholds are exact."""


def make_service(
    sim: Simulator,
    tmp_path: Path,
    *,
    timeout_s: float = 1.0,
    retries: int = 1,
    concurrency: int = 8,
    page_size: int = 500,
    sleeps: list[float] | None = None,
    wrap_cluster: Callable[[KubeReader], Any] | None = None,
) -> DriftService:
    """The real service over the real adapters, pointed at ``sim`` with small timeouts.

    Args:
        sim: A started simulator.
        tmp_path: Where the kubeconfig is written.
        timeout_s: Timeout of one request, for both APIs.
        retries: Argo CD retries after the first attempt.
        concurrency: Fan-out of the scan.
        page_size: ``limit`` of the Kubernetes list requests.
        sleeps: When given, the Argo CD client records its waits here instead of sleeping.
        wrap_cluster: Wraps the Kubernetes reader (to act between pages of a list).
    """
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig")
    settings = load_settings(
        kubeconfig=str(kubeconfig), drift_http_timeout=timedelta(seconds=timeout_s)
    )
    pooled = KubeReader.from_settings(settings)
    kube = KubeReader(
        pooled.api_client,
        app_namespaces=settings.app_namespaces,
        page_size=page_size,
        timeout_s=timeout_s,
    )
    argo = ArgoClient(
        sim.argocd_url,
        sim.token,
        timeout_s=timeout_s,
        retries=retries,
        backoff_s=0.01,
        sleep=sleeps.append if sleeps is not None else time.sleep,
    )
    cluster = wrap_cluster(kube) if wrap_cluster else kube
    return DriftService(
        cluster,
        argo,
        control_plane_namespace="argocd",
        stuck_after=timedelta(minutes=30),
        concurrency=concurrency,
        clock=lambda: NOW,
    )


class RedisProcess:
    """A private redis-server with AOF on (as deployed), stoppable and restartable in place."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed; .ci/run installs it")
        self._binary = binary
        self._workdir = workdir
        self.port = free_port()
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart) the server on the same port and data directory."""
        self._proc = subprocess.Popen(
            [
                self._binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--dir",
                str(self._workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        pytest.fail(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        """Stop the server the way Kubernetes does (SIGTERM) and wait until it is gone."""
        if self._proc is None:
            return
        self._proc.terminate()
        self._proc.wait(timeout=10)
        self._proc = None
