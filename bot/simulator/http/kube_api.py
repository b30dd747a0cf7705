"""The Kubernetes API's read side: version, discovery, get, list (selectors, paging) and pod logs.

Only what a read-only drift bot may do is served: Secrets are always 403 (the bot's ClusterRole
must not grant them, so a request for one is a bug to surface), write verbs are refused by the
server before reaching this module; ``watch=true`` is answered by `bot.simulator.http.watch`.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from bot.core.model import ResourceKey
from bot.simulator.cluster import podlogs
from bot.simulator.cluster.index import ClusterIndex, Stored
from bot.simulator.cluster.kinds import KindInfo, preferred_versions
from bot.simulator.cluster.objects import ts_nano
from bot.simulator.http import responses
from bot.simulator.http.responses import Response, dumps, kube_status
from bot.simulator.http.selectors import SelectorError, field_selector, label_selector

Query = Mapping[str, Sequence[str]]

VERSION: Final = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.4",
    "gitCommit": "59526cd4867447956156ae3a602fcbac10a2c335",
    "gitTreeState": "clean",
    "buildDate": "2025-04-22T16:02:27Z",
    "goVersion": "go1.23.6",
    "compiler": "gc",
    "platform": "linux/amd64",
}
SERVICE_ACCOUNT: Final = "system:serviceaccount:argocd:drift-bot"
_NOT_FOUND: Final = "the server could not find the requested resource"
_EXPIRED: Final = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)
_BUILTIN_GROUP_ORDER: Final[tuple[str, ...]] = (
    "",
    "apps",
    "batch",
    "rbac.authorization.k8s.io",
    "networking.k8s.io",
    "policy",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "storage.k8s.io",
)


class ContinueTokens:
    """Issues opaque ``continue`` tokens and decides when one has expired (410 Gone).

    Tokens look like the API server's (base64 of ``{"v","rv","start"}``); expiry is tracked
    here: older than ``ttl_s`` or issued before `expire_all`.
    """

    def __init__(self, ttl_s: float) -> None:
        self._ttl_s = ttl_s
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, resource_version: str, last_key: str) -> str:
        payload = {"v": "meta.k8s.io/v1", "rv": int(resource_version), "start": last_key + "\x00"}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        token = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        now = time.monotonic()
        with self._lock:
            if len(self._issued) > 10_000:  # keep a long benchmark from growing this forever
                self._issued = {t: at for t, at in self._issued.items() if now - at <= self._ttl_s}
            self._issued[token] = now
        return token

    def start_after(self, token: str) -> str:
        """The sort key the next page starts after.

        Raises:
            TokenExpired: the token is too old (or was expired on purpose).
            ValueError: the token does not decode.
        """
        start = _decode_start(token)
        with self._lock:
            issued = self._issued.get(token)
        if issued is None or time.monotonic() - issued > self._ttl_s:
            raise TokenExpired(token)
        return start

    def expire_all(self) -> None:
        with self._lock:
            self._issued.clear()


class TokenExpired(Exception):
    """The continue token is no longer valid."""


def _decode_start(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
        return str(payload["start"]).rstrip("\x00")
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"continue key is not valid: {exc}") from exc


class KubeApi:
    """Answers GET requests for one `ClusterIndex`."""

    def __init__(self, index: Callable[[], ClusterIndex], tokens: ContinueTokens) -> None:
        self._index = index
        self._tokens = tokens

    def get(self, path: str, query: Query) -> Response:
        parts = [p for p in path.split("/") if p]
        index = self._index()
        if parts == ["version"]:
            return responses.ok(VERSION)
        if parts == ["api"]:
            return responses.ok(_api_versions())
        if parts == ["apis"]:
            return responses.ok(_group_list(index))
        if len(parts) >= 2 and parts[0] == "api":
            return self._group_version(index, "", parts[1], parts[2:], query)
        if len(parts) == 2 and parts[0] == "apis":
            return _group(index, parts[1])
        if len(parts) >= 3 and parts[0] == "apis":
            return self._group_version(index, parts[1], parts[2], parts[3:], query)
        return kube_status(404, _NOT_FOUND, details={})

    def _group_version(
        self, index: ClusterIndex, group: str, version: str, rest: list[str], query: Query
    ) -> Response:
        if not rest:
            return _resource_list(index, group, version)
        namespace = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        info = index.kind(group, version, rest[0])
        if info is None or len(rest) > 3 or (namespace is not None and not info.namespaced):
            return kube_status(404, _NOT_FOUND, details={})
        if info.plural == "secrets":
            return _forbidden(info, namespace, rest[1] if len(rest) > 1 else None)
        if len(rest) == 1:
            return self._list(index, info, namespace, query)
        if len(rest) == 3:
            if (group, info.plural, rest[2]) == ("", "pods", "log") and namespace:
                return _pod_log(index, namespace, rest[1], query)
            return kube_status(404, _NOT_FOUND, details={})
        if info.namespaced and namespace is None:
            return kube_status(404, _NOT_FOUND, details={})
        return _get(index, info, namespace or "", rest[1])

    def _list(
        self, index: ClusterIndex, info: KindInfo, namespace: str | None, query: Query
    ) -> Response:
        if _flag(query, "watch"):
            return kube_status(405, "watch is not supported by the drift-bot simulator")
        try:
            matches = _predicates(info, query)
            limit = _int(query, "limit") or 0
        except (SelectorError, ValueError) as exc:
            return kube_status(400, str(exc))
        entries, keys = index.listing(info, namespace)
        start = 0
        token = _first(query, "continue")
        if token:
            try:
                start = bisect_right(keys, self._tokens.start_after(token))
            except TokenExpired:
                return kube_status(410, _EXPIRED, reason="Expired")
            except ValueError as exc:
                return kube_status(400, str(exc))
        items, last = _page(entries, start, limit, matches)
        meta: dict[str, Any] = {"resourceVersion": index.resource_version}
        if last is not None and last + 1 < len(entries):
            meta["continue"] = self._tokens.issue(index.resource_version, entries[last].sort_key)
            if not matches:
                meta["remainingItemCount"] = len(entries) - last - 1
        return Response(200, _list_body(info, meta, items))


def _page(
    entries: list[Stored], start: int, limit: int, matches: list[Callable[[Any], bool]]
) -> tuple[list[bytes], int | None]:
    """Item JSON from ``start`` on; ``last`` is the index that filled the page (if it did)."""
    items: list[bytes] = []
    for position in range(start, len(entries)):
        stored = entries[position]
        if all(match(stored.obj) for match in matches):
            items.append(stored.item_bytes())
            if limit and len(items) == limit:
                return items, position
    return items, None


def _list_body(info: KindInfo, meta: dict[str, Any], items: list[bytes]) -> bytes:
    joined = b",".join(items)
    if info.builtin:
        head = f'{{"kind":"{info.list_kind}","apiVersion":"{info.group_version}","metadata":'
        return head.encode() + dumps(meta) + b',"items":[' + joined + b"]}"
    head = f'{{"apiVersion":"{info.group_version}","items":['
    tail = f'],"kind":"{info.list_kind}","metadata":'
    return head.encode() + joined + tail.encode() + dumps(meta, sort_keys=True) + b"}"


def _predicates(info: KindInfo, query: Query) -> list[Callable[[Any], bool]]:
    found = []
    labels = _first(query, "labelSelector")
    if labels:
        found.append(label_selector(labels))
    fields = _first(query, "fieldSelector")
    if fields:
        found.append(field_selector(fields, pod=(info.group, info.kind) == ("", "Pod")))
    return found


def _get(index: ClusterIndex, info: KindInfo, namespace: str, name: str) -> Response:
    stored = index.stored(ResourceKey(info.group, info.kind, namespace, name))
    if stored is None:
        return _not_found(info, name)
    if stored.obj.get("apiVersion") != info.group_version:
        converted = {**stored.obj, "apiVersion": info.group_version}
        return Response(200, dumps(converted, sort_keys=not info.builtin))
    return Response(200, stored.full_bytes())


def _not_found(info: KindInfo, name: str) -> Response:
    resource = f"{info.plural}.{info.group}" if info.group else info.plural
    details: dict[str, Any] = {"name": name}
    if info.group:
        details["group"] = info.group
    details["kind"] = info.plural
    return kube_status(404, f'{resource} "{name}" not found', details=details)


def _forbidden(info: KindInfo, namespace: str | None, name: str | None) -> Response:
    verb = "get" if name else "list"
    subject = f'secrets "{name}"' if name else "secrets"
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    message = (
        f'{subject} is forbidden: User "{SERVICE_ACCOUNT}" cannot {verb} resource "secrets" '
        f'in API group "" {scope}'
    )
    details: dict[str, Any] = {"name": name, "kind": "secrets"} if name else {"kind": "secrets"}
    return kube_status(403, message, details=details)


def _pod_log(index: ClusterIndex, namespace: str, name: str, query: Query) -> Response:
    pod = index.pod(namespace, name)
    if pod is None:
        return kube_status(404, f'pods "{name}" not found', details={"name": name, "kind": "pods"})
    try:
        tail = _int(query, "tailLines")
        lines = podlogs.read(
            pod,
            index.logs,
            container=_first(query, "container"),
            previous=_flag(query, "previous"),
            tail_lines=tail,
        )
    except (podlogs.LogError, ValueError) as exc:
        return kube_status(400, str(exc))
    stamp = _flag(query, "timestamps")
    text = "".join(
        f"{ts_nano(line.at)} {line.text}\n" if stamp else line.text + "\n" for line in lines
    )
    return Response(200, text.encode("utf-8"), content_type="text/plain")


# --- discovery ----------------------------------------------------------------------------------


def _api_versions() -> dict[str, Any]:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": "10.0.10.11:6443"}
        ],
    }


def _groups(index: ClusterIndex) -> list[dict[str, Any]]:
    versions = preferred_versions(index.kinds.values())
    order = [g for g in _BUILTIN_GROUP_ORDER if g in versions and g]
    order += sorted(g for g in versions if g not in _BUILTIN_GROUP_ORDER)
    return [_group_entry(name, versions[name]) for name in order]


def _group_entry(name: str, versions: list[str]) -> dict[str, Any]:
    listed = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": listed, "preferredVersion": listed[0]}


def _group_list(index: ClusterIndex) -> dict[str, Any]:
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": _groups(index)}


def _group(index: ClusterIndex, name: str) -> Response:
    for entry in _groups(index):
        if entry["name"] == name:
            return responses.ok({"kind": "APIGroup", "apiVersion": "v1", **entry})
    return kube_status(404, _NOT_FOUND, details={})


def _resource_list(index: ClusterIndex, group: str, version: str) -> Response:
    infos = [i for i in index.kinds.values() if (i.group, i.version) == (group, version)]
    if not infos:
        return kube_status(404, _NOT_FOUND, details={})
    resources = [entry for info in infos for entry in info.api_resources()]
    if group:
        body = {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}",
            "resources": resources,
        }
    else:
        body = {"kind": "APIResourceList", "groupVersion": version, "resources": resources}
    return responses.ok(body)


# --- query helpers ------------------------------------------------------------------------------


def _first(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _flag(query: Query, name: str) -> bool:
    return (_first(query, name) or "").lower() in ("true", "t", "1")


def _int(query: Query, name: str) -> int | None:
    value = _first(query, name)
    if value in (None, ""):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"invalid {name} {value!r}: must be an integer") from exc
