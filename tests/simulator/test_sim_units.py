"""Pure helpers of the simulator: JSON pointers, the diff it verifies with, selectors, faults."""

from __future__ import annotations

from typing import Any

import pytest

from bot.simulator import Fault
from bot.simulator.cluster.pointers import DELETE, join, patched, resolve, semantic_diff
from bot.simulator.http.faults import FaultBook
from bot.simulator.http.responses import dumps
from bot.simulator.http.selectors import SelectorError, field_selector, label_selector

POD: dict[str, Any] = {
    "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web", "tier": "front"}},
    "spec": {"serviceAccountName": "web", "nodeName": "w1"},
    "status": {"phase": "Running"},
}


def test_patched_copies_only_the_changed_path() -> None:
    """Unchanged subtrees are shared, changed ones copied, the input untouched."""
    original = {"spec": {"a": {"x": 1}, "b": {"y": 2}}, "metadata": {"name": "n"}}
    changed = patched(original, {"/spec/a/x": 5, "/metadata/labels/k": "v"})
    assert original["spec"]["a"]["x"] == 1
    assert changed["spec"]["a"]["x"] == 5
    assert changed["spec"]["b"] is original["spec"]["b"]
    assert changed["metadata"]["labels"] == {"k": "v"}


def test_patched_deletes_and_indexes_lists() -> None:
    """DELETE removes a key; numeric tokens address list items."""
    original = {"data": [{"k": "a", "drop": 1}, {"k": "b"}]}
    changed = patched(original, {"/data/0/drop": DELETE, "/data/1/k": "c"})
    assert changed == {"data": [{"k": "a"}, {"k": "c"}]}
    assert original["data"][0] == {"k": "a", "drop": 1}


def test_pointer_tokens_escape_slashes_and_tildes() -> None:
    """RFC 6901 escaping round-trips annotation keys like ``checksum/config``."""
    pointer = join("metadata", "annotations", "checksum/config~x")
    assert pointer == "/metadata/annotations/checksum~1config~0x"
    document = {"metadata": {"annotations": {"checksum/config~x": "abc"}}}
    assert resolve(document, pointer) == "abc"


@pytest.mark.parametrize(
    ("git", "live", "paths"),
    [
        pytest.param({"a": 1}, {"a": 1}, [], id="equal"),
        pytest.param({"a": 1}, {"a": 2}, ["/a"], id="changed"),
        pytest.param({"a": {}}, {}, ["/a"], id="only-in-git"),
        pytest.param({}, {"a": {"b": 1}}, ["/a"], id="only-live-reported-at-the-key"),
        pytest.param({"l": [1]}, {"l": [1, 2]}, ["/l/1"], id="longer-list"),
        pytest.param({"a": 1}, {"a": True}, ["/a"], id="bool-is-not-int"),
        pytest.param({"a": ""}, {}, ["/a"], id="empty-string-is-not-absent"),
    ],
)
def test_semantic_diff_reports_minimal_pointers(
    git: dict[str, Any], live: dict[str, Any], paths: list[str]
) -> None:
    """Differences are reported at the shallowest pointer where one side lacks a key."""
    assert semantic_diff(git, live) == paths


def test_semantic_diff_ignores_server_bookkeeping() -> None:
    """uid, resourceVersion, managedFields, status and last-applied never count as drift."""
    git = {"metadata": {"name": "a", "annotations": {"x": "1"}}, "spec": {"r": 1}}
    live = {
        "metadata": {
            "name": "a",
            "uid": "u",
            "resourceVersion": "9",
            "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z",
            "managedFields": [{"manager": "m"}],
            "annotations": {"x": "1", "kubectl.kubernetes.io/last-applied-configuration": "{}"},
        },
        "spec": {"r": 1},
        "status": {"ready": True},
    }
    assert semantic_diff(git, live) == []


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        pytest.param("app=web", True, id="equals"),
        pytest.param("app==web", True, id="double-equals"),
        pytest.param("app!=web", False, id="not-equals"),
        pytest.param("app in (api, web)", True, id="in"),
        pytest.param("app notin (api,web)", False, id="notin"),
        pytest.param("tier", True, id="exists"),
        pytest.param("!tier", False, id="does-not-exist"),
        pytest.param("app=web,tier=back", False, id="and"),
        pytest.param("missing!=x", True, id="not-equals-on-missing-key"),
    ],
)
def test_label_selectors_follow_kubernetes_semantics(selector: str, matches: bool) -> None:
    """Each requirement kind matches as the API server's would."""
    assert label_selector(selector)(POD) is matches


@pytest.mark.parametrize("selector", ["=web", "app in web", "a b", "app=(x)"])
def test_malformed_label_selectors_are_rejected(selector: str) -> None:
    """Unparseable requirements raise SelectorError (a 400 from the API)."""
    with pytest.raises(SelectorError):
        label_selector(selector)


@pytest.mark.parametrize(
    ("selector", "pod", "matches"),
    [
        pytest.param("metadata.name=web-1", False, True, id="name"),
        pytest.param("metadata.namespace!=shop", False, False, id="namespace-not"),
        pytest.param("spec.serviceAccountName=web", True, True, id="pod-service-account"),
        pytest.param("status.phase=Pending", True, False, id="pod-phase"),
    ],
)
def test_field_selectors_match_supported_fields(selector: str, pod: bool, matches: bool) -> None:
    """metadata fields everywhere, the indexed pod fields on pods."""
    assert field_selector(selector, pod=pod)(POD) is matches


def test_unsupported_field_selectors_are_rejected() -> None:
    """Only pods support spec.* fields; elsewhere they are an error like on a real server."""
    with pytest.raises(SelectorError, match="field label not supported"):
        field_selector("spec.serviceAccountName=web", pod=False)


def test_go_style_json_escapes_html_characters() -> None:
    """<, > and & are written as \\u003c, \\u003e and \\u0026, as encoding/json does."""
    assert dumps({"a": "<b>&"}) == b'{"a":"\\u003cb\\u003e\\u0026"}'


def test_faults_are_consumed_in_order_and_validated() -> None:
    """A fault with times=1 is used once; an unknown api is refused at construction."""
    book = FaultBook()
    book.add(Fault(api="kube", path_regex="pods", times=1, status=500))
    book.add(Fault(api="kube", path_regex="pods", times=None, status=503))
    statuses = [getattr(book.take("kube", "/api/v1/pods"), "status", None) for _ in range(3)]
    assert statuses == [500, 503, 503]
    assert book.take("argocd", "/api/v1/pods") is None
    with pytest.raises(ValueError, match="kube"):
        Fault(api="etcd", path_regex="x")  # type: ignore[arg-type]
