"""The server itself: faults, latency, request records, concurrency, reload, kubeconfig."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

from bot.core.model import ResourceKey
from bot.simulator import Fault, Scenario, Simulator, scenarios
from tests.simulator.sim_support import NOW, TOKEN

HEADERS = {"Authorization": f"Bearer {TOKEN}"}
MANAGED = "/api/v1/applications/gitea/managed-resources"


@pytest.fixture
def fresh() -> Iterator[Simulator]:
    """A simulator of its own, for tests that inject faults or change the scenario."""
    with Simulator(scenarios.seed(NOW), token=TOKEN) as sim:
        yield sim


@pytest.fixture
def argo(fresh: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.argocd_url, headers=HEADERS, timeout=5) as client:
        yield client


@pytest.fixture
def kube(fresh: Simulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.kube_url, headers=HEADERS, timeout=5) as client:
        yield client


def test_a_fault_hits_exactly_times_requests(fresh: Simulator, argo: httpx.Client) -> None:
    """times=2: two 503s with gRPC code 14 and Retry-After, then the normal answer."""
    fresh.inject(Fault(api="argocd", path_regex=r"/managed-resources$", status=503, times=2))
    answers = [argo.get(MANAGED) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].json()["code"] == 14
    assert answers[0].headers["retry-after"] == "1"


def test_kube_faults_answer_a_status_object(fresh: Simulator, kube: httpx.Client) -> None:
    """An injected 500 on the Kubernetes side is a Status with reason InternalError."""
    fresh.inject(Fault(api="kube", path_regex=r"/pods$", status=500))
    body = kube.get("/api/v1/pods").json()
    assert body["kind"] == "Status"
    assert body["reason"] == "InternalError"
    assert kube.get("/api/v1/pods").status_code == 200


def test_a_forever_fault_lasts_until_cleared(fresh: Simulator, argo: httpx.Client) -> None:
    """times=None keeps failing; clear_faults() restores service."""
    fresh.inject(Fault(api="argocd", path_regex="gitea", status=502, times=None))
    assert {argo.get(MANAGED).status_code for _ in range(4)} == {502}
    fresh.clear_faults()
    assert argo.get(MANAGED).status_code == 200


def test_a_fault_only_matches_its_api_and_path(fresh: Simulator, argo: httpx.Client) -> None:
    """A kube fault leaves Argo CD alone, a path fault leaves other paths alone."""
    fresh.inject(Fault(api="kube", path_regex="gitea", status=503, times=None))
    fresh.inject(Fault(api="argocd", path_regex="/infisical/", status=503, times=None))
    assert argo.get(MANAGED).status_code == 200


def test_a_fault_body_replaces_the_payload(fresh: Simulator, argo: httpx.Client) -> None:
    """body= serves raw bytes (here malformed JSON) with the given status."""
    fresh.inject(Fault(api="argocd", path_regex="managed", status=200, body='{"items": ['))
    response = argo.get(MANAGED)
    assert response.status_code == 200
    assert response.content == b'{"items": ['


def test_status_zero_hangs_until_the_client_times_out(fresh: Simulator) -> None:
    """status=0 with delay_s holds the request and then drops it: a client read timeout."""
    fresh.inject(Fault(api="argocd", path_regex="managed", status=0, delay_s=0.5))
    with (
        httpx.Client(base_url=fresh.argocd_url, headers=HEADERS, timeout=0.15) as client,
        pytest.raises(httpx.ReadTimeout),
    ):
        client.get(MANAGED)


def test_a_200_fault_only_slows_the_answer(fresh: Simulator, argo: httpx.Client) -> None:
    """status=200 without a body delays the normal answer by delay_s."""
    fresh.inject(Fault(api="argocd", path_regex="managed", status=200, delay_s=0.2))
    started = time.perf_counter()
    response = argo.get(MANAGED)
    assert time.perf_counter() - started >= 0.2
    assert response.json()["items"]


def test_latency_is_added_to_every_request() -> None:
    """latency_ms delays each answer by at least that long."""
    with (
        Simulator(scenarios.seed(NOW), token=TOKEN, latency_ms=60) as sim,
        httpx.Client(base_url=sim.kube_url, headers=HEADERS, timeout=5) as client,
    ):
        started = time.perf_counter()
        client.get("/version")
        client.get("/version")
        assert time.perf_counter() - started >= 0.12


def test_requests_are_recorded_with_their_query(fresh: Simulator, kube: httpx.Client) -> None:
    """Each request is recorded (api, method, path, query); count() filters; reset clears."""
    fresh.reset_counters()
    kube.get("/api/v1/pods", params={"labelSelector": "a=b", "limit": "5"})
    kube.get("/api/v1/namespaces")
    assert fresh.requests[0].query == {"labelSelector": ["a=b"], "limit": ["5"]}
    assert fresh.requests[0].method == "GET"
    assert fresh.count() == 2
    assert fresh.count("kube", r"/pods$") == 1
    assert fresh.count("argocd") == 0
    fresh.reset_counters()
    assert fresh.requests == []


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("api", ["kube", "argocd"])
def test_write_verbs_are_405_and_recorded(
    fresh: Simulator, kube: httpx.Client, argo: httpx.Client, api: str, method: str
) -> None:
    """Both APIs are read-only: every write verb answers 405 and is in the request log."""
    client = kube if api == "kube" else argo
    path = "/api/v1/namespaces/gitea/configmaps/gitea-config" if api == "kube" else MANAGED
    response = client.request(method, path, json={"spec": {}})
    assert response.status_code == 405
    assert [r.method for r in fresh.requests if r.api == api] == [method]


def test_sixteen_clients_hit_managed_resources_concurrently(fresh: Simulator) -> None:
    """16 threads x 25 requests all succeed, and every request is counted once."""

    def worker(_: int) -> list[int]:
        with httpx.Client(base_url=fresh.argocd_url, headers=HEADERS, timeout=10) as client:
            return [client.get(MANAGED).status_code for _ in range(25)]

    fresh.reset_counters()
    with ThreadPoolExecutor(16) as pool:
        codes = [code for batch in pool.map(worker, range(16)) for code in batch]
    assert codes == [200] * 400
    assert fresh.count("argocd", "managed-resources") == 400


def test_every_answer_has_a_content_length(kube: httpx.Client, argo: httpx.Client) -> None:
    """Keep-alive needs Content-Length on JSON, text and error answers alike."""
    answers = [
        kube.get("/api/v1/namespaces/gitea/pods"),
        kube.get(f"/api/v1/namespaces/argo-rollouts/pods/{'argo-rollouts-6b4c4dfbd9-ghl9c'}/log"),
        kube.get("/api/v1/secrets"),
        argo.get(MANAGED),
        argo.get("/api/v1/applications/nope"),
    ]
    for answer in answers:
        assert int(answer.headers["content-length"]) == len(answer.content)


def test_reload_serves_a_changed_scenario(fresh: Simulator, argo: httpx.Client) -> None:
    """A live change made through the scenario helpers shows after reload()."""
    key = ResourceKey("", "ConfigMap", "gitea", "gitea-config")
    before = next(i for i in argo.get(MANAGED).json()["items"] if i["name"] == "gitea-config")
    assert "modified" not in before
    fresh.scenario.set_live(key, {"/data/DOMAIN": "git.example.org"})
    fresh.reload()
    after = next(i for i in argo.get(MANAGED).json()["items"] if i["name"] == "gitea-config")
    assert after["modified"] is True


def test_set_live_copies_on_write() -> None:
    """Changing a live object through the helper never changes its git target."""
    scenario: Scenario = scenarios.seed(NOW)
    key = ResourceKey("", "ConfigMap", "gitea", "gitea-config")
    scenario.set_live(key, {"/data/DOMAIN": "changed"})
    target = scenario.target("gitea", key)
    live = scenario.find(key)
    assert target is not None
    assert live is not None
    assert target["data"]["DOMAIN"] == "gitea.homelab.example"
    assert live["data"]["DOMAIN"] == "changed"


def test_the_kubeconfig_points_at_the_kube_listener(fresh: Simulator, tmp_path: Path) -> None:
    """Context ``sim``, the kube URL and the token; Argo CD is on another port."""
    config = yaml.safe_load(fresh.write_kubeconfig(tmp_path / "deep" / "config").read_text())
    assert config["current-context"] == "sim"
    assert config["clusters"][0]["cluster"]["server"] == fresh.kube_url
    assert config["users"][0]["user"]["token"] == TOKEN
    assert fresh.kube_url != fresh.argocd_url


def test_urls_need_a_started_simulator() -> None:
    """Before start() there is no port to tell."""
    sim = Simulator(scenarios.generated(3, 1, NOW), token=TOKEN)
    with pytest.raises(RuntimeError, match="not started"):
        _ = sim.kube_url


def test_stop_closes_kept_alive_connections() -> None:
    """After stop(), a pooled connection cannot be reused: the next request fails."""
    sim = Simulator(scenarios.generated(3, 1, NOW), token=TOKEN).start()
    with httpx.Client(base_url=sim.kube_url, headers=HEADERS, timeout=2) as client:
        assert client.get("/version").status_code == 200
        sim.stop()
        with pytest.raises(httpx.TransportError):
            client.get("/version")
