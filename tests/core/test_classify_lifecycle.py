"""Classes D (zombie), E (contested) and F (hook leftover): objects git no longer renders,
objects two apps render, and hooks nothing cleans up."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from bot.core import classify, parse
from bot.core import references as refs
from bot.core.model import DriftClass, FixKind, KindRef, ResourceKey
from bot.core.rules.context import APPROXIMATE_NOTE
from tests.core.conftest import K8s

D, E, F, U = (
    DriftClass.ZOMBIE,
    DriftClass.CONTESTED,
    DriftClass.HOOK_LEFTOVER,
    DriftClass.UNEXPLAINED,
)
NS = "infisical"

hook_resource = pytest.param({"argocd.argoproj.io/hook": "PostSync"}, F, id="hook_resource")
helm_hook_resource = pytest.param(
    {"helm.sh/hook": "pre-install,pre-upgrade"}, F, id="helm_hook_resource"
)
regular_resource = pytest.param({}, D, id="regular_resource")


@pytest.mark.parametrize(
    ("annotations", "expected"), [hook_resource, helm_hook_resource, regular_resource]
)
def test_pruning_candidate_is_a_zombie_unless_hook(
    annotations: dict[str, str], expected: DriftClass
) -> None:
    """A requiresPruning object is a zombie, unless it is annotated as a hook."""
    role = K8s.tracked(
        K8s.obj(
            "Role",
            "redis-secret-init",
            "argocd",
            group="rbac.authorization.k8s.io",
            annotations=annotations,
        )
    )
    inventory: dict[KindRef, list[dict[str, Any]]] = {refs.ROLE_BINDINGS: []}
    finding = K8s.classify_one(None, role, requires_pruning=True, inventory=inventory)
    assert finding.drift_class is expected


def test_unused_zombie_is_safe_with_verification_dump_and_delete() -> None:
    """The seed's unused IngressClass: safe, with the jq check, rollback dump and delete."""
    nginx = K8s.tracked(
        K8s.obj("IngressClass", "nginx", group="networking.k8s.io"), "infisical", NS
    )
    ingress = K8s.obj(
        "Ingress", "web", NS, group="networking.k8s.io", spec={"ingressClassName": "traefik"}
    )
    finding = K8s.classify_one(
        None,
        nginx,
        requires_pruning=True,
        app="infisical",
        dest=NS,
        inventory={refs.INGRESSES: [ingress]},
    )
    assert finding.drift_class is D
    assert finding.safe_to_delete is True
    assert finding.users == ()
    assert finding.fix.kind is FixKind.DELETE
    assert "kubectl get ingress -A -o json | jq -r" in finding.fix.text
    assert "> /tmp/argocd-drift/rollback-infisical-ingressclass-nginx.yaml" in finding.fix.text
    assert "kubectl delete ingressclass.networking.k8s.io nginx" in finding.fix.text
    assert finding.evidence[0].to_json() == {
        "path": "",
        "op": "added",
        "live": {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": {"name": "nginx"},
        },
    }


