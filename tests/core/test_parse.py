"""Raw Argo CD JSON → model: the omitted-key conventions, JSON-string states, path-naming errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from bot.core import parse
from bot.core.model import ResourceKey
from bot.errors import InputError
from tests.core.conftest import REALDATA


def _app(**status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "gitea", "namespace": "argocd"},
        "spec": {"project": "apps", "destination": {"namespace": "gitea"}},
        "status": status,
    }


def test_reads_the_real_argocd_application_with_status() -> None:
    """The upstream test-data Application parses: identity, sync, health and both resources."""
    raw = yaml.safe_load((REALDATA / "argocd-testdata-application-with-status.yaml").read_text())
    app = parse.parse_application(raw, "argo-cd")
    assert (app.name, app.namespace, app.project) == ("velero-test", "argo-cd", "sre")
    assert (app.sync_status, app.health_status) == ("Synced", "Healthy")
    assert app.destination_namespace == "test-lla"
    assert [r.key for r in app.resources] == [
        ResourceKey("", "Service", "test-lla", "test-lla"),
        ResourceKey("apps", "Deployment", "test-lla", "test-lla"),
    ]
    assert app.drifting_resources == ()


def test_app_outside_the_control_plane_is_tracked_with_its_namespace() -> None:
    """An app in another namespace gets the ``<namespace>_<name>`` tracking name."""
    raw = yaml.safe_load((REALDATA / "argocd-testdata-application-with-status.yaml").read_text())
    app = parse.parse_application(raw, "argocd")
    assert app.tracking_name == "argo-cd_velero-test"


def test_omitted_group_namespace_and_status_become_empty() -> None:
    """Core-group, cluster-scoped and hook entries keep Argo CD's omitted keys as ""/None."""
    app = parse.parse_application(
        _app(resources=[{"kind": "Namespace", "name": "x", "hook": True, "requiresPruning": True}]),
        "argocd",
    )
    entry = app.resources[0]
    assert entry.key == ResourceKey("", "Namespace", "", "x")
    assert entry.status is None
    assert entry.hook
    assert entry.requires_pruning
    assert entry.drifting


def test_missing_sections_take_defaults() -> None:
    """An Application without spec or status still parses, with Unknown statuses."""
    app = parse.parse_application({"metadata": {"name": "bare"}}, "argocd")
    assert (app.namespace, app.project, app.sync_status, app.health_status) == (
        "argocd",
        "default",
        "Unknown",
        "Unknown",
    )
    assert app.destination_namespace == ""
    assert app.health_since is None


def test_health_transition_time_is_an_aware_utc_datetime() -> None:
    """``lastTransitionTime`` with ``Z`` and without a zone both come back in UTC."""
    with_zone = parse.parse_application(
        _app(health={"status": "Progressing", "lastTransitionTime": "2026-04-16T21:10:14Z"}),
        "argocd",
    )
    without_zone = parse.parse_application(
        _app(health={"status": "Progressing", "lastTransitionTime": "2026-04-16T21:10:14"}),
        "argocd",
    )
    expected = datetime(2026, 4, 16, 21, 10, 14, tzinfo=UTC)
    assert with_zone.health_since == expected
    assert without_zone.health_since == expected


def test_conditions_are_read() -> None:
    """``status.conditions`` keep their type and message."""
    app = parse.parse_application(
        _app(conditions=[{"type": "SharedResourceWarning", "message": "Namespace/x is part of"}]),
        "argocd",
    )
    assert app.conditions[0].type == "SharedResourceWarning"
    assert app.conditions[0].message.startswith("Namespace/x")


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        pytest.param([], "expected a JSON object", id="not_an_object"),
        pytest.param({}, ".metadata must be an object", id="no_metadata"),
        pytest.param({"metadata": {}}, ".metadata.name is missing", id="no_name"),
        pytest.param(
            {"metadata": {"name": "a"}, "spec": []}, ".spec must be an object", id="spec_list"
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"resources": {}}},
            ".status.resources must be a list",
            id="resources_not_list",
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"resources": ["x"]}},
            ".status.resources[0]: expected an object",
            id="resource_not_object",
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"resources": [{"name": "n"}]}},
            ".status.resources[0].kind is missing",
            id="resource_without_kind",
        ),
        pytest.param(
            {
                "metadata": {"name": "a"},
                "status": {"resources": [{"kind": "K", "name": "n", "requiresPruning": "yes"}]},
            },
            ".status.resources[0].requiresPruning must be a bool",
            id="requires_pruning_not_bool",
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"health": {"lastTransitionTime": "soon"}}},
            ".status.health.lastTransitionTime is not an RFC 3339 time",
            id="bad_time",
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"conditions": [{"message": "m"}]}},
            ".status.conditions[0].type is missing",
            id="condition_without_type",
        ),
        pytest.param(
            {"metadata": {"name": "a"}, "status": {"conditions": [3]}},
            ".status.conditions[0]: expected an object",
            id="condition_not_object",
        ),
    ],
)
def test_malformed_application_names_the_json_path(raw: Any, where: str) -> None:
    """Malformed input raises InputError whose message names the offending JSON path."""
    with pytest.raises(InputError, match="Application") as caught:
        parse.parse_application(raw, "argocd")
    assert where in str(caught.value)


def _item(**fields: Any) -> dict[str, Any]:
    return {"group": "apps", "kind": "Deployment", "namespace": "ns", "name": "web", **fields}


@pytest.mark.parametrize(
    "payload",
    [pytest.param({}, id="empty_body"), pytest.param({"items": None}, id="null_items")],
)
def test_no_items_means_no_managed_resources(payload: dict[str, Any]) -> None:
    """Argo CD's ``{}`` body (and a null items list) mean there is nothing to compare."""
    assert parse.parse_managed_resources(payload) == ()


