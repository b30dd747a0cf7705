"""CRD schema defaults and the built-in defaults table, checked against real upstream CRDs."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import builtin_defaults, schema

_NODE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "target": {
            "type": "object",
            "default": {"creationPolicy": "Owner"},
            "properties": {
                "creationPolicy": {"type": "string", "default": "Owner"},
                "deletionPolicy": {"type": "string", "default": "Retain"},
                "name": {"type": "string"},
            },
        },
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"strategy": {"type": "string", "default": "Default"}},
            },
        },
        "labels": {"type": "object", "additionalProperties": {"type": "string", "default": "x"}},
        "opaque": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
    },
}


def test_version_schema_picks_the_version_of_the_api_version(eso_v280: dict[str, Any]) -> None:
    """The schema is the one of the version named in apiVersion; unknown versions give None."""
    v1 = schema.version_schema(eso_v280, "external-secrets.io/v1")
    assert v1 is not None
    assert "spec" in v1["properties"]
    assert schema.version_schema(eso_v280, "external-secrets.io/v9") is None
    assert schema.version_schema({"spec": {"versions": [{"name": "v1"}]}}, "g/v1") is None


def test_child_follows_properties_items_and_additional_properties() -> None:
    """One step down is a property, list items, or additionalProperties for unknown keys."""
    assert schema.child(_NODE, "target") is _NODE["properties"]["target"]
    assert schema.node_at(_NODE, ("data", 3, "strategy")) == {
        "type": "string",
        "default": "Default",
    }
    assert schema.node_at(_NODE, ("labels", "anything")) == {"type": "string", "default": "x"}
    assert schema.node_at(_NODE, ("missing", "deeper")) is None
    assert schema.child({"items": True}, 0) is None


def test_apply_defaults_is_recursive() -> None:
    """Defaulting fills missing fields, then the defaults of their own children."""
    assert schema.apply_defaults(_NODE, {"target": {}, "data": [{}]}) == {
        "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "data": [{"strategy": "Default"}],
    }
    assert schema.apply_defaults(None, {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        pytest.param(("target", "deletionPolicy"), "Retain", True, id="leaf_default"),
        pytest.param(("target", "deletionPolicy"), "Delete", False, id="leaf_other_value"),
        pytest.param(("target", "name"), "x", False, id="leaf_without_default"),
        pytest.param(
            ("target",),
            {"creationPolicy": "Owner", "deletionPolicy": "Retain"},
            True,
            id="whole_object_with_nested_defaults",
        ),
        pytest.param(("target",), {"creationPolicy": "Owner"}, True, id="materialised_subset"),
        pytest.param(("target",), {"name": "x"}, False, id="object_with_non_default"),
        pytest.param(("data", 0, "strategy"), "Default", True, id="inside_list_items"),
        pytest.param(("data",), {}, False, id="empty_object_without_default"),
        pytest.param(("nothing",), "x", False, id="unknown_path"),
    ],
)
def test_is_default(path: tuple[Any, ...], value: Any, expected: bool) -> None:
    """A value is a default when it equals the node's default or is made only of defaults."""
    assert schema.is_default(schema.node_at(_NODE, path), value) is expected


def test_is_default_needs_a_schema() -> None:
    """Without a schema node nothing is a default."""
    assert schema.is_default(None, "x") is False


def test_list_map_keys(rollout_crd: dict[str, Any]) -> None:
    """Map-type lists expose their keys; other lists have none."""
    rollout = schema.version_schema(rollout_crd, "argoproj.io/v1alpha1")
    ports = schema.node_at(rollout, ("spec", "template", "spec", "containers", 0, "ports"))
    assert schema.list_map_keys(ports) == ("containerPort", "protocol")
    assert schema.list_map_keys({"x-kubernetes-list-type": "atomic"}) == ()
    assert schema.list_map_keys(None) == ()


def test_preserves_unknown_fields(tekton_task_crd: dict[str, Any]) -> None:
    """A schemaless subtree (old Tekton's root) is reported as preserving unknown fields."""
    task = schema.version_schema(tekton_task_crd, "tekton.dev/v1")
    assert schema.preserves_unknown(task, ("spec", "steps", 0, "image"))
    assert schema.preserves_unknown(_NODE, ("opaque",))
    assert not schema.preserves_unknown(_NODE, ("target", "name"))
    assert not schema.preserves_unknown(_NODE, ("missing", "deeper"))
    assert not schema.preserves_unknown(None, ())


@pytest.mark.parametrize(
    ("crd", "has_defaults"),
    [
        pytest.param("eso_v280", True, id="eso_v2.8.0"),
        pytest.param("eso_v290", False, id="eso_v2.9.0"),
    ],
)
def test_real_eso_crds_differ_in_remote_ref_defaults(
    crd: str, has_defaults: bool, request: pytest.FixtureRequest
) -> None:
    """ESO v2.8.0 defaults the remoteRef strategies; v2.9.0 removed them (deletionPolicy stays)."""
    v1 = schema.version_schema(request.getfixturevalue(crd), "external-secrets.io/v1")
    ref = ("spec", "data", 0, "remoteRef")
    assert (
        schema.is_default(schema.node_at(v1, (*ref, "conversionStrategy")), "Default")
        is has_defaults
    )
    assert schema.is_default(schema.node_at(v1, (*ref, "decodingStrategy")), "None") is has_defaults
    assert schema.is_default(schema.node_at(v1, (*ref, "metadataPolicy")), "None") is has_defaults
    assert schema.is_default(schema.node_at(v1, ("spec", "target", "deletionPolicy")), "Retain")


