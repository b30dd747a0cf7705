"""`decoding.POD_LIST` keeps exactly what the usage index reads of a pod.

The view drops everything else of a pod list (status, managed fields, probes, tolerations, env
values...). That is only safe while the readers (`bot.core.references`, `bot.core.usage`'s pod
owners, the index builder, the reader's uid de-duplication) read nothing the view drops: these
tests record every key they read on a realistic pod and fail when one is not kept.
"""

from __future__ import annotations

import json
import typing
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.kube import decoding
from bot.adapters.kube.objects import uid_of
from bot.core import usage
from bot.core.reference_index import ReferenceIndex
from bot.core.references import PODS
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster import workloads
from bot.simulator.cluster.objects import Ids

NOW = datetime(2026, 4, 25, 9, 0, tzinfo=UTC)
_EVERY_REFERENCE: dict[str, Any] = {
    "serviceAccountName": "shop",
    "priorityClassName": "high",
    "imagePullSecrets": [{"name": "pull"}],
    "volumes": [
        {"name": "cfg", "configMap": {"name": "cm-volume", "defaultMode": 420}},
        {"name": "tls", "secret": {"secretName": "secret-volume", "optional": False}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data", "readOnly": True}},
        {
            "name": "all",
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"configMap": {"name": "cm-projected", "items": [{"key": "a", "path": "a"}]}},
                    {"secret": {"name": "secret-projected"}},
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                ],
            },
        },
        {"name": "tmp", "emptyDir": {}},
    ],
    "initContainers": [
        {
            **m.container("init", "busybox:1.36", args=["sh", "-c", "true"]),
            "envFrom": [
                {"configMapRef": {"name": "cm-envfrom"}},
                {"secretRef": {"name": "secret-envfrom", "optional": True}, "prefix": "S_"},
            ],
        }
    ],
    "containers": [
        {
            **m.container("main", "ghcr.io/example/web:1.4.2", ports=[("http", 8080)]),
            "env": [
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-env", "key": "a"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "secret-env", "key": "b"}}},
                {"name": "C", "value": "plain"},
                {"name": "D", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
        }
    ],
    "ephemeralContainers": [
        {"name": "debug", "image": "busybox", "envFrom": [{"configMapRef": {"name": "cm-dbg"}}]}
    ],
}


def _realistic_pod() -> dict[str, Any]:
    """A pod as the API server lists it (spec defaults, status, owner), naming every way."""
    labels = m.selector_labels("web", "shop")
    main = m.container("main", "ghcr.io/example/web:1.4.2")
    deployment = m.deployment("web", "shop", [main], labels=labels, selector=labels)
    deployment["metadata"]["uid"] = "d-uid"
    owner = workloads.replica_set(deployment, "6b4c4dfbd9", replicas=1, ready=1, revision=1)
    owner["metadata"]["uid"] = "rs-uid"
    template = {
        "metadata": {"labels": {**labels, "pod-template-hash": "6b4c4dfbd9"}},
        "spec": _EVERY_REFERENCE,
    }
    plan = workloads.PodPlan(
        "web-6b4c4dfbd9-x7k2p",
        "shop",
        owner,
        template,
        workloads.running(age=timedelta(days=3)),
        "node-1",
        "10.0.0.7",
    )
    pod = workloads.pod(plan, ids=Ids("view"), now=NOW)
    spec = pod["spec"]
    service_account_token = spec["volumes"]
    # What `_pod_spec` keeps only partly of the template: every way a pod names something.
    spec.update({k: v for k, v in _EVERY_REFERENCE.items() if k != "containers"})
    spec["volumes"] = [*_EVERY_REFERENCE["volumes"], *service_account_token]
    pod["metadata"]["uid"] = "pod-uid"
    pod["metadata"]["managedFields"] = [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]
    return pod


# --- what the readers read --------------------------------------------------------------------

Path = tuple[str, ...]
_ITEM = "[]"
_EVERY_KEY = "*"


class _Recorded(dict[str, Any]):
    """A JSON object that notes the path of every key read from it (children likewise)."""

    def __init__(self, value: dict[str, Any], path: Path, reads: set[Path]) -> None:
        super().__init__({k: _recorded(v, (*path, k), reads) for k, v in value.items()})
        self._path, self._reads = path, reads

    def get(self, key: str, default: Any = None) -> Any:
        self._reads.add((*self._path, key))
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self._reads.add((*self._path, key))
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self._reads.add((*self._path, str(key)))
        return super().__contains__(key)

    def __iter__(self) -> typing.Iterator[str]:
        self._reads.add((*self._path, _EVERY_KEY))
        return super().__iter__()

    def keys(self) -> Any:
        self._reads.add((*self._path, _EVERY_KEY))
        return super().keys()

    def values(self) -> Any:
        self._reads.add((*self._path, _EVERY_KEY))
        return super().values()

    def items(self) -> Any:
        self._reads.add((*self._path, _EVERY_KEY))
        return super().items()


def _recorded(value: Any, path: Path, reads: set[Path]) -> Any:
    if isinstance(value, dict):
        return _Recorded(value, path, reads)
    if isinstance(value, list):
        return [_recorded(v, (*path, _ITEM), reads) for v in value]
    return value


def _read_by_the_index(pod: dict[str, Any]) -> set[Path]:
    """Every path the reader and the pod index read of ``pod`` (list items as ``[]``)."""
    reads: set[Path] = set()
    recorded = _recorded(pod, (), reads)
    uid_of(recorded)
    builder = usage.index_builder(PODS)
    builder.add(recorded)
    assert builder.finish().readable
    return reads


def _kept(view: Any, path: Path) -> bool:
    """Whether the view type ``view`` keeps what is at ``path`` (whole, below ``Any``)."""
    if view is Any:
        return True
    args = [a for a in typing.get_args(view) if a is not type(None)]
    if typing.get_origin(view) in (typing.Union, type(int | None)):
        (view,) = args
        return _kept(view, path)
    if not path:
        return True
    head, rest = path[0], path[1:]
    if typing.get_origin(view) is list:
        return head == _ITEM and _kept(args[0], rest)
    hints = typing.get_type_hints(view) if typing.is_typeddict(view) else {}
    return head in hints and _kept(hints[head], rest)


def _pod_view() -> Any:
    (items,) = [h for k, h in typing.get_type_hints(decoding.POD_LIST.type).items() if k == "items"]
    (pod,) = typing.get_args(items)
    return pod


def test_the_view_keeps_every_field_the_usage_index_reads() -> None:
    reads = _read_by_the_index(_realistic_pod())
    assert {p for p in reads if not _kept(_pod_view(), p)} == set()


def test_the_recording_sees_deep_reads_and_the_check_sees_dropped_fields() -> None:
    """The two halves of the test above can fail: reads are seen, dropped fields are refused."""
    reads = _read_by_the_index(_realistic_pod())
    assert ("spec", "volumes", _ITEM, "projected", "sources", _ITEM, "secret", "name") in reads
    assert ("metadata", "ownerReferences", _ITEM, "apiVersion") in reads
    view = _pod_view()
    assert _kept(view, ("spec", "containers", _ITEM, "env", _ITEM, "valueFrom", "secretKeyRef"))
    assert not _kept(view, ("spec", "containers", _ITEM, "image"))
    assert not _kept(view, ("spec", "nodeName"))
    assert not _kept(view, ("metadata", "labels", _EVERY_KEY))
    assert not _kept(view, ("status", "phase"))


# --- the same index either way ----------------------------------------------------------------


def _page(*items: object) -> bytes:
    return json.dumps({"kind": "PodList", "metadata": {}, "items": items}).encode()


def _index(items: list[Any]) -> ReferenceIndex:
    builder = usage.index_builder(PODS)
    for item in items:
        builder.add(item)
    return builder.finish()


def _everything(index: ReferenceIndex, items: list[Any]) -> dict[Any, Any]:
    """Every reference the index holds for whatever ``items`` could name, and its referrers."""
    names = {json.dumps(v) for v in _leaves(items)}
    kinds = (
        "Namespace",
        "ServiceAccount",
        "PriorityClass",
        "Secret",
        "ConfigMap",
        "PersistentVolumeClaim",
    )
    found = {
        (kind, space, name): index.references_to((kind, space, json.loads(name)))
        for kind in kinds
        for space in (None, "shop")
        for name in names
    }
    return {"referrers": index.referrers, "found": {k: v for k, v in found.items() if v}}


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def test_a_realistic_pod_indexes_the_same_through_the_view_and_whole() -> None:
    pods = [_realistic_pod(), {**_realistic_pod(), "spec": {"serviceAccount": "legacy"}}]
    body = _page(*pods)
    viewed = decoding.loads(body, decoding.POD_LIST)["items"]
    whole = decoding.loads(body)["items"]
    assert viewed != whole  # the view did drop something
    assert _everything(_index(viewed), whole) == _everything(_index(whole), whole)
    assert len(_everything(_index(whole), whole)["found"]) == 16


def test_the_view_keeps_nulls_where_the_readers_accept_them() -> None:
    """``null`` parts decode through the view as ``None``, as whole decoding would."""
    pod = {
        "metadata": {"name": "p", "labels": None, "ownerReferences": None},
        "spec": {"volumes": [{"name": "v", "configMap": None}], "containers": None},
    }
    (viewed,) = decoding.loads(_page(pod), decoding.POD_LIST)["items"]
    assert viewed == pod


@pytest.mark.parametrize(
    "odd_spec",
    [
        pytest.param({"volumes": ["cfg"]}, id="volume_not_an_object"),
        pytest.param({"containers": [{"env": {"A": "b"}}]}, id="env_not_a_list"),
        pytest.param({"imagePullSecrets": [{"name": "a"}, 7]}, id="pull_secret_not_an_object"),
        pytest.param({"volumes": [{"projected": {"sources": "all"}}]}, id="projection_not_a_list"),
    ],
)
def test_a_pod_list_shaped_otherwise_is_decoded_whole(odd_spec: dict[str, Any]) -> None:
    """Malformed pods reach the index as they are, so it fails on them as it always did."""
    pods = [_realistic_pod(), {"metadata": {"name": "odd"}, "spec": odd_spec, "status": {}}]
    body = _page(*pods)
    assert decoding.loads(body, decoding.POD_LIST) == json.loads(body)
