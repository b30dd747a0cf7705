"""ArgoClient against ``httpx.MockTransport``: retry policy and error-mapping edge cases.

The simulator tests (test_argocd_sim.py) cover the real loopback path; these cover answers a
healthy simulator has no reason to give (timeouts, HTML bodies, odd gRPC codes).
"""

from __future__ import annotations

import gc
import json
import logging
from collections.abc import Callable

import httpx
import pytest

from bot import __version__
from bot.adapters.argocd import ArgoClient
from bot.errors import (
    ConfigError,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import Settings

BASE = "https://argocd.example.test"
TOKEN = "unit-token-7f3a"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A MockTransport handler that replays scripted answers and records every request."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client_for(handler: Handler, sleeps: list[float] | None = None, **kwargs: object) -> ArgoClient:
    recorded = sleeps if sleeps is not None else []
    return ArgoClient(
        BASE,
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=recorded.append,
        **kwargs,  # type: ignore[arg-type]
    )


def grpc(status: int, code: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": message, "code": code, "message": message})


def test_managed_resources_sends_token_agent_and_app_namespace() -> None:
    """A managed-resources call carries the bearer token, our User-Agent and appNamespace."""
    rec = Recorder(httpx.Response(200, json={"items": [{"kind": "Service"}]}))
    with client_for(rec) as client:
        body = client.managed_resources("gitea", "argocd")
    assert body == {"items": [{"kind": "Service"}]}
    (request,) = rec.requests
    assert request.url.path == "/api/v1/applications/gitea/managed-resources"
    assert request.url.params["appNamespace"] == "argocd"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["User-Agent"] == f"drift-bot/{__version__}"


def test_empty_app_namespace_is_not_sent() -> None:
    """Without an app namespace the query carries no appNamespace parameter."""
    rec = Recorder(httpx.Response(200, json={}))
    with client_for(rec) as client:
        assert client.resource_tree("gitea", "") == {}
    assert "appNamespace" not in rec.requests[0].url.params
    assert rec.requests[0].url.path == "/api/v1/applications/gitea/resource-tree"


def test_app_names_are_escaped_in_the_path() -> None:
    """An app name with a slash cannot address another endpoint."""
    rec = Recorder(httpx.Response(200, json={}))
    with client_for(rec) as client:
        client.managed_resources("a/b", "argocd")
    assert rec.requests[0].url.raw_path.startswith(b"/api/v1/applications/a%2Fb/")


@pytest.mark.parametrize("status", [502, 503, 504], ids=lambda s: f"http-{s}")
def test_retries_gateway_errors_with_growing_backoff(status: int) -> None:
    """502/503/504 are retried with exponential backoff and jitter until one succeeds."""
    rec = Recorder(httpx.Response(status), httpx.Response(status), httpx.Response(200, json={}))
    sleeps: list[float] = []
    with client_for(rec, sleeps, backoff_s=0.2) as client:
        assert client.managed_resources("gitea", "argocd") == {}
    assert len(rec.requests) == 3
    assert len(sleeps) == 2
    assert 0.1 <= sleeps[0] <= 0.2
    assert 0.2 <= sleeps[1] <= 0.4


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("2", 2.0), ("0", 0.0), ("120", 10.0)],
    ids=["honoured", "zero", "capped"],
)
def test_429_waits_for_retry_after(retry_after: str, expected: float) -> None:
    """A 429 waits the Retry-After seconds (capped at 10 s) before trying again."""
    rec = Recorder(
        httpx.Response(429, headers={"Retry-After": retry_after}), httpx.Response(200, json={})
    )
    sleeps: list[float] = []
    with client_for(rec, sleeps) as client:
        client.managed_resources("gitea", "argocd")
    assert sleeps == [expected]


def test_503_honours_retry_after_but_502_does_not() -> None:
    """Retry-After counts on a 503 (HTTP defines it there) and is ignored on a 502."""
    rec = Recorder(
        httpx.Response(503, headers={"Retry-After": "4"}),
        httpx.Response(502, headers={"Retry-After": "4"}),
        httpx.Response(200, json={}),
    )
    sleeps: list[float] = []
    with client_for(rec, sleeps, backoff_s=0.2) as client:
        client.managed_resources("gitea", "argocd")
    assert sleeps[0] == 4.0
    assert 0.2 <= sleeps[1] <= 0.4


