"""`RemoteClassifier`: the same objects and the same errors as in-process, across HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.adapters.remote_classifier import RemoteClassifier
from bot.delivery.api import build_api_app
from bot.errors import (
    ConfigError,
    DriftBotError,
    InputError,
    UnknownAppError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import load_settings
from tests.conftest import free_port
from tests.delivery.api.api_fakes import (
    API_TOKEN,
    FakeClassifier,
    app_report,
    scan_report,
    serving,
    stuck_app,
)


@pytest.fixture(scope="module")
def shared_fake() -> FakeClassifier:
    """One fake behind the module's server."""
    return FakeClassifier()


@pytest.fixture(autouse=True)
def fake(shared_fake: FakeClassifier) -> FakeClassifier:
    """The module's fake, reset for every test."""
    shared_fake.reset()
    return shared_fake


@pytest.fixture(scope="module")
def api_url(shared_fake: FakeClassifier) -> Iterator[str]:
    """Base URL of the API served over the fake (what DRIFT_CLASSIFIER_URL would hold)."""
    with serving(build_api_app(shared_fake, token=API_TOKEN)) as url:
        yield url


@pytest.fixture
def remote(api_url: str) -> Iterator[RemoteClassifier]:
    """A remote classifier with the right token."""
    client = RemoteClassifier(api_url, API_TOKEN)
    yield client
    client.close()


# --- answers ----------------------------------------------------------------------------------


def test_scan_decodes_to_the_servers_report(remote: RemoteClassifier, fake: FakeClassifier) -> None:
    """scan() returns a ScanReport equal to the one the server-side classifier returned."""
    assert remote.scan() == scan_report()
    assert fake.calls == [("scan", ())]


def test_scan_forwards_selected_apps(remote: RemoteClassifier, fake: FakeClassifier) -> None:
    """scan(only) sends each name as an ``app`` parameter, in order."""
    remote.scan(["immich", "gitea"])
    assert fake.calls == [("scan", ("immich", "gitea"))]


def test_app_report_decodes_to_the_servers_report(remote: RemoteClassifier) -> None:
    """app_report() returns an AppReport equal to the server-side one."""
    assert remote.app_report("gitea") == app_report("gitea")


def test_logs_report_decodes_to_the_servers_diagnosis(remote: RemoteClassifier) -> None:
    """logs_report() returns a StuckApp equal to the server-side one."""
    assert remote.logs_report("argo-rollouts") == stuck_app("argo-rollouts")


@pytest.mark.parametrize("name", ["a b", "ns_app", "röllouts", "50%", "a?b#c"])
def test_names_travel_as_one_path_segment(
    remote: RemoteClassifier, fake: FakeClassifier, name: str
) -> None:
    """Names with spaces, non-ASCII or URL syntax reach the server unchanged."""
    remote.app_report(name)
    remote.logs_report(name)
    assert fake.calls == [("app", name), ("logs", name)]


def test_base_url_may_end_with_a_slash(api_url: str) -> None:
    """``http://host:port/`` and ``http://host:port`` address the same API."""
    client = RemoteClassifier(api_url + "/", API_TOKEN)
    try:
        assert client.app_report("gitea") == app_report("gitea")
    finally:
        client.close()


# --- errors relayed from the server -------------------------------------------------------------

RELAYED: dict[str, tuple[DriftBotError, type[DriftBotError], dict[str, str]]] = {
    "kubernetes-down": (
        UpstreamUnavailableError("connection refused", source="kubernetes", setting="KUBECONFIG"),
        UpstreamUnavailableError,
        {"source": "kubernetes", "setting": "KUBECONFIG"},
    ),
    "argocd-refuses": (
        UpstreamAuthError("token expired", source="argocd", setting="ARGOCD_AUTH_TOKEN"),
        UpstreamAuthError,
        {"source": "argocd", "setting": "ARGOCD_AUTH_TOKEN"},
    ),
    "bad-input": (InputError("$.spec: expected an object"), InputError, {}),
}


