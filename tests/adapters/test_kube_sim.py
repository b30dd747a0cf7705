"""KubeReader with the real ``kubernetes`` client against the seed simulator over loopback."""

from __future__ import annotations

import json
import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kubernetes.client
import pytest

from bot.adapters.kube import KubeReader
from bot.core.model import KindRef, ResourceKey
from bot.errors import (
    InputError,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import Settings
from bot.simulator import Fault, Simulator

APPS_PATH = r"/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"
ROLLOUTS_DEPLOYMENT = ResourceKey("apps", "Deployment", "argo-rollouts", "argo-rollouts")
CRASHING_POD = "argo-rollouts-6b4c4dfbd9-ghl9c"


def names(apps: list[dict[str, object]]) -> list[str]:
    return [str(app["metadata"]["name"]) for app in apps]  # type: ignore[index]


def test_list_applications_pages_through_every_app(
    sim: Simulator, kube: KubeReader, page_size: int
) -> None:
    """All 52 seed apps arrive, one list call per page of PAGE_SIZE."""
    before = sim.count("kube", APPS_PATH)
    apps = list(kube.list_applications())
    assert len(apps) == 52
    assert len(set(names(apps))) == 52
    assert sim.count("kube", APPS_PATH) - before == math.ceil(52 / page_size)


def test_an_expired_continue_token_restarts_the_listing(
    sim: Simulator, kube: KubeReader, page_size: int
) -> None:
    """A 410 mid-listing restarts from scratch once, and no app is yielded twice."""
    before = sim.count("kube", APPS_PATH)
    listing = kube.list_applications()
    first = [next(listing) for _ in range(page_size)]
    sim.expire_continue_tokens()
    rest = list(listing)
    apps = first + rest
    assert len(apps) == 52
    assert len(set(names(apps))) == 52
    pages = math.ceil(52 / page_size)
    # the first page, the 410 answer, then the whole listing again
    assert sim.count("kube", APPS_PATH) - before == 1 + 1 + pages


def test_a_second_expiry_gives_up(sim: Simulator, kube: KubeReader, page_size: int) -> None:
    """When the restarted listing expires again, the reader raises UpstreamUnavailableError."""
    listing = kube.list_applications()
    for _ in range(page_size):
        next(listing)
    sim.expire_continue_tokens()
    for _ in range(page_size):  # the restart's second page: the apps not seen yet
        next(listing)
    sim.expire_continue_tokens()
    with pytest.raises(UpstreamUnavailableError, match="410"):
        next(listing)


def test_get_crd_discovers_the_plural_and_reads_the_crd(sim: Simulator, kube: KubeReader) -> None:
    """ExternalSecret resolves through discovery to externalsecrets.external-secrets.io."""
    crd = kube.get_crd("external-secrets.io", "ExternalSecret")
    assert crd is not None
    assert crd["metadata"]["name"] == "externalsecrets.external-secrets.io"
    assert crd["spec"]["names"]["kind"] == "ExternalSecret"
    schema = json.dumps(crd["spec"]["versions"])
    assert '"default": "Retain"' in schema


def test_discovery_is_cached_across_threads(sim: Simulator, kubeconfig: Path) -> None:
    """Eight threads asking for one CRD at once cause a single discovery of its group."""
    reader = KubeReader.from_settings(Settings(kubeconfig=str(kubeconfig)))
    before = sim.count("kube", r"^/apis/tekton\.dev$")
    with ThreadPoolExecutor(8) as pool:
        crds = list(pool.map(lambda _: reader.get_crd("tekton.dev", "Pipeline"), range(8)))
    assert all(crd is not None for crd in crds)
    assert sim.count("kube", r"^/apis/tekton\.dev$") - before == 1
    reader.close()


@pytest.mark.parametrize(
    ("group", "kind"),
    [("nosuch.example.com", "Widget"), ("external-secrets.io", "NoSuchKind")],
    ids=["unknown-group", "unknown-kind"],
)
def test_unknown_crds_are_none(kube: KubeReader, group: str, kind: str) -> None:
    """A group or kind the cluster does not serve has no CRD."""
    assert kube.get_crd(group, kind) is None


def test_pods_of_follows_the_owner_chain(kube: KubeReader) -> None:
    """Deployment → ReplicaSet → Pod finds the argo-rollouts pod that crash-loops."""
    pods = kube.pods_of(ROLLOUTS_DEPLOYMENT)
    assert [pod["metadata"]["name"] for pod in pods] == [CRASHING_POD]
    statuses = pods[0]["status"]["containerStatuses"]
    assert statuses[0]["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert statuses[0]["restartCount"] == 1154


def test_pods_of_a_pod_is_that_pod(kube: KubeReader) -> None:
    """A Pod key returns exactly that pod."""
    pods = kube.pods_of(ResourceKey("", "Pod", "argo-rollouts", CRASHING_POD))
    assert [pod["metadata"]["name"] for pod in pods] == [CRASHING_POD]


def test_pods_of_a_missing_workload_is_empty(kube: KubeReader) -> None:
    """A workload that does not exist owns no pods."""
    assert kube.pods_of(ResourceKey("apps", "Deployment", "argo-rollouts", "nope")) == []


def test_previous_log_holds_the_fatal_line(kube: KubeReader) -> None:
    """The previous container's log ends with the seed's fatal plugin-download line."""
    log = kube.read_log(
        "argo-rollouts", CRASHING_POD, "argo-rollouts", previous=True, tail_lines=50
    )
    assert 'level=fatal msg="Failed to download plugins' in log
    assert "response code Not Found" in log


def test_list_objects_lists_cluster_wide(kube: KubeReader) -> None:
    """IngressClasses are listed cluster-wide as raw JSON with API field names."""
    ref = KindRef("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False)
    classes = kube.list_objects(ref)
    assert "nginx" in [obj["metadata"]["name"] for obj in classes]
    assert all("creationTimestamp" in obj["metadata"] for obj in classes)


def test_list_objects_lists_core_kinds(kube: KubeReader) -> None:
    """Core-group kinds are listed through /api/v1."""
    pods = kube.list_objects(KindRef("", "v1", "Pod", "pods"))
    assert CRASHING_POD in [pod["metadata"]["name"] for pod in pods]


def test_check_answers(sim: Simulator, kube: KubeReader) -> None:
    """check() passes against a live API server, after reading its /version."""
    before = sim.count("kube", r"^/version$")
    kube.check()
    assert sim.count("kube", r"^/version$") - before == 1


def test_from_settings_reads_the_kubeconfig(kubeconfig: Path) -> None:
    """KUBECONFIG alone is enough to read Applications."""
    reader = KubeReader.from_settings(Settings(kubeconfig=str(kubeconfig)))
    assert len(list(reader.list_applications())) == 52
    reader.close()


def reader_with_token(sim: Simulator, token: str) -> KubeReader:
    configuration = kubernetes.client.Configuration(host=sim.kube_url)
    configuration.api_key = {"authorization": token}
    configuration.api_key_prefix = {"authorization": "Bearer"}
    return KubeReader(kubernetes.client.ApiClient(configuration), app_namespaces=["argocd"])


def test_a_wrong_token_is_an_auth_error(sim: Simulator) -> None:
    """A token the API server rejects raises UpstreamAuthError naming KUBECONFIG."""
    reader = reader_with_token(sim, "not-the-token")
    with pytest.raises(UpstreamAuthError, match="KUBECONFIG") as info:
        list(reader.list_applications())
    assert info.value.source == "kubernetes"
    assert isinstance(info.value.__cause__, kubernetes.client.exceptions.ApiException)


def test_forbidden_names_the_denied_list(sim: Simulator, kube: KubeReader) -> None:
    """A 403 on the Application list names that list and the ClusterRole it needs."""
    sim.inject(Fault(api="kube", path_regex=APPS_PATH, status=403, times=1))
    with pytest.raises(UpstreamAuthError) as info:
        list(kube.list_applications())
    message = str(info.value)
    assert "list applications.argoproj.io in namespace argocd" in message
    assert "ClusterRole" in message


def test_server_errors_are_unavailable(sim: Simulator, kube: KubeReader) -> None:
    """A 502 from the API server raises UpstreamUnavailableError naming its URL.

    (A 503 or 429 carrying Retry-After is first retried by urllib3 itself, after real sleeps.)
    """
    sim.inject(Fault(api="kube", path_regex=r"^/version$", status=502, times=1))
    with pytest.raises(UpstreamUnavailableError) as info:
        kube.check()
    assert sim.kube_url in str(info.value)


def test_an_unreachable_server_is_unavailable(closed_url: str) -> None:
    """Nothing listening at the server URL raises UpstreamUnavailableError naming it."""
    configuration = kubernetes.client.Configuration(host=closed_url)
    reader = KubeReader(kubernetes.client.ApiClient(configuration), app_namespaces=["argocd"])
    with pytest.raises(UpstreamUnavailableError) as info:
        reader.check()
    assert closed_url in str(info.value)
    assert "KUBECONFIG" in str(info.value)


def pod_names(pods: list[dict[str, object]]) -> list[str]:
    return sorted(str(pod["metadata"]["name"]) for pod in pods)  # type: ignore[index]


def test_pods_of_spans_every_replicaset_of_a_deployment(kube: KubeReader) -> None:
    """gitea mid-rollout has a new and an old ReplicaSet; pods of both belong to it."""
    pods = kube.pods_of(ResourceKey("apps", "Deployment", "gitea", "gitea"))
    owners = {pod["metadata"]["ownerReferences"][0]["name"] for pod in pods}
    assert len(pods) == 2
    assert len(owners) == 2


def test_pods_of_a_statefulset_are_owned_directly(kube: KubeReader) -> None:
    """A StatefulSet's pods are found without an intermediate ReplicaSet."""
    pods = kube.pods_of(ResourceKey("apps", "StatefulSet", "infisical", "infisical-postgresql"))
    assert pod_names(pods) == ["infisical-postgresql-0"]


def test_pods_of_a_kind_without_pods_asks_nothing(sim: Simulator, kube: KubeReader) -> None:
    """A ConfigMap owns no pods, and finding that out costs no request."""
    before = sim.count("kube")
    assert kube.pods_of(ResourceKey("", "ConfigMap", "gitea", "gitea-config")) == []
    assert sim.count("kube") == before


def test_a_previous_log_that_does_not_exist_is_empty(kube: KubeReader) -> None:
    """The previous log of a container that never restarted is empty, not an error."""
    log = kube.read_log(
        "infisical", "infisical-postgresql-0", "postgresql", previous=True, tail_lines=20
    )
    assert log == ""


def test_the_log_of_a_container_still_creating_is_empty(kube: KubeReader) -> None:
    """A container waiting to start has no log yet: empty, not an error."""
    pods = kube.pods_of(ResourceKey("apps", "Deployment", "gitea", "gitea"))
    waiting = [pod for pod in pods if "waiting" in pod["status"]["containerStatuses"][0]["state"]]
    assert len(waiting) == 1
    name = waiting[0]["metadata"]["name"]
    assert kube.read_log("gitea", name, "gitea", previous=False, tail_lines=20) == ""


def test_the_log_of_a_missing_pod_is_not_found(kube: KubeReader) -> None:
    """Reading the log of a pod that does not exist raises UpstreamNotFoundError."""
    with pytest.raises(UpstreamNotFoundError):
        kube.read_log("gitea", "no-such-pod", "gitea", previous=True, tail_lines=20)


def test_a_builtin_kind_in_a_dotted_group_has_no_crd(sim: Simulator, kube: KubeReader) -> None:
    """Ingress is discovered in networking.k8s.io, but no CRD serves it."""
    before = sim.count("kube", r"customresourcedefinitions/ingresses\.networking\.k8s\.io$")
    assert kube.get_crd("networking.k8s.io", "Ingress") is None
    after = sim.count("kube", r"customresourcedefinitions/ingresses\.networking\.k8s\.io$")
    assert after - before == 1


@pytest.mark.parametrize(
    "body", ["{not json", '{"items": 5}', "[1, 2]"], ids=["not-json", "items-not-list", "list"]
)
def test_malformed_list_pages_are_input_errors(sim: Simulator, kube: KubeReader, body: str) -> None:
    """A list page that is not a JSON list object raises InputError naming the list."""
    sim.inject(Fault(api="kube", path_regex=r"/ingressclasses$", status=200, times=1, body=body))
    ref = KindRef("networking.k8s.io", "v1", "IngressClass", "ingressclasses", namespaced=False)
    with pytest.raises(InputError, match="ingressclasses"):
        kube.list_objects(ref)


def test_a_workload_that_is_not_an_object_is_an_input_error(
    sim: Simulator, kube: KubeReader
) -> None:
    """A workload read whose body is JSON but not an object raises InputError naming it."""
    sim.inject(Fault(api="kube", path_regex=r"/deployments/argo-rollouts$", status=200, body="[1]"))
    with pytest.raises(InputError, match="argo-rollouts"):
        kube.pods_of(ROLLOUTS_DEPLOYMENT)