def test_429_with_a_date_retry_after_uses_backoff() -> None:
    """A Retry-After in HTTP-date form falls back to the exponential backoff."""
    rec = Recorder(
        httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        httpx.Response(200, json={}),
    )
    sleeps: list[float] = []
    with client_for(rec, sleeps, backoff_s=1.0) as client:
        client.managed_resources("gitea", "argocd")
    assert len(sleeps) == 1
    assert 0.5 <= sleeps[0] <= 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 500], ids=lambda s: f"http-{s}")
def test_client_errors_and_500_are_not_retried(status: int) -> None:
    """4xx answers and a plain 500 fail at once, after exactly one request."""
    rec = Recorder(httpx.Response(status, json={"message": "nope"}))
    sleeps: list[float] = []
    with client_for(rec, sleeps) as client, pytest.raises(UpstreamError):
        client.managed_resources("gitea", "argocd")
    assert len(rec.requests) == 1
    assert sleeps == []


def test_gives_up_after_the_retries() -> None:
    """A 503 that persists ends as UpstreamUnavailableError naming ARGOCD_SERVER and the URL."""
    rec = Recorder(httpx.Response(503, text="upstream connect error"))
    with client_for(rec, retries=2) as client, pytest.raises(UpstreamUnavailableError) as info:
        client.managed_resources("gitea", "argocd")
    assert len(rec.requests) == 3
    message = str(info.value)
    assert "ARGOCD_SERVER" in message
    assert f"{BASE}/api/v1/applications/gitea/managed-resources" in message
    assert "after 3 attempts" in message
    assert info.value.source == "argocd"
    assert info.value.setting == "ARGOCD_SERVER"


def test_timeouts_are_retried_then_succeed() -> None:
    """A read timeout is retried like a 503."""
    rec = Recorder(httpx.ReadTimeout("slow"), httpx.Response(200, json={"items": []}))
    sleeps: list[float] = []
    with client_for(rec, sleeps) as client:
        assert client.managed_resources("gitea", "argocd") == {"items": []}
    assert len(rec.requests) == 2
    assert len(sleeps) == 1


def test_persistent_timeouts_end_unavailable_with_cause() -> None:
    """Timeouts on every attempt raise UpstreamUnavailableError chained to httpx's error."""
    rec = Recorder(httpx.ConnectTimeout("no answer"))
    with client_for(rec, retries=1) as client, pytest.raises(UpstreamUnavailableError) as info:
        client.check()
    assert len(rec.requests) == 2
    assert isinstance(info.value.__cause__, httpx.ConnectTimeout)
    assert "timed out 2 times" in str(info.value)


def test_refused_connections_are_not_retried() -> None:
    """A refused connection fails at once: nothing listens, waiting will not change that."""
    rec = Recorder(httpx.ConnectError("connection refused"))
    with client_for(rec) as client, pytest.raises(UpstreamUnavailableError) as info:
        client.managed_resources("gitea", "argocd")
    assert len(rec.requests) == 1
    assert "ARGOCD_SERVER" in str(info.value)
    assert BASE in str(info.value)


# Factor matrix: HTTP status x gRPC code of the body -> error class and the setting it blames.
ERROR_MATRIX = [
    pytest.param(401, 16, UpstreamAuthError, "ARGOCD_AUTH_TOKEN", "rejected the token", id="401"),
    pytest.param(200, 16, UpstreamAuthError, "ARGOCD_AUTH_TOKEN", "rejected the token", id="c16"),
    pytest.param(403, 7, UpstreamNotFoundError, "ARGOCD_AUTH_TOKEN", "no such app", id="403"),
    pytest.param(400, 7, UpstreamNotFoundError, "ARGOCD_AUTH_TOKEN", "project role", id="c7"),
    pytest.param(404, 5, UpstreamNotFoundError, "ARGOCD_SERVER", "could not find the", id="404"),
    pytest.param(400, 5, UpstreamNotFoundError, "ARGOCD_SERVER", "could not find the", id="code-5"),
    pytest.param(500, 13, UpstreamUnavailableError, "ARGOCD_SERVER", "HTTP 500", id="500"),
    pytest.param(400, 3, UpstreamError, "ARGOCD_SERVER", "HTTP 400", id="400-other"),
]


