"""Class G (injected fields) and the residual class: what is noise, and what must stay visible.

A real change (image, replicas, env, args) must never land in a benign class; the near-miss
tests here pair each benign pattern with the change that must fall through.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.model import DriftClass, FixKind
from tests.core.conftest import K8s

A, G, U = DriftClass.SCHEMA_DEFAULTS, DriftClass.INJECTED_FIELDS, DriftClass.UNEXPLAINED


def deployment(
    name: str = "victoria-metrics-grafana",
    namespace: str = "monitoring",
    **template_annotations: str,
) -> dict[str, Any]:
    return K8s.obj(
        "Deployment",
        name,
        namespace,
        group="apps",
        spec={
            "replicas": 1,
            "template": {
                "metadata": {"annotations": dict(template_annotations)},
                "spec": {
                    "containers": [
                        {
                            "name": "grafana",
                            "image": "grafana/grafana:11.1.0",
                            "args": ["--config"],
                            "env": [{"name": "A", "value": "1"}],
                        }
                    ]
                },
            },
        },
    )


def test_checksum_annotations_are_injected_with_exact_pointers() -> None:
    """The seed's Grafana checksums: class G, ignoreDifferences with exactly those pointers."""
    git = deployment(**{"checksum/config": "aaa", "checksum/secret": "bbb"})
    live = K8s.tracked(
        deployment(
            **{
                "checksum/config": "ccc",
                "checksum/secret": "ddd",
                "checksum/sc-dashboard-provider-config": "e",
            }
        )
    )
    finding = K8s.classify_one(git, live)
    assert finding.drift_class is G
    assert finding.fix.kind is FixKind.IGNORE_DIFFERENCES
    assert finding.fix.text == "\n".join(
        [
            "# Add to the Application spec: ignores only these fields of this one object.",
            "ignoreDifferences:",
            "  - group: apps",
            "    kind: Deployment",
            "    name: victoria-metrics-grafana",
            "    namespace: monitoring",
            "    jsonPointers:",
            "      - /spec/template/metadata/annotations/checksum~1config",
            "      - /spec/template/metadata/annotations/checksum~1sc-dashboard-provider-config",
            "      - /spec/template/metadata/annotations/checksum~1secret",
        ]
    )


@pytest.mark.parametrize(
    ("key", "git_value", "live_value"),
    [
        pytest.param(
            "updatedAt", "2026-04-03 UTC 10:00:00", "2026-04-04 UTC 21:31:24", id="seed_updatedAt"
        ),
        pytest.param(
            "kubectl.kubernetes.io/restartedAt",
            "2026-04-01T10:00:00Z",
            "2026-04-02T11:00:00Z",
            id="restartedAt",
        ),
        pytest.param(
            "deployed", "2026-04-01T10:00:00+02:00", "2026-04-02T10:00:00.123Z", id="iso_value"
        ),
        pytest.param("vClusterConfigHash", "abc", "def", id="config_hash"),
    ],
)
def test_timestamps_and_hashes_are_injected(key: str, git_value: str, live_value: str) -> None:
    """Timestamp-like keys or values and hash annotations are written by charts on each render."""
    git = deployment("infisical", "infisical", **{key: git_value})
    live = K8s.tracked(deployment("infisical", "infisical", **{key: live_value}))
    assert K8s.classify_one(git, live).drift_class is G


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(
            ("spec", "template", "spec", "containers", 0, "image"),
            "grafana/grafana:11.2.0",
            id="image",
        ),
        pytest.param(("spec", "replicas"), 3, id="replicas"),
        pytest.param(
            ("spec", "template", "spec", "containers", 0, "args", 0), "--debug", id="args"
        ),
        pytest.param(
            ("spec", "template", "spec", "containers", 0, "env", 0, "value"), "2", id="env"
        ),
    ],
)
def test_real_change_next_to_injected_fields_is_unexplained(
    path: tuple[Any, ...], value: Any
) -> None:
    """Image, replicas, args and env changes are never noise, even next to checksum annotations."""
    git = deployment(**{"checksum/config": "aaa"})
    live = K8s.tracked(deployment(**{"checksum/config": "bbb"}))
    node = live
    for segment in path[:-1]:
        node = node[segment]
    node[path[-1]] = value
    finding = K8s.classify_one(git, live)
    assert finding.drift_class is U
    assert finding.summary.startswith("1 of 2 differing fields matches no benign pattern")


