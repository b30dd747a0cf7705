"""What Argo CD's API derives from an Application: managed-resources, resource tree, app JSON.

Everything comes from one place, the app's ``status.resources`` plus the scenario's git
targets and live objects, so the three views can never disagree with the CR the Kubernetes API
serves. Shapes follow Argo CD v3: JSON-string states (``"null"`` when absent), ``{}`` for no
items, hooks left out, omitempty fields omitted (``modified`` only when true), and per-resource
health filled in from the tree when an app is read through Argo CD (``resourceHealthSource:
appTree`` moved it out of the CR).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import argo_health, pointers
from bot.simulator.cluster.index import ClusterIndex
from bot.simulator.cluster.realism import item_states
from bot.simulator.http.responses import dumps, dumps_str
from bot.simulator.scenarios.scenario import key_of

_FILTERS = ("namespace", "name", "version", "group", "kind")


def entry_key(entry: Mapping[str, Any]) -> ResourceKey:
    return ResourceKey(
        str(entry.get("group", "")),
        str(entry.get("kind", "")),
        str(entry.get("namespace", "")),
        str(entry.get("name", "")),
    )


def _app_name(app: RawObject) -> str:
    return str(app["metadata"]["name"])


# --- managed-resources --------------------------------------------------------------------------


def managed_items(index: ClusterIndex, app: RawObject) -> list[dict[str, Any]]:
    """One ``v1alpha1ResourceDiff`` per non-hook resource of ``app``."""
    meta = app["metadata"]
    return index.view(("managed", meta["namespace"], meta["name"]), lambda: _items(index, app))


def _items(index: ClusterIndex, app: RawObject) -> list[dict[str, Any]]:
    items = []
    for entry in (app.get("status") or {}).get("resources") or []:
        if entry.get("hook"):
            continue
        key = entry_key(entry)
        target = index.target(_app_name(app), key)
        live = index.get(key)
        item: dict[str, Any] = {}
        if key.group:
            item["group"] = key.group
        item["kind"] = key.kind
        if key.namespace:
            item["namespace"] = key.namespace
        item["name"] = key.name
        realism = index.scenario.realism
        if realism is not None:
            item.update(item_states(realism, app, key, target, live))
        else:
            item["targetState"] = _state(target)
            item["liveState"] = _state(live)
            item["normalizedLiveState"] = item["liveState"]
            item["predictedLiveState"] = item["targetState"]
        if live is not None:
            item["resourceVersion"] = str(live["metadata"].get("resourceVersion", ""))
        if (
            realism is None
            and target is not None
            and (live is None or pointers.semantic_diff(target, live))
        ):
            item["modified"] = True
        items.append(item)
    return items


def _state(obj: RawObject | None) -> str:
    return "null" if obj is None else dumps_str(obj, sort_keys=True)


def managed_resources_body(
    index: ClusterIndex, app: RawObject, query: Mapping[str, Sequence[str]]
) -> bytes:
    """The response body: ``{"items": [...]}``, or ``{}`` when nothing matches."""
    wanted = {name: query[name][0] for name in _FILTERS if query.get(name) and query[name][0]}
    if not wanted:
        meta = app["metadata"]
        return index.view(
            ("managed-body", meta["namespace"], meta["name"]),
            lambda: _items_body(managed_items(index, app)),
        )
    items = [i for i in managed_items(index, app) if _matches(i, wanted)]
    return _items_body(items)


def _matches(item: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    for name, value in wanted.items():
        if name == "version":
            continue  # ResourceDiff carries no version; Argo CD ignores it here too
        if str(item.get(name, "")) != value:
            return False
    return True


def _items_body(items: list[dict[str, Any]]) -> bytes:
    return dumps({"items": items}) if items else b"{}"


# --- resource tree ------------------------------------------------------------------------------


def resource_tree(index: ClusterIndex, app: RawObject) -> dict[str, Any]:
    """``v1alpha1ApplicationTree``: the app's live resources and everything they own."""
    meta = app["metadata"]
    return index.view(("tree", meta["namespace"], meta["name"]), lambda: _tree(index, app))


def _tree(index: ClusterIndex, app: RawObject) -> dict[str, Any]:
    nodes: dict[str, dict[str, Any]] = {}
    for entry in (app.get("status") or {}).get("resources") or []:
        live = index.get(entry_key(entry))
        if live is not None:
            _add(index, live, None, nodes)
    ordered = sorted(nodes.values(), key=_full_name)
    hosts = sorted({n["_node"] for n in ordered if n.get("_node")})
    for node in ordered:
        node.pop("_node", None)
    tree: dict[str, Any] = {"nodes": ordered}
    if hosts:
        tree["hosts"] = [_host(name) for name in hosts]
    return tree


def _add(
    index: ClusterIndex, obj: RawObject, parent: RawObject | None, nodes: dict[str, dict[str, Any]]
) -> None:
    uid = str(obj["metadata"].get("uid", ""))
    if uid in nodes:
        if parent is not None:
            nodes[uid].setdefault("parentRefs", []).append(_ref(parent))
        return
    nodes[uid] = _node(obj, parent)
    for child in index.children(uid):
        _add(index, child, obj, nodes)


