"""The scenarios the simulator ships: ``seed`` (the write-up's 52-app cluster) and ``generated``.

Both return a fresh `Scenario` (tests may change it before starting a `Simulator`); every
timestamp is relative to the ``now`` passed in, so ages ("Progressing for 21 days") hold
whatever the wall clock says.
"""

from __future__ import annotations

from datetime import datetime

from bot.simulator.scenarios.generator import CLASSES, SECOND_NAMESPACE, generated
from bot.simulator.scenarios.scenario import Scenario
from bot.simulator.scenarios.seed_cluster import build_seed

__all__ = ["CLASSES", "SECOND_NAMESPACE", "Scenario", "generated", "seed"]


def seed(now: datetime) -> Scenario:
    """The seed cluster of docs/seed-scenario.md (52 apps, 20 OutOfSync, 1 stuck)."""
    return build_seed(now)
