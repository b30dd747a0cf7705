"""`only_items`: the managed-resources body trimmed to what classification reads."""

from __future__ import annotations

from bot.core.model import ResourceKey
from bot.service.run import only_items


def _item(group: str, kind: str, name: str) -> dict[str, str]:
    item = {"kind": kind, "namespace": "api", "name": name, "targetState": "{}"}
    if group:
        item["group"] = group
    return item


def test_keeps_drifting_items_and_autoscalers_drops_other_synced_ones() -> None:
    deployment = _item("apps", "Deployment", "api")
    hpa = _item("autoscaling", "HorizontalPodAutoscaler", "api")
    config = _item("", "ConfigMap", "api-config")
    body = {"items": [deployment, hpa, config, "not an object"]}
    kept = only_items(body, {ResourceKey("apps", "Deployment", "api", "api")})
    # The HPA is Synced, but it says who writes the Deployment's replicas.
    assert kept["items"] == [deployment, hpa, "not an object"]


def test_a_body_without_items_is_returned_as_is() -> None:
    assert only_items({}, set()) == {}
