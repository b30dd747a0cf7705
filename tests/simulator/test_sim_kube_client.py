"""The official ``kubernetes`` client, configured from the simulator's kubeconfig, just works."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import kubernetes.client
import kubernetes.config
import pytest
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from bot.simulator import Scenario, Simulator, scenarios
from bot.simulator.scenarios.scenario import key_of
from tests.simulator.sim_support import NOW, TOKEN

APPS = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
STUCK_POD = "argo-rollouts-6b4c4dfbd9-ghl9c"


def message(error: ApiException) -> str:
    """The ``message`` of the Status object an API error carries."""
    return str(json.loads(error.body)["message"])


def test_applications_page_through_the_custom_objects_api(
    sim: Simulator, api_client: kubernetes.client.ApiClient
) -> None:
    """Pages of 10 with ``continue`` tokens deliver all 52 apps, one request per page."""
    custom = kubernetes.client.CustomObjectsApi(api_client)
    before = sim.count("kube", APPS + "$")
    names: list[str] = []
    token = None
    while True:
        page = custom.list_namespaced_custom_object(
            "argoproj.io", "v1alpha1", "argocd", "applications", limit=10, _continue=token
        )
        names += [item["metadata"]["name"] for item in page["items"]]
        token = page["metadata"].get("continue")
        if not token:
            break
        assert page["metadata"]["remainingItemCount"] == 52 - len(names)
    assert len(names) == len(set(names)) == 52
    assert names == sorted(names)
    assert sim.count("kube", APPS + "$") - before == 6


def test_pods_and_the_previous_log_read_through_core_v1(
    api_client: kubernetes.client.ApiClient,
) -> None:
    """read_namespaced_pod and read_namespaced_pod_log(previous=True) return the crash."""
    core = kubernetes.client.CoreV1Api(api_client)
    pod = core.read_namespaced_pod(STUCK_POD, "argo-rollouts")
    assert pod.status.container_statuses[0].restart_count == 1154
    assert pod.status.container_statuses[0].state.waiting.reason == "CrashLoopBackOff"
    log = core.read_namespaced_pod_log(STUCK_POD, "argo-rollouts", previous=True, tail_lines=1)
    assert log.count("\n") == 1
    assert "level=fatal" in log


def test_previous_log_without_a_terminated_container_is_a_400(
    api_client: kubernetes.client.ApiClient,
) -> None:
    """A pod that never restarted has no previous log: 400 BadRequest with the kubelet text."""
    core = kubernetes.client.CoreV1Api(api_client)
    pods = core.list_namespaced_pod("infisical", label_selector="app.kubernetes.io/name=redis")
    name = pods.items[0].metadata.name
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log(name, "infisical", previous=True)
    assert caught.value.status == 400
    assert 'previous terminated container "redis"' in message(caught.value)


def test_a_container_being_created_has_no_log_yet(api_client: kubernetes.client.ApiClient) -> None:
    """gitea's new pod answers 400 'is waiting to start: ContainerCreating'."""
    core = kubernetes.client.CoreV1Api(api_client)
    pending = core.list_namespaced_pod("gitea", field_selector="status.phase=Pending").items
    assert len(pending) == 1
    with pytest.raises(ApiException) as caught:
        core.read_namespaced_pod_log(pending[0].metadata.name, "gitea")
    assert caught.value.status == 400
    assert "waiting to start: ContainerCreating" in message(caught.value)


def test_discovery_serves_builtin_and_crd_kinds(
    api_client: kubernetes.client.ApiClient, tmp_path: Path
) -> None:
    """The dynamic client finds ExternalSecret through /apis and lists all 16 of them."""
    dynamic = DynamicClient(api_client, cache_file=str(tmp_path / "discovery.json"))
    secrets = dynamic.resources.get(api_version="external-secrets.io/v1", kind="ExternalSecret")
    assert secrets.namespaced
    assert len(secrets.get().items) == 16
    deployments = dynamic.resources.get(api_version="apps/v1", kind="Deployment")
    assert deployments.get(namespace="argo-rollouts").items[0].metadata.name == "argo-rollouts"
    version = kubernetes.client.VersionApi(api_client).get_code()
    assert version.git_version.startswith("v1.")


def test_crds_are_readable_with_their_schemas(api_client: kubernetes.client.ApiClient) -> None:
    """The CRD list includes PersonaPacks with the defaults their live objects show."""
    extensions = kubernetes.client.ApiextensionsV1Api(api_client)
    crd = extensions.read_custom_resource_definition("personapacks.sympozium.ai")
    schema = crd.spec.versions[0].schema.open_apiv3_schema.properties["spec"]
    assert schema.properties["modelProvider"].default == "anthropic"


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        pytest.param("app.kubernetes.io/name in (gitea,redis)", 3, id="in"),
        pytest.param(
            "app.kubernetes.io/instance=infisical,app.kubernetes.io/name!=redis", 2, id="not-equal"
        ),
        pytest.param("app.kubernetes.io/name=gitea,pod-template-hash", 2, id="exists"),
        pytest.param("app.kubernetes.io/name=gitea,!pod-template-hash", 0, id="does-not-exist"),
    ],
)  # fmt: skip
def test_label_selectors_filter_pod_lists(
    api_client: kubernetes.client.ApiClient, selector: str, expected: int
) -> None:
    """Equality, inequality, set and existence requirements all narrow the list."""
    core = kubernetes.client.CoreV1Api(api_client)
    assert len(core.list_pod_for_all_namespaces(label_selector=selector).items) == expected


