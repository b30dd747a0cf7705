"""Fixtures of the simulator tests: one seed simulator per module, real clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import kubernetes.client
import kubernetes.config
import pytest

from bot.simulator import Scenario, Simulator, scenarios
from tests.simulator.sim_support import NOW, TOKEN


@pytest.fixture(scope="module")
def seed() -> Scenario:
    """The seed scenario, built once per module (tests that change it build their own)."""
    return scenarios.seed(NOW)


@pytest.fixture(scope="module")
def sim(seed: Scenario) -> Iterator[Simulator]:
    """A running simulator of the seed scenario."""
    with Simulator(seed, token=TOKEN) as running:
        yield running


@pytest.fixture
def kubeconfig(sim: Simulator, tmp_path: Path) -> Path:
    return sim.write_kubeconfig(tmp_path / "kubeconfig")


@pytest.fixture
def api_client(kubeconfig: Path) -> Iterator[kubernetes.client.ApiClient]:
    """The official client, configured only from the simulator's kubeconfig."""
    client = kubernetes.config.new_client_from_config(config_file=str(kubeconfig))
    yield client
    client.close()


@pytest.fixture
def kube_http(sim: Simulator) -> Iterator[httpx.Client]:
    """Raw HTTP to the Kubernetes side, for checks on exact bytes and shapes."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=sim.kube_url, headers=headers, timeout=5) as client:
        yield client


@pytest.fixture
def argo(sim: Simulator) -> Iterator[httpx.Client]:
    """httpx against the Argo CD side with the right token."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=sim.argocd_url, headers=headers, timeout=5) as client:
        yield client
