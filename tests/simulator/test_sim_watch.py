"""The simulator's ?watch=true, read raw: chunked JSON lines, bookmarks, 410 Expired events."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest

from bot.adapters.kube.watch import Backoff
from bot.simulator import Simulator, scenarios
from bot.simulator.http.watch import WatchHub

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
APPS = "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    simulator = Simulator(scenarios.generated(6, 2, NOW))
    simulator.watches = WatchHub(bookmark_s=0.2)
    with simulator:
        yield simulator


def _get(sim: Simulator, path: str) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(sim.kube_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    conn.request("GET", path, headers={"Authorization": f"Bearer {sim.token}"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def _events(body: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in body.splitlines() if line]


def test_a_watch_streams_changes_after_its_resource_version_then_bookmarks(
    sim: Simulator,
) -> None:
    _, _, listed = _get(sim, APPS)
    version = json.loads(listed)["metadata"]["resourceVersion"]
    app = sim.scenario.applications[0]
    threading.Timer(0.1, sim.change, args=(app,)).start()
    query = f"?watch=true&resourceVersion={version}&allowWatchBookmarks=true&timeoutSeconds=1"
    status, headers, body = _get(sim, APPS + query)
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    events = _events(body)
    assert events[0]["type"] == "MODIFIED"
    changed = events[0]["object"]
    assert isinstance(changed, dict)
    assert changed["metadata"]["name"] == app["metadata"]["name"]
    assert int(changed["metadata"]["resourceVersion"]) > int(version)
    assert {e["type"] for e in events[1:]} == {"BOOKMARK"}


def test_a_watch_from_a_compacted_resource_version_gets_410_expired(sim: Simulator) -> None:
    _, _, listed = _get(sim, APPS)
    version = json.loads(listed)["metadata"]["resourceVersion"]
    sim.expire_watch_history()
    status, _, body = _get(sim, APPS + f"?watch=true&resourceVersion={version}")
    assert status == 200
    (event,) = _events(body)
    assert event["type"] == "ERROR"
    assert isinstance(event["object"], dict)
    assert event["object"]["code"] == 410
    assert event["object"]["reason"] == "Expired"
    assert "too old resource version" in str(event["object"]["message"])


def test_other_namespaces_and_kinds_are_not_streamed(sim: Simulator) -> None:
    app = sim.scenario.applications[0]
    _, _, listed = _get(sim, APPS)
    version = json.loads(listed)["metadata"]["resourceVersion"]
    sim.change(app)
    other = "/apis/argoproj.io/v1alpha1/namespaces/team-apps/applications"
    _, _, body = _get(sim, other + f"?watch=true&resourceVersion={version}&timeoutSeconds=1")
    assert _events(body) == []


def test_backoff_grows_to_its_cap_with_jitter() -> None:
    backoff = Backoff(base_s=1, cap_s=8)
    delays = [backoff.delay(n) for n in range(1, 7)]
    assert 0.5 <= delays[0] <= 1
    assert 4 <= delays[3] <= 8
    assert all(4 <= d <= 8 for d in delays[3:])
