"""The classification API over real HTTP: routes, bearer auth, JSON errors, the OpenAPI document."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.delivery.api import build_api_app
from bot.errors import (
    InputError,
    StoreError,
    UnknownAppError,
    UpstreamAuthError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from tests.delivery.api.api_fakes import (
    API_TOKEN,
    FakeClassifier,
    app_report,
    mounted,
    scan_report,
    serving,
    stuck_app,
)

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
DIGEST = {"date": "2026-04-25", "new": 3, "resolved": 1}


@pytest.fixture(scope="module")
def shared_fake() -> FakeClassifier:
    """One fake behind the module's servers (starting a server per test is the slow part)."""
    return FakeClassifier()


@pytest.fixture(autouse=True)
def fake(shared_fake: FakeClassifier) -> FakeClassifier:
    """The module's fake, reset for every test so none inherits another's injected error."""
    shared_fake.reset()
    return shared_fake


@pytest.fixture(scope="module", params=["standalone", "mounted"])
def client(request: pytest.FixtureRequest, shared_fake: FakeClassifier) -> Iterator[httpx.Client]:
    """An HTTP client on the API, served alone or mounted under /api/v1 by a router."""
    app = build_api_app(shared_fake, token=API_TOKEN, digest=lambda: DIGEST)
    if request.param == "mounted":
        app = mounted(app)
    with serving(app) as url, httpx.Client(base_url=url + "/api/v1/") as http:
        yield http


def _json(response: httpx.Response) -> Any:
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    return response.json()


# --- the endpoints --------------------------------------------------------------------------


def test_scan_body_is_the_reports_json(client: httpx.Client, fake: FakeClassifier) -> None:
    """GET scan answers 200 with exactly ScanReport.to_json(), the CLI's JSON document."""
    response = client.get("scan", headers=AUTH)
    assert response.status_code == 200
    assert _json(response) == json.loads(json.dumps(scan_report().to_json()))
    assert fake.calls == [("scan", ())]


def test_scan_app_parameters_select_apps(client: httpx.Client, fake: FakeClassifier) -> None:
    """Repeated ``?app=`` parameters reach the classifier as the ``only`` list, in order."""
    response = client.get("scan", params=[("app", "gitea"), ("app", "immich")], headers=AUTH)
    assert response.status_code == 200
    assert fake.calls == [("scan", ("gitea", "immich"))]


def test_app_endpoint_returns_the_app_report(client: httpx.Client, fake: FakeClassifier) -> None:
    """GET apps/{name} answers with that app's report as JSON."""
    response = client.get("apps/gitea", headers=AUTH)
    assert response.status_code == 200
    assert _json(response) == json.loads(json.dumps(app_report("gitea").to_json()))
    assert fake.calls == [("app", "gitea")]


def test_logs_endpoint_returns_the_stuck_diagnosis(
    client: httpx.Client, fake: FakeClassifier
) -> None:
    """GET apps/{name}/logs answers with the app's pods and log lines as JSON."""
    response = client.get("apps/argo-rollouts/logs", headers=AUTH)
    assert response.status_code == 200
    assert _json(response) == json.loads(json.dumps(stuck_app("argo-rollouts").to_json()))
    assert fake.calls == [("logs", "argo-rollouts")]


def test_percent_encoded_names_are_decoded(client: httpx.Client, fake: FakeClassifier) -> None:
    """An app name sent percent-encoded reaches the classifier decoded."""
    client.get("apps/argo-apps_r%C3%B6llouts", headers=AUTH)
    assert fake.calls == [("app", "argo-apps_röllouts")]


def test_digest_endpoint_returns_the_digest(client: httpx.Client) -> None:
    """GET digest answers with what the digest callable built."""
    response = client.get("digest", headers=AUTH)
    assert response.status_code == 200
    assert _json(response) == DIGEST


