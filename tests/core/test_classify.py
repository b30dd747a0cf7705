"""The classifier as a whole, and classes A (schema defaults), B (phantom defaults), C (unadopted).

Inputs are factor matrices with named dimensions (kopf's detection tests): each parametrize id
names the value of one input dimension, and the expected class is stated per combination.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bot.core import classify
from bot.core.model import DriftClass, FixKind, ResourceKey
from bot.core.redact import REDACTED
from tests.core.conftest import K8s

A, B, C, D, E, F, G, U = (
    DriftClass.SCHEMA_DEFAULTS,
    DriftClass.PHANTOM_DEFAULTS,
    DriftClass.UNADOPTED,
    DriftClass.ZOMBIE,
    DriftClass.CONTESTED,
    DriftClass.HOOK_LEFTOVER,
    DriftClass.INJECTED_FIELDS,
    DriftClass.UNEXPLAINED,
)
ESO = ("external-secrets.io", "ExternalSecret")


def external_secret(
    name: str = "paperclip-anthropic", namespace: str = "paperclip"
) -> dict[str, Any]:
    """The seed's ExternalSecret as git has it."""
    return K8s.obj(
        "ExternalSecret",
        name,
        namespace,
        group="external-secrets.io",
        spec={
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": "ANTHROPIC_API_KEY", "remoteRef": {"key": "ANTHROPIC_API_KEY"}}],
        },
    )


def defaulted(es: dict[str, Any], app: str = "demo") -> dict[str, Any]:
    """The same ExternalSecret as the ESO v2.8.0 API server stores it."""
    live = K8s.tracked(es, app)
    live["metadata"].update(uid="0d7c", resourceVersion="42", generation=1)
    live["spec"]["target"]["deletionPolicy"] = "Retain"
    for item in live["spec"]["data"]:
        item["remoteRef"].update(
            conversionStrategy="Default", decodingStrategy="None", metadataPolicy="None"
        )
    live["status"] = {"refreshTime": "2026-04-16T21:10:14Z"}
    return live


# --- the whole app ---------------------------------------------------------------------------


def test_exactly_one_finding_per_drifting_entry_sorted_by_class_then_key() -> None:
    """Every drifting entry gets one finding (none dropped, none doubled), Synced ones none."""
    es = external_secret("a", "demo")
    extra = K8s.tracked(K8s.obj("ConfigMap", "old", "demo"))
    hook_key = ResourceKey("batch", "Job", "demo", "init")
    synced = K8s.obj("ConfigMap", "fine", "demo")
    entries = [
        K8s.status_entry(K8s.key(extra), requires_pruning=True),
        K8s.status_entry(K8s.key(es)),
        K8s.status_entry(hook_key, None, requires_pruning=True, hook=True),
        K8s.status_entry(K8s.key(synced), "Synced"),
        K8s.status_entry(ResourceKey("batch", "Job", "demo", "running"), None, hook=True),
    ]
    app = K8s.app("demo", entries)
    managed = [
        K8s.managed(es, defaulted(es)),
        K8s.managed(None, extra),
        K8s.managed(synced, synced),
    ]
    findings = classify.classify_app(app, managed, classify.Facts(crds={}))
    assert [(f.drift_class, f.key.name) for f in findings] == [(D, "old"), (F, "init"), (U, "a")]


def test_findings_sort_by_key_within_a_class() -> None:
    """Two findings of one class come in resource-key order."""
    one, two = K8s.obj("ConfigMap", "b", "demo"), K8s.obj("ConfigMap", "a", "demo")
    app = K8s.app("demo", [K8s.status_entry(K8s.key(one)), K8s.status_entry(K8s.key(two))])
    managed = [K8s.managed(one, None), K8s.managed(two, None)]
    findings = classify.classify_app(app, managed, classify.Facts())
    assert [f.key.name for f in findings] == ["a", "b"]


def test_index_owners_lists_every_app_per_resource() -> None:
    """The ownership index maps each resource to the tracking names of all apps listing it."""
    ns = ResourceKey("", "Namespace", "", "sympozium-system")
    apps = [
        K8s.app("sympozium", [K8s.status_entry(ns)]),
        K8s.app("sympozium-extras", [K8s.status_entry(ns), K8s.status_entry(ns, "Synced")]),
        K8s.app("other", [K8s.status_entry(ns)], namespace="team"),
    ]
    assert classify.index_owners(apps) == {ns: ("sympozium", "sympozium-extras", "team_other")}