def test_pdb_empty_max_unavailable_is_a_controller_default() -> None:
    """The seed's PDB ``maxUnavailable: ""`` that live lacks is injected, not a phantom."""
    pdb = K8s.obj(
        "PodDisruptionBudget",
        "infisical-postgresql",
        "infisical",
        group="policy",
        spec={"maxUnavailable": ""},
    )
    live = K8s.tracked(pdb)
    del live["spec"]["maxUnavailable"]
    finding = K8s.classify_one(pdb, live)
    assert finding.drift_class is G
    assert "controller defaults" in finding.summary


def test_non_empty_pdb_value_removed_is_unexplained() -> None:
    """A PDB ``maxUnavailable: 1`` missing live is a real difference."""
    pdb = K8s.obj("PodDisruptionBudget", "db", "demo", group="policy", spec={"maxUnavailable": 1})
    live = K8s.tracked(pdb)
    del live["spec"]["maxUnavailable"]
    assert K8s.classify_one(pdb, live).drift_class is U


def _cluster_policy(
    spec: dict[str, Any], managers: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    policy = K8s.obj("ClusterPolicy", "cluster-policy", group="nvidia.com", spec=spec)
    if managers is not None:
        policy["metadata"]["managedFields"] = managers
    return policy


def _entry(manager: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "manager": manager,
        "operation": "Update",
        "apiVersion": "nvidia.com/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    }


def test_fields_owned_by_an_operator_are_ignored_by_manager() -> None:
    """The seed's ClusterPolicy: fields added and owned by gpu-operator → managedFieldsManagers."""
    git = _cluster_policy({"driver": {"enabled": False}})
    live_spec = {
        "driver": {"enabled": False, "repository": "nvcr.io"},
        "toolkit": {"enabled": False},
        "cdi": {"default": False},
    }
    managers = [
        _entry("argocd-controller", {"f:spec": {"f:driver": {"f:enabled": {}}}}),
        _entry(
            "gpu-operator",
            {
                "f:spec": {
                    "f:driver": {"f:repository": {}},
                    "f:toolkit": {},
                    "f:cdi": {".": {}, "f:default": {}},
                }
            },
        ),
    ]
    live = K8s.tracked(_cluster_policy(live_spec, managers), dest="")
    finding = K8s.classify_one(git, live, dest="")
    assert finding.drift_class is G
    assert finding.fix.text.endswith("    managedFieldsManagers:\n      - gpu-operator")
    assert "    namespace:" not in finding.fix.text


def test_a_field_of_an_unknown_manager_is_a_real_change() -> None:
    """Beside a known operator, a field another manager (not a named writer) owns is real."""
    git = _cluster_policy({})
    managers = [
        _entry("gpu-operator", {"f:spec": {"f:a": {}}}),
        _entry("node-feature-discovery", {"f:spec": {"f:b": {}}}),
    ]
    live = K8s.tracked(_cluster_policy({"a": 1, "b": 2}, managers), dest="")
    finding = K8s.classify_one(git, live, dest="")
    assert finding.drift_class is U
    assert "1 of 2 differing fields matches no benign pattern: spec.b" in finding.summary


def test_fields_of_different_writers_get_pointers() -> None:
    """An operator's field next to a chart checksum: the fix lists the pointers instead."""
    git = _cluster_policy({})
    git["metadata"]["annotations"] = {"checksum/config": "a"}
    managers = [_entry("gpu-operator", {"f:spec": {"f:a": {}}})]
    live = K8s.tracked(_cluster_policy({"a": 1}, managers), dest="")
    live["metadata"]["annotations"]["checksum/config"] = "b"
    finding = K8s.classify_one(git, live, dest="")
    assert finding.drift_class is G
    assert "      - /metadata/annotations/checksum~1config\n      - /spec/a" in finding.fix.text


@pytest.mark.parametrize(
    ("manager", "expected"),
    [
        pytest.param("gpu-operator", G, id="operator_owns_it"),
        pytest.param("argocd-controller", U, id="argocd_owns_it"),
        pytest.param("kubectl-edit", U, id="person_owns_it"),
    ],
)
def test_added_field_ownership_decides(manager: str, expected: DriftClass) -> None:
    """An added field is injected only when a known writer owns it (not Argo CD, not a person)."""
    live = K8s.tracked(
        _cluster_policy({"a": 1}, [_entry(manager, {"f:spec": {"f:a": {}}})]), dest=""
    )
    assert K8s.classify_one(_cluster_policy({}), live, dest="").drift_class is expected


def test_changed_value_owned_by_an_operator_is_still_unexplained() -> None:
    """Ownership explains added fields only: a git value changed live stays visible."""
    managers = [_entry("some-operator", {"f:spec": {"f:a": {}}})]
    live = K8s.tracked(_cluster_policy({"a": 2}, managers), dest="")
    assert K8s.classify_one(_cluster_policy({"a": 1}), live, dest="").drift_class is U


def test_ownership_through_keyed_list_items() -> None:
    """``k:{...}`` entries of managedFields match list items by their key fields."""
    git = deployment()
    live = K8s.tracked(deployment())
    container = live["spec"]["template"]["spec"]["containers"][0]
    container["resources"] = {"limits": {"nvidia.com/gpu": 1}}
    fields: dict[str, Any] = {
        "f:spec": {
            "f:template": {
                "f:spec": {
                    "f:containers": {
                        'k:{"name":"other"}': {},
                        "k:not-json": {},
                        'k:{"name":"grafana"}': {".": {}, "f:resources": {}},
                    }
                }
            }
        }
    }
    live["metadata"]["managedFields"] = [_entry("gpu-operator", fields)]
    finding = K8s.classify_one(git, live)
    assert finding.drift_class is G
    assert "owned by gpu-operator" in finding.summary


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({"f:spec": {"f:sets": {'v:"b"': {}}}}, G, id="set_item"),
        pytest.param({"f:spec": {"f:sets": {"i:1": {}}}}, G, id="index_item"),
        pytest.param({"f:spec": {"f:sets": {'v:"a"': {}}}}, U, id="other_set_item"),
        pytest.param({"f:spec": {"f:sets": {"k:[]": {}}}}, U, id="key_not_an_object"),
        pytest.param({"f:spec": {"f:sets": {"x:1": {}}}}, U, id="unknown_prefix"),
        pytest.param({"f:spec": {"f:sets": {".": {}}}}, G, id="whole_list"),
        pytest.param({"f:spec": "bad"}, U, id="malformed_fields"),
    ],
)
def test_ownership_of_list_items(fields: dict[str, Any], expected: DriftClass) -> None:
    """Set items (``v:``), index items (``i:``) and whole-list ownership are all understood."""
    owner = [_entry("gpu-operator", fields)]
    live = K8s.tracked(_cluster_policy({"sets": ["a", "b"]}, owner), dest="")
    finding = K8s.classify_one(_cluster_policy({"sets": ["a"]}), live, dest="")
    assert finding.drift_class is expected