def test_used_zombie_is_not_safe_and_says_do_not_delete() -> None:
    """The seed's redis ServiceAccount is run by a live pod: safe_to_delete false, pod named."""
    sa = K8s.tracked(K8s.obj("ServiceAccount", "redis", NS), "infisical", NS)
    pod = K8s.obj("Pod", "infisical-redis-master-0", NS, spec={"serviceAccountName": "redis"})
    inventory = {
        refs.PODS: [pod],
        refs.ROLE_BINDINGS: [],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    finding = K8s.classify_one(
        None, sa, requires_pruning=True, app="infisical", dest=NS, inventory=inventory
    )
    assert finding.drift_class is D
    assert finding.safe_to_delete is False
    assert finding.users == (f"Pod {NS}/infisical-redis-master-0 (serviceAccountName)",)
    assert finding.fix.text.startswith(
        "# DO NOT DELETE: still used by Pod infisical/infisical-redis-master-0"
    )
    assert "kubectl delete" not in finding.fix.text
    assert "not safe to delete: still used by" in finding.summary


def test_zombie_whose_lookup_failed_is_not_safe() -> None:
    """When listing pods failed, a ConfigMap zombie is not called safe."""
    cm = K8s.tracked(K8s.obj("ConfigMap", "mongodb-common-scripts", NS), "infisical", NS)
    finding = K8s.classify_one(
        None, cm, requires_pruning=True, app="infisical", dest=NS, inventory={}
    )
    assert finding.safe_to_delete is False
    assert "could not verify: listing pods failed" in finding.fix.text


def test_seed_infisical_zombies_are_ordered_bindings_first() -> None:
    """Roles used only by the app's own zombie bindings are safe, and bindings go first."""
    rbac = "rbac.authorization.k8s.io"
    role = K8s.tracked(K8s.obj("Role", "ingress-nginx", NS, group=rbac), "infisical", NS)
    binding = K8s.tracked(
        K8s.obj(
            "RoleBinding",
            "ingress-nginx",
            NS,
            group=rbac,
            roleRef={"kind": "Role", "name": "ingress-nginx"},
        ),
        "infisical",
        NS,
    )
    entries = [K8s.status_entry(K8s.key(o), requires_pruning=True) for o in (role, binding)]
    app = K8s.app("infisical", entries, dest=NS)
    managed = [K8s.managed(None, role), K8s.managed(None, binding)]
    facts = classify.Facts(inventory={refs.ROLE_BINDINGS: [binding]})
    findings = classify.classify_app(app, managed, facts)
    by_kind = {f.key.kind: f for f in findings}
    assert by_kind["Role"].safe_to_delete is True
    assert "step 2 of 2" in by_kind["Role"].fix.text
    assert "Delete first: RoleBinding infisical/ingress-nginx." in by_kind["Role"].fix.text
    assert "step 1 of 2" in by_kind["RoleBinding"].fix.text


def test_zombie_without_a_managed_item_is_unexplained() -> None:
    """A pruning candidate Argo CD did not return cannot be checked: unexplained, not safe."""
    cm = K8s.obj("ConfigMap", "gone", NS)
    finding = K8s.classify_one(None, cm, requires_pruning=True, listed=False)
    assert finding.drift_class is U
    assert "diff unavailable" in finding.summary


def test_zombie_already_gone_is_unexplained() -> None:
    """An entry neither in git nor live is stale status, reported as such."""
    cm = K8s.obj("ConfigMap", "gone", NS)
    key = K8s.key(cm)
    app = K8s.app("demo", [K8s.status_entry(key, requires_pruning=True)])
    managed = parse.parse_managed_resources(
        {
            "items": [
                {
                    "kind": "ConfigMap",
                    "namespace": NS,
                    "name": "gone",
                    "targetState": "null",
                    "liveState": "null",
                }
            ]
        }
    )
    (finding,) = classify.classify_app(app, managed, classify.Facts())
    assert finding.drift_class is U
    assert "stale" in finding.summary


# --- E: contested ------------------------------------------------------------------------------

NAMESPACE = K8s.obj(
    "Namespace",
    "sympozium-system",
    labels={
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/audit": "privileged",
    },
)
NS_KEY = K8s.key(NAMESPACE)
BOTH = {NS_KEY: ("sympozium", "sympozium-extras")}


def contested_live() -> dict[str, Any]:
    return K8s.tracked(NAMESPACE, "sympozium-extras", "")


def test_loser_app_is_told_to_drop_its_manifest() -> None:
    """For sympozium the live id names sympozium-extras: drop the duplicate from sympozium."""
    git = K8s.obj("Namespace", "sympozium-system")
    finding = K8s.classify_one(git, contested_live(), app="sympozium", dest="", owners=BOTH)
    assert finding.drift_class is E
    assert finding.users == ("sympozium-extras",)
    # Its label paths come from git vs live (no prediction in this item): the summary says so.
    assert finding.summary == (
        "It is listed by 2 apps (sympozium, sympozium-extras); the live tracking id says"
        " sympozium-extras owns it." + APPROXIMATE_NOTE
    )
    assert "remove the duplicate manifest from sympozium's source" in finding.fix.text
    assert finding.evidence[0].live == "sympozium-extras:/Namespace:/sympozium-system"


def test_owner_app_keeps_it_and_applies_labels_out_of_band() -> None:
    """For sympozium-extras (the owner) the fix keeps it there and labels the namespace."""
    finding = K8s.classify_one(
        NAMESPACE, contested_live(), app="sympozium-extras", dest="", owners=BOTH
    )
    assert finding.drift_class is E
    assert "Keep Namespace sympozium-system in sympozium-extras" in finding.fix.text
    assert (
        "kubectl label ns sympozium-system pod-security.kubernetes.io/audit=privileged"
        " pod-security.kubernetes.io/enforce=privileged --overwrite"
    ) in finding.fix.text


def test_listed_twice_without_any_id_is_unadopted_first() -> None:
    """Listed twice with no tracking id at all is unadopted first (C precedes E)."""
    finding = K8s.classify_one(NAMESPACE, NAMESPACE, app="sympozium", dest="", owners=BOTH)
    assert finding.drift_class is DriftClass.UNADOPTED


def test_live_id_naming_the_other_listing_app_makes_it_the_keeper() -> None:
    """When the live id names the other listing app, this app is told to drop its copy."""
    live = K8s.tracked(NAMESPACE, "sympozium", "")
    finding = K8s.classify_one(NAMESPACE, live, app="sympozium-extras", dest="", owners=BOTH)
    assert finding.drift_class is E
    assert "The live tracking id says sympozium owns" in finding.fix.text


def test_no_live_owner_asks_to_pick_one() -> None:
    """A hook object two apps list, with no tracking id, asks the reader to pick an owner."""
    job = K8s.obj(
        "Job", "seed", "demo", group="batch", annotations={"helm.sh/hook": "post-install"}
    )
    owners = {K8s.key(job): ("a", "b")}
    finding = K8s.classify_one(
        None, job, status=None, requires_pruning=True, hook=True, app="a", owners=owners
    )
    assert finding.drift_class is E
    assert "no live id names either" in finding.summary
    assert "Pick the one app that owns it" in finding.fix.text


def test_single_owner_is_not_contested() -> None:
    """One listing app with its own id is not a fight; the drift is judged on its content."""
    live = K8s.tracked(NAMESPACE, "sympozium", "")
    finding = K8s.classify_one(
        NAMESPACE, live, app="sympozium", dest="", owners={NS_KEY: ("sympozium",)}
    )
    assert finding.drift_class is U


# --- F: hook leftovers -------------------------------------------------------------------------


def test_hook_without_managed_item_is_a_hook_leftover() -> None:
    """The seed's vk-remote Job: a status-less hook entry Argo CD omits from managed-resources."""
    job = K8s.obj("Job", "postgres-vk-init-electric", "agents", group="batch")
    finding = K8s.classify_one(
        None, job, status=None, requires_pruning=True, hook=True, listed=False
    )
    assert finding.drift_class is F
    assert finding.evidence == ()
    assert "kubectl delete -n agents job.batch postgres-vk-init-electric" in finding.fix.text
    assert (
        "argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded"
        in finding.fix.text
    )
    assert "helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded" in finding.fix.text


def test_helm_hook_gets_the_helm_policy() -> None:
    """The seed's argocd-redis-secret-init Role is a Helm hook: the Helm delete policy is shown."""
    role = K8s.obj(
        "Role",
        "argocd-redis-secret-init",
        "argocd",
        group="rbac.authorization.k8s.io",
        annotations={"helm.sh/hook": "pre-install,pre-upgrade"},
    )
    finding = K8s.classify_one(None, role, status=None, requires_pruning=True, hook=True)
    assert finding.drift_class is F
    assert "    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded" in finding.fix.text
    assert "argocd.argoproj.io/hook-delete-policy" not in finding.fix.text


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        pytest.param({"type": "Succeeded", "status": "True"}, F, id="succeeded"),
        pytest.param({"type": "Succeeded", "status": "False"}, F, id="failed"),
        pytest.param({"type": "Succeeded", "status": "Unknown"}, D, id="still_running"),
    ],
)
def test_finished_pipeline_run_is_a_hook_leftover(
    condition: dict[str, str], expected: DriftClass
) -> None:
    """A finished PipelineRun behaves like a hook; a running one is a plain zombie."""
    run = K8s.tracked(
        K8s.obj("PipelineRun", "test-build-sign-5qtn4", "tekton-pipelines", group="tekton.dev")
    )
    run["status"] = {"conditions": [condition]}
    finding = K8s.classify_one(None, run, requires_pruning=True)
    assert finding.drift_class is expected