@pytest.mark.parametrize(("status", "code", "error", "setting", "fragment"), ERROR_MATRIX)
def test_error_answers_map_to_the_error_tree(
    status: int, code: int, error: type[UpstreamError], setting: str, fragment: str
) -> None:
    """Each HTTP status / gRPC code pair becomes one error class blaming the right setting."""
    status = status if status >= 400 else 400  # a gRPC code only matters on an error status
    rec = Recorder(grpc(status, code, "permission denied"))
    with client_for(rec) as client, pytest.raises(UpstreamError) as info:
        client.managed_resources("gitea", "argocd")
    assert type(info.value) is error
    assert info.value.setting == setting
    assert info.value.source == "argocd"
    assert fragment in str(info.value)


def test_forbidden_outside_an_app_is_an_auth_error() -> None:
    """A 403 on the session endpoint blames the token's role, not an app name."""
    rec = Recorder(grpc(403, 7, "permission denied"))
    with client_for(rec) as client, pytest.raises(UpstreamAuthError) as info:
        client.check()
    assert "ARGOCD_AUTH_TOKEN" in str(info.value)


def test_error_bodies_are_truncated() -> None:
    """A huge error body is cut short in the message."""
    rec = Recorder(httpx.Response(400, text="x" * 5000))
    with client_for(rec) as client, pytest.raises(UpstreamError) as info:
        client.managed_resources("gitea", "argocd")
    assert len(str(info.value)) < 600
    assert "…" in str(info.value)


@pytest.mark.parametrize(
    "body",
    ["<html>login</html>", '{"items": [', "[1, 2]"],
    ids=["html", "truncated-json", "json-list"],
)
def test_malformed_bodies_are_input_errors(body: str) -> None:
    """A 200 whose body is not a JSON object raises InputError naming the app and endpoint."""
    rec = Recorder(httpx.Response(200, text=body))
    with client_for(rec) as client, pytest.raises(InputError) as info:
        client.managed_resources("gitea", "argocd")
    assert "'gitea'" in str(info.value)
    assert "/api/v1/applications/gitea/managed-resources" in str(info.value)


def ndjson(*entries: object) -> httpx.Response:
    return httpx.Response(200, text="\n".join(json.dumps(e) for e in entries) + "\n")


def test_pod_logs_join_the_stream_contents() -> None:
    """The NDJSON log stream becomes its contents joined by newlines, without the last marker."""
    rec = Recorder(
        ndjson(
            {
                "result": {
                    "content": "starting",
                    "podName": "p",
                    "timeStamp": "2026-01-01T00:00:00Z",
                }
            },
            {"result": {"content": 'level=fatal msg="boom"', "podName": "p"}},
            {"result": {"podName": "p", "last": True}},
        )
    )
    with client_for(rec) as client:
        text = client.pod_logs(
            "argo-rollouts",
            "argocd",
            pod="argo-rollouts-6b4c4dfbd9-ghl9c",
            container="argo-rollouts",
            namespace="argo-rollouts",
            previous=True,
            tail_lines=50,
        )
    assert text == 'starting\nlevel=fatal msg="boom"'
    (request,) = rec.requests
    assert request.url.path == (
        "/api/v1/applications/argo-rollouts/pods/argo-rollouts-6b4c4dfbd9-ghl9c/logs"
    )
    params = request.url.params
    assert params["previous"] == "true"
    assert params["tailLines"] == "50"
    assert params["container"] == "argo-rollouts"
    assert params["namespace"] == "argo-rollouts"
    assert params["follow"] == "false"