def test_plan_asks_for_crds_of_diffable_custom_resources_and_zombie_lookups() -> None:
    """plan() requests CRDs only for custom resources with both sides, lookups only for zombies."""
    es = external_secret("a", "demo")
    missing = external_secret("b", "demo")
    sa = K8s.tracked(K8s.obj("ServiceAccount", "old", "demo"))
    hook = K8s.obj("ServiceAccount", "hook", "demo", annotations={"helm.sh/hook": "pre-install"})
    deploy = K8s.obj("Deployment", "web", "demo", group="apps")
    keys = [K8s.key(o) for o in (es, missing, sa, hook, deploy)]
    app = K8s.app(
        "demo",
        [
            K8s.status_entry(keys[0]),
            K8s.status_entry(keys[1]),
            K8s.status_entry(keys[2], requires_pruning=True),
            K8s.status_entry(keys[3], requires_pruning=True),
            K8s.status_entry(keys[4]),
            K8s.status_entry(ResourceKey("", "Secret", "demo", "unlisted")),
        ],
    )
    managed = [
        K8s.managed(es, defaulted(es)),
        K8s.managed(missing, None),
        K8s.managed(None, sa),
        K8s.managed(None, hook),
        K8s.managed(deploy, deploy),
    ]
    needs = classify.plan(app, managed)
    assert needs.crds == {ESO}
    assert {ref.plural for ref in needs.lookups} == {"pods", "rolebindings", "clusterrolebindings"}


def test_app_outside_the_control_plane_is_named_by_tracking_name() -> None:
    """Findings of an app in another namespace carry ``<namespace>_<name>``."""
    cm = K8s.obj("ConfigMap", "x", "demo")
    finding = K8s.classify_one(cm, None, app="web", app_namespace="team")
    assert finding.app == "team_web"
    assert "argocd app sync team/web" in finding.fix.text


def test_secret_values_are_redacted_in_evidence_and_fix() -> None:
    """A changed Secret shows its paths but never its values, in evidence or fix text."""
    git = K8s.obj("Secret", "db", "demo", data={"password": "aHVudGVyMg=="}, type="Opaque")
    live = K8s.tracked(git)
    live["data"]["password"] = "bGV0bWVpbg=="
    finding = K8s.classify_one(git, live)
    assert finding.drift_class is U
    assert finding.evidence[0].to_json() == {
        "path": "/data/password",
        "op": "changed",
        "git": REDACTED,
        "live": REDACTED,
    }
    assert "aHVudGVy" not in finding.fix.text
    assert "bGV0bWVp" not in finding.fix.text


# --- A: schema defaults ------------------------------------------------------------------------

crd_has_default = pytest.mark.parametrize("crd", ["eso_v280"], ids=["crd_has_default"])
crd_no_default = pytest.mark.parametrize("crd", ["eso_v290"], ids=["crd_no_default"])


@crd_has_default
def test_external_secret_defaults_are_schema_defaults(
    crd: str, request: pytest.FixtureRequest
) -> None:
    """With ESO v2.8.0, the seed's four defaulted fields are class A with a pin-in-git fix."""
    es = external_secret()
    finding = K8s.classify_one(es, defaulted(es), crds={ESO: request.getfixturevalue(crd)})
    assert finding.drift_class is A
    assert finding.paths == (
        "/spec/data/0/remoteRef/conversionStrategy",
        "/spec/data/0/remoteRef/decodingStrategy",
        "/spec/data/0/remoteRef/metadataPolicy",
        "/spec/target/deletionPolicy",
    )
    assert finding.fix.kind is FixKind.PIN_IN_GIT
    assert (
        "    - secretKey: ANTHROPIC_API_KEY\n      remoteRef:\n        conversionStrategy: Default"
        in (finding.fix.text)
    )
    assert finding.safe_to_delete is None


@crd_no_default
def test_same_diff_without_the_crd_defaults_is_unexplained(
    crd: str, request: pytest.FixtureRequest
) -> None:
    """With ESO v2.9.0 the strategies are no longer defaults, so the same diff is unexplained."""
    es = external_secret()
    finding = K8s.classify_one(es, defaulted(es), crds={ESO: request.getfixturevalue(crd)})
    assert finding.drift_class is U
    assert finding.summary.startswith("3 of 4 differing fields match no benign pattern")
    assert "deletionPolicy" not in finding.summary


def test_custom_resource_without_its_crd_is_unexplained() -> None:
    """When the CRD could not be fetched, nothing can be called a schema default."""
    es = external_secret()
    assert K8s.classify_one(es, defaulted(es)).drift_class is U