@pytest.mark.parametrize(("error", "kind", "attrs"), RELAYED.values(), ids=RELAYED.keys())
def test_server_errors_keep_their_kind_source_and_message(
    remote: RemoteClassifier,
    fake: FakeClassifier,
    error: DriftBotError,
    kind: type[DriftBotError],
    attrs: dict[str, str],
) -> None:
    """An upstream failure behind the API is raised as the same kind, source and setting."""
    fake.error = error
    with pytest.raises(kind) as caught:
        remote.scan()
    assert type(caught.value) is kind
    assert str(error) in str(caught.value)
    assert {k: getattr(caught.value, k) for k in attrs} == attrs


def test_unknown_app_keeps_its_close_matches(
    remote: RemoteClassifier, fake: FakeClassifier
) -> None:
    """A 404 for an unknown app is UnknownAppError with the server's suggestions."""
    fake.error = UnknownAppError("gitee", ["gitea", "gitea-extras"])
    with pytest.raises(UnknownAppError) as caught:
        remote.app_report("gitee")
    assert caught.value.name == "gitee"
    assert caught.value.matches == ("gitea", "gitea-extras")


def test_unexpected_server_error_names_the_classifier(
    remote: RemoteClassifier, fake: FakeClassifier, api_url: str
) -> None:
    """A 500 from the API is an UpstreamUnavailableError pointing at DRIFT_CLASSIFIER_URL."""
    fake.error = RuntimeError("bug")
    with pytest.raises(UpstreamUnavailableError) as caught:
        remote.scan()
    assert caught.value.source == "classifier"
    assert caught.value.setting == "DRIFT_CLASSIFIER_URL"
    assert "HTTP 500" in str(caught.value)
    assert api_url in str(caught.value)


# --- errors of the hop itself -------------------------------------------------------------------


def test_wrong_token_is_an_auth_error_naming_the_setting(
    api_url: str, fake: FakeClassifier
) -> None:
    """A 401 from the API raises UpstreamAuthError naming DRIFT_API_TOKEN."""
    client = RemoteClassifier(api_url, "not-the-token")
    with pytest.raises(UpstreamAuthError, match="DRIFT_API_TOKEN") as caught:
        client.scan()
    client.close()
    assert caught.value.setting == "DRIFT_API_TOKEN"
    assert caught.value.source == "classifier"
    assert fake.calls == []


def test_server_without_token_is_unavailable_naming_the_setting(fake: FakeClassifier) -> None:
    """A server with DRIFT_API_TOKEN unset answers 503; the client says which setting."""
    with serving(build_api_app(fake, token=None)) as url:
        client = RemoteClassifier(url, API_TOKEN)
        with pytest.raises(UpstreamUnavailableError, match="DRIFT_API_TOKEN is unset") as caught:
            client.scan()
        client.close()
    assert caught.value.setting == "DRIFT_API_TOKEN"


def test_connection_refused_names_the_url_setting() -> None:
    """Nobody listening is UpstreamUnavailableError naming DRIFT_CLASSIFIER_URL."""
    client = RemoteClassifier(f"http://127.0.0.1:{free_port()}", API_TOKEN, timeout_s=2)
    with pytest.raises(UpstreamUnavailableError, match="DRIFT_CLASSIFIER_URL") as caught:
        client.app_report("gitea")
    client.close()
    assert caught.value.source == "classifier"
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


def _mocked(handler: Callable[[httpx.Request], httpx.Response]) -> RemoteClassifier:
    return RemoteClassifier(
        "http://classifier:3000", API_TOKEN, transport=httpx.MockTransport(handler)
    )