def _ref(obj: RawObject) -> dict[str, Any]:
    key = key_of(obj)
    ref: dict[str, Any] = {}
    if key.group:
        ref["group"] = key.group
    ref["kind"] = key.kind
    if key.namespace:
        ref["namespace"] = key.namespace
    ref["name"] = key.name
    ref["uid"] = obj["metadata"].get("uid", "")
    return ref


def _node(obj: RawObject, parent: RawObject | None) -> dict[str, Any]:
    key = key_of(obj)
    meta = obj["metadata"]
    node: dict[str, Any] = {}
    if key.group:
        node["group"] = key.group
    node["version"] = str(obj.get("apiVersion", "")).rpartition("/")[2]
    node["kind"] = key.kind
    if key.namespace:
        node["namespace"] = key.namespace
    node["name"] = key.name
    node["uid"] = meta.get("uid", "")
    if parent is not None:
        node["parentRefs"] = [_ref(parent)]
    info = _info(key, obj)
    if info:
        node["info"] = info
    networking = _networking(key, obj)
    if networking:
        node["networkingInfo"] = networking
    node["resourceVersion"] = meta.get("resourceVersion", "")
    if key.kind == "Pod" and not key.group:
        node["images"] = [c["image"] for c in obj["spec"].get("containers", [])]
        node["_node"] = obj["spec"].get("nodeName", "")
    health = argo_health.health_of(key.group, obj)
    if health:
        node["health"] = health
    node["createdAt"] = meta.get("creationTimestamp", "")
    return node


def _info(key: ResourceKey, obj: RawObject) -> list[dict[str, str]]:
    if (key.group, key.kind) == ("", "Pod"):
        return argo_health.pod_info(obj)
    if (key.group, key.kind) in (("apps", "Deployment"), ("apps", "ReplicaSet")):
        return argo_health.revision_info(obj)
    return []


def _networking(key: ResourceKey, obj: RawObject) -> dict[str, Any]:
    if (key.group, key.kind) == ("", "Pod"):
        labels = obj["metadata"].get("labels")
        return {"labels": labels} if labels else {}
    if (key.group, key.kind) == ("", "Service"):
        selector = (obj.get("spec") or {}).get("selector")
        return {"targetLabels": selector} if selector else {}
    if (key.group, key.kind) == ("networking.k8s.io", "Ingress"):
        return _ingress_networking(obj)
    return {}


def _ingress_networking(obj: RawObject) -> dict[str, Any]:
    spec = obj.get("spec") or {}
    refs, urls = [], []
    for rule in spec.get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            service = (path.get("backend") or {}).get("service") or {}
            refs.append(
                {
                    "kind": "Service",
                    "namespace": obj["metadata"]["namespace"],
                    "name": service.get("name", ""),
                }
            )
        if rule.get("host"):
            urls.append(f"https://{rule['host']}/")
    out: dict[str, Any] = {"targetRefs": refs}
    balancer = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")
    if balancer:
        out["ingress"] = balancer
    if urls:
        out["externalURLs"] = urls
    return out


def _host(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "systemInfo": {
            "architecture": "amd64",
            "containerRuntimeVersion": "containerd://2.0.5",
            "kernelVersion": "6.12.25-talos",
            "kubeProxyVersion": "v1.32.4",
            "kubeletVersion": "v1.32.4",
            "operatingSystem": "linux",
            "osImage": "Talos (v1.10.1)",
        },
    }


def _full_name(node: Mapping[str, Any]) -> tuple[str, str, str, str]:
    return (
        str(node.get("group", "")),
        str(node["kind"]),
        str(node.get("namespace", "")),
        str(node["name"]),
    )


def pods_in_tree(tree: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for node in tree["nodes"]:
        if node["kind"] == "Pod" and "group" not in node:
            yield node


# --- the Application as Argo CD's API returns it ------------------------------------------------


def app_bytes(index: ClusterIndex, app: RawObject) -> bytes:
    """The app without ``kind``/``apiVersion`` (informer objects), resources with tree health."""
    meta = app["metadata"]
    return index.view(
        ("app", meta["namespace"], meta["name"]), lambda: dumps(_app_body(index, app))
    )


def _app_body(index: ClusterIndex, app: RawObject) -> dict[str, Any]:
    health = {}
    for node in resource_tree(index, app)["nodes"]:
        if "health" in node:
            health[
                (node.get("group", ""), node["kind"], node.get("namespace", ""), node["name"])
            ] = node["health"]
    status = dict(app.get("status") or {})
    resources = []
    for entry in status.get("resources") or []:
        found = health.get(
            (entry.get("group", ""), entry["kind"], entry.get("namespace", ""), entry["name"])
        )
        resources.append({**entry, "health": found} if found else entry)
    if resources:
        status["resources"] = resources
    body = {k: v for k, v in app.items() if k not in ("kind", "apiVersion", "status")}
    body["status"] = status
    return body
