"""The per-scan reference index: built once per list, answers every app, one-sided on bad input."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.core import references, usage
from bot.core.model import KindRef, RawObject, ResourceKey
from bot.core.reference_index import IndexBuilder, ReferenceIndex, well_formed


def _pod(name: str, account: object, *, owner: str = "web-6b4c4dfbd9") -> dict[str, object]:
    return {
        "metadata": {
            "name": name,
            "namespace": "shop",
            "labels": {"pod-template-hash": "6b4c4dfbd9"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": owner}],
        },
        "spec": {"serviceAccountName": account},
    }


def _pods_index(*pods: object) -> ReferenceIndex:
    builder = usage.index_builder(references.PODS)
    for pod in pods:
        builder.add(pod)
    return builder.finish()


def test_one_index_answers_every_app_in_walk_order() -> None:
    index = _pods_index(_pod("web-a", "worker"), _pod("web-b", "worker"), _pod("api-a", "api"))
    found = index.references_to(("ServiceAccount", "shop", "worker"))
    assert [(ref.key.name, via) for _, ref, via in found] == [
        ("web-a", "serviceAccountName"),
        ("web-b", "serviceAccountName"),
    ]
    assert len(index) == 3
    assert index.readable


def test_pods_know_their_replicaset_and_deployment() -> None:
    (pod,) = _pods_index(_pod("web-a", "worker")).referrers
    assert pod.owners == (
        ResourceKey("apps", "ReplicaSet", "shop", "web-6b4c4dfbd9"),
        ResourceKey("apps", "Deployment", "shop", "web"),
    )


def test_a_shared_index_gives_the_same_verdicts_as_raw_lists() -> None:
    pods = [_pod("web-a", "worker"), _pod("api-a", "api")]
    zombies = {
        ResourceKey("", "ServiceAccount", "shop", "worker"): None,
        ResourceKey("", "ServiceAccount", "shop", "gone"): None,
    }
    raw = usage.assess(zombies, {references.PODS: pods, **_empty_bindings()})
    shared = _pods_index(*pods)
    indexed = usage.assess(zombies, {references.PODS: shared, **_empty_bindings()})
    assert raw == indexed
    assert not indexed[ResourceKey("", "ServiceAccount", "shop", "worker")].safe
    assert indexed[ResourceKey("", "ServiceAccount", "shop", "gone")].safe


def _empty_bindings() -> dict[KindRef, list[object]]:
    return {references.ROLE_BINDINGS: [], references.CLUSTER_ROLE_BINDINGS: []}


def test_a_malformed_item_makes_the_whole_list_unreadable() -> None:
    index = _pods_index(_pod("web-a", "worker"), ["not", "an", "object"], _pod("web-b", "worker"))
    assert not index.readable
    assert len(index) == 0
    assert index.references_to(("ServiceAccount", "shop", "worker")) == []
    verdicts = usage.assess({ResourceKey("", "ServiceAccount", "shop", "x"): None}, {})
    assert not verdicts[ResourceKey("", "ServiceAccount", "shop", "x")].safe


def test_unhashable_names_name_nothing() -> None:
    index = _pods_index(_pod("web-a", ["a", "list"]))
    assert index.readable
    assert index.references_to(("ServiceAccount", "shop", ["a", "list"])) == []  # type: ignore[comparison-overlap]


def test_lists_without_references_keep_identities() -> None:
    crd_kind = KindRef("example.com", "v1", "Widget", "widgets")
    builder = usage.index_builder(crd_kind)
    builder.add({"metadata": {"name": "w1", "namespace": "shop"}, "spec": {}})
    index = builder.finish()
    assert [r.key for r in index.referrers] == [ResourceKey("example.com", "Widget", "shop", "w1")]
    assert [r.owners for r in index.referrers] == [()]


def test_the_builder_takes_any_indexer() -> None:
    builder = IndexBuilder(references.PODS, lambda obj: iter([(("ConfigMap", "ns", "c"), "here")]))
    builder.add({"metadata": {"name": "p"}})
    assert [via for _, _, via in builder.finish().references_to(("ConfigMap", "ns", "c"))] == [
        "here"
    ]


def test_walk_positions_stay_in_order_past_an_object_the_indexer_fails_on() -> None:
    """References keep counting from where a failing object stopped, never reusing a place."""

    def indexer(obj: RawObject) -> Iterator[tuple[references.Match, str]]:
        yield ("ConfigMap", "ns", "c"), "first"
        if obj["metadata"]["name"] == "odd":
            raise ValueError("odd pod")
        yield ("ConfigMap", "ns", "c"), "second"

    builder = IndexBuilder(references.PODS, indexer)
    builder.add({"metadata": {"name": "a"}})
    with pytest.raises(ValueError, match="odd pod"):
        builder.add({"metadata": {"name": "odd"}})
    builder.add({"metadata": {"name": "b"}})
    found = builder.finish().references_to(("ConfigMap", "ns", "c"))
    assert [(at, referrer.key.name, via) for at, referrer, via in found] == [
        (0, "a", "first"),
        (1, "a", "second"),
        (2, "odd", "first"),
        (3, "b", "first"),
        (4, "b", "second"),
    ]


def test_well_formed_objects() -> None:
    assert well_formed({"metadata": {}, "spec": None})
    assert not well_formed({"metadata": "x"})
    assert not well_formed("pod")


def test_one_app_questions_read_only_the_namespaces_users_can_be_in() -> None:
    scopes = usage.lookup_namespaces(
        [
            ResourceKey("", "ConfigMap", "shop", "old"),
            ResourceKey("", "ConfigMap", "cart", "old"),
            ResourceKey("", "Namespace", "", "legacy"),
        ]
    )
    assert scopes[references.PODS] == ("cart", "legacy", "shop")
    assert scopes[references.PVCS] == ("legacy",)


def test_anything_named_across_namespaces_needs_the_whole_list() -> None:
    scopes = usage.lookup_namespaces(
        [
            ResourceKey("", "ServiceAccount", "shop", "worker"),
            ResourceKey("scheduling.k8s.io", "PriorityClass", "", "high"),
        ]
    )
    assert scopes[references.PODS] == ()  # the PriorityClass: pods of every namespace
    assert scopes[references.ROLE_BINDINGS] == ()
    assert scopes[references.CLUSTER_ROLE_BINDINGS] == ()
    first_wide = usage.lookup_namespaces(
        [
            ResourceKey("scheduling.k8s.io", "PriorityClass", "", "high"),
            ResourceKey("", "ConfigMap", "shop", "old"),
        ]
    )
    assert first_wide[references.PODS] == ()