def test_states_are_parsed_from_json_strings() -> None:
    """Target and live come from JSON strings; the literal "null" target means not in git."""
    live = {"kind": "Deployment", "spec": {"replicas": 2}}
    (item,) = parse.parse_managed_resources(
        {"items": [_item(targetState="null", liveState=json.dumps(live), modified=False)]}
    )
    assert item.key == ResourceKey("apps", "Deployment", "ns", "web")
    assert item.target is None
    assert item.live == live
    assert item.modified is False


@pytest.mark.parametrize(
    "normalized",
    [
        pytest.param("null", id="null"),
        pytest.param("", id="empty_string"),
        pytest.param("{}", id="empty_object"),
        pytest.param(None, id="absent"),
    ],
)
def test_live_falls_back_to_live_state_without_a_normalized_state(normalized: str | None) -> None:
    """Without a usable normalizedLiveState the raw liveState is the live object."""
    fields: dict[str, Any] = {"liveState": json.dumps({"a": 1})}
    if normalized is not None:
        fields["normalizedLiveState"] = normalized
    (item,) = parse.parse_managed_resources({"items": [_item(**fields)]})
    assert item.live == {"a": 1}


def test_normalized_live_state_wins_and_keeps_managed_fields() -> None:
    """The normalized state is used, with managedFields carried over from the raw state."""
    fields = [{"manager": "gpu-operator", "fieldsV1": {"f:spec": {}}}]
    raw = {"metadata": {"name": "web", "managedFields": fields}, "spec": {"a": 1, "b": 2}}
    normalized = {"metadata": {"name": "web"}, "spec": {"a": 1}}
    (item,) = parse.parse_managed_resources(
        {"items": [_item(liveState=json.dumps(raw), normalizedLiveState=json.dumps(normalized))]}
    )
    assert item.live == {"metadata": {"name": "web", "managedFields": fields}, "spec": {"a": 1}}


def test_status_dropped_by_normalization_is_carried_back_for_the_rules() -> None:
    """``ignoreResourceStatusField`` drops a custom resource's status from the normalized
    state; the rules still read it (a finished PipelineRun), the diff does not see it."""
    raw = {"metadata": {"name": "run"}, "status": {"conditions": [{"type": "Succeeded"}]}}
    normalized = {"metadata": {"name": "run"}}
    (item,) = parse.parse_managed_resources(
        {"items": [_item(liveState=json.dumps(raw), normalizedLiveState=json.dumps(normalized))]}
    )
    assert item.live == raw
    assert item.normalized == normalized


@pytest.mark.parametrize(
    ("predicted", "expected"),
    [
        pytest.param({"metadata": {"uid": "1"}, "spec": {"a": 2}}, True, id="from_live"),
        pytest.param({"spec": {"a": 2}}, False, id="git_echoed_back"),
    ],
)
def test_a_prediction_must_come_from_live(predicted: dict[str, Any], expected: bool) -> None:
    target = {"spec": {"a": 2}}
    live = {"metadata": {"uid": "1"}, "spec": {"a": 1}}
    fields = {
        "targetState": json.dumps(target),
        "liveState": json.dumps(live),
        "normalizedLiveState": json.dumps(live),
        "predictedLiveState": json.dumps(predicted),
    }
    (item,) = parse.parse_managed_resources({"items": [_item(**fields)]})
    assert (item.predicted is not None) is expected


def test_empty_states_mark_a_failed_diff() -> None:
    fields = {"liveState": json.dumps({"a": 1}), "targetState": json.dumps({"a": 2})}
    fields["normalizedLiveState"] = fields["predictedLiveState"] = "{}"
    (item,) = parse.parse_managed_resources({"items": [_item(**fields)]})
    assert item.diff_failed
    assert item.predicted is None


def test_normalized_state_that_has_managed_fields_is_left_alone() -> None:
    """When normalization kept managedFields, they are not replaced."""
    mine = [{"manager": "a"}]
    raw = {"metadata": {"managedFields": [{"manager": "b"}]}}
    normalized = {"metadata": {"managedFields": mine}}
    (item,) = parse.parse_managed_resources(
        {"items": [_item(liveState=json.dumps(raw), normalizedLiveState=json.dumps(normalized))]}
    )
    assert item.live == normalized


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        pytest.param([], "expected an object", id="body_not_object"),
        pytest.param({"items": {}}, ".items must be a list", id="items_not_list"),
        pytest.param({"items": ["x"]}, ".items[0]: expected an object", id="item_not_object"),
        pytest.param({"items": [{"kind": "K"}]}, ".items[0].name is missing", id="no_name"),
        pytest.param(
            {"items": [_item(targetState="{not json")]},
            "(Deployment/web in ns): .items[0].targetState is not valid JSON",
            id="bad_json",
        ),
        pytest.param(
            {"items": [_item(liveState="[1, 2]")]},
            ".items[0].liveState must encode an object",
            id="json_not_object",
        ),
        pytest.param(
            {"items": [_item(modified="yes")]}, ".modified must be a bool", id="modified_not_bool"
        ),
    ],
)
def test_malformed_managed_resources_name_the_item(payload: Any, message: str) -> None:
    """Malformed managed-resources raise InputError naming the item and field."""
    with pytest.raises(InputError, match="managed-resources") as caught:
        parse.parse_managed_resources(payload)
    assert message in str(caught.value)


def test_json_null_state_is_absent() -> None:
    """A state that is JSON ``null`` (not the string) is treated as absent too."""
    (item,) = parse.parse_managed_resources({"items": [_item(targetState=" null ")]})
    assert item.target is None