@pytest.mark.parametrize(
    ("live_value", "expected"),
    [
        pytest.param("Retain", A, id="live_equals_default"),
        pytest.param("Delete", U, id="live_differs_from_default"),
    ],
)
def test_added_field_must_equal_the_default(
    live_value: str, expected: DriftClass, eso_v280: dict[str, Any]
) -> None:
    """An added field whose live value is not the schema default is not class A."""
    es = external_secret()
    live = K8s.tracked(es)
    live["spec"]["target"]["deletionPolicy"] = live_value
    assert K8s.classify_one(es, live, crds={ESO: eso_v280}).drift_class is expected


def test_defaults_plus_an_image_change_is_unexplained(eso_v280: dict[str, Any]) -> None:
    """One real change among defaults makes the whole resource unexplained."""
    es = external_secret()
    live = defaulted(es)
    live["spec"]["data"][0]["remoteRef"]["key"] = "OTHER_KEY"
    finding = K8s.classify_one(es, live, crds={ESO: eso_v280})
    assert finding.drift_class is U
    assert finding.summary.startswith(
        "1 of 5 differing fields matches no benign pattern: spec.data[0].remoteRef.key"
    )


def test_whole_defaulted_object_counts(eso_v280: dict[str, Any]) -> None:
    """An object git omits entirely and live holds as its schema default is class A."""
    es = external_secret()
    del es["spec"]["target"]
    live = K8s.tracked(es)
    live["spec"]["target"] = {"creationPolicy": "Owner", "deletionPolicy": "Retain"}
    finding = K8s.classify_one(es, live, crds={ESO: eso_v280})
    assert finding.drift_class is A
    assert finding.paths == ("/spec/target",)


def test_persona_pack_defaults_from_a_small_crd() -> None:
    """A CRD's own defaults explain a custom resource of any group (the seed's PersonaPack)."""
    crd = {
        "spec": {
            "versions": [
                {
                    "name": "v1alpha1",
                    "schema": {
                        "openAPIV3Schema": {
                            "properties": {
                                "spec": {
                                    "properties": {
                                        "enabled": {"type": "boolean", "default": True},
                                        "skills": {"type": "array", "items": {"type": "string"}},
                                    }
                                }
                            }
                        }
                    },
                }
            ]
        }
    }
    pack = K8s.obj(
        "PersonaPack",
        "developer-team",
        "default",
        group="sympozium.ai",
        version="v1alpha1",
        spec={},
    )
    live = K8s.tracked(pack)
    live["spec"]["enabled"] = True
    finding = K8s.classify_one(pack, live, crds={("sympozium.ai", "PersonaPack"): crd})
    assert finding.drift_class is A
    assert "its CRD schema" in finding.summary


def test_builtin_defaults_need_no_crd() -> None:
    """API-server defaults of built-in kinds are class A too (a Service's sessionAffinity...)."""
    svc = K8s.obj(
        "Service", "web", "demo", spec={"ports": [{"port": 80}], "selector": {"app": "web"}}
    )
    live = K8s.tracked(svc)
    live["spec"].update(sessionAffinity="None", type="ClusterIP", internalTrafficPolicy="Cluster")
    live["spec"]["ports"][0].update(protocol="TCP", targetPort=80)
    finding = K8s.classify_one(svc, live)
    assert finding.drift_class is A
    assert "the API server" in finding.summary
    assert len(finding.paths) == 5


def test_a_real_change_among_builtin_defaults_is_unexplained() -> None:
    """A replicas change next to defaulted fields lands in unexplained."""
    deploy = K8s.obj("Deployment", "web", "demo", group="apps", spec={"replicas": 2})
    live = K8s.tracked(deploy)
    live["spec"].update(replicas=3, progressDeadlineSeconds=600, revisionHistoryLimit=10)
    assert K8s.classify_one(deploy, live).drift_class is U


# --- B: phantom defaults -----------------------------------------------------------------------


def child_app(name: str = "gitea", **sync_policy: Any) -> dict[str, Any]:
    """A child Application template as the seed's root app renders it."""
    return K8s.obj(
        "Application",
        name,
        "argocd",
        group="argoproj.io",
        version="v1alpha1",
        spec={
            "project": "default",
            "destination": {"namespace": name, "server": "https://kubernetes.default.svc"},
            "syncPolicy": {"automated": {"prune": False, "selfHeal": True}, **sync_policy},
        },
    )


