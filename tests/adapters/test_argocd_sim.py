"""ArgoClient with real httpx against the seed simulator's Argo CD API over loopback."""

from __future__ import annotations

import json

import pytest

from bot.adapters.argocd import ArgoClient
from bot.errors import (
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import Settings
from bot.simulator import Fault, Simulator

MANAGED = r"/api/v1/applications/gitea/managed-resources"
CRASHING_POD = "argo-rollouts-6b4c4dfbd9-ghl9c"
USERINFO = r"^/api/v1/session/userinfo$"


def test_managed_resources_is_the_raw_body(argo: ArgoClient) -> None:
    """gitea's managed resources arrive raw, with states as JSON strings ("null" when absent)."""
    body = argo.managed_resources("gitea", "argocd")
    items = {(item["kind"], item["name"]): item for item in body["items"]}
    secret = items[("ExternalSecret", "gitea-admin")]
    assert isinstance(secret["targetState"], str)
    assert json.loads(secret["liveState"])["spec"]["target"]["deletionPolicy"] == "Retain"
    zombie = items[("Service", "gitea-redis-cluster")]
    assert zombie["targetState"] == "null"


def test_resource_tree_lists_the_crashing_pod(argo: ArgoClient) -> None:
    """argo-rollouts' resource tree holds the crash-looping pod."""
    tree = argo.resource_tree("argo-rollouts", "argocd")
    pods = [node["name"] for node in tree["nodes"] if node["kind"] == "Pod"]
    assert CRASHING_POD in pods


def test_pod_logs_hold_the_fatal_line(argo: ArgoClient) -> None:
    """The previous log read through Argo CD contains the seed's fatal line."""
    log = argo.pod_logs(
        "argo-rollouts",
        "argocd",
        pod=CRASHING_POD,
        container="argo-rollouts",
        namespace="argo-rollouts",
        previous=True,
        tail_lines=50,
    )
    assert 'level=fatal msg="Failed to download plugins' in log


def test_check_accepts_the_token(sim: Simulator, argo: ArgoClient) -> None:
    """check() passes with the simulator's token, after asking Argo CD about its session."""
    before = sim.count("argocd", USERINFO)
    argo.check()
    assert sim.count("argocd", USERINFO) - before == 1


@pytest.mark.parametrize("status", [503, 429], ids=["unavailable", "throttled"])
def test_retries_wait_retry_after_until_success(
    sim: Simulator, argo: ArgoClient, sleeps: list[float], status: int
) -> None:
    """Two failures then a 200: three requests, each retry waiting the server's Retry-After."""
    before = sim.count("argocd", MANAGED)
    sim.inject(Fault(api="argocd", path_regex=MANAGED, status=status, times=2))
    assert "items" in argo.managed_resources("gitea", "argocd")
    assert sim.count("argocd", MANAGED) - before == 3
    assert sleeps == [1.0, 1.0]  # the simulator answers both with Retry-After: 1


def test_gateway_errors_back_off_exponentially(
    sim: Simulator, argo: ArgoClient, sleeps: list[float]
) -> None:
    """502s without Retry-After are retried after growing, jittered waits."""
    sim.inject(Fault(api="argocd", path_regex=MANAGED, status=502, times=2))
    assert "items" in argo.managed_resources("gitea", "argocd")
    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.2
    assert 0.2 <= sleeps[1] <= 0.4


def test_4xx_is_never_retried(sim: Simulator, argo: ArgoClient, sleeps: list[float]) -> None:
    """A 400 is answered after one request, without waiting."""
    before = sim.count("argocd", MANAGED)
    sim.inject(Fault(api="argocd", path_regex=MANAGED, status=400, times=1))
    with pytest.raises(UpstreamError):
        argo.managed_resources("gitea", "argocd")
    assert sim.count("argocd", MANAGED) - before == 1
    assert sleeps == []


def test_persistent_503_gives_up(sim: Simulator, argo: ArgoClient) -> None:
    """503 on every attempt ends as UpstreamUnavailableError naming ARGOCD_SERVER and the URL."""
    before = sim.count("argocd", MANAGED)
    sim.inject(Fault(api="argocd", path_regex=MANAGED, status=503, times=4))
    with pytest.raises(UpstreamUnavailableError) as info:
        argo.managed_resources("gitea", "argocd")
    assert sim.count("argocd", MANAGED) - before == 4
    assert "ARGOCD_SERVER" in str(info.value)
    assert f"{sim.argocd_url}{MANAGED}" in str(info.value)


def test_a_wrong_token_is_an_auth_error(sim: Simulator) -> None:
    """A token Argo CD rejects raises UpstreamAuthError naming ARGOCD_AUTH_TOKEN."""
    client = ArgoClient(sim.argocd_url, "wrong-token")
    with client, pytest.raises(UpstreamAuthError, match="ARGOCD_AUTH_TOKEN") as info:
        client.managed_resources("gitea", "argocd")
    assert info.value.setting == "ARGOCD_AUTH_TOKEN"


def test_an_unknown_app_is_not_found(argo: ArgoClient) -> None:
    """An app Argo CD does not have raises UpstreamNotFoundError saying both possible causes."""
    with pytest.raises(UpstreamNotFoundError) as info:
        argo.managed_resources("no-such-app", "argocd")
    assert "no such app, or the token may not get it" in str(info.value)
    assert info.value.source == "argocd"


def test_an_unreachable_server_is_unavailable(closed_url: str) -> None:
    """Nothing listening at ARGOCD_SERVER raises UpstreamUnavailableError naming it."""
    client = ArgoClient(closed_url, "t")
    with client, pytest.raises(UpstreamUnavailableError) as info:
        client.managed_resources("gitea", "argocd")
    assert "ARGOCD_SERVER" in str(info.value)
    assert closed_url in str(info.value)


def test_a_malformed_body_is_an_input_error(sim: Simulator, argo: ArgoClient) -> None:
    """A 200 whose body is not JSON raises InputError naming the app and the endpoint."""
    sim.inject(Fault(api="argocd", path_regex=MANAGED, status=200, times=1, body="{not json"))
    with pytest.raises(InputError) as info:
        argo.managed_resources("gitea", "argocd")
    assert "'gitea'" in str(info.value)
    assert MANAGED in str(info.value)


def test_from_settings_talks_to_the_configured_server(sim: Simulator) -> None:
    """ARGOCD_SERVER and ARGOCD_AUTH_TOKEN are all the client needs to read an app."""
    settings = Settings(argocd_server=sim.argocd_url, argocd_auth_token="sim-token")
    with ArgoClient.from_settings(settings) as client:
        client.check()
        assert "items" in client.managed_resources("gitea", "argocd")
