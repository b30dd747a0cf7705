"""The scenarios the simulator ships: ``seed`` (the write-up's 52-app cluster), ``generated``
and ``argo_diff_cases`` (one resource per way Argo CD's predicted live state differs from git),
``fleet`` (generated with realistic workloads and sizes).

All return a fresh `Scenario` (tests may change it before starting a `Simulator`); every
timestamp is relative to the ``now`` passed in, so ages ("Progressing for 21 days") hold
whatever the wall clock says.

``argo_diff=True`` (or `realize` on any scenario) makes the live objects real (API-server
defaults, field managers, ``last-applied``) and has the simulated Argo CD serve its own diff:
``normalizedLiveState`` vs ``predictedLiveState``, per the app's diff mode. `ARGO_DIFF` is the
default: on since the classifier reads Argo CD's diff (issue #14).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from bot.simulator.cluster.realism import Realism, realize
from bot.simulator.scenarios import argo_diff_cases as _cases
from bot.simulator.scenarios.fleet import Realistic
from bot.simulator.scenarios.generator import CLASSES, SECOND_NAMESPACE, generated
from bot.simulator.scenarios.scenario import Scenario
from bot.simulator.scenarios.seed_cluster import build_seed

__all__ = [
    "ARGO_DIFF",
    "CLASSES",
    "SECOND_NAMESPACE",
    "Realism",
    "Scenario",
    "argo_diff_cases",
    "fleet",
    "generated",
    "realize",
    "seed",
]

ARGO_DIFF: Final = True
"""Whether `seed` serves Argo CD's own diff by default."""


def fleet(
    apps: int, drifting: int, now: datetime, seed: int = 0, *, argo_diff: bool = False
) -> Scenario:
    """`generated` shaped like a real fleet (`scenarios.fleet`): pods, sizes, zombies."""
    return generated(apps, drifting, now, seed, argo_diff=argo_diff, shape=Realistic(seed))


def seed(now: datetime, *, argo_diff: bool = ARGO_DIFF) -> Scenario:
    """The seed cluster of docs/seed-scenario.md (52 apps, 20 OutOfSync, 1 stuck)."""
    scenario = build_seed(now)
    return realize(scenario) if argo_diff else scenario


def argo_diff_cases(now: datetime) -> Scenario:
    """Eleven small apps, one per kind of difference issue #14 lists (always realized)."""
    return _cases.build(now)
