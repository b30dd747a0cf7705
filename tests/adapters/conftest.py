"""Shared fixtures of the adapter tests: one started seed simulator per test module.

The real ``kubernetes`` client and real httpx talk to it over loopback, so these tests cover
the adapters' wire behaviour (paths, paging, auth headers, error bodies) and not a mock's idea
of it. A module shares one simulator because starting it is the slow part; tests that inject
faults consume exactly the faults they inject, and the `kube`/`argo` fixtures clear leftovers.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import kubernetes.config
import pytest

from bot.adapters.argocd import ArgoClient
from bot.adapters.kube import KubeReader
from bot.simulator import Simulator, scenarios

NOW = datetime(2026, 4, 25, 9, 0, tzinfo=UTC)
SIM_TOKEN = "sim-token"
PAGE_SIZE = 7
"""Small on purpose: the seed's 52 apps then span 8 pages, so paging is really exercised."""


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """A started simulator of the seed scenario, without latency."""
    with Simulator(scenarios.seed(now=NOW), token=SIM_TOKEN, latency_ms=0) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def kubeconfig(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A kubeconfig file pointing at the simulator's Kubernetes API."""
    path = tmp_path_factory.mktemp("kube") / "config"
    sim.write_kubeconfig(path)
    return path


@pytest.fixture
def page_size() -> int:
    """The page size of the `kube` fixture's reader."""
    return PAGE_SIZE


@pytest.fixture
def kube(sim: Simulator, kubeconfig: Path) -> Iterator[KubeReader]:
    """A KubeReader on the simulator with a small page size (faults cleared afterwards)."""
    # The client's config loaders carry no annotations.
    api_client = kubernetes.config.new_client_from_config(  # type: ignore[no-untyped-call]
        config_file=str(kubeconfig)
    )
    reader = KubeReader(api_client, app_namespaces=["argocd"], page_size=PAGE_SIZE)
    yield reader
    reader.close()
    sim.clear_faults()  # a failing test must not leave its faults to the next one


@pytest.fixture
def sleeps() -> list[float]:
    """Delays the Argo CD client asked to sleep (recorded instead of slept)."""
    return []


@pytest.fixture
def argo(sim: Simulator, sleeps: list[float]) -> Iterator[ArgoClient]:
    """An ArgoClient on the simulator whose backoff sleeps are recorded, not slept."""
    with ArgoClient(sim.argocd_url, SIM_TOKEN, sleep=sleeps.append) as client:
        yield client
    sim.clear_faults()


@pytest.fixture
def closed_url() -> str:
    """An http:// URL on loopback where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