@pytest.mark.parametrize(
    ("kind", "group", "status", "finished"),
    [
        pytest.param(
            "Job",
            "batch",
            {"conditions": [{"type": "Complete", "status": "True"}]},
            True,
            id="job_complete",
        ),
        pytest.param(
            "Job",
            "batch",
            {"conditions": [{"type": "Failed", "status": "True"}]},
            True,
            id="job_failed",
        ),
        pytest.param("Job", "batch", {"active": 1}, False, id="job_running"),
        pytest.param("Workflow", "argoproj.io", {"phase": "Succeeded"}, True, id="workflow_done"),
        pytest.param("Workflow", "argoproj.io", {"phase": "Running"}, False, id="workflow_running"),
        pytest.param(
            "Deployment",
            "apps",
            {"conditions": [{"type": "Complete", "status": "True"}]},
            False,
            id="not_a_run",
        ),
    ],
)
def test_finished_runs(kind: str, group: str, status: dict[str, Any], finished: bool) -> None:
    """Jobs, PipelineRuns, TaskRuns and Workflows count as finished once terminal."""
    obj = K8s.tracked(K8s.obj(kind, "x", "demo", group=group))
    obj["status"] = status
    finding = K8s.classify_one(None, obj, requires_pruning=True)
    assert (finding.drift_class is F) is finished


