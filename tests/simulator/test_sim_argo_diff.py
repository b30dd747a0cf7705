"""Argo CD's own diff over httpx: the four states of managed-resources on realized scenarios.

`scenarios.argo_diff_cases` holds one resource per way issue #14 lists in which
``predictedLiveState`` differs from ``targetState``; each is read here through the real HTTP
client exactly as the bot reads it, and checked against how Argo CD builds the item
(``modified`` = normalized != predicted, ``"null"`` for an absent side, ``"{}"`` for a failed
comparison, ``{}`` as the body when nothing is listed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.simulator import Scenario, Simulator, scenarios
from bot.simulator.cluster.server_defaults import with_defaults
from tests.simulator.sim_support import NOW, TOKEN


@pytest.fixture(scope="module")
def cases() -> Scenario:
    return scenarios.argo_diff_cases(NOW)


@pytest.fixture(scope="module")
def argo(cases: Scenario) -> Iterator[httpx.Client]:
    with Simulator(cases, token=TOKEN) as sim:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=sim.argocd_url, headers=headers, timeout=10) as client:
            yield client


def body(argo: httpx.Client, app: str) -> Any:
    response = argo.get(f"/api/v1/applications/{app}/managed-resources")
    assert response.status_code == 200
    return response.json()


def item(argo: httpx.Client, app: str, kind: str, name: str) -> dict[str, Any]:
    found = [i for i in body(argo, app).get("items", []) if (i["kind"], i["name"]) == (kind, name)]
    assert len(found) == 1, (app, kind, name)
    return found[0]


def states(found: dict[str, Any]) -> dict[str, Any]:
    """The four states decoded (each is a JSON string on the wire)."""
    names = ("targetState", "liveState", "normalizedLiveState", "predictedLiveState")
    assert all(isinstance(found[n], str) for n in names)
    return {n: json.loads(found[n]) for n in names}


def managers(live: dict[str, Any]) -> dict[str, str]:
    return {e["manager"]: e["operation"] for e in live["metadata"].get("managedFields", [])}


APPS = (
    "shop",
    "autoscaled",
    "cert-webhooks",
    "monitoring-rbac",
    "payments",
    "tenant-a",
    "tenant-b",
    "legacy-import",
    "missing",
    "extraneous",
    "broken",
    "mesh-default",
    "mesh-webhook",
)


@pytest.mark.parametrize("app", APPS)
def test_modified_is_normalized_against_predicted(argo: httpx.Client, app: str) -> None:
    items = body(argo, app)["items"]
    assert items
    for found in items:
        s = states(found)
        # Argo CD: an extraneous object (predicted null) is not modified, it is pruned.
        predicted = s["predictedLiveState"]
        differs = predicted is not None and s["normalizedLiveState"] != predicted
        assert found.get("modified", False) is differs, found["name"]
        assert "modified" not in found or found["modified"] is True  # omitempty


def test_server_defaults_are_in_predicted_live_not_in_git(argo: httpx.Client) -> None:
    s = states(item(argo, "shop", "Service", "shop-web"))
    target, predicted = s["targetState"], s["predictedLiveState"]
    assert "clusterIP" not in target["spec"]
    for field in ("clusterIP", "clusterIPs", "ipFamilies", "sessionAffinity", "type"):
        assert field in predicted["spec"]
    assert predicted["spec"]["ports"][0]["protocol"] == "TCP"
    assert s["normalizedLiveState"] == predicted  # Synced: defaults are not drift
    deployment = states(item(argo, "shop", "Deployment", "shop-web"))["predictedLiveState"]
    pod = deployment["spec"]["template"]["spec"]
    assert (pod["dnsPolicy"], pod["restartPolicy"], pod["schedulerName"]) == (
        "ClusterFirst",
        "Always",
        "default-scheduler",
    )
    assert pod["containers"][0]["terminationMessagePath"] == "/dev/termination-log"
    assert deployment["spec"]["progressDeadlineSeconds"] == 600


def test_helm_instance_label_is_the_release_not_the_app(argo: httpx.Client) -> None:
    s = states(item(argo, "shop", "Deployment", "shop-web"))
    metadata = s["targetState"]["metadata"]
    assert metadata["labels"]["app.kubernetes.io/instance"] == "shop-prod"
    assert metadata["annotations"]["argocd.argoproj.io/tracking-id"].startswith("shop:")
    live, predicted = s["normalizedLiveState"], s["predictedLiveState"]
    annotations = ["", "spec", "template", "metadata", "annotations"][1:]
    for state, value in ((live, "41be07"), (predicted, "9f2c1a")):
        node = state
        for part in annotations:
            node = node[part]
        assert node["checksum/config"] == value


def test_hpa_replicas_come_from_kube_controller_manager(argo: httpx.Client) -> None:
    found = item(argo, "autoscaled", "Deployment", "api")
    s = states(found)
    assert found["modified"] is True
    assert (
        s["normalizedLiveState"]["spec"]["replicas"],
        s["predictedLiveState"]["spec"]["replicas"],
    ) == (5, 2)
    assert managers(s["liveState"])["kube-controller-manager"] == "Update"
    hpa = states(item(argo, "autoscaled", "HorizontalPodAutoscaler", "api"))
    assert hpa["predictedLiveState"]["spec"]["scaleTargetRef"]["name"] == "api"


def test_ca_bundle_injected_by_cainjector(argo: httpx.Client) -> None:
    s = states(item(argo, "cert-webhooks", "ValidatingWebhookConfiguration", "edge-admission"))
    live_hook = s["normalizedLiveState"]["webhooks"][0]
    assert live_hook["clientConfig"]["caBundle"].startswith("LS0t")
    assert s["predictedLiveState"]["webhooks"][0]["clientConfig"]["caBundle"] == ""
    assert "cert-manager-cainjector" in managers(s["liveState"])
    assert live_hook["timeoutSeconds"] == 10  # v1 default, not the v1beta1 30


def test_aggregated_cluster_role_rules_legacy_mode(argo: httpx.Client) -> None:
    s = states(item(argo, "monitoring-rbac", "ClusterRole", "monitoring-view"))
    assert s["normalizedLiveState"]["rules"]
    assert s["predictedLiveState"]["rules"] is None
    live = s["liveState"]
    assert "kubectl.kubernetes.io/last-applied-configuration" in live["metadata"]["annotations"]
    found = managers(live)
    assert found["clusterrole-aggregation-controller"] == "Update"
    assert found["argocd-application-controller"] == "Update"
    assert "argocd-controller" not in found  # client-side apply, not server-side


def test_a_person_editing_is_a_real_change(argo: httpx.Client) -> None:
    s = states(item(argo, "payments", "Deployment", "payments"))
    live = s["normalizedLiveState"]["spec"]["template"]["spec"]["containers"][0]["image"]
    predicted = s["predictedLiveState"]["spec"]["template"]["spec"]["containers"][0]["image"]
    assert (live, predicted) == (
        "registry.example/payments:1.4.3-hotfix",
        "registry.example/payments:1.4.2",
    )
    assert managers(s["liveState"])["kubectl-edit"] == "Update"


def test_tracking_id_differs_between_predicted_and_live(argo: httpx.Client) -> None:
    tracking = "argocd.argoproj.io/tracking-id"
    contested = states(item(argo, "tenant-a", "Namespace", "tenant-shared"))
    assert contested["predictedLiveState"]["metadata"]["annotations"][tracking].startswith(
        "tenant-a:"
    )
    assert contested["normalizedLiveState"]["metadata"]["annotations"][tracking].startswith(
        "tenant-b:"
    )
    winner = item(argo, "tenant-b", "Namespace", "tenant-shared")
    assert "modified" not in winner
    namespace = states(winner)["normalizedLiveState"]
    assert namespace["metadata"]["labels"]["kubernetes.io/metadata.name"] == "tenant-shared"
    assert namespace["spec"]["finalizers"] == ["kubernetes"]
    unadopted = states(item(argo, "legacy-import", "ConfigMap", "legacy-settings"))
    assert tracking not in (unadopted["normalizedLiveState"]["metadata"].get("annotations") or {})
    assert tracking in unadopted["predictedLiveState"]["metadata"]["annotations"]


def test_hooks_are_not_listed_and_an_empty_list_is_an_empty_object(argo: httpx.Client) -> None:
    response = argo.get("/api/v1/applications/batch/managed-resources")
    assert response.status_code == 200
    assert response.content == b"{}"


def test_missing_and_extraneous(argo: httpx.Client) -> None:
    missing = item(argo, "missing", "Service", "edge-gateway")
    assert (missing["liveState"], missing["normalizedLiveState"]) == ("null", "null")
    assert missing["modified"] is True
    assert json.loads(missing["predictedLiveState"]) == json.loads(missing["targetState"])
    extra = item(argo, "extraneous", "ConfigMap", "edge-old-routes")
    assert (extra["targetState"], extra["predictedLiveState"]) == ("null", "null")
    assert "modified" not in extra
    assert "status" not in json.loads(extra["normalizedLiveState"])


def test_comparison_error_states_are_empty_objects(argo: httpx.Client) -> None:
    found = item(argo, "broken", "Deployment", "edge-proxy")
    assert (found["normalizedLiveState"], found["predictedLiveState"]) == ("{}", "{}")
    assert "modified" not in found
    app = argo.get("/api/v1/applications/broken").json()
    assert [c["type"] for c in app["status"]["conditions"]] == ["ComparisonError"]


def test_server_side_diff_hides_webhook_mutations_unless_included(argo: httpx.Client) -> None:
    label = "policy.example/audited"
    hidden = item(argo, "mesh-default", "Deployment", "mesh-default")
    shown = item(argo, "mesh-webhook", "Deployment", "mesh-webhook")
    assert "modified" not in hidden
    assert shown["modified"] is True
    for found, present in ((hidden, False), (shown, True)):
        s = states(found)
        assert (label in s["predictedLiveState"]["spec"]["template"]["metadata"]["labels"]) is (
            present
        )
        assert label not in s["normalizedLiveState"]["spec"]["template"]["metadata"]["labels"]
        assert label not in s["targetState"]["spec"]["template"]["metadata"]["labels"]
        for state in ("normalizedLiveState", "predictedLiveState"):
            assert "managedFields" not in s[state]["metadata"]  # server-side diff drops them
        assert "managedFields" in s["liveState"]["metadata"]
    app = argo.get("/api/v1/applications/mesh-webhook").json()
    options = app["metadata"]["annotations"]["argocd.argoproj.io/compare-options"]
    assert options == "ServerSideDiff=true,IncludeMutationWebhook=true"


def test_status_is_normalized_away_but_kept_in_live_state(argo: httpx.Client) -> None:
    s = states(item(argo, "autoscaled", "Deployment", "api"))
    assert "status" in s["liveState"]
    assert "status" not in s["normalizedLiveState"]
    assert "status" not in s["predictedLiveState"]
    assert "managedFields" in s["normalizedLiveState"]["metadata"]  # SMD keeps them


# --- the seed and generated fleets, realized --------------------------------------------------


@pytest.fixture(scope="module")
def realized_seed() -> Scenario:
    return scenarios.seed(NOW, argo_diff=True)


def test_realized_seed_keeps_every_class_verdict_and_residual(realized_seed: Scenario) -> None:
    plain = scenarios.seed(NOW)
    assert realized_seed.expected == plain.expected
    assert realized_seed.expected_safe_to_delete == plain.expected_safe_to_delete
    assert realized_seed.expected_totals == plain.expected_totals
    realism = realized_seed.realism
    assert realism is not None
    drifting_with_both_sides = {k for k in plain.expected_paths if k in plain.expected}
    assert drifting_with_both_sides <= set(realism.paths)
    assert all(realism.paths[k] for k in drifting_with_both_sides)
    residual_apps = {
        app for (app, _), cls in realized_seed.expected.items() if cls == "unexplained"
    }
    assert residual_apps == {"tekton-extras", "vcluster-experiments"}


def test_realized_seed_live_objects_carry_server_defaults(realized_seed: Scenario) -> None:
    deployments = [o for o in realized_seed.objects if o["kind"] == "Deployment"]
    assert deployments
    for obj in deployments:
        assert with_defaults(obj, namespace="") == obj  # nothing left to default
        assert obj["spec"]["template"]["spec"]["dnsPolicy"] == "ClusterFirst"


def test_realized_generated_fleet_keeps_its_ground_truth() -> None:
    plain = scenarios.generated(300, 90, NOW, seed=7)
    realized = scenarios.realize(scenarios.generated(300, 90, NOW, seed=7))
    assert realized.expected == plain.expected
    realism = realized.realism
    assert realism is not None
    classes = {plain.expected[k] for k in realism.paths}
    assert len(classes) >= 5


def test_argo_diff_fleet_mixes_in_every_case_with_its_class() -> None:
    fleet = scenarios.generated(200, 80, NOW, seed=3, argo_diff=True)
    plain = scenarios.generated(200, 80, NOW, seed=3)
    assert fleet.realism is not None
    assert fleet.realism.comparison_errors == {"broken-0", "broken-1"}
    added = {k: v for k, v in fleet.expected.items() if k not in plain.expected}
    assert {plain_k: v for plain_k, v in fleet.expected.items() if plain_k in plain.expected} == (
        plain.expected
    )
    cases = scenarios.argo_diff_cases(NOW).expected
    for copy in ("-0", "-1"):
        assert sorted(v for (app, _), v in added.items() if app.endswith(copy)) == sorted(
            cases.values()
        )
