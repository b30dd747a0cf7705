"""`decoding`: list pages decoded through views that skip what the bot never reads, with the
collector paused; anything shaped otherwise is decoded whole, as `json.loads` would."""

from __future__ import annotations

import gc
import json
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
import yaml

from bot import collector
from bot.adapters.kube import decoding
from bot.core.model import ResourceStatus
from bot.core.parse import parse_application
from bot.simulator import scenarios
from tests.core.conftest import REALDATA

APP = {
    "apiVersion": "argoproj.io/v1alpha1",
    "kind": "Application",
    "metadata": {"name": "shop", "namespace": "argocd", "uid": "u-shop", "resourceVersion": "7"},
    "spec": {"project": "default", "destination": {"namespace": "shop"}},
    "status": {
        "sync": {"status": "OutOfSync"},
        "health": {"status": "Healthy", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        "resources": [{"kind": "ConfigMap", "name": "a", "namespace": "shop"}],
        "conditions": [{"type": "SyncError", "message": "x"}],
        "history": [{"id": 1, "revision": "abc"}],
        "operationState": {"phase": "Succeeded", "syncResult": {"resources": []}},
        "reconciledAt": "2026-01-01T00:00:00Z",
    },
}
POD = {
    "metadata": {
        "name": "shop-1",
        "namespace": "shop",
        "uid": "u1",
        "labels": {"pod-template-hash": "h"},
        "ownerReferences": [{"kind": "ReplicaSet", "name": "shop-h", "apiVersion": "apps/v1"}],
        "managedFields": [{"manager": "kubelet"}],
    },
    "spec": {"serviceAccountName": "shop", "volumes": [{"configMap": {"name": "a"}}]},
    "status": {"phase": "Running"},
}


def _page(*items: object) -> bytes:
    return json.dumps({"kind": "List", "metadata": {"continue": "t"}, "items": items}).encode()


def test_application_view_keeps_only_what_is_parsed() -> None:
    page = decoding.loads(_page(APP), decoding.APPLICATION_LIST)
    (app,) = page["items"]
    kept = {
        k: v for k, v in APP["status"].items() if k in {"sync", "health", "resources", "conditions"}
    }
    kept["resources"] = [ResourceStatus("ConfigMap", "a", namespace="shop")]
    metadata = {"name": "shop", "namespace": "argocd", "uid": "u-shop"}
    assert app == {**APP, "metadata": metadata, "status": kept}
    assert page["metadata"] == {"continue": "t"}


def _real_and_fleet_applications() -> list[dict[str, Any]]:
    real = yaml.safe_load((REALDATA / "argocd-testdata-application-with-status.yaml").read_text())
    fleet = scenarios.fleet(apps=40, drifting=8, now=datetime(2026, 1, 1, tzinfo=UTC))
    return [real, *fleet.applications]


def test_the_view_drops_nothing_the_parser_reads() -> None:
    """Parsed through the view or decoded whole, every Application reads the same.

    Fails as soon as `parse_application` starts reading a field the view does not keep. The
    real Application carries what the fleet lacks: annotations, owner references, a plugin
    source, entries with ``health``.
    """
    apps = _real_and_fleet_applications()
    body = _page(*apps)
    viewed = decoding.loads(body, decoding.APPLICATION_LIST)["items"]
    whole = json.loads(body)["items"]
    assert len(viewed) == len(apps) > 1
    for thin, full in zip(viewed, whole, strict=True):
        assert len(msgspec.json.encode(thin)) < len(json.dumps(full))
        assert parse_application(thin, "argocd") == parse_application(full, "argocd")


def test_pod_view_skips_status_and_managed_fields() -> None:
    (pod,) = decoding.loads(_page(POD), decoding.POD_LIST)["items"]
    meta = {k: v for k, v in POD["metadata"].items() if k != "managedFields"}
    assert pod == {"metadata": meta, "spec": POD["spec"]}


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param({**APP, "status": "broken"}, id="status_not_an_object"),
        pytest.param("not-an-object", id="item_not_an_object"),
        pytest.param(
            {**APP, "status": {"resources": [{"kind": "", "name": "a"}]}}, id="entry_empty_kind"
        ),
        pytest.param(
            {**APP, "status": {"resources": [{"kind": "Pod", "name": "a", "hook": "yes"}]}},
            id="entry_wrong_type",
        ),
    ],
)
def test_a_page_shaped_otherwise_is_decoded_whole(odd: object) -> None:
    """The parser then reports the odd item as it always did; nothing is silently dropped."""
    page = decoding.loads(_page(APP, odd), decoding.APPLICATION_LIST)
    assert page["items"] == [APP, odd]


def test_not_json_raises_value_error() -> None:
    with pytest.raises(ValueError, match="truncated"):
        decoding.loads(b'{"items": [', decoding.POD_LIST)


def test_the_collector_is_paused_inside_and_back_after_nested_pauses() -> None:
    assert gc.isenabled()
    with collector.paused():
        with collector.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
