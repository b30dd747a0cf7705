"""The Argo CD side over httpx: managed-resources, tree, logs, app JSON and error shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.simulator import Simulator, scenarios
from bot.simulator.scenarios import SECOND_NAMESPACE
from tests.simulator.sim_support import NOW, TOKEN

STUCK_POD = "argo-rollouts-6b4c4dfbd9-ghl9c"


def items(argo: httpx.Client, app: str, **params: str) -> list[dict[str, Any]]:
    response = argo.get(f"/api/v1/applications/{app}/managed-resources", params=params)
    assert response.status_code == 200
    return list(response.json().get("items", []))


def seed_realized() -> bool:
    """Whether the seed serves Argo CD's own diff by default (`scenarios.ARGO_DIFF`)."""
    return bool(scenarios.ARGO_DIFF)


def find(found: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return next(i for i in found if i["kind"] == kind and i["name"] == name)


def test_states_are_json_strings(argo: httpx.Client) -> None:
    """targetState/liveState are JSON text: git lacks deletionPolicy, live has it."""
    secret = find(items(argo, "gitea"), "ExternalSecret", "gitea-admin")
    assert isinstance(secret["targetState"], str)
    target, live = json.loads(secret["targetState"]), json.loads(secret["liveState"])
    assert "deletionPolicy" not in target["spec"]["target"]
    assert live["spec"]["target"]["deletionPolicy"] == "Retain"
    # Argo CD's normalization drops status (ignoreResourceStatusField: all) and the object's
    # creationTimestamp; the rest is live.
    expected = dict(live)
    if seed_realized():
        expected.pop("status", None)
        metadata = {k: v for k, v in live["metadata"].items() if k != "creationTimestamp"}
        expected["metadata"] = metadata
    assert json.loads(secret["normalizedLiveState"]) == expected
    assert secret["modified"] is True
    assert secret["group"] == "external-secrets.io"
    assert secret["resourceVersion"] == live["metadata"]["resourceVersion"]


def test_extras_have_a_null_target_and_are_not_modified(argo: httpx.Client) -> None:
    """A to-be-pruned zombie: targetState is the string "null" and ``modified`` is omitted."""
    zombie = find(items(argo, "gitea"), "Service", "gitea-redis-cluster")
    assert zombie["targetState"] == "null"
    assert json.loads(zombie["liveState"])["metadata"]["name"] == "gitea-redis-cluster"
    assert "modified" not in zombie
    assert "group" not in zombie


def test_synced_resources_are_not_modified(argo: httpx.Client) -> None:
    """gitea's Deployment is Synced: equal states modulo bookkeeping, no ``modified``."""
    deployment = find(items(argo, "gitea"), "Deployment", "gitea")
    assert "modified" not in deployment


def test_hooks_are_not_listed(argo: httpx.Client) -> None:
    """vk-remote's PostSync Job is in status.resources but not in managed-resources."""
    kinds = {i["kind"] for i in items(argo, "vk-remote")}
    assert "Job" not in kinds
    assert "ExternalSecret" in kinds
    assert items(argo, "argocd", kind="Role") == []


def test_no_matching_items_is_an_empty_object(argo: httpx.Client) -> None:
    """With nothing to list, the body is ``{}`` (no ``items`` key at all)."""
    response = argo.get("/api/v1/applications/gitea/managed-resources", params={"kind": "Nope"})
    assert response.content == b"{}"


def test_cluster_scoped_items_have_no_namespace(argo: httpx.Client) -> None:
    """The ClusterPolicy item omits ``namespace`` and shows the operator's fields live only."""
    policy = find(items(argo, "gpu-operator"), "ClusterPolicy", "cluster-policy")
    assert "namespace" not in policy
    assert "daemonsets" in json.loads(policy["liveState"])["spec"]
    assert "daemonsets" not in json.loads(policy["targetState"])["spec"]


def test_the_tree_links_pod_to_replicaset_to_deployment(argo: httpx.Client) -> None:
    """resource-tree: parentRefs chain, Degraded pod with restart count, Progressing Deployment."""
    tree = argo.get("/api/v1/applications/argo-rollouts/resource-tree").json()
    nodes = {(n["kind"], n["name"]): n for n in tree["nodes"]}
    pod = nodes[("Pod", STUCK_POD)]
    replica_set = nodes[("ReplicaSet", "argo-rollouts-6b4c4dfbd9")]
    deployment = nodes[("Deployment", "argo-rollouts")]
    assert pod["parentRefs"][0]["uid"] == replica_set["uid"]
    assert replica_set["parentRefs"][0]["uid"] == deployment["uid"]
    assert pod["health"]["status"] == "Degraded"
    assert {"name": "Restart Count", "value": "1154"} in pod["info"]
    assert {"name": "Status Reason", "value": "CrashLoopBackOff"} in pod["info"]
    assert deployment["health"]["status"] == "Progressing"
    assert "hosts" in tree


def test_apps_read_through_argo_cd_have_resource_health(argo: httpx.Client) -> None:
    """Argo CD fills per-resource health from the tree; the CR itself has none."""
    app = argo.get("/api/v1/applications/argo-rollouts").json()
    assert "kind" not in app
    resources = {(r["kind"], r["name"]): r for r in app["status"]["resources"]}
    assert resources[("Deployment", "argo-rollouts")]["health"]["status"] == "Progressing"
    assert "health" not in resources[("ConfigMap", "argo-rollouts-config")]


def test_the_app_list_filters_by_project_and_selector(argo: httpx.Client) -> None:
    """All 52 by default (sorted by name), none for an unknown project or selector."""
    everything = argo.get("/api/v1/applications").json()
    names = [a["metadata"]["name"] for a in everything["items"]]
    assert len(names) == 52
    assert names == sorted(names)
    assert argo.get("/api/v1/applications", params={"projects": "nope"}).json()["items"] == []
    none = argo.get("/api/v1/applications", params={"selector": "team=none"}).json()
    assert none["items"] == []


def test_logs_stream_ndjson_entries_and_a_last_marker(argo: httpx.Client) -> None:
    """Previous logs arrive as ``{"result": {...}}`` lines, the final one with last=true."""
    response = argo.get(
        "/api/v1/applications/argo-rollouts/logs",
        params={"podName": STUCK_POD, "container": "argo-rollouts", "previous": "true"},
    )
    lines = [json.loads(line)["result"] for line in response.text.splitlines()]
    assert all(entry["podName"] == STUCK_POD for entry in lines[:-1])
    assert "level=fatal" in lines[-2]["content"]
    assert lines[-2]["last"] is False
    assert lines[-1]["last"] is True
    assert lines[-1]["content"] == ""


def test_log_errors_arrive_as_log_content(argo: httpx.Client) -> None:
    """Argo CD forwards the Kubernetes error (no previous container) as a log line."""
    response = argo.get(
        "/api/v1/applications/gitea/logs", params={"kind": "Deployment", "resourceName": "gitea"}
    )
    contents = [json.loads(line)["result"]["content"] for line in response.text.splitlines()]
    assert any("waiting to start: ContainerCreating" in c for c in contents)


def test_tail_lines_limits_each_pod(argo: httpx.Client) -> None:
    """tailLines=2 keeps the last two lines of the previous log."""
    response = argo.get(
        f"/api/v1/applications/argo-rollouts/pods/{STUCK_POD}/logs",
        params={"previous": "true", "tailLines": "2"},
    )
    assert len(response.text.splitlines()) == 3  # two lines and the last marker


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        pytest.param({}, "no session information", id="no-token"),
        pytest.param({"Authorization": "Bearer nope"}, "invalid session", id="wrong-token"),
    ],
)
def test_bad_credentials_are_401_unauthenticated(
    sim: Simulator, headers: dict[str, str], message: str
) -> None:
    """Missing or wrong tokens answer HTTP 401 with gRPC code 16."""
    with httpx.Client(base_url=sim.argocd_url, headers=headers, timeout=5) as client:
        response = client.get("/api/v1/applications/gitea/managed-resources")
    assert response.status_code == 401
    body = response.json()
    assert body["code"] == 16
    assert message in body["error"]
    assert body["error"] == body["message"]