def stripped(app: dict[str, Any]) -> dict[str, Any]:
    """The child Application as Argo CD's controller stores it: zero values gone."""
    live = K8s.tracked(app, "root", "argocd")
    del live["spec"]["syncPolicy"]["automated"]["prune"]
    for entry in live["spec"].get("ignoreDifferences", []):
        if entry.get("group") == "":
            del entry["group"]
    return live


def test_prune_false_is_a_phantom_default() -> None:
    """The root app's ``prune: false`` is class B with the seed's sed line."""
    app = child_app()
    finding = K8s.classify_one(app, stripped(app), app="root", dest="argocd")
    assert finding.drift_class is B
    assert finding.paths == ("/spec/syncPolicy/automated/prune",)
    assert finding.fix.kind is FixKind.DROP_FROM_GIT
    assert "      prune: false  # <-- delete this line" in finding.fix.text
    assert "sed -i '/^      prune: false$/d' \"$f\"" in finding.fix.text


def test_empty_group_in_ignore_differences_is_a_phantom_default() -> None:
    """``group: ""`` in ignoreDifferences entries is stripped too (the seed's sibling bug)."""
    app = child_app(
        "victoria-metrics",
        syncOptions=["ServerSideApply=true"],
    )
    app["spec"]["ignoreDifferences"] = [
        {"group": "", "kind": "Service", "jsonPointers": ["/spec/clusterIP"]}
    ]
    finding = K8s.classify_one(app, stripped(app), app="root", dest="argocd")
    assert finding.drift_class is B
    assert finding.paths == ("/spec/ignoreDifferences/0/group", "/spec/syncPolicy/automated/prune")
    assert "prune: false" in finding.summary
    assert 'group: ""' in finding.summary


@pytest.mark.parametrize(
    ("git_value", "expected"),
    [
        pytest.param(False, B, id="selfHeal_false"),
        pytest.param(True, U, id="selfHeal_true"),
    ],
)
def test_only_zero_values_are_phantoms(git_value: bool, expected: DriftClass) -> None:
    """A removed ``false`` is stripped noise; a removed ``true`` is a real difference."""
    app = child_app()
    app["spec"]["syncPolicy"]["automated"] = {"selfHeal": git_value}
    live = K8s.tracked(app, "root", "argocd")
    live["spec"]["syncPolicy"]["automated"] = {}
    assert K8s.classify_one(app, live, app="root", dest="argocd").drift_class is expected


def test_removed_prune_true_is_unexplained() -> None:
    """Git enabling pruning while live lacks it is a real change, not a phantom."""
    app = child_app()
    app["spec"]["syncPolicy"]["automated"]["prune"] = True
    assert K8s.classify_one(app, stripped(app), app="root", dest="argocd").drift_class is U


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({}, B, id="empty_map"),
        pytest.param([], B, id="empty_list"),
        pytest.param("", U, id="empty_string"),
        pytest.param(None, U, id="null"),
    ],
)
def test_on_other_kinds_only_empty_containers_are_phantoms(
    value: Any, expected: DriftClass
) -> None:
    """Outside Argo CD's own kinds, only empty maps and lists count as stripped zero values."""
    cm = K8s.obj("ConfigMap", "x", "demo", data={"a": "1", "b": value})
    live = K8s.tracked(cm)
    del live["data"]["b"]
    assert K8s.classify_one(cm, live).drift_class is expected


def test_whole_automated_block_missing_live_is_unexplained() -> None:
    """``automated: {prune: false}`` absent live means auto-sync is off: a real difference."""
    app = child_app()
    live = K8s.tracked(app, "root", "argocd")
    del live["spec"]["syncPolicy"]["automated"]
    assert K8s.classify_one(app, live, app="root", dest="argocd").drift_class is U


# --- C: unadopted ------------------------------------------------------------------------------

CRD_ANNOTATIONS = {
    "controller-gen.kubebuilder.io/version": "v0.14.0",
    "helm.sh/resource-policy": "keep",
}


def rollouts_crd(**annotations: str) -> dict[str, Any]:
    crd = K8s.obj(
        "CustomResourceDefinition",
        "rollouts.argoproj.io",
        group="apiextensions.k8s.io",
        annotations={"controller-gen.kubebuilder.io/version": "v0.14.0"},
        spec={
            "group": "argoproj.io",
            "names": {"kind": "Rollout", "plural": "rollouts"},
            "scope": "Namespaced",
        },
    )
    crd["metadata"]["annotations"].update(annotations)
    return crd


