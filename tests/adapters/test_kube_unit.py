"""KubeReader's pure helpers and its configuration loading, without any API server.

The simulator tests (test_kube_sim.py) drive the real client over loopback; these pin the
mapping rules and selector syntax that the simulator exercises only in their common cases.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
from kubernetes.client.exceptions import ApiException

from bot.adapters.kube import KubeReader, api_error, label_selector, owned_by
from bot.core.model import KindRef
from bot.errors import (
    ConfigError,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import Settings

HOST = "https://k8s.example.test:6443"


def status_body(code: int, message: str) -> str:
    return json.dumps(
        {
            "kind": "Status",
            "apiVersion": "v1",
            "status": "Failure",
            "message": message,
            "reason": "x",
            "code": code,
        }
    )


def failure(status: int, body: str | None = None, reason: str = "") -> UpstreamError:
    exc = ApiException(status=status, reason=reason, body=body)
    return api_error(exc, action="list applications.argoproj.io in namespace argocd", host=HOST)


SPECIFIC = (UpstreamAuthError, UpstreamNotFoundError, UpstreamUnavailableError)

# Factor matrix: HTTP status of the API server -> error class.
STATUS_MATRIX = [
    pytest.param(401, UpstreamAuthError, id="401-auth"),
    pytest.param(403, UpstreamAuthError, id="403-auth"),
    pytest.param(404, UpstreamNotFoundError, id="404-missing"),
    pytest.param(410, UpstreamUnavailableError, id="410-expired"),
    pytest.param(429, UpstreamUnavailableError, id="429-throttled"),
    pytest.param(500, UpstreamUnavailableError, id="500"),
    pytest.param(503, UpstreamUnavailableError, id="503"),
    pytest.param(0, UpstreamUnavailableError, id="0-tls"),
    pytest.param(400, UpstreamError, id="400-other"),
    pytest.param(422, UpstreamError, id="422-other"),
]


@pytest.mark.parametrize(("status", "error"), STATUS_MATRIX)
def test_api_statuses_map_to_the_error_tree(status: int, error: type[UpstreamError]) -> None:
    """Each API server status becomes one error class from kubernetes, blaming KUBECONFIG."""
    err = failure(status, status_body(status, "boom"))
    assert isinstance(err, error)
    others = tuple(cls for cls in SPECIFIC if cls is not error)
    assert not isinstance(err, others)
    assert err.source == "kubernetes"
    assert err.setting == "KUBECONFIG"


def test_401_says_which_credentials_to_check() -> None:
    """A 401 tells the operator to check KUBECONFIG or the service account."""
    message = str(failure(401, status_body(401, "Unauthorized")))
    assert "rejected the credentials" in message
    assert "KUBECONFIG" in message
    assert "service account" in message


def test_403_names_the_forbidden_verb_and_resource() -> None:
    """A 403 names what was forbidden and that the ClusterRole needs get/list on it."""
    denial = (
        'applications.argoproj.io is forbidden: User "system:serviceaccount:drift:bot" cannot '
        'list resource "applications" in API group "argoproj.io" in the namespace "argocd"'
    )
    message = str(failure(403, status_body(403, denial)))
    assert "list applications.argoproj.io in namespace argocd" in message
    assert 'cannot list resource "applications"' in message
    assert "ClusterRole needs get/list" in message


def test_unavailable_names_the_server() -> None:
    """A 5xx names the API server URL so the operator knows which cluster failed."""
    assert HOST in str(failure(503, status_body(503, "etcd timeout")))


def test_non_status_bodies_are_truncated() -> None:
    """A long non-JSON body is cut short in the message."""
    message = str(failure(502, "<html>" + "x" * 4000))
    assert len(message) < 600
    assert message.endswith("…")


def test_a_status_without_message_quotes_the_body() -> None:
    """A JSON body without a message is quoted as it is."""
    assert '{"kind": "Status"}' in str(failure(500, '{"kind": "Status"}'))


def test_missing_body_falls_back_to_the_reason() -> None:
    """Without a body the HTTP reason phrase is quoted."""
    assert "Service Unavailable" in str(failure(503, None, reason="Service Unavailable"))


# Factor matrix: selector shape -> labelSelector query string.
SELECTOR_MATRIX = [
    pytest.param({}, "", id="empty"),
    pytest.param({"matchLabels": {"b": "2", "a": "1"}}, "a=1,b=2", id="labels-sorted"),
    pytest.param(
        {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["web", "api"]}]},
        "tier in (web,api)",
        id="in",
    ),
    pytest.param(
        {"matchExpressions": [{"key": "env", "operator": "NotIn", "values": ["dev"]}]},
        "env notin (dev)",
        id="notin",
    ),
    pytest.param(
        {
            "matchLabels": {"app": "x"},
            "matchExpressions": [
                {"key": "canary", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        },
        "app=x,canary,!legacy",
        id="mixed",
    ),
]


@pytest.mark.parametrize(("selector", "expected"), SELECTOR_MATRIX)
def test_label_selector_renders_the_query(selector: dict[str, Any], expected: str) -> None:
    """A LabelSelector object renders as the API's labelSelector syntax."""
    assert label_selector(selector) == expected


