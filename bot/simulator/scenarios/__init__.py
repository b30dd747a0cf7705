"""The scenarios the simulator ships: ``seed`` (the write-up's 52-app cluster), ``generated``
and ``fleet`` (generated with realistic workloads and sizes).

Both return a fresh `Scenario` (tests may change it before starting a `Simulator`); every
timestamp is relative to the ``now`` passed in, so ages ("Progressing for 21 days") hold
whatever the wall clock says.
"""

from __future__ import annotations

from datetime import datetime

from bot.simulator.scenarios.fleet import Realistic
from bot.simulator.scenarios.generator import CLASSES, SECOND_NAMESPACE, generated
from bot.simulator.scenarios.scenario import Scenario
from bot.simulator.scenarios.seed_cluster import build_seed

__all__ = ["CLASSES", "SECOND_NAMESPACE", "Scenario", "fleet", "generated", "seed"]


def fleet(apps: int, drifting: int, now: datetime, seed: int = 0) -> Scenario:
    """`generated` shaped like a real fleet (`scenarios.fleet`): pods, sizes, zombies."""
    return generated(apps, drifting, now, seed, shape=Realistic(seed))


def seed(now: datetime) -> Scenario:
    """The seed cluster of docs/seed-scenario.md (52 apps, 20 OutOfSync, 1 stuck)."""
    return build_seed(now)
