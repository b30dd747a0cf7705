"""End-to-end fixtures: the seed simulator, settings pointing at it, and the real service."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.service.scan import DriftService
from bot.settings import Settings, load_settings
from bot.simulator import Scenario, Simulator, scenarios
from bot.wiring import build_service

TOKEN = "sim-token"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed() -> Scenario:
    """The seed scenario at a fixed moment."""
    return scenarios.seed(now=NOW)


@pytest.fixture(scope="module")
def sim(seed: Scenario) -> Iterator[Simulator]:
    """A running simulator of the seed cluster (shared by a module's tests)."""
    with Simulator(seed, token=TOKEN) as simulator:
        yield simulator


def settings_for(sim: Simulator, tmp: Path, **overrides: object) -> Settings:
    """Settings that point the real adapters at ``sim``."""
    kubeconfig = sim.write_kubeconfig(tmp / "kubeconfig")
    values: dict[str, object] = {
        "kubeconfig": str(kubeconfig),
        "argocd_server": sim.argocd_url,
        "argocd_auth_token": TOKEN,
        **overrides,
    }
    return load_settings(**values)


@pytest.fixture
def service(sim: Simulator, tmp_path: Path) -> Iterator[DriftService]:
    """The real service (real kubernetes client + httpx) against the seed simulator."""
    # The scan's "now" is the scenario's, so ages and stuck thresholds are exact.
    svc = build_service(settings_for(sim, tmp_path), clock=lambda: NOW)
    yield svc
    svc.close()
