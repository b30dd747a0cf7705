"""End to end: HTTP client → classification API → real service → simulated Kubernetes and Argo CD.

The service is the one `bot.wiring.build_service` builds from settings, talking through the real
adapters to the seed simulator, so these tests cover what a deployed classifier answers:
the same JSON as the in-process service, upstream failures as JSON, and one upstream call for
ten identical concurrent questions. Its clock is pinned to the scenario's ``now`` so two
answers to the same question are byte-for-byte comparable.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest

from bot import wiring
from bot.adapters.remote_classifier import RemoteClassifier
from bot.delivery.api import build_api_app
from bot.errors import UpstreamUnavailableError
from bot.service.caching import CachedClassifier
from bot.service.scan import DriftService
from bot.settings import Settings, load_settings
from bot.simulator import Fault, Simulator, scenarios
from tests.conftest import free_port
from tests.delivery.api.api_fakes import API_TOKEN, serving

NOW = datetime(2026, 4, 25, 9, 0, tzinfo=UTC)
SIM_TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
GITEA_DIFFS = "gitea/managed-resources"
APP_LIST = "/applications$"


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """The seed scenario, served over loopback."""
    with Simulator(scenarios.seed(now=NOW), token=SIM_TOKEN) as simulator:
        yield simulator


@pytest.fixture(autouse=True)
def _no_leftover_faults(sim: Simulator) -> Iterator[None]:
    yield
    sim.clear_faults()


@pytest.fixture(scope="module")
def settings(sim: Simulator, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing the real adapters at the simulator."""
    kubeconfig = sim.write_kubeconfig(tmp_path_factory.mktemp("kube") / "config")
    return load_settings(
        kubeconfig=str(kubeconfig), argocd_server=sim.argocd_url, argocd_auth_token=SIM_TOKEN
    )