def test_statefulset_defaults_with_a_hash_are_injected() -> None:
    """Controller defaults next to a config hash annotation are injected fields."""
    sts = K8s.obj(
        "StatefulSet",
        "experiments",
        "vcluster-experiments",
        group="apps",
        annotations={"vClusterConfigHash": "a"},
        spec={"serviceName": "x"},
    )
    live = K8s.tracked(sts)
    live["metadata"]["annotations"]["vClusterConfigHash"] = "b"
    live["spec"].update(
        revisionHistoryLimit=10,
        updateStrategy={"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        persistentVolumeClaimRetentionPolicy={"whenDeleted": "Retain", "whenScaled": "Retain"},
    )
    finding = K8s.classify_one(sts, live)
    assert finding.drift_class is G
    assert "checksum/hash annotations, server defaults" in finding.summary


def test_seed_vcluster_statefulset_stays_unexplained() -> None:
    """The seed's residual: hash, defaults and git-only ``creationTimestamp: null`` stay U."""
    template = {
        "metadata": {"name": "data", "creationTimestamp": None},
        "spec": {"resources": {"requests": {"storage": "5Gi"}}},
    }
    sts = K8s.obj(
        "StatefulSet",
        "experiments",
        "vcluster-experiments",
        group="apps",
        annotations={"vClusterConfigHash": "a"},
        spec={"serviceName": "x", "volumeClaimTemplates": [template]},
    )
    live = K8s.tracked(sts)
    live["metadata"]["annotations"]["vClusterConfigHash"] = "b"
    del live["spec"]["volumeClaimTemplates"][0]["metadata"]["creationTimestamp"]
    live["spec"]["revisionHistoryLimit"] = 10
    finding = K8s.classify_one(sts, live)
    assert finding.drift_class is U
    assert (
        "1 of 3 differing fields matches no benign pattern:"
        " spec.volumeClaimTemplates[0].metadata.creationTimestamp" in finding.summary
    )


def test_git_with_a_non_date_value_is_not_a_timestamp() -> None:
    """A value git sets that is not a date is not a timestamp just because live's is."""
    git = deployment(build="v1")
    live = K8s.tracked(deployment(build="2026-04-04T10:00:00Z"))
    assert K8s.classify_one(git, live).drift_class is U


# --- unexplained -------------------------------------------------------------------------------


def test_image_change_is_unexplained_with_values_and_diff_command() -> None:
    """A plain image change is named with both values and the argocd diff command."""
    git = deployment()
    live = K8s.tracked(deployment(), "victoria-metrics")
    live["spec"]["template"]["spec"]["containers"][0]["image"] = "grafana/grafana:11.2.0"
    finding = K8s.classify_one(git, live, app="victoria-metrics")
    assert finding.drift_class is U
    assert finding.fix.kind is FixKind.INVESTIGATE
    assert (
        "#   changed /spec/template/spec/containers/0/image:"
        ' git "grafana/grafana:11.1.0" → live "grafana/grafana:11.2.0"' in finding.fix.text
    )
    assert finding.fix.text.endswith("argocd app diff victoria-metrics")


def test_missing_from_cluster_says_sync_it() -> None:
    """In git but not live: unexplained, with the command to sync just that resource."""
    finding = K8s.classify_one(deployment(), None, app="victoria-metrics")
    assert finding.drift_class is U
    assert finding.summary == "It is in git but missing from the cluster: sync it."
    assert finding.fix.text.endswith(
        "argocd app sync victoria-metrics"
        " --resource apps:Deployment:monitoring/victoria-metrics-grafana"
    )


def test_missing_cluster_scoped_resource_names_it_without_namespace() -> None:
    """A missing cluster-scoped object is named ``group:Kind:name``."""
    finding = K8s.classify_one(
        K8s.obj("ClusterRole", "view", group="rbac.authorization.k8s.io"), None
    )
    assert finding.fix.text.endswith("--resource rbac.authorization.k8s.io:ClusterRole:view")


def test_not_in_git_and_not_pruned_is_unexplained() -> None:
    """Live without target and without requiresPruning is odd and named as such."""
    cm = K8s.tracked(K8s.obj("ConfigMap", "x", "demo"))
    finding = K8s.classify_one(None, cm)
    assert finding.drift_class is U
    assert finding.summary == "It is not in git, yet Argo CD does not mark it for pruning."


def test_out_of_sync_without_a_visible_diff_is_unexplained() -> None:
    """The seed's Tekton SSA quirk: OutOfSync while normalized states match."""
    task = K8s.obj("Task", "git-clone", "tekton-pipelines", group="tekton.dev", spec={"steps": []})
    finding = K8s.classify_one(task, K8s.tracked(task))
    assert finding.drift_class is U
    assert "matches git field for field" in finding.summary
    assert finding.evidence == ()


def test_schemaless_crd_cannot_explain_webhook_fields(tekton_task_crd: dict[str, Any]) -> None:
    """The old Tekton Task CRD preserves unknown fields, so added fields stay unexplained."""
    task = K8s.obj(
        "Task",
        "build-push",
        "tekton-pipelines",
        group="tekton.dev",
        spec={"steps": [{"name": "build", "image": "kaniko"}]},
    )
    live = K8s.tracked(task)
    live["spec"]["steps"][0]["computeResources"] = {}
    finding = K8s.classify_one(task, live, crds={("tekton.dev", "Task"): tekton_task_crd})
    assert finding.drift_class is U
    assert "keeps unknown fields there" in finding.summary


def test_full_schema_without_defaults_explains_nothing(tekton_pipeline_crd: dict[str, Any]) -> None:
    """Tekton v1.15.0's Pipeline CRD has a schema but no defaults: an added field stays U."""
    pipeline = K8s.obj(
        "Pipeline",
        "gitea-ci",
        "tekton-pipelines",
        group="tekton.dev",
        spec={"tasks": [{"name": "clone"}]},
    )
    live = K8s.tracked(pipeline)
    live["spec"]["tasks"][0]["timeout"] = "1h"
    finding = K8s.classify_one(
        pipeline, live, crds={("tekton.dev", "Pipeline"): tekton_pipeline_crd}
    )
    assert finding.drift_class is U
    assert "keeps unknown fields" not in finding.summary


def test_rollout_crd_defaults_explain_port_protocols(rollout_crd: dict[str, Any]) -> None:
    """The real Rollout CRD defaults a container port's protocol to TCP: class A."""
    rollout = K8s.obj(
        "Rollout",
        "web",
        "demo",
        group="argoproj.io",
        version="v1alpha1",
        spec={
            "template": {
                "spec": {"containers": [{"name": "web", "ports": [{"containerPort": 8080}]}]}
            }
        },
    )
    live = K8s.tracked(rollout)
    live["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"] = "TCP"
    finding = K8s.classify_one(rollout, live, crds={("argoproj.io", "Rollout"): rollout_crd})
    assert finding.drift_class is A
    assert finding.paths == ("/spec/template/spec/containers/0/ports/0/protocol",)


def test_operator_ownership_wins_over_schema_defaults() -> None:
    """When one operator owns every field, even defaulted ones, the fix ignores by manager."""
    crd = {
        "spec": {
            "versions": [
                {
                    "name": "v1",
                    "schema": {
                        "openAPIV3Schema": {
                            "properties": {"spec": {"properties": {"a": {"default": 1}}}}
                        }
                    },
                }
            ]
        }
    }
    managers = [_entry("gpu-operator", {"f:spec": {"f:a": {}, "f:b": {}}})]
    live = K8s.tracked(_cluster_policy({"a": 1, "b": 2}, managers), dest="")
    finding = K8s.classify_one(
        _cluster_policy({}), live, dest="", crds={("nvidia.com", "ClusterPolicy"): crd}
    )
    assert finding.drift_class is G
    assert "managedFieldsManagers" in finding.fix.text


@pytest.mark.parametrize(
    ("obj", "added", "expected"),
    [
        pytest.param(
            K8s.obj("Service", "web", "demo", spec={"ports": [{"port": 80}]}),
            {"clusterIP": "10.0.0.7", "clusterIPs": ["10.0.0.7"], "ipFamilies": ["IPv4"]},
            G,
            id="service_cluster_ip",
        ),
        pytest.param(
            K8s.obj("PersistentVolumeClaim", "data", "demo", spec={}),
            {"volumeName": "pvc-123", "storageClassName": "longhorn"},
            G,
            id="pvc_binding",
        ),
        pytest.param(
            K8s.obj("ConfigMap", "cfg", "demo", spec={}),
            {"volumeName": "pvc-123"},
            U,
            id="same_field_on_another_kind",
        ),
    ],
)
def test_server_allocated_fields_are_injected(
    obj: dict[str, Any], added: dict[str, Any], expected: DriftClass
) -> None:
    """Fields the API server allocates (cluster IPs, bound volumes) are not a person's change."""
    live = K8s.tracked(obj)
    live["spec"] = {**live["spec"], **added}
    assert K8s.classify_one(obj, live).drift_class is expected


def test_deployment_revision_annotation_does_not_hide_checksums() -> None:
    """The controller's revision annotation next to checksum annotations is still class G."""
    git = deployment(**{"checksum/config": "a"})
    live = K8s.tracked(deployment(**{"checksum/config": "b"}))
    live["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = "7"
    finding = K8s.classify_one(git, live)
    assert finding.drift_class is G
    assert "server-allocated fields" in finding.summary


def test_cluster_ip_changed_from_git_is_unexplained() -> None:
    """A clusterIP git sets that differs live is a real difference, not an allocation."""
    svc = K8s.obj("Service", "web", "demo", spec={"clusterIP": "10.0.0.1"})
    live = K8s.tracked(svc)
    live["spec"]["clusterIP"] = "10.0.0.2"
    assert K8s.classify_one(svc, live).drift_class is U


@pytest.mark.parametrize(
    ("annotations", "expected"),
    [
        pytest.param({"vClusterConfigHash": "b"}, G, id="only_injected_entries"),
        pytest.param({"vClusterConfigHash": "b", "team": "x"}, U, id="one_plain_entry"),
    ],
)
def test_added_annotation_map_counts_entry_by_entry(
    annotations: dict[str, str], expected: DriftClass
) -> None:
    """Git without annotations and live with some: injected only if every entry is."""
    sts = K8s.obj("StatefulSet", "experiments", "vc", group="apps", spec={"serviceName": "x"})
    live = K8s.tracked(sts)
    live["metadata"]["annotations"].update(annotations)
    finding = K8s.classify_one(sts, live)
    assert finding.paths == ("/metadata/annotations",)
    assert finding.drift_class is expected
