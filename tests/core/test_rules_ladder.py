"""The ladder has one ordering: every rule declares its class, RULES follows DriftClass order."""

from __future__ import annotations

import importlib
import pkgutil

from bot.core import rules
from bot.core.model import DriftClass


def _rule_modules() -> dict[DriftClass, object]:
    found = {}
    for info in pkgutil.iter_modules(rules.__path__):
        module = importlib.import_module(f"bot.core.rules.{info.name}")
        if hasattr(module, "CLASS"):
            found[module.CLASS] = module
    return found


def test_every_drift_class_has_exactly_one_rule_module() -> None:
    """Each class, the residual one included, is named by one rule module."""
    assert set(_rule_modules()) == set(DriftClass)


def test_ladder_runs_the_benign_rules_in_drift_class_order() -> None:
    """RULES is the benign classes' rules in enum order; the residual class is the fallback."""
    modules = _rule_modules()
    benign = [c for c in DriftClass if c.benign]
    assert list(rules.RULES) == [modules[c].rule for c in benign]  # type: ignore[attr-defined]
    assert rules.FALLBACK is modules[DriftClass.UNEXPLAINED].explain  # type: ignore[attr-defined]