def test_digest_without_a_builder_is_404(fake: FakeClassifier) -> None:
    """Without a digest builder, GET digest answers 404 "digest not configured"."""
    app = build_api_app(fake, token=API_TOKEN)
    with serving(app) as url:
        response = httpx.get(url + "/api/v1/digest", headers=AUTH)
    assert response.status_code == 404
    assert _json(response) == {"error": "not_found", "message": "digest not configured"}


# --- auth -------------------------------------------------------------------------------------

BAD_AUTH: dict[str, Any] = {
    "no-header": {},
    "wrong-token": {"Authorization": "Bearer not-the-token"},
    "token-prefix": {"Authorization": f"Bearer {API_TOKEN[:-1]}"},
    "basic-scheme": {"Authorization": f"Basic {API_TOKEN}"},
    "bare-token": {"Authorization": API_TOKEN},
    "non-ascii": {b"Authorization": "Bearer tökén".encode()},
}


@pytest.mark.parametrize("headers", BAD_AUTH.values(), ids=BAD_AUTH.keys())
@pytest.mark.parametrize("path", ["scan", "apps/gitea", "apps/gitea/logs", "digest", "nowhere"])
def test_requests_without_the_token_get_401(
    client: httpx.Client, fake: FakeClassifier, headers: Any, path: str
) -> None:
    """Every endpoint but openapi.json answers 401 with a Bearer challenge to a bad token."""
    response = client.get(path, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    body = _json(response)
    assert body["error"] == "unauthorized"
    assert "DRIFT_API_TOKEN" in body["message"]
    assert fake.calls == []


def test_bearer_scheme_is_case_insensitive(client: httpx.Client) -> None:
    """``bearer`` in lower case is accepted, as RFC 6750 allows."""
    response = client.get("scan", headers={"Authorization": f"bearer {API_TOKEN}"})
    assert response.status_code == 200


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
def test_without_a_configured_token_the_api_refuses_to_serve(
    fake: FakeClassifier, token: str | None
) -> None:
    """With DRIFT_API_TOKEN unset, every data endpoint answers 503 naming the variable."""
    app = build_api_app(fake, token=token)
    with serving(app) as url:
        for headers in ({}, {"Authorization": "Bearer anything"}, AUTH):
            response = httpx.get(url + "/api/v1/scan", headers=headers)
            assert response.status_code == 503
            body = _json(response)
            assert body["error"] == "not_configured"
            assert body["setting"] == "DRIFT_API_TOKEN"
            assert "DRIFT_API_TOKEN is unset" in body["message"]
    assert fake.calls == []


# --- errors -----------------------------------------------------------------------------------

ERRORS = {
    "unknown-app": (
        UnknownAppError("gitee", ["gitea", "gitea-extras"]),
        404,
        {"error": "unknown_app", "app": "gitee", "matches": ["gitea", "gitea-extras"]},
    ),
    "bad-input": (InputError("$.metadata.name: missing"), 400, {"error": "bad_request"}),
    "argocd-refuses": (
        UpstreamAuthError(
            "Argo CD refused the token", source="argocd", setting="ARGOCD_AUTH_TOKEN"
        ),
        502,
        {"error": "upstream_auth", "source": "argocd", "setting": "ARGOCD_AUTH_TOKEN"},
    ),
    "kubernetes-down": (
        UpstreamUnavailableError("connection refused", source="kubernetes", setting="KUBECONFIG"),
        503,
        {"error": "upstream_unavailable", "source": "kubernetes", "setting": "KUBECONFIG"},
    ),
    "argocd-404": (
        UpstreamNotFoundError("no such thing", source="argocd", setting="ARGOCD_SERVER"),
        503,
        {"error": "upstream_unavailable", "source": "argocd"},
    ),
    "redis-down": (
        StoreError("redis unreachable"),
        503,
        {"error": "store_unavailable", "source": "redis", "setting": "REDIS_URL"},
    ),
}


@pytest.mark.parametrize(("error", "status", "expected"), ERRORS.values(), ids=ERRORS.keys())
def test_errors_become_json_with_their_status(
    client: httpx.Client,
    fake: FakeClassifier,
    error: Exception,
    status: int,
    expected: dict[str, Any],
) -> None:
    """Each deliberate error maps to its status and a JSON body carrying its message."""
    fake.error = error
    response = client.get("apps/gitee", headers=AUTH)
    assert response.status_code == status
    body = _json(response)
    assert body | expected == body
    assert body["message"] == str(error)


def test_unexpected_errors_are_500_without_details(
    client: httpx.Client, fake: FakeClassifier, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug answers 500 {"error": "internal"}; the traceback goes only to the log."""
    fake.error = KeyError("secret-detail")
    with caplog.at_level(logging.ERROR, logger="bot.delivery.api"):
        response = client.get("scan", headers=AUTH)
    assert response.status_code == 500
    body = _json(response)
    assert body["error"] == "internal"
    assert "secret-detail" not in response.text
    assert "Traceback" not in response.text
    (record,) = caplog.records
    assert record.exc_info is not None
    assert record.exc_info[1] is fake.error


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD"])
def test_other_methods_are_405(client: httpx.Client, method: str) -> None:
    """Anything but GET answers 405 with ``Allow: GET``."""
    response = client.request(method, "scan", headers=AUTH)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize("path", ["nowhere", "apps", "apps/", "apps/gitea/pods", "apps//logs"])
def test_unknown_endpoints_are_404(client: httpx.Client, path: str) -> None:
    """Paths outside the API answer 404 JSON, after authentication."""
    response = client.get(path, headers=AUTH)
    assert response.status_code == 404
    assert _json(response)["error"] == "not_found"


def test_unknown_query_parameters_are_400(client: httpx.Client, fake: FakeClassifier) -> None:
    """A misspelt parameter (``apps=`` for ``app=``) answers 400 naming it."""
    response = client.get("scan", params={"apps": "gitea"}, headers=AUTH)
    assert response.status_code == 400
    assert "'apps'" in _json(response)["message"]
    assert fake.calls == []


# --- OpenAPI ----------------------------------------------------------------------------------


def test_openapi_is_public_and_describes_the_four_endpoints(client: httpx.Client) -> None:
    """openapi.json needs no token and is an OpenAPI 3.1 document with the API's paths."""
    response = client.get("openapi.json")
    assert response.status_code == 200
    doc = _json(response)
    assert doc["openapi"].startswith("3.1.")
    assert {"/scan", "/apps/{name}", "/apps/{name}/logs", "/digest"} <= set(doc["paths"])
    assert doc["servers"] == [{"url": "/api/v1"}]
    assert doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_references_all_resolve(client: httpx.Client) -> None:
    """Every $ref in the document points at a schema the document defines."""
    doc = client.get("openapi.json").json()
    schemas = doc["components"]["schemas"]
    refs = set(_refs(doc))
    assert refs
    assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= set(schemas)


def test_openapi_schemas_list_every_field_the_model_writes(client: httpx.Client) -> None:
    """The ScanReport, Finding, StuckApp and AppReport schemas name exactly the JSON keys
    (with the optional ``fleet_as_of`` of answers from serve's watched model)."""
    schemas = client.get("openapi.json").json()["components"]["schemas"]
    as_of = scan_report().generated_at
    report = dataclasses.replace(scan_report(), fleet_as_of=as_of).to_json()
    assert set(schemas["ScanReport"]["properties"]) == set(report)
    assert set(schemas["Finding"]["properties"]) == set(report["findings"][0])
    assert set(schemas["StuckApp"]["properties"]) == set(report["stuck"][0])
    assert set(schemas["PodDiagnosis"]["properties"]) == set(report["stuck"][0]["pods"][0])
    watched = dataclasses.replace(app_report(), fleet_as_of=as_of)
    assert set(schemas["AppReport"]["properties"]) == set(watched.to_json())