def test_untracked_crd_is_unadopted_with_the_seed_command() -> None:
    """The seed's Rollouts CRD without tracking id gets the exact annotate command and block."""
    git = rollouts_crd()
    live = rollouts_crd(**{"helm.sh/resource-policy": "keep"})
    finding = K8s.classify_one(git, live, app="argo-rollouts", dest="")
    assert finding.drift_class is C
    assert finding.fix.kind is FixKind.ANNOTATE
    assert (
        "kubectl annotate customresourcedefinition.apiextensions.k8s.io rollouts.argoproj.io"
        ' "argocd.argoproj.io/tracking-id=argo-rollouts:apiextensions.k8s.io/'
        'CustomResourceDefinition:/rollouts.argoproj.io" --overwrite'
    ) in finding.fix.text
    assert "      - /spec/preserveUnknownFields" in finding.fix.text
    assert finding.evidence[0].to_json() == {
        "path": "/metadata/annotations/argocd.argoproj.io~1tracking-id",
        "op": "removed",
        "git": "argo-rollouts:apiextensions.k8s.io/CustomResourceDefinition:/rollouts.argoproj.io",
    }
    assert finding.paths[1] == "/metadata/annotations/helm.sh~1resource-policy"


SA = K8s.obj("ServiceAccount", "runner", "gitea")
SA_KEY = K8s.key(SA)

tracked = pytest.param(K8s.tracked(SA, "gitea"), {}, None, id="tracked")
untracked = pytest.param(copy.deepcopy(SA), {}, C, id="untracked")
tracked_by_other_app_listing_it = pytest.param(
    K8s.tracked(SA, "gitea-extras"),
    {SA_KEY: ("gitea", "gitea-extras")},
    E,
    id="tracked_by_other_app_listing_it",
)
tracked_by_other_app_not_listing_it = pytest.param(
    K8s.tracked(SA, "old-app"), {SA_KEY: ("gitea",)}, C, id="tracked_by_other_app_not_listing_it"
)
tracked_as_other_object = pytest.param(
    {
        **SA,
        "metadata": {
            **SA["metadata"],
            "annotations": {"argocd.argoproj.io/tracking-id": "gitea:/ServiceAccount:gitea/copy"},
        },
    },
    {},
    C,
    id="tracked_as_other_object",
)
malformed_tracking = pytest.param(
    {
        **SA,
        "metadata": {**SA["metadata"], "annotations": {"argocd.argoproj.io/tracking-id": "gitea"}},
    },
    {},
    C,
    id="malformed_tracking_id",
)


@pytest.mark.parametrize(
    ("live", "owners", "expected"),
    [
        tracked,
        untracked,
        tracked_by_other_app_listing_it,
        tracked_by_other_app_not_listing_it,
        tracked_as_other_object,
        malformed_tracking,
    ],
)
def test_tracking_matrix(
    live: dict[str, Any], owners: dict[ResourceKey, tuple[str, ...]], expected: DriftClass | None
) -> None:
    """With an otherwise real change (automount flipped), the tracking id decides C, E or none."""
    git = {**SA, "automountServiceAccountToken": False}
    live = {**live, "automountServiceAccountToken": True}
    finding = K8s.classify_one(git, live, app="gitea", dest="gitea", owners=owners)
    assert finding.drift_class is (expected or U)


def test_unadopted_core_object_gets_a_namespaced_annotate_command() -> None:
    """For a namespaced core object the command has ``-n`` and an empty group in the id."""
    finding = K8s.classify_one(SA, SA, app="gitea", dest="gitea")
    assert finding.drift_class is C
    assert finding.fix.text.splitlines()[1] == (
        "kubectl annotate -n gitea serviceaccount runner"
        ' "argocd.argoproj.io/tracking-id=gitea:/ServiceAccount:gitea/runner" --overwrite'
    )
    assert "ignoreDifferences" not in finding.fix.text


def test_tracking_id_naming_a_stranger_app_is_shown_as_changed() -> None:
    """The evidence shows the id Argo CD expects against the one live carries."""
    finding = K8s.classify_one(SA, K8s.tracked(SA, "old-app"), app="gitea", dest="gitea")
    assert finding.evidence[0].to_json() == {
        "path": "/metadata/annotations/argocd.argoproj.io~1tracking-id",
        "op": "changed",
        "git": "gitea:/ServiceAccount:gitea/runner",
        "live": "old-app:/ServiceAccount:gitea/runner",
    }
    assert "which does not list it" in finding.summary
