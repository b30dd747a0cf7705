"""The seed scenario matches docs/seed-scenario.md and is consistent with itself."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from bot.core.model import TRACKING_ID_ANNOTATION, ResourceKey
from bot.simulator import Scenario, scenarios
from bot.simulator.cluster.objects import tracking_id
from bot.simulator.cluster.podlogs import parse_time
from bot.simulator.cluster.pointers import semantic_diff
from bot.simulator.scenarios.scenario import key_of
from tests.simulator.sim_support import NOW, drifting, entries, inconsistencies

OUT_OF_SYNC = {
    "root", "argo-rollouts", "tekton-pipelines", "tekton-dashboard", "gitea", "infisical",
    "sympozium", "sympozium-extras", "vk-remote", "tekton-extras", "vcluster-experiments",
    "victoria-metrics", "gpu-operator", "gitea-extras", "grafana-alerting", "paperclip", "n8n",
    "immich", "outline", "paperless",
}  # fmt: skip
PROGRESSING = {"argo-rollouts", "gitea", "sympozium", "vcluster-experiments"}


def app_by_name(scenario: Scenario, name: str) -> dict[str, Any]:
    return scenario.application(name)


def test_totals_are_the_seed_numbers(seed: Scenario) -> None:
    """52 apps, 20 OutOfSync, 4 Progressing, 1 stuck, as the write-up says."""
    assert seed.expected_totals == {"total": 52, "out_of_sync": 20, "progressing": 4, "stuck": 1}
    assert len(seed.applications) == 52
    assert seed.expected_stuck == {"argo-rollouts"}


def test_sync_and_health_of_each_app_follow_the_document(seed: Scenario) -> None:
    """Exactly the documented apps are OutOfSync and Progressing; all others Synced/Healthy."""
    sync = {a["metadata"]["name"]: a["status"]["sync"]["status"] for a in seed.applications}
    health = {a["metadata"]["name"]: a["status"]["health"]["status"] for a in seed.applications}
    assert {name for name, s in sync.items() if s == "OutOfSync"} == OUT_OF_SYNC
    assert {name for name, h in health.items() if h == "Progressing"} == PROGRESSING
    assert {h for name, h in health.items() if name not in PROGRESSING} == {"Healthy"}


@pytest.mark.parametrize(
    ("app", "age"),
    [
        pytest.param("argo-rollouts", timedelta(days=21), id="stuck-21-days"),
        pytest.param("gitea", timedelta(minutes=3), id="gitea-3-minutes"),
        pytest.param("sympozium", timedelta(minutes=8), id="sympozium-8-minutes"),
        pytest.param("vcluster-experiments", timedelta(minutes=12), id="vcluster-12-minutes"),
    ],
)
def test_progressing_apps_have_been_so_since_the_documented_time(
    seed: Scenario, app: str, age: timedelta
) -> None:
    """status.health.lastTransitionTime puts each Progressing app at its documented age."""
    since = parse_time(seed.application(app)["status"]["health"]["lastTransitionTime"])
    assert NOW - since == age


def test_every_drifting_entry_has_an_expected_class_and_nothing_else_does(seed: Scenario) -> None:
    """`expected` covers exactly the drifting status.resources entries of all apps."""
    found = {
        (app["metadata"]["name"], key)
        for app in seed.applications
        for key, entry in entries(app)
        if drifting(entry, key)
    }
    assert found == set(seed.expected)


def test_class_counts_match_the_document(seed: Scenario) -> None:
    """19 schema-defaults (16 ExternalSecrets, 3 PersonaPacks), 14 zombies, 12 unadopted CRDs..."""
    assert Counter(seed.expected.values()) == {
        "schema-defaults": 19,
        "zombie": 14,
        "unadopted": 12,
        "phantom-defaults": 12,
        "unexplained": 6,
        "hook-leftover": 5,
        "injected-fields": 4,
        "contested": 2,
    }


def key(text: str) -> ResourceKey:
    """``group/Kind/namespace/name`` (empty parts allowed) as a ResourceKey."""
    group, kind, namespace, name = text.split("/")
    return ResourceKey(group, kind, namespace, name)


@pytest.mark.parametrize(
    ("app", "resource", "drift_class"),
    [
        ("gitea", "external-secrets.io/ExternalSecret/gitea/gitea-admin", "schema-defaults"),
        ("root", "argoproj.io/Application/argocd/gpu-operator", "phantom-defaults"),
        (
            "argo-rollouts",
            "apiextensions.k8s.io/CustomResourceDefinition//rollouts.argoproj.io",
            "unadopted",
        ),
        ("infisical", "networking.k8s.io/IngressClass//nginx", "zombie"),
        ("sympozium", "/Namespace//sympozium-system", "contested"),
        ("sympozium-extras", "/Namespace//sympozium-system", "contested"),
        ("vk-remote", "batch/Job/agents/postgres-vk-init-electric", "hook-leftover"),
        (
            "tekton-extras",
            "tekton.dev/PipelineRun/tekton-pipelines/test-build-sign-5qtn4",
            "hook-leftover",
        ),
        (
            "infisical",
            "policy/PodDisruptionBudget/infisical/infisical-postgresql",
            "injected-fields",
        ),
        ("gpu-operator", "nvidia.com/ClusterPolicy//cluster-policy", "injected-fields"),
        (
            "vcluster-experiments",
            "apps/StatefulSet/vcluster-experiments/experiments",
            "unexplained",
        ),
        (
            "tekton-extras",
            "triggers.tekton.dev/EventListener/tekton-pipelines/gitea-listener",
            "unexplained",
        ),
        (
            "argocd",
            "rbac.authorization.k8s.io/Role/argocd/argocd-redis-secret-init",
            "hook-leftover",
        ),
    ],
)
def test_documented_resources_have_their_class(
    seed: Scenario, app: str, resource: str, drift_class: str
) -> None:
    """Each row of the seed table maps to the class the document names."""
    assert seed.expected[(app, key(resource))] == drift_class


def test_targets_and_live_objects_agree_with_every_status_entry() -> None:
    """Synced pairs are equal, OutOfSync pairs differ exactly at the declared paths.

    Checked on the seed as declared (git against live); once realized, live objects also carry
    server defaults and `realize` proves the same agreement in Argo CD's own diff.
    """
    assert inconsistencies(scenarios.seed(NOW, argo_diff=False)) == []


def test_external_secrets_differ_in_exactly_the_four_eso_defaults(seed: Scenario) -> None:
    """Live adds deletionPolicy and three remoteRef strategies per data item, nothing else."""
    secrets = [k for k in seed.expected if k[1].kind == "ExternalSecret"]
    assert len(secrets) == 16
    for app, key in secrets:
        target, live = seed.target(app, key), seed.find(key)
        assert target is not None
        assert live is not None
        items = len(target["spec"]["data"])
        paths = semantic_diff(target, live)
        assert "/spec/target/deletionPolicy" in paths
        assert len(paths) == 1 + 3 * items
        assert live["spec"]["data"][0]["remoteRef"]["metadataPolicy"] == "None"


def test_root_lists_every_other_app_and_twelve_templates_keep_prune_false(seed: Scenario) -> None:
    """51 child Applications; the 12 drifting ones differ by prune: false (and 3 by group: "")."""
    children = dict(entries(seed.application("root")))
    assert len(children) == 51
    drifting_children = {k.name for k, e in children.items() if e["status"] == "OutOfSync"}
    assert len(drifting_children) == 12
    for name in drifting_children:
        key = ResourceKey("argoproj.io", "Application", "argocd", name)
        paths = set(seed.expected_paths[("root", key)])
        assert "/spec/syncPolicy/automated/prune" in paths
    with_group = {
        k[1].name for k, p in seed.expected_paths.items() if "/spec/ignoreDifferences/0/group" in p
    }
    assert with_group == {"victoria-metrics", "gpu-operator", "infisical"}


def test_status_resources_use_argo_cd_3_shapes(seed: Scenario) -> None:
    """No per-resource health, no empty group/namespace keys, hooks without a status."""
    for app in seed.applications:
        assert app["status"]["resourceHealthSource"] == "appTree"
        for _key, entry in entries(app):
            assert "health" not in entry
            assert entry.get("group", "x") != ""
            assert entry.get("namespace", "x") != ""
            if entry.get("hook"):
                assert "status" not in entry
                assert entry["requiresPruning"] is True


def test_targets_carry_tracking_ids_except_crds(seed: Scenario) -> None:
    """Argo CD stamps its tracking id on every target but never on a CRD."""
    for app in seed.applications:
        name = app["metadata"]["name"]
        destination = app["spec"]["destination"].get("namespace", "")
        for target in seed.targets[name]:
            key = key_of(target)
            annotations = target["metadata"].get("annotations", {})
            if key.kind == "CustomResourceDefinition":
                assert TRACKING_ID_ANNOTATION not in annotations
            else:
                assert annotations[TRACKING_ID_ANNOTATION] == tracking_id(name, key, destination)


def test_cluster_scoped_tracking_ids_use_the_destination_namespace(seed: Scenario) -> None:
    """The zombie ClusterRole of infisical is tracked as infisical:...:infisical/name."""
    role = seed.find(
        ResourceKey("rbac.authorization.k8s.io", "ClusterRole", "", "infisical-ingress-nginx")
    )
    assert role is not None
    expected = "infisical:rbac.authorization.k8s.io/ClusterRole:infisical/infisical-ingress-nginx"
    assert role["metadata"]["annotations"][TRACKING_ID_ANNOTATION] == expected


def test_unadopted_crds_carry_the_seed_annotations_and_no_tracking_id(seed: Scenario) -> None:
    """rollouts.argoproj.io live has exactly the two annotations the write-up printed."""
    crd = seed.find(
        ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "rollouts.argoproj.io")
    )
    assert crd is not None
    assert crd["metadata"]["annotations"] == {
        "controller-gen.kubebuilder.io/version": "v0.14.0",
        "helm.sh/resource-policy": "keep",
    }


def test_contested_namespace_is_tracked_by_sympozium_extras(seed: Scenario) -> None:
    """The live Namespace names sympozium-extras; sympozium reports SharedResourceWarning."""
    namespace = seed.find(ResourceKey("", "Namespace", "", "sympozium-system"))
    assert namespace is not None
    tracking = namespace["metadata"]["annotations"][TRACKING_ID_ANNOTATION]
    assert tracking.startswith("sympozium-extras:")
    conditions = seed.application("sympozium")["status"]["conditions"]
    assert [c["type"] for c in conditions] == ["SharedResourceWarning"]
    assert "sympozium-extras" in conditions[0]["message"]


def test_only_the_redis_service_account_is_unsafe_to_delete(seed: Scenario) -> None:
    """Every zombie has a safety verdict; only ServiceAccount redis is still used."""
    zombies = {k for k, v in seed.expected.items() if v == "zombie"}
    assert set(seed.expected_safe_to_delete) == zombies
    unsafe = {k for k, safe in seed.expected_safe_to_delete.items() if not safe}
    assert unsafe == {("infisical", ResourceKey("", "ServiceAccount", "infisical", "redis"))}
    users = [
        o
        for o in seed.objects
        if o["kind"] == "Pod" and o["spec"].get("serviceAccountName") == "redis"
    ]
    assert [p["metadata"]["name"] for p in users] == ["infisical-redis-master-0"]
    assert users[0]["status"]["phase"] == "Running"


def test_no_ingress_uses_the_zombie_nginx_class(seed: Scenario) -> None:
    """Every Ingress uses traefik, so IngressClass nginx is safe to delete."""
    classes = {o["spec"]["ingressClassName"] for o in seed.objects if o["kind"] == "Ingress"}
    assert classes == {"traefik"}


def test_the_stuck_pod_crash_loops_with_1154_restarts_for_21_days(seed: Scenario) -> None:
    """argo-rollouts' pod: CrashLoopBackOff, 1154 restarts, created 21 days ago, owned by a RS."""
    pod = seed.find(ResourceKey("", "Pod", "argo-rollouts", "argo-rollouts-6b4c4dfbd9-ghl9c"))
    assert pod is not None
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] == 1154
    assert status["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert "terminated" in status["lastState"]
    assert NOW - parse_time(pod["metadata"]["creationTimestamp"]) == timedelta(days=21)
    assert pod["metadata"]["ownerReferences"][0]["name"] == "argo-rollouts-6b4c4dfbd9"


def test_previous_log_has_the_fatal_line_and_secrets_to_redact(seed: Scenario) -> None:
    """The previous container's log ends with the plugin 404; it also leaks a DSN and a JWT."""
    key = ("argo-rollouts", "argo-rollouts-6b4c4dfbd9-ghl9c", "argo-rollouts")
    previous = seed.logs[(*key, True)].splitlines()
    assert "level=fatal" in previous[-1]
    assert "Failed to download plugins" in previous[-1]
    assert previous[-1].endswith('response code Not Found"')
    text = "\n".join(previous)
    assert "postgres://rollouts:Sup3rS3cr3tPassw0rd@" in text
    assert "Bearer eyJ" in text
    current = seed.logs[(*key, False)].splitlines()
    assert len(current) == 1
    assert "Argo Rollouts starting" in current[0]


def test_gitea_rollout_is_young_not_stuck(seed: Scenario) -> None:
    """gitea's new pod has been ContainerCreating for 2 minutes next to the old running one."""
    pods = [o for o in seed.objects if o["kind"] == "Pod" and o["metadata"]["namespace"] == "gitea"]
    states = sorted(next(iter(p["status"]["containerStatuses"][0]["state"])) for p in pods)
    assert states == ["running", "waiting"]
    creating = next(p for p in pods if p["status"]["phase"] == "Pending")
    assert NOW - parse_time(creating["metadata"]["creationTimestamp"]) == timedelta(minutes=2)


def test_live_objects_carry_server_bookkeeping(seed: Scenario) -> None:
    """uid, resourceVersion, creationTimestamp and managedFields on every live object."""
    for obj in [*seed.objects, *seed.applications]:
        meta = obj["metadata"]
        assert meta["uid"]
        assert meta["resourceVersion"].isdigit()
        assert meta["creationTimestamp"].endswith("Z")
        assert meta["managedFields"], key_of(obj)
    uids = [o["metadata"]["uid"] for o in [*seed.objects, *seed.applications]]
    assert len(uids) == len(set(uids))


def test_cluster_policy_injected_fields_belong_to_the_gpu_operator(seed: Scenario) -> None:
    """managedFields: argocd-controller owns git's fields, gpu-operator the injected ones."""
    policy = seed.find(ResourceKey("nvidia.com", "ClusterPolicy", "", "cluster-policy"))
    assert policy is not None
    managers = {
        m["manager"]: m for m in policy["metadata"]["managedFields"] if "subresource" not in m
    }
    # Realized, gpu-operator compares with the legacy three-way merge: Argo CD applied it
    # client-side (see docs/seed-scenario.md), so its manager is the application controller.
    legacy = seed.realism is not None and "gpu-operator" in seed.realism.legacy_apps
    applier = "argocd-application-controller" if legacy else "argocd-controller"
    assert {applier, "gpu-operator"} <= set(managers)
    injected = managers["gpu-operator"]["fieldsV1"]["f:spec"]
    assert "f:daemonsets" in injected
    assert "f:daemonsets" not in managers[applier]["fieldsV1"]["f:spec"]


def test_the_shipped_eso_crd_declares_the_defaults_live_objects_show(seed: Scenario) -> None:
    """The ExternalSecret CRD served is ESO v2.8.0's, with deletionPolicy default Retain."""
    crd = seed.find(
        ResourceKey(
            "apiextensions.k8s.io",
            "CustomResourceDefinition",
            "",
            "externalsecrets.external-secrets.io",
        )
    )
    assert crd is not None
    v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    target = v1["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["target"]
    assert target["properties"]["deletionPolicy"]["default"] == "Retain"


def test_two_builds_are_identical(seed: Scenario) -> None:
    """Same ``now``, same scenario: uids and resource versions are deterministic."""
    again = scenarios.seed(NOW)
    assert again.applications == seed.applications
    assert again.objects == seed.objects
