"""Fixtures of the reliability suite: the seed cluster, its fault-free scan, a private Redis."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.simulator import Simulator, scenarios
from tests.reliability.support import NOW, RedisProcess, make_service


@pytest.fixture(scope="module")
def seed_sim() -> Iterator[Simulator]:
    """The seed cluster over loopback, shared by a module (faults are cleared after each test)."""
    with Simulator(scenarios.seed(now=NOW)) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "seed_sim" in request.fixturenames:
        sim: Simulator = request.getfixturevalue("seed_sim")
        sim.clear_faults()
        sim.reset_counters()


@pytest.fixture(scope="module")
def baseline(seed_sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The JSON of a scan of the seed cluster with nothing failing: what "full result" means."""
    service = make_service(seed_sim, tmp_path_factory.mktemp("baseline"))
    try:
        report = service.scan().to_json()
    finally:
        service.close()
    seed_sim.reset_counters()
    return report


@pytest.fixture
def redis_proc(tmp_path: Path) -> Iterator[RedisProcess]:
    """A running private redis-server, stopped after the test whatever state it was left in."""
    proc = RedisProcess(tmp_path)
    proc.start()
    try:
        yield proc
    finally:
        proc.stop()
