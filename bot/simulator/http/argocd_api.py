"""Argo CD's REST API (the gRPC gateway), read side: apps, managed-resources, tree, logs.

Access rules mirror Argo CD's: no token or a wrong one is 401/16; an app the token may not
see, or one that does not exist, is 403/7 "permission denied" so existence is not leaked
(a ``project`` parameter turns a missing app into 404/5). Apps outside the control-plane
namespace need ``appNamespace``. Unknown non-API paths get the web UI's HTML, as the real
server answers them, which is what a misconfigured ARGOCD_SERVER path runs into.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Final
from urllib.parse import unquote

from bot.core.model import RawObject
from bot.simulator.cluster import argo_views, podlogs
from bot.simulator.cluster.index import ClusterIndex
from bot.simulator.cluster.objects import ts, ts_nano
from bot.simulator.http import responses
from bot.simulator.http.responses import Response, argo_error, argo_stream_error, dumps
from bot.simulator.http.selectors import SelectorError, label_selector

Query = Mapping[str, Sequence[str]]

VERSION: Final = {
    "Version": "v3.5.1+109ca7c",
    "BuildDate": "2026-06-30T14:21:09Z",
    "GitCommit": "109ca7ca71139e514114499d294a492e7910a965",
    "GitTreeState": "clean",
    "GoVersion": "go1.25.1",
    "Compiler": "gc",
    "Platform": "linux/amd64",
    "KustomizeVersion": "v5.7.1 2025-07-23T12:45:29Z",
    "HelmVersion": "v3.18.4+gd80839c",
    "KubectlVersion": "v0.34.0",
    "JsonnetVersion": "v0.21.0",
}
USERNAME: Final = "drift-bot"
MAX_PODS_TO_RENDER: Final = 10
_UI: Final = (
    b'<!doctype html><html lang="en"><head><meta charset="UTF-8"><title>Argo CD</title>'
    b'<base href="/"></head><body><noscript>Argo CD needs JavaScript</noscript>'
    b'<div id="app"></div></body></html>'
)
_ZERO_TIME: Final = "0001-01-01T00:00:00Z"


class ArgoApi:
    """Answers GET requests for one `ClusterIndex` with the bearer ``token``."""

    def __init__(self, index: Callable[[], ClusterIndex], token: str) -> None:
        self._index = index
        self._token = token

    def authenticated(self, headers: Mapping[str, str]) -> bool | None:
        """True for our token, False for another, None when none was sent."""
        sent = _bearer(headers.get("authorization", "")) or _cookie(headers.get("cookie", ""))
        if not sent:
            return None
        return sent == self._token

    def get(self, path: str, query: Query, headers: Mapping[str, str]) -> Response:
        if not path.startswith("/api/"):
            return Response(200, _UI, content_type="text/html; charset=utf-8")
        auth = self.authenticated(headers)
        if path == "/api/version":
            return responses.ok(VERSION if auth else {"Version": VERSION["Version"]})
        if auth is None:
            return argo_error(401, "no session information")
        if not auth:
            return argo_error(401, "invalid session: token signature is invalid")
        return self._route(self._index(), [unquote(p) for p in path.split("/")[1:]], query)

    def _route(self, index: ClusterIndex, parts: list[str], query: Query) -> Response:
        if parts == ["api", "v1", "session", "userinfo"]:
            return responses.ok({"loggedIn": True, "username": USERNAME, "iss": "argocd"})
        if parts[:3] != ["api", "v1", "applications"]:
            return argo_error(404, "Not Found")
        rest = parts[3:]
        if not rest:
            return _list(index, query)
        stream = len(rest) >= 2 and rest[-1] == "logs"
        app, denied = _find_app(index, rest[0], query, stream=stream)
        if app is None:
            return denied
        if len(rest) == 1:
            return Response(200, argo_views.app_bytes(index, app))
        if rest[1:] == ["managed-resources"]:
            return Response(200, argo_views.managed_resources_body(index, app, query))
        if rest[1:] == ["resource-tree"]:
            return responses.ok(argo_views.resource_tree(index, app))
        if rest[1:] == ["logs"]:
            return _logs(index, app, query, pod_name=_first(query, "podName"))
        if len(rest) == 4 and rest[1] == "pods" and rest[3] == "logs":
            return _logs(index, app, query, pod_name=rest[2])
        return argo_error(404, "Not Found")


def _bearer(header: str) -> str:
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def _cookie(header: str) -> str:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "argocd.token":
            return value
    return ""


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values and values[0] != "" else None


def _find_app(
    index: ClusterIndex, name: str, query: Query, *, stream: bool
) -> tuple[RawObject | None, Response]:
    namespace = _first(query, "appNamespace") or index.control_plane
    project = _first(query, "project")
    projects = set(query.get("projects") or ()) | ({project} if project else set())
    app = index.app(namespace, name)
    error = argo_stream_error if stream else argo_error
    if app is None:
        if project:
            return None, error(404, f'applications.argoproj.io "{name}" not found')
        return None, error(403, "permission denied")
    if projects and app["spec"].get("project") not in projects:
        return None, error(403, "permission denied")
    return app, Response(200, b"")


def _list(index: ClusterIndex, query: Query) -> Response:
    namespace = _first(query, "appNamespace")
    projects = set(query.get("projects") or ()) | set(query.get("project") or ())
    name = _first(query, "name")
    repo = _first(query, "repo")
    try:
        selector = label_selector(_first(query, "selector") or "")
    except SelectorError as exc:
        return argo_error(400, f"error parsing the selector: {exc}")
    found = []
    for (app_ns, app_name), app in sorted(index.apps.items(), key=lambda item: item[0][1]):
        spec = app.get("spec") or {}
        if (namespace and app_ns != namespace) or (name and app_name != name):
            continue
        if projects and spec.get("project") not in projects:
            continue
        if repo and (spec.get("source") or {}).get("repoURL") != repo:
            continue
        if selector(app):
            found.append(argo_views.app_bytes(index, app))
    head = b'{"metadata":' + dumps({"resourceVersion": index.resource_version}) + b',"items":['
    return Response(200, head + b",".join(found) + b"]}")


# --- logs ---------------------------------------------------------------------------------------


def _logs(index: ClusterIndex, app: RawObject, query: Query, *, pod_name: str | None) -> Response:
    tree = argo_views.resource_tree(index, app)
    pods = list(_selected_pods(index, tree, query, pod_name))
    if len(pods) > MAX_PODS_TO_RENDER:
        message = "max pods to view logs are reached. Please provide more granular query"
        return argo_stream_error(400, message)
    try:
        tail = int(_first(query, "tailLines") or 0) or None
    except ValueError:
        return argo_stream_error(400, "invalid tailLines")
    previous = (_first(query, "previous") or "").lower() in ("true", "1")
    streams = [_pod_lines(index, pod, _first(query, "container"), previous, tail) for pod in pods]
    if not pods:
        return Response(200, b"")
    lines = [dumps({"result": entry}) for entry in heapq.merge(*streams, key=_order)]
    lines.append(dumps({"result": _last(index.now)}))
    return Response(200, b"\n".join(lines) + b"\n")


def _order(entry: Mapping[str, Any]) -> str:
    return str(entry["timeStampStr"])


def _selected_pods(
    index: ClusterIndex, tree: Mapping[str, Any], query: Query, pod_name: str | None
) -> Iterator[RawObject]:
    namespace = _first(query, "namespace")
    kind, name = _first(query, "kind"), _first(query, "resourceName")
    wanted_uids = _descendants(tree, kind, name) if kind and name and not pod_name else None
    for node in argo_views.pods_in_tree(tree):
        if pod_name and node["name"] != pod_name:
            continue
        if namespace and node.get("namespace") != namespace:
            continue
        if wanted_uids is not None and node["uid"] not in wanted_uids:
            continue
        pod = index.pod(str(node.get("namespace", "")), str(node["name"]))
        if pod is not None:
            yield pod


def _descendants(tree: Mapping[str, Any], kind: str, name: str) -> set[str]:
    """uids of the nodes at or below the resource ``kind``/``name`` in the tree."""
    found = {n["uid"] for n in tree["nodes"] if n["kind"] == kind and n["name"] == name}
    grew = True
    while grew:
        grew = False
        for node in tree["nodes"]:
            parents = {p.get("uid") for p in node.get("parentRefs", [])}
            if node["uid"] not in found and parents & found:
                found.add(node["uid"])
                grew = True
    return found


def _pod_lines(
    index: ClusterIndex, pod: RawObject, container: str | None, previous: bool, tail: int | None
) -> list[dict[str, Any]]:
    name = pod["metadata"]["name"]
    try:
        lines = podlogs.read(
            pod, index.logs, container=container, previous=previous, tail_lines=tail
        )
    except podlogs.LogError as exc:
        # Argo CD streams the Kubernetes error as a log line of that pod.
        return [_entry(str(exc), None, name)]
    return [_entry(line.text, line.at, name) for line in lines]


def _entry(content: str, at: datetime | None, pod: str) -> dict[str, Any]:
    return {
        "content": content,
        "timeStamp": ts(at) if at else None,
        "last": False,
        "timeStampStr": ts_nano(at) if at else _ZERO_TIME,
        "podName": pod,
    }


def _last(now: datetime) -> dict[str, Any]:
    return {
        "content": "",
        "timeStamp": ts(now),
        "last": True,
        "timeStampStr": ts_nano(now),
        "podName": "",
    }