def _raise(exc: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_timeout_is_unavailable_naming_the_url_setting() -> None:
    """A read timeout is UpstreamUnavailableError naming DRIFT_CLASSIFIER_URL."""
    client = _mocked(_raise(httpx.ReadTimeout("slow")))
    with pytest.raises(UpstreamUnavailableError, match=r"timed out.*DRIFT_CLASSIFIER_URL"):
        client.scan()


def test_requests_carry_the_bearer_token_and_path() -> None:
    """Every request sends ``Authorization: Bearer <token>`` to ``/api/v1/...``."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=stuck_app("gitea").to_json())

    _mocked(handler).logs_report("gitea")
    (request,) = seen
    assert request.headers["authorization"] == f"Bearer {API_TOKEN}"
    assert request.url == "http://classifier:3000/api/v1/apps/gitea/logs"


HOP_FAILURES: dict[str, tuple[httpx.Response, type[UpstreamError], str]] = {
    "proxy-502-html": (
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        UpstreamUnavailableError,
        "HTTP 502: <html>Bad Gateway</html>; check DRIFT_CLASSIFIER_URL",
    ),
    "proxy-503-html": (
        httpx.Response(503, text="<html>upstream connect error</html>"),
        UpstreamUnavailableError,
        "HTTP 503: <html>upstream connect error</html>",
    ),
    "not-this-api": (
        httpx.Response(404, json={"message": "Not Found"}),
        UpstreamNotFoundError,
        "does not serve /api/v1/scan (Not Found); check DRIFT_CLASSIFIER_URL",
    ),
    "forbidden": (httpx.Response(403, text="denied"), UpstreamAuthError, "check DRIFT_API_TOKEN"),
}


@pytest.mark.parametrize(
    ("response", "kind", "message"), HOP_FAILURES.values(), ids=HOP_FAILURES.keys()
)
def test_answers_from_something_else_are_explained(
    response: httpx.Response, kind: type[UpstreamError], message: str
) -> None:
    """Non-API answers (a proxy's page, another service) raise errors naming what to check."""
    with pytest.raises(kind, match="classifier at http://classifier:3000") as caught:
        _mocked(lambda _: response).scan()
    assert message in str(caught.value)
    assert type(caught.value) is kind


MALFORMED: dict[str, tuple[httpx.Response, str]] = {
    "not-json": (httpx.Response(200, text="<html>login</html>"), "not JSON: <html>login</html>"),
    "wrong-shape": (httpx.Response(200, json={"apps": 3}), "$.generated_at: missing"),
    "json-list": (httpx.Response(200, json=[]), "$: expected an object, got list"),
}


@pytest.mark.parametrize(("response", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_bodies_are_input_errors(response: httpx.Response, message: str) -> None:
    """A 200 whose body is not the expected document raises InputError saying what is wrong."""
    with pytest.raises(InputError) as caught:
        _mocked(lambda _: response).scan()
    assert message in str(caught.value)
    assert "classifier at http://classifier:3000" in str(caught.value)


# --- settings ---------------------------------------------------------------------------------


def test_from_settings_needs_the_token_with_the_url() -> None:
    """DRIFT_CLASSIFIER_URL without DRIFT_API_TOKEN is a ConfigError naming the token."""
    settings = load_settings(drift_classifier_url="http://classifier:3000")
    with pytest.raises(ConfigError, match="DRIFT_API_TOKEN"):
        RemoteClassifier.from_settings(settings)


def test_from_settings_needs_the_url() -> None:
    """Without DRIFT_CLASSIFIER_URL there is nothing to call: ConfigError naming it."""
    settings = load_settings(drift_api_token=SecretStr(API_TOKEN))
    with pytest.raises(ConfigError, match="DRIFT_CLASSIFIER_URL"):
        RemoteClassifier.from_settings(settings)


def test_from_settings_talks_to_the_configured_service(
    api_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With both variables set in the environment, the client reaches the API they name."""
    monkeypatch.setenv("DRIFT_CLASSIFIER_URL", api_url)
    monkeypatch.setenv("DRIFT_API_TOKEN", API_TOKEN)
    client: Any = RemoteClassifier.from_settings(load_settings())
    try:
        assert client.app_report("gitea") == app_report("gitea")
    finally:
        client.close()