def test_field_selector_by_name_returns_one_object(
    api_client: kubernetes.client.ApiClient,
) -> None:
    """fieldSelector=metadata.name=... picks a single Application."""
    custom = kubernetes.client.CustomObjectsApi(api_client)
    page = custom.list_namespaced_custom_object(
        "argoproj.io", "v1alpha1", "argocd", "applications", field_selector="metadata.name=gitea"
    )
    assert [i["metadata"]["name"] for i in page["items"]] == ["gitea"]


def test_an_unknown_object_is_a_404_status(api_client: kubernetes.client.ApiClient) -> None:
    """Missing objects answer the API server's NotFound Status."""
    apps = kubernetes.client.AppsV1Api(api_client)
    with pytest.raises(ApiException) as caught:
        apps.read_namespaced_deployment("nope", "gitea")
    assert caught.value.status == 404
    assert message(caught.value) == 'deployments.apps "nope" not found'


def test_secrets_are_forbidden(api_client: kubernetes.client.ApiClient) -> None:
    """Listing or reading Secrets is 403 Forbidden, so a bot bug cannot read them."""
    core = kubernetes.client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as listing:
        core.list_secret_for_all_namespaces()
    with pytest.raises(ApiException) as reading:
        core.read_namespaced_secret("infisical-secrets", "infisical")
    assert listing.value.status == reading.value.status == 403
    assert '"reason":"Forbidden"' in reading.value.body


def test_write_verbs_are_refused_and_recorded(
    sim: Simulator, api_client: kubernetes.client.ApiClient
) -> None:
    """DELETE and PATCH answer 405 and show up in the request log."""
    core = kubernetes.client.CoreV1Api(api_client)
    with pytest.raises(ApiException) as deleting:
        core.delete_namespaced_config_map("gitea-config", "gitea")
    with pytest.raises(ApiException) as patching:
        core.patch_namespaced_config_map("gitea-config", "gitea", {"data": {"a": "b"}})
    assert deleting.value.status == patching.value.status == 405
    methods = {r.method for r in sim.requests if r.path.endswith("/configmaps/gitea-config")}
    assert {"DELETE", "PATCH"} <= methods


def test_a_wrong_token_is_401(sim: Simulator) -> None:
    """Bearer auth: anything but the simulator's token is Unauthorized."""
    with httpx.Client(base_url=sim.kube_url, timeout=5) as client:
        missing = client.get("/api/v1/namespaces")
        wrong = client.get("/api/v1/namespaces", headers={"Authorization": "Bearer nope"})
    assert missing.status_code == wrong.status_code == 401
    assert wrong.json()["reason"] == "Unauthorized"


def test_builtin_list_items_omit_kind_but_custom_resources_keep_it(
    kube_http: httpx.Client,
) -> None:
    """Like the API server: PodList items lack kind/apiVersion, ApplicationList items have them."""
    pods = kube_http.get("/api/v1/namespaces/gitea/pods").json()
    apps = kube_http.get(APPS, params={"limit": 1}).json()
    assert pods["kind"] == "PodList"
    assert "kind" not in pods["items"][0]
    assert apps["kind"] == "ApplicationList"
    assert apps["items"][0]["kind"] == "Application"


@pytest.fixture
def short_lived_tokens() -> Iterator[Simulator]:
    with Simulator(scenarios.seed(NOW), token=TOKEN, continue_ttl_s=0.05) as sim:
        yield sim


@pytest.mark.parametrize("how", ["expired-on-purpose", "too-old"])
def test_a_stale_continue_token_is_410_expired(
    sim: Simulator, short_lived_tokens: Simulator, how: str
) -> None:
    """After expire_continue_tokens() or the TTL, continuing a list answers 410 Expired."""
    target = sim if how == "expired-on-purpose" else short_lived_tokens
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=target.kube_url, headers=headers, timeout=5) as client:
        first = client.get(APPS, params={"limit": 5}).json()
        if how == "expired-on-purpose":
            target.expire_continue_tokens()
        else:
            time.sleep(0.1)
        stale = client.get(APPS, params={"limit": 5, "continue": first["metadata"]["continue"]})
    assert stale.status_code == 410
    assert stale.json()["reason"] == "Expired"


def test_a_garbled_continue_token_is_a_400(kube_http: httpx.Client) -> None:
    """A token that does not decode is a BadRequest, not an expiry."""
    response = kube_http.get(APPS, params={"limit": 5, "continue": "!!!"})
    assert response.status_code == 400


def test_a_multi_container_pod_needs_a_container_name(tmp_path: Path) -> None:
    """Without ?container=, a two-container pod's log is a 400 naming both containers."""
    scenario: Scenario = scenarios.seed(NOW)
    pod = next(o for o in scenario.objects if o["kind"] == "Pod")
    sidecar = {"name": "sidecar", "image": "busybox:1.37"}
    containers = [*pod["spec"]["containers"], sidecar]
    key = (pod["metadata"]["namespace"], pod["metadata"]["name"])
    scenario.set_live(key_of(pod), {"/spec/containers": containers})
    with Simulator(scenario, token=TOKEN) as sim:
        client = kubernetes.config.new_client_from_config(
            config_file=str(sim.write_kubeconfig(tmp_path / "kubeconfig"))
        )
        try:
            core = kubernetes.client.CoreV1Api(client)
            with pytest.raises(ApiException) as caught:
                core.read_namespaced_pod_log(key[1], key[0])
            named = core.read_namespaced_pod_log(key[1], key[0], container="sidecar")
        finally:
            client.close()
    assert caught.value.status == 400
    assert "a container name must be specified" in message(caught.value)
    assert "sidecar" in message(caught.value)
    assert named == ""
