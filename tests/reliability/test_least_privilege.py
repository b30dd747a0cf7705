"""Least privilege: everything the bot does reads with GET, and it never reads a Secret.

The simulator records every request before answering it, so these tests see exactly what the
bot sent to Kubernetes and Argo CD, write verbs included (the simulator would refuse them, but
it records them first). Covered: a scan, an app report, a logs report, and the classification
API answering the same questions; on the seed cluster and on one whose drift *is* Secrets (a
drifted Secret and a Secret zombie, whose users the zombie check must look up).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.delivery.api import build_api_app
from bot.service.scan import DriftService
from bot.simulator import Simulator
from tests.reliability import scenes
from tests.reliability.support import make_service

API_TOKEN = "reliability-api-token"


@pytest.fixture
def leaky_sim() -> Iterator[Simulator]:
    with Simulator(scenes.leaky(), token=scenes.SIM_TOKEN) as sim:
        yield sim


def _ask_everything(service: DriftService, app: str, stuck: str) -> None:
    """Scan, app report and logs report, directly and through the classification API."""
    service.scan()
    service.app_report(app)
    service.logs_report(stuck)
    api = build_api_app(service, token=API_TOKEN)
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    with httpx.Client(
        transport=httpx.WSGITransport(app=api), base_url="http://api", headers=headers
    ) as client:
        for path in ("scan", f"apps/{app}", f"apps/{stuck}/logs"):
            assert client.get(f"/{path}").status_code == 200


def _assert_read_only(sim: Simulator) -> None:
    requests = sim.requests
    assert {r.api for r in requests} == {"kube", "argocd"}, "both APIs were used"
    assert any(r.path.endswith("/log") for r in requests), "pod logs were read"
    assert {r.method for r in requests} == {"GET"}
    assert [r.path for r in requests if "secrets" in r.path.split("/")] == []


def test_the_seed_cluster_is_only_read(seed_sim: Simulator, tmp_path: Path) -> None:
    """Seed cluster, every question: only GETs, and no path under ``secrets``."""
    service = make_service(seed_sim, tmp_path)
    try:
        _ask_everything(service, "gitea", "argo-rollouts")
    finally:
        service.close()
    _assert_read_only(seed_sim)


def test_secrets_that_drift_are_never_read_from_the_cluster(
    leaky_sim: Simulator, tmp_path: Path
) -> None:
    """A drifted Secret and a Secret zombie: their users are looked up, the Secrets never."""
    service = make_service(leaky_sim, tmp_path)
    try:
        _ask_everything(service, "payments", "payments")
    finally:
        service.close()
    _assert_read_only(leaky_sim)
    # Its users are pods of its own namespace, all of them (no selector: not a workload's).
    looked_up = {
        r.path for r in leaky_sim.requests if r.api == "kube" and "labelSelector" not in r.query
    }
    assert "/api/v1/namespaces/payments/pods" in looked_up, (
        "the zombie Secret's users were searched"
    )
