"""Checks shared by the simulator tests: what "a consistent scenario" means, in one place."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, Final

from bot.core.model import ResourceKey, ResourceStatus
from bot.simulator import Scenario
from bot.simulator.cluster.pointers import semantic_diff

TOKEN: Final = "sim-token"
NOW: Final = datetime(2026, 4, 18, 9, 0, tzinfo=UTC)


def entries(app: dict[str, Any]) -> Iterator[tuple[ResourceKey, dict[str, Any]]]:
    """The status.resources entries of an Application CR with their identity."""
    for entry in app["status"].get("resources", []):
        key = ResourceKey(
            entry.get("group", ""), entry["kind"], entry.get("namespace", ""), entry["name"]
        )
        yield key, entry


def drifting(entry: dict[str, Any], key: ResourceKey) -> bool:
    """The domain model's notion of a drifting status entry."""
    status = ResourceStatus.of(
        key,
        entry["version"],
        entry.get("status"),
        requires_pruning=bool(entry.get("requiresPruning")),
        hook=bool(entry.get("hook")),
    )
    return status.drifting


def inconsistencies(scenario: Scenario) -> list[str]:
    """Every way the scenario's status entries, targets and live objects disagree."""
    problems: list[str] = []
    for app in scenario.applications:
        name = app["metadata"]["name"]
        for key, entry in entries(app):
            target, live = scenario.target(name, key), scenario.find(key)
            if entry.get("hook"):
                if target is not None or live is None:
                    problems.append(f"{name} {key}: a hook leftover must be live and not in git")
                continue
            if entry.get("requiresPruning"):
                if target is not None or live is None:
                    problems.append(f"{name} {key}: an extra must be live and not in git")
                continue
            if target is None or live is None:
                problems.append(f"{name} {key}: target or live object missing")
                continue
            diff = set(semantic_diff(target, live))
            declared = set(scenario.expected_paths.get((name, key), ()))
            if entry["status"] == "Synced" and diff:
                problems.append(f"{name} {key}: Synced but differs at {sorted(diff)}")
            if entry["status"] == "OutOfSync" and (not diff or diff != declared):
                problems.append(f"{name} {key}: differs at {sorted(diff)}, declared {declared}")
    return problems