# --- built-in kinds ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        pytest.param("nginx", "Always", id="no_tag"),
        pytest.param("nginx:latest", "Always", id="latest"),
        pytest.param("nginx:1.25", "IfNotPresent", id="tag"),
        pytest.param("registry:5000/team/app", "Always", id="registry_port_no_tag"),
        pytest.param("registry:5000/team/app:v2", "IfNotPresent", id="registry_port_tag"),
        pytest.param("nginx@sha256:abc", "IfNotPresent", id="digest"),
    ],
)
def test_image_pull_policy_default_follows_the_tag(image: str, policy: str) -> None:
    """The API server's pull policy is Always for latest or untagged images, else IfNotPresent."""
    assert builtin_defaults.image_pull_policy(image) == policy


def _deployment(**container: Any) -> dict[str, Any]:
    return {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": "app", **container}], "serviceAccountName": "sa"}
            }
        }
    }


_CONTAINER = ("spec", "template", "spec", "containers", 0)


@pytest.mark.parametrize(
    ("group", "kind", "path", "value", "live", "expected"),
    [
        pytest.param(
            "apps",
            "Deployment",
            ("spec", "progressDeadlineSeconds"),
            600,
            {},
            True,
            id="deploy_deadline",
        ),
        pytest.param(
            "apps",
            "Deployment",
            ("spec", "revisionHistoryLimit"),
            3,
            {},
            False,
            id="deploy_history_3",
        ),
        pytest.param(
            "apps",
            "Deployment",
            ("spec", "strategy"),
            {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
            },
            {},
            True,
            id="deploy_strategy_whole",
        ),
        pytest.param(
            "apps",
            "Deployment",
            (*_CONTAINER, "imagePullPolicy"),
            "IfNotPresent",
            _deployment(image="nginx:1.25"),
            True,
            id="pull_policy_matches_tag",
        ),
        pytest.param(
            "apps",
            "Deployment",
            (*_CONTAINER, "imagePullPolicy"),
            "IfNotPresent",
            _deployment(image="nginx"),
            False,
            id="pull_policy_wrong_for_untagged",
        ),
        pytest.param(
            "apps",
            "Deployment",
            (*_CONTAINER, "imagePullPolicy"),
            "Always",
            _deployment(),
            False,
            id="pull_policy_without_image",
        ),
        pytest.param(
            "apps",
            "Deployment",
            ("spec", "template", "spec", "serviceAccount"),
            "sa",
            _deployment(),
            True,
            id="service_account_mirrors_name",
        ),
        pytest.param(
            "apps",
            "Deployment",
            (*_CONTAINER, "terminationMessagePath"),
            "/dev/termination-log",
            {},
            True,
            id="termination_message_path",
        ),
        pytest.param(
            "apps",
            "StatefulSet",
            ("spec", "updateStrategy", "rollingUpdate"),
            {"partition": 0},
            {},
            True,
            id="sts_rolling_update_materialised",
        ),
        pytest.param(
            "apps",
            "StatefulSet",
            ("spec", "persistentVolumeClaimRetentionPolicy"),
            {"whenDeleted": "Retain", "whenScaled": "Retain"},
            {},
            True,
            id="sts_pvc_retention",
        ),
        pytest.param(
            "",
            "Service",
            ("spec", "ports", 0, "targetPort"),
            8080,
            {"spec": {"ports": [{"port": 8080}]}},
            True,
            id="service_target_port_copies_port",
        ),
        pytest.param(
            "",
            "Service",
            ("spec", "ports", 0, "targetPort"),
            80,
            {"spec": {"ports": [{"port": 8080}]}},
            False,
            id="service_target_port_differs",
        ),
        pytest.param(
            "",
            "Service",
            ("spec", "ports", 0, "targetPort"),
            80,
            {"spec": {}},
            False,
            id="service_target_port_without_parent",
        ),
        pytest.param(
            "",
            "Namespace",
            ("metadata", "labels"),
            {"kubernetes.io/metadata.name": "team"},
            {"metadata": {"name": "team"}},
            True,
            id="namespace_name_label",
        ),
        pytest.param(
            "",
            "Namespace",
            ("metadata", "labels"),
            {"kubernetes.io/metadata.name": "team"},
            {"metadata": {}},
            False,
            id="namespace_without_name",
        ),
        pytest.param("", "ConfigMap", ("data",), {}, {}, False, id="unknown_kind"),
        pytest.param(
            "admissionregistration.k8s.io",
            "ValidatingWebhookConfiguration",
            ("webhooks", 0, "timeoutSeconds"),
            10,
            {},
            True,
            id="webhook_timeout",
        ),
    ],
)
def test_builtin_defaults(
    group: str, kind: str, path: tuple[Any, ...], value: Any, live: dict[str, Any], expected: bool
) -> None:
    """Built-in kinds default like the API server: static values and sibling-computed ones."""
    assert builtin_defaults.is_default(group, kind, path, value, live) is expected


def test_unknown_kind_has_no_builtin_schema() -> None:
    """Kinds outside the table have no built-in defaults."""
    assert builtin_defaults.schema_for("example.com", "Widget") is None