def test_label_selector_rejects_unknown_operators() -> None:
    """An operator Kubernetes does not define is malformed input."""
    with pytest.raises(InputError, match="Gt"):
        label_selector({"matchExpressions": [{"key": "x", "operator": "Gt", "values": ["1"]}]})


@pytest.mark.parametrize(
    ("refs", "owned"),
    [
        pytest.param([{"kind": "ReplicaSet", "uid": "rs-1"}], True, id="owner"),
        pytest.param([{"kind": "ReplicaSet", "uid": "rs-2"}], False, id="other-owner"),
        pytest.param([], False, id="orphan"),
    ],
)
def test_owned_by_follows_owner_uids(refs: list[dict[str, str]], owned: bool) -> None:
    """Ownership is decided by ownerReferences uids, never by labels."""
    obj = {"metadata": {"labels": {"app": "x"}, "ownerReferences": refs}}
    assert owned_by(obj, {"rs-1"}) is owned


def offline_reader() -> KubeReader:
    configuration = kubernetes.client.Configuration(host="http://127.0.0.1:9")
    return KubeReader(kubernetes.client.ApiClient(configuration), app_namespaces=["argocd"])


def test_list_objects_refuses_secrets() -> None:
    """The reader refuses to list Secrets before any request is made."""
    reader = offline_reader()
    with pytest.raises(ValueError, match="Secrets"):
        reader.list_objects(KindRef(group="", version="v1", kind="Secret", plural="secrets"))


def test_core_kinds_have_no_crd() -> None:
    """A group without a dot (core, apps...) never has a CRD, so nothing is asked."""
    assert offline_reader().get_crd("apps", "Deployment") is None


def write_kubeconfig(path: Path, server: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": server}}],
        "users": [{"name": "u", "user": {"token": "kube-token"}}],
        "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "x",
    }
    path.write_text(json.dumps(config))
    return path


def test_from_settings_loads_the_kubeconfig_and_sizes_the_pool(tmp_path: Path) -> None:
    """KUBECONFIG points the client at its server with a pool as large as asked."""
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9")
    settings = Settings(kubeconfig=str(kubeconfig), drift_concurrency=16)
    reader = KubeReader.from_settings(settings, pool_size=64)
    configuration = reader.api_client.configuration
    assert configuration.host == "http://127.0.0.1:9"
    assert configuration.connection_pool_maxsize == 64
    reader.close()


def test_from_settings_pool_follows_drift_concurrency(tmp_path: Path) -> None:
    """Without pool_size the pool holds at least DRIFT_CONCURRENCY connections."""
    kubeconfig = write_kubeconfig(tmp_path / "config", "http://127.0.0.1:9")
    reader = KubeReader.from_settings(Settings(kubeconfig=str(kubeconfig), drift_concurrency=200))
    assert reader.api_client.configuration.connection_pool_maxsize == 200
    reader.close()


def test_a_missing_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    """A KUBECONFIG path that does not exist raises ConfigError naming KUBECONFIG."""
    settings = Settings(kubeconfig=str(tmp_path / "absent"))
    with pytest.raises(ConfigError, match="KUBECONFIG"):
        KubeReader.from_settings(settings)


def test_a_garbled_kubeconfig_is_a_config_error(tmp_path: Path) -> None:
    """A kubeconfig that is not YAML raises ConfigError naming KUBECONFIG."""
    bad = tmp_path / "config"
    bad.write_text("clusters: [unclosed\n")
    with pytest.raises(ConfigError, match="KUBECONFIG"):
        KubeReader.from_settings(Settings(kubeconfig=str(bad)))


def test_outside_a_cluster_without_kubeconfig_is_a_config_error() -> None:
    """No KUBECONFIG and no service account raises ConfigError saying to set KUBECONFIG."""
    with pytest.raises(ConfigError, match="KUBECONFIG"):
        KubeReader.from_settings(Settings())