def _service(settings: Settings) -> DriftService:
    """`build_service` with its clock pinned to the scenario's ``now``."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wiring, "utc_now", lambda: NOW)
        return wiring.build_service(settings)


def _close(service: DriftService) -> None:
    """Close the adapters `build_service` gave ``service`` (it has no ``close`` of its own)."""
    for adapter in (service._cluster, service._argo):
        cast(Any, adapter).close()


@pytest.fixture(scope="module")
def service(settings: Settings) -> Iterator[DriftService]:
    """The in-process service, the reference every API answer is compared with."""
    built = _service(settings)
    yield built
    _close(built)


@pytest.fixture(scope="module")
def api_url(service: DriftService) -> Iterator[str]:
    """The API over the in-process service (no cache), as DRIFT_CLASSIFIER_URL would name it."""
    with serving(build_api_app(service, token=API_TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def client(api_url: str) -> Iterator[httpx.Client]:
    """An authenticated HTTP client on the API."""
    with httpx.Client(base_url=api_url + "/api/v1/", headers=AUTH, timeout=30) as http:
        yield http


def _as_json(payload: dict[str, Any]) -> Any:
    return json.loads(json.dumps(payload))


def test_app_findings_equal_the_in_process_scan(
    client: httpx.Client, service: DriftService
) -> None:
    """GET apps/gitea carries exactly the findings an in-process scan of gitea produces."""
    response = client.get("apps/gitea")
    assert response.status_code == 200
    expected = [f.to_json() for f in service.scan(["gitea"]).findings]
    assert response.json()["findings"] == _as_json({"f": expected})["f"]
    assert {f["class"] for f in expected} >= {"schema-defaults", "zombie"}


def test_scan_is_the_cli_json_document(client: httpx.Client, service: DriftService) -> None:
    """GET scan answers ScanReport.to_json() of the same scan, as `scan --format json` prints."""
    response = client.get("scan", params={"app": ["gitea", "argo-rollouts"]})
    assert response.status_code == 200
    assert response.json() == _as_json(service.scan(["gitea", "argo-rollouts"]).to_json())


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer sim-token"}], ids=["none", "wrong"]
)
def test_bad_tokens_cost_no_upstream_call(
    api_url: str, sim: Simulator, headers: dict[str, str]
) -> None:
    """Without the right token the API answers 401 before touching Kubernetes or Argo CD."""
    before = sim.count()
    response = httpx.get(api_url + "/api/v1/apps/gitea", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert sim.count() == before


def test_unknown_app_is_404_with_close_matches(client: httpx.Client) -> None:
    """A misspelt app answers 404 with the names it was probably meant to be."""
    response = client.get("apps/gitee")
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "unknown_app"
    assert "gitea" in body["matches"]


def test_argocd_down_is_503_naming_argocd(client: httpx.Client, sim: Simulator) -> None:
    """With Argo CD answering 503 to every diff, the API answers 503 JSON naming argocd."""
    sim.inject(Fault(api="argocd", path_regex=".*", status=503, times=None))
    response = client.get("apps/gitea")
    assert response.status_code == 503
    body = response.json()
    assert body["source"] == "argocd"
    assert body["setting"] == "ARGOCD_SERVER"


def test_one_failing_app_becomes_an_errors_entry(client: httpx.Client, sim: Simulator) -> None:
    """Argo CD failing for one app only: the scan still answers 200 and names it in errors."""
    sim.inject(Fault(api="argocd", path_regex="/gitea/managed", status=503, times=None))
    response = client.get("scan", params={"app": ["gitea", "root"]})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert any(e["source"] == "argocd" and e["app"] == "gitea" for e in errors)


@pytest.fixture(scope="module")
def kube_down(
    settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DriftService]:
    """A service whose kubeconfig points at a port where nothing listens."""
    config = Path(str(settings.kubeconfig)).read_text(encoding="utf-8")
    broken = tmp_path_factory.mktemp("kube-down") / "config"
    closed = f"http://127.0.0.1:{free_port()}"
    broken.write_text(config.replace(str(_server_of(config)), closed), encoding="utf-8")
    built = _service(settings.model_copy(update={"kubeconfig": str(broken)}))
    yield built
    _close(built)


def _server_of(kubeconfig: str) -> str:
    (line,) = [ln for ln in kubeconfig.splitlines() if "server:" in ln]
    return line.split("server:", 1)[1].strip()


def test_kubernetes_down_is_503_naming_kubernetes(kube_down: DriftService) -> None:
    """With the Kubernetes API unreachable, the API answers 503 JSON whose source is kubernetes."""
    with serving(build_api_app(kube_down, token=API_TOKEN)) as url:
        response = httpx.get(url + "/api/v1/apps/gitea", headers=AUTH, timeout=30)
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "upstream_unavailable"
    assert body["source"] == "kubernetes"
    assert "Traceback" not in response.text


def test_remote_client_relays_kubernetes_down(kube_down: DriftService) -> None:
    """Through a remote client, Kubernetes being down is still an error sourced kubernetes."""
    with serving(build_api_app(kube_down, token=API_TOKEN)) as url:
        remote = RemoteClassifier(url, API_TOKEN)
        with pytest.raises(UpstreamUnavailableError) as caught:
            remote.scan()
        remote.close()
    assert caught.value.source == "kubernetes"


CALLERS = 10


def test_concurrent_identical_requests_cost_one_upstream_call(
    service: DriftService, sim: Simulator
) -> None:
    """Ten simultaneous GET apps/gitea cost one diff fetch; a repeat within the TTL costs none."""
    cache = CachedClassifier(service, ttl=timedelta(seconds=30))
    # Holding gitea's diff for a moment makes the ten requests overlap the one upstream call.
    sim.inject(Fault(api="argocd", path_regex=GITEA_DIFFS, status=200, delay_s=0.3))
    diffs, lists = sim.count("argocd", GITEA_DIFFS), sim.count("kube", APP_LIST)
    with (
        serving(build_api_app(cache, token=API_TOKEN)) as url,
        httpx.Client(base_url=url + "/api/v1/", headers=AUTH, timeout=30) as http,
    ):
        bodies = _concurrently(lambda: http.get("apps/gitea"))
        assert sim.count("argocd", GITEA_DIFFS) - diffs == 1
        assert sim.count("kube", APP_LIST) - lists == 1
        assert all(body == bodies[0] for body in bodies)
        before = sim.count()
        assert http.get("apps/gitea").json() == bodies[0][1]
        assert sim.count() == before


def _concurrently(request: Any) -> list[Any]:
    start = threading.Barrier(CALLERS)
    bodies: list[Any] = [None] * CALLERS

    def call(i: int) -> None:
        start.wait(timeout=5)
        response = request()
        bodies[i] = (response.status_code, response.json())

    threads = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert bodies[0] is not None
    assert bodies[0][0] == 200
    return bodies


def test_remote_mode_answers_like_in_process(api_url: str, service: DriftService) -> None:
    """RemoteClassifier → API → service gives the same reports as calling the service directly."""
    remote = RemoteClassifier(api_url, API_TOKEN)
    try:
        assert remote.app_report("gitea").to_json() == service.app_report("gitea").to_json()
        assert remote.scan().to_json() == service.scan().to_json()
        assert (
            remote.logs_report("argo-rollouts").to_json()
            == service.logs_report("argo-rollouts").to_json()
        )
    finally:
        remote.close()