def test_an_unknown_app_is_403_permission_denied(argo: httpx.Client) -> None:
    """Argo CD hides existence: an unknown app is 403/7, not 404."""
    response = argo.get("/api/v1/applications/nope/managed-resources")
    assert response.status_code == 403
    assert response.json() == {
        "error": "permission denied",
        "code": 7,
        "message": "permission denied",
    }


def test_with_a_project_an_unknown_app_is_404(argo: httpx.Client) -> None:
    """Given ?project=, a missing app is NotFound (code 5)."""
    response = argo.get("/api/v1/applications/nope", params={"project": "default"})
    assert response.status_code == 404
    assert response.json()["code"] == 5


def test_the_version_endpoint_needs_no_token(sim: Simulator) -> None:
    """/api/version answers anonymously with the version only."""
    with httpx.Client(base_url=sim.argocd_url, timeout=5) as client:
        response = client.get("/api/version")
    assert response.json() == {"Version": "v3.5.1+109ca7c"}


def test_userinfo_names_the_bot_account(argo: httpx.Client) -> None:
    """session/userinfo reports the logged-in API account."""
    assert argo.get("/api/v1/session/userinfo").json()["loggedIn"] is True


def test_non_api_paths_serve_the_web_ui(argo: httpx.Client) -> None:
    """Like Argo CD, a path outside /api answers the UI's HTML, not JSON."""
    response = argo.get("/applications/gitea")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")


@pytest.fixture(scope="module")
def generated_sim() -> Iterator[Simulator]:
    with Simulator(scenarios.generated(120, 40, NOW, seed=1), token=TOKEN) as sim:
        yield sim


def test_apps_in_another_namespace_need_app_namespace(generated_sim: Simulator) -> None:
    """A team-apps app is 403 without ?appNamespace= and readable with it."""
    scenario = generated_sim.scenario
    app = next(a for a in scenario.applications if a["metadata"]["namespace"] == SECOND_NAMESPACE)
    name = app["metadata"]["name"]
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=generated_sim.argocd_url, headers=headers, timeout=5) as client:
        hidden = client.get(f"/api/v1/applications/{name}/managed-resources")
        shown = client.get(
            f"/api/v1/applications/{name}/managed-resources",
            params={"appNamespace": SECOND_NAMESPACE},
        )
        listed = client.get("/api/v1/applications", params={"appNamespace": SECOND_NAMESPACE})
    assert hidden.status_code == 403
    assert shown.status_code == 200
    assert shown.json()["items"]
    namespaces = {a["metadata"]["namespace"] for a in listed.json()["items"]}
    assert namespaces == {SECOND_NAMESPACE}


def test_managed_resources_filter_by_group_and_kind(argo: httpx.Client) -> None:
    """group and kind narrow the items; ``version`` is ignored, as Argo CD does."""
    found = items(argo, "gitea", group="external-secrets.io", kind="ExternalSecret", version="v9")
    assert {(i["kind"], i["name"]) for i in found} == {
        ("ExternalSecret", "gitea-admin"),
        ("ExternalSecret", "gitea-runner"),
    }
