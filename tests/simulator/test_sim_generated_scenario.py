"""Generated scenarios: the requested size and drift, every class, consistent.

How fast they build is measured by ``bench/scenario.py``, not asserted here: wall time on a
shared 2-core machine is not a test.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.core.model import TRACKING_ID_ANNOTATION
from bot.simulator import scenarios
from bot.simulator.scenarios import CLASSES, SECOND_NAMESPACE
from tests.simulator.sim_support import NOW, drifting, entries, inconsistencies


@pytest.fixture(scope="module")
def small() -> scenarios.Scenario:
    return scenarios.generated(200, 80, NOW, seed=3)


def test_ten_thousand_apps_have_the_requested_totals() -> None:
    """10,000 apps with 2,000 drifting: the benchmark's fleet has exactly the asked-for size."""
    big = scenarios.generated(10_000, 2_000, NOW)
    assert big.expected_totals["total"] == 10_000
    assert big.expected_totals["out_of_sync"] == 2_000


@pytest.mark.parametrize(
    ("apps", "drifting_apps"),
    [
        pytest.param(1, 0, id="one-synced-app"),
        pytest.param(8, 8, id="all-drifting"),
        pytest.param(50, 17, id="uneven"),
    ],
)
def test_the_requested_number_of_apps_drift(apps: int, drifting_apps: int) -> None:
    """total and out_of_sync are exactly what was asked, also at the edges."""
    scenario = scenarios.generated(apps, drifting_apps, NOW)
    assert scenario.expected_totals["total"] == apps
    assert scenario.expected_totals["out_of_sync"] == drifting_apps
    out_of_sync = [a for a in scenario.applications if a["status"]["sync"]["status"] == "OutOfSync"]
    assert len(out_of_sync) == drifting_apps


def test_drift_is_spread_over_every_class(small: scenarios.Scenario) -> None:
    """80 drifting apps cover all eight classes ten times each."""
    assert Counter(small.expected.values()) == dict.fromkeys(CLASSES, 10)


def test_zombies_come_with_and_without_users(small: scenarios.Scenario) -> None:
    """Some zombies are safe to delete and some are still used by a running pod."""
    verdicts = set(small.expected_safe_to_delete.values())
    assert verdicts == {True, False}
    for (_app, key), safe in small.expected_safe_to_delete.items():
        if safe:
            continue
        users = [
            o
            for o in small.objects
            if o["kind"] == "Pod" and o["spec"].get("serviceAccountName") == key.name
        ]
        assert users, key


def test_a_second_app_namespace_uses_prefixed_tracking_ids(small: scenarios.Scenario) -> None:
    """Apps in team-apps stamp ``team-apps_<name>`` into their tracking ids."""
    team = [a for a in small.applications if a["metadata"]["namespace"] == SECOND_NAMESPACE]
    assert team
    name = team[0]["metadata"]["name"]
    tracking = [t["metadata"]["annotations"][TRACKING_ID_ANNOTATION] for t in small.targets[name]]
    assert all(t.startswith(f"{SECOND_NAMESPACE}_{name}:") for t in tracking)


def test_every_drifting_entry_has_an_expected_class(small: scenarios.Scenario) -> None:
    """Ground truth covers exactly the drifting status entries."""
    found = {
        (app["metadata"]["name"], key)
        for app in small.applications
        for key, entry in entries(app)
        if drifting(entry, key)
    }
    assert found == set(small.expected)


def test_targets_and_live_objects_agree_with_every_status_entry(
    small: scenarios.Scenario,
) -> None:
    """The fast (unverified) builder still yields exactly the declared differences."""
    assert inconsistencies(small) == []


def test_some_apps_are_stuck_and_some_only_young(small: scenarios.Scenario) -> None:
    """At least one stuck app, plus Progressing apps that are not stuck."""
    progressing = {
        a["metadata"]["name"]
        for a in small.applications
        if a["status"]["health"]["status"] == "Progressing"
    }
    assert small.expected_stuck
    assert small.expected_stuck < progressing
    assert small.expected_totals["stuck"] == len(small.expected_stuck)


def test_the_same_seed_gives_the_same_cluster() -> None:
    """Generation is deterministic per seed and differs across seeds."""
    first = scenarios.generated(60, 20, NOW, seed=7)
    second = scenarios.generated(60, 20, NOW, seed=7)
    other = scenarios.generated(60, 20, NOW, seed=8)
    assert first.applications == second.applications
    assert set(first.expected) != set(other.expected)


@pytest.mark.parametrize(
    ("apps", "drifting_apps", "per_app"),
    [
        pytest.param(0, 0, 5, id="no-apps"),
        pytest.param(5, 6, 5, id="more-drifting-than-apps"),
        pytest.param(5, -1, 5, id="negative-drifting"),
        pytest.param(5, 2, 0, id="no-resources"),
    ],
)
def test_impossible_sizes_are_refused(apps: int, drifting_apps: int, per_app: int) -> None:
    """Out-of-range counts raise ValueError naming the constraint."""
    with pytest.raises(ValueError, match="drifting <= apps"):
        scenarios.generated(apps, drifting_apps, NOW, resources_per_app=per_app)