def test_finished_run_fix_suggests_not_keeping_runs_in_git() -> None:
    """A completed non-hook run is told how to stop leaving runs behind."""
    run = K8s.tracked(K8s.obj("PipelineRun", "r", "ci", group="tekton.dev"))
    run["status"] = {"conditions": [{"type": "Succeeded", "status": "True"}]}
    finding = K8s.classify_one(None, run, requires_pruning=True)
    assert "do not keep one-off PipelineRuns in git" in finding.fix.text
    assert "argocd.argoproj.io/hook: PostSync" in finding.fix.text


def test_hook_that_is_out_of_sync_but_not_pruned_is_not_a_leftover() -> None:
    """A hook-annotated object still in git and drifting is judged on its diff, not as F."""
    job = K8s.obj(
        "Job",
        "migrate",
        "demo",
        group="batch",
        annotations={"argocd.argoproj.io/hook": "PreSync"},
        spec={"x": 1},
    )
    live = K8s.tracked(job)
    live["spec"]["x"] = 2
    assert K8s.classify_one(job, live).drift_class is U


def test_hook_entry_with_a_status_and_no_pruning_is_not_a_leftover() -> None:
    """A hook entry Argo CD gave a status (and will not prune) is judged like any resource."""
    job = K8s.obj("Job", "migrate", "demo", group="batch")
    finding = K8s.classify_one(None, job, status="OutOfSync", hook=True, listed=False)
    assert finding.drift_class is U
    assert ResourceKey("batch", "Job", "demo", "migrate") == finding.key


def test_finished_job_that_argo_cd_calls_a_hook_gets_hook_advice() -> None:
    """A finished Job Argo CD marks ``hook: true`` is treated as a hook, not a one-off run."""
    job = K8s.tracked(K8s.obj("Job", "init", "demo", group="batch"))
    job["status"] = {"conditions": [{"type": "Complete", "status": "True"}]}
    finding = K8s.classify_one(None, job, status=None, requires_pruning=True, hook=True)
    assert finding.drift_class is F
    assert "one-off" not in finding.fix.text
    assert "for a Helm hook use" in finding.fix.text


@pytest.mark.parametrize(
    ("destination", "local"),
    [
        pytest.param({"server": "https://kubernetes.default.svc"}, True, id="in_cluster_server"),
        pytest.param({"name": "in-cluster"}, True, id="in_cluster_name"),
        pytest.param({}, True, id="no_destination"),
        pytest.param({"server": "https://prod.example.com:6443"}, False, id="remote_server"),
        pytest.param({"name": "prod-eu"}, False, id="remote_name"),
    ],
)
def test_zombies_of_remote_apps_are_never_safe(destination: dict[str, str], local: bool) -> None:
    """Usage lists come from the bot's own cluster, so a remote app's zombie is never safe."""
    nginx = K8s.tracked(
        K8s.obj("IngressClass", "nginx", group="networking.k8s.io"), "infisical", NS
    )
    entry = K8s.status_entry(K8s.key(nginx), requires_pruning=True)
    base = K8s.app("infisical", [entry], dest=NS)
    app = msgspec.structs.replace(
        base,
        destination_server=destination.get("server", ""),
        destination_name=destination.get("name", ""),
    )
    managed = [K8s.managed(None, nginx)]
    assert bool(classify.plan(app, managed).lookups) is local
    facts = classify.Facts(inventory={refs.INGRESSES: []})
    (finding,) = classify.classify_app(app, managed, facts)
    assert finding.safe_to_delete is local
    if not local:
        assert "destination cluster" in finding.summary
        assert "DO NOT DELETE" in finding.fix.text


def test_parse_reads_the_destination_cluster() -> None:
    """The parser keeps spec.destination.server and name."""
    raw = {
        "metadata": {"name": "a", "namespace": "argocd"},
        "spec": {"destination": {"server": "https://prod:6443", "name": "prod"}},
    }
    app = parse.parse_application(raw, "argocd")
    assert (app.destination_server, app.destination_name) == ("https://prod:6443", "prod")
    assert not app.in_local_cluster


def test_run_with_a_malformed_status_is_not_finished() -> None:
    """A Job whose status is not an object is not taken for a finished run."""
    from bot.core.rules.context import finished

    key = ResourceKey("batch", "Job", NS, "init")
    assert finished(key, {"status": "Complete"}) is False
    assert finished(key, {"status": {"conditions": [{"type": "Complete", "status": "True"}]}})