def test_pod_log_stream_errors_raise() -> None:
    """An error entry inside the log stream raises the mapped error."""
    rec = Recorder(
        ndjson({"error": {"grpc_code": 5, "http_code": 404, "message": "pod not found"}})
    )
    with client_for(rec) as client, pytest.raises(UpstreamNotFoundError) as info:
        client.pod_logs(
            "a", "argocd", pod="p", container="c", namespace="n", previous=False, tail_lines=5
        )
    assert "pod not found" in str(info.value)


def test_pod_log_blank_lines_are_skipped() -> None:
    """Blank keep-alive lines between entries add nothing to the log."""
    rec = Recorder(
        httpx.Response(200, text='\n{"result": {"content": "a"}}\n\n{"result": {"content": "b"}}\n')
    )
    with client_for(rec) as client:
        text = client.pod_logs(
            "a", "argocd", pod="p", container="c", namespace="n", previous=False, tail_lines=5
        )
    assert text == "a\nb"


@pytest.mark.parametrize("line", ["not json", "[1]"], ids=["not-json", "not-object"])
def test_pod_log_garbage_lines_are_input_errors(line: str) -> None:
    """A log stream line that is not JSON raises InputError naming the pod."""
    rec = Recorder(httpx.Response(200, text='{"result": {"content": "ok"}}\n' + line + "\n"))
    with client_for(rec) as client, pytest.raises(InputError) as info:
        client.pod_logs(
            "a", "argocd", pod="p", container="c", namespace="n", previous=False, tail_lines=5
        )
    assert "n/p" in str(info.value)


@pytest.mark.parametrize(
    ("body", "ok"), [({"loggedIn": True}, True), ({"loggedIn": False}, False)], ids=["in", "out"]
)
def test_check_requires_a_logged_in_session(body: dict[str, bool], ok: bool) -> None:
    """check() passes only when Argo CD reports our token as logged in."""
    rec = Recorder(httpx.Response(200, json=body))
    with client_for(rec) as client:
        if ok:
            client.check()
        else:
            with pytest.raises(UpstreamAuthError, match="ARGOCD_AUTH_TOKEN"):
                client.check()
    assert rec.requests[0].url.path == "/api/v1/session/userinfo"


def test_each_request_logs_one_info_line_without_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every attempt logs method, path, status and duration, and never the token."""
    rec = Recorder(httpx.Response(503), httpx.Response(200, json={}))
    caplog.set_level(logging.INFO, logger="bot.adapters.argocd")
    with client_for(rec) as client:
        client.managed_resources("gitea", "argocd")
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.adapters.argocd"]
    assert len(lines) == 2
    assert "GET /api/v1/applications/gitea/managed-resources -> 503" in lines[0]
    assert lines[1].endswith(" ms")
    assert all(TOKEN not in line for line in lines)


def test_from_settings_requires_the_server() -> None:
    """Without ARGOCD_SERVER the client refuses to start and names the variable."""
    settings = Settings(argocd_auth_token="t")
    with pytest.raises(ConfigError, match="ARGOCD_SERVER"):
        ArgoClient.from_settings(settings)


def test_from_settings_requires_the_token() -> None:
    """Without ARGOCD_AUTH_TOKEN the client refuses to start and names the variable."""
    settings = Settings(argocd_server=BASE)
    with pytest.raises(ConfigError, match="ARGOCD_AUTH_TOKEN"):
        ArgoClient.from_settings(settings)


def test_answers_leave_no_cyclic_garbage() -> None:
    """A read response is freed when dropped, body and all, without the cyclic collector.

    httpx binds a response's stream back to the response; a scan pauses the collector, so
    left as it is every diff body would stay in memory until the scan ends.
    """
    body = {"items": [{"kind": "Service", "liveState": "x" * 10_000}]}
    with client_for(lambda _: httpx.Response(200, json=body)) as client:
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(5):
                assert client.managed_resources("gitea", "argocd") == body
            gc.collect()
            leftovers = {
                type(o).__name__ for o in gc.garbage if type(o).__module__.startswith("httpx")
            }
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
    assert leftovers == set()
