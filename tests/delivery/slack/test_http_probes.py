"""The rest of the HTTP surface: probes, metrics, the mounted API, and unknown paths."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest

from tests.delivery.slack.conftest import Served, response_json
from tests.fakes.slack_api import wait_for

ServeFn = Callable[..., Served]


def test_healthz_answers_while_serving(serve: ServeFn) -> None:
    """Liveness is 200 whenever the process serves HTTP."""
    status, body, _ = serve(ready=lambda: False).get("/healthz")
    assert (status, response_json(body)) == (200, {"status": "ok"})


def _raise() -> bool:
    raise ConnectionError("kube API timed out")


@pytest.mark.parametrize(
    ("ready", "status", "body"),
    [
        pytest.param(
            lambda: True, 200, {"status": "ready", "checks": {"upstreams": True}}, id="bool-up"
        ),
        pytest.param(
            lambda: False,
            503,
            {"status": "not ready", "down": ["upstreams"], "checks": {"upstreams": False}},
            id="bool-down",
        ),
        pytest.param(
            lambda: {"kubernetes": True, "argocd": False},
            503,
            {
                "status": "not ready",
                "down": ["argocd"],
                "checks": {"kubernetes": True, "argocd": False},
            },
            id="names-what-is-down",
        ),
        pytest.param(
            _raise,
            503,
            {"status": "not ready", "down": ["readiness check"], "error": "ConnectionError"},
            id="check-raises",
        ),
    ],
)
def test_readyz_reports_upstreams(
    serve: ServeFn, ready: Callable[[], Any], status: int, body: Mapping[str, Any]
) -> None:
    """Readiness is 200 only when upstreams are reachable, else 503 naming what is down."""
    got_status, got_body, _ = serve(ready=ready).get("/readyz")
    assert (got_status, response_json(got_body)) == (status, body)


def test_metrics_count_commands(serve: ServeFn) -> None:
    """/metrics exposes command outcomes and scan timings in Prometheus text format."""
    served = serve()
    served.command("app gitea")
    wait_for(lambda: served.fake.responses())
    status, body, _ = served.get("/metrics")
    assert status == 200
    assert 'drift_commands_total{command="app",outcome="ok"} 1.0' in body
    assert 'drift_scan_duration_seconds_count{use_case="app"} 1.0' in body


def _echo_api(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{environ['SCRIPT_NAME']}|{environ['PATH_INFO']}".encode()]


@pytest.mark.parametrize(
    ("path", "seen"),
    [
        pytest.param("/api/v1/scan", "/api/v1|/scan", id="scan"),
        pytest.param("/api/v1/apps/gitea/logs", "/api/v1|/apps/gitea/logs", id="nested"),
        pytest.param("/api/v1", "/api/v1|", id="root"),
    ],
)
def test_api_is_mounted(serve: ServeFn, path: str, seen: str) -> None:
    """The classification API sees paths relative to /api/v1, with the prefix in SCRIPT_NAME."""
    status, body, _ = serve(api=_echo_api).get(path)
    assert (status, body) == (200, seen)


@pytest.mark.parametrize(
    ("path", "api"),
    [
        pytest.param("/nope", None, id="unknown"),
        pytest.param("/api/v1/scan", None, id="api-not-mounted"),
        pytest.param("/api/v10", _echo_api, id="prefix-is-not-a-match"),
    ],
)
def test_unknown_paths_are_json_404(serve: ServeFn, path: str, api: Any) -> None:
    """Anything unrouted is a JSON 404 naming the path."""
    status, body, _ = serve(api=api).get(path)
    assert (status, response_json(body)) == (404, {"error": "not found", "path": path})


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        pytest.param("GET", "/slack/events", 405, id="get-slack"),
        pytest.param("POST", "/healthz", 405, id="post-healthz"),
    ],
)
def test_wrong_method_is_405(serve: ServeFn, method: str, path: str, status: int) -> None:
    """Known paths refuse the wrong HTTP method instead of pretending they do not exist."""
    served = serve()
    if method == "GET":
        got, _, _ = served.get(path)
    else:
        got, _, _ = served.post(path, "", {})
    assert got == status
