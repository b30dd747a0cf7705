"""Git-versus-live diff: ops from git's side, bookkeeping ignored, lists matched by key."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import diffs, paths, schema
from bot.core.diffs import Change
from bot.core.model import ABSENT, DiffOp, Evidence
from bot.core.redact import REDACTED, redact_value


def _obj(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, **fields}


def _pointers(changes: tuple[Change, ...]) -> list[str]:
    return [c.pointer for c in changes]


def test_identical_objects_have_no_diff() -> None:
    """Equal manifests produce no changes."""
    assert diffs.diff(_obj(data={"a": "1"}), _obj(data={"a": "1"})) == ()


def test_ops_are_seen_from_git() -> None:
    """Live-only is added, git-only is removed, different is changed, with both values."""
    changes = diffs.diff(_obj(data={"a": "1", "b": "2"}), _obj(data={"a": "9", "c": "3"}))
    assert changes == (
        Change(DiffOp.CHANGED, ("data", "a"), ("data", "a"), git="1", live="9"),
        Change(DiffOp.REMOVED, ("data", "b"), ("data", "b"), git="2"),
        Change(DiffOp.ADDED, ("data", "c"), ("data", "c"), live="3"),
    )


@pytest.mark.parametrize(
    "field",
    [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "selfLink",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
    ],
)
def test_server_bookkeeping_in_metadata_is_ignored(field: str) -> None:
    """Fields the API server writes for itself in top-level metadata are never drift."""
    live = _obj()
    live["metadata"][field] = "server-value"
    assert diffs.diff(_obj(), live) == ()


def test_status_is_ignored() -> None:
    """The top-level status belongs to controllers, not git."""
    assert diffs.diff(_obj(), _obj(status={"phase": "Bound"})) == ()


def test_nested_creation_timestamp_is_not_ignored() -> None:
    """Only the top-level creationTimestamp is bookkeeping; a template's is a real field."""
    git = _obj(spec={"template": {"metadata": {"creationTimestamp": None}}})
    live = _obj(spec={"template": {"metadata": {}}})
    assert _pointers(diffs.diff(git, live)) == ["/spec/template/metadata/creationTimestamp"]


def test_owner_references_are_kept() -> None:
    """ownerReferences are not bookkeeping: a change there is reported."""
    live = _obj()
    live["metadata"]["ownerReferences"] = [{"kind": "X", "name": "y"}]
    assert _pointers(diffs.diff(_obj(), live)) == ["/metadata/ownerReferences"]


@pytest.mark.parametrize(
    "annotation",
    ["kubectl.kubernetes.io/last-applied-configuration", "argocd.argoproj.io/tracking-id"],
)
def test_argo_and_kubectl_annotations_alone_are_no_drift(annotation: str) -> None:
    """An annotations map holding only last-applied or the tracking id is not a diff."""
    live = _obj()
    live["metadata"]["annotations"] = {annotation: "x"}
    assert diffs.diff(_obj(), live) == ()


def test_other_annotations_next_to_bookkeeping_are_reported() -> None:
    """Ignoring the bookkeeping annotation keeps the real ones."""
    live = _obj()
    live["metadata"]["annotations"] = {"argocd.argoproj.io/tracking-id": "x", "team": "a"}
    assert _pointers(diffs.diff(_obj(), live)) == ["/metadata/annotations"]


def test_empty_annotations_in_both_are_kept_as_they_are() -> None:
    """An empty annotations map is not touched by normalization."""
    git, live = _obj(), _obj()
    live["metadata"]["annotations"] = {}
    assert diffs.normalize(live)["metadata"]["annotations"] == {}
    assert _pointers(diffs.diff(git, live)) == ["/metadata/annotations"]


def test_descent_stops_at_an_added_object() -> None:
    """A subtree only live has is one added path holding the whole value."""
    changes = diffs.diff(_obj(spec={}), _obj(spec={"target": {"a": 1, "b": {"c": 2}}}))
    assert changes == (
        Change(DiffOp.ADDED, ("spec", "target"), ("spec", "target"), live={"a": 1, "b": {"c": 2}}),
    )


def test_type_change_is_one_changed_path() -> None:
    """A map replaced by a list (or a scalar) is reported at that path, not below it."""
    changes = diffs.diff(_obj(spec={"a": {"b": 1}}), _obj(spec={"a": [1]}))
    assert changes == (Change(DiffOp.CHANGED, ("spec", "a"), ("spec", "a"), {"b": 1}, [1]),)


def test_true_and_one_are_different() -> None:
    """JSON ``true`` and ``1`` differ even though Python's ``True == 1``."""
    assert _pointers(diffs.diff(_obj(spec={"a": True}), _obj(spec={"a": 1}))) == ["/spec/a"]


def test_pointer_segments_are_escaped() -> None:
    """Keys with ``/`` and ``~`` are escaped as ``~1`` and ``~0`` in the pointer."""
    git = _obj(spec={"template": {"metadata": {"annotations": {"checksum/config": "a", "x~y": 1}}}})
    live = _obj(
        spec={"template": {"metadata": {"annotations": {"checksum/config": "b", "x~y": 2}}}}
    )
    assert _pointers(diffs.diff(git, live)) == [
        "/spec/template/metadata/annotations/checksum~1config",
        "/spec/template/metadata/annotations/x~0y",
    ]


def _pod_spec(*containers: dict[str, Any]) -> dict[str, Any]:
    return _obj(spec={"template": {"spec": {"containers": list(containers)}}})


def test_reordered_containers_are_no_diff() -> None:
    """Containers are matched by name, so a different order is not drift."""
    a, b = {"name": "a", "image": "x"}, {"name": "b", "image": "y"}
    assert diffs.diff(_pod_spec(a, b), _pod_spec(b, a)) == ()


def test_inserted_env_var_is_one_addition_at_its_live_index() -> None:
    """An env var inserted in the middle is one added item, not a cascade of changes."""
    git = _pod_spec(
        {"name": "app", "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]}
    )
    live = _pod_spec(
        {
            "name": "app",
            "env": [
                {"name": "A", "value": "1"},
                {"name": "B", "value": "2"},
                {"name": "C", "value": "3"},
            ],
        }
    )
    changes = diffs.diff(git, live)
    assert _pointers(changes) == ["/spec/template/spec/containers/0/env/1"]
    assert changes[0].op is DiffOp.ADDED


def test_matched_items_use_the_live_index_and_remember_the_git_index() -> None:
    """A changed field of a moved container points at its live index; git_path keeps git's."""
    git = _pod_spec({"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"})
    live = _pod_spec({"name": "b", "image": "y:2"}, {"name": "a", "image": "x:1"})
    (change,) = diffs.diff(git, live)
    assert change.pointer == "/spec/template/spec/containers/0/image"
    assert change.git_path == ("spec", "template", "spec", "containers", 1, "image")


def test_git_only_item_is_removed_at_its_git_index() -> None:
    """An item only git has is removed, pointed at by its git index."""
    git = _pod_spec({"name": "a"}, {"name": "sidecar"})
    live = _pod_spec({"name": "a"})
    (change,) = diffs.diff(git, live)
    assert (change.op, change.pointer, change.git) == (
        DiffOp.REMOVED,
        "/spec/template/spec/containers/1",
        {"name": "sidecar"},
    )


@pytest.mark.parametrize(
    ("field", "git", "live"),
    [
        pytest.param(
            "ports",
            [{"containerPort": 80}, {"containerPort": 443}],
            [{"containerPort": 443}, {"containerPort": 80}],
            id="container_ports_by_containerPort",
        ),
        pytest.param(
            "ports",
            [{"port": 80, "name": "http"}, {"port": 443, "name": "https"}],
            [{"port": 443, "name": "https"}, {"port": 80, "name": "http"}],
            id="service_ports_by_port",
        ),
        pytest.param(
            "volumeMounts",
            [{"mountPath": "/a", "name": "v"}, {"mountPath": "/b", "name": "v"}],
            [{"mountPath": "/b", "name": "v"}, {"mountPath": "/a", "name": "v"}],
            id="volume_mounts_by_mountPath",
        ),
        pytest.param(
            "data",
            [
                {"secretKey": "A", "remoteRef": {"key": "a"}},
                {"secretKey": "B", "remoteRef": {"key": "b"}},
            ],
            [
                {"secretKey": "B", "remoteRef": {"key": "b"}},
                {"secretKey": "A", "remoteRef": {"key": "a"}},
            ],
            id="external_secret_data_by_secretKey",
        ),
        pytest.param(
            "imagePullSecrets",
            [{"name": "a"}, {"name": "b"}],
            [{"name": "b"}, {"name": "a"}],
            id="pull_secrets",
        ),
    ],
)
def test_keyed_lists_match_by_key_not_index(field: str, git: list[Any], live: list[Any]) -> None:
    """Lists Kubernetes merges by key are compared by that key, so reordering is no drift."""
    assert diffs.diff(_obj(spec={field: git}), _obj(spec={field: live})) == ()


def test_unkeyed_lists_are_compared_by_index() -> None:
    """Plain lists (args) compare position by position."""
    changes = diffs.diff(_obj(spec={"args": ["a", "b"]}), _obj(spec={"args": ["b", "a", "c"]}))
    assert [(c.op, c.pointer) for c in changes] == [
        (DiffOp.CHANGED, "/spec/args/0"),
        (DiffOp.CHANGED, "/spec/args/1"),
        (DiffOp.ADDED, "/spec/args/2"),
    ]


def test_git_longer_than_live_by_index() -> None:
    """Extra git items of an index-matched list are removed at their index."""
    changes = diffs.diff(_obj(spec={"args": ["a", "b"]}), _obj(spec={"args": ["a"]}))
    assert [(c.op, c.pointer) for c in changes] == [(DiffOp.REMOVED, "/spec/args/1")]


def test_key_needs_every_item_to_have_it() -> None:
    """A keyed list with an item lacking the key falls back to index matching."""
    git = _obj(spec={"env": [{"name": "A"}, {"value": "x"}]})
    live = _obj(spec={"env": [{"value": "x"}, {"name": "A"}]})
    assert _pointers(diffs.diff(git, live)) == [
        "/spec/env/0/name",
        "/spec/env/0/value",
        "/spec/env/1/name",
        "/spec/env/1/value",
    ]


def test_crd_list_map_keys_match_even_when_git_omits_a_key_field(
    rollout_crd: dict[str, Any],
) -> None:
    """Rollout ports are keyed by (containerPort, protocol); git without protocol still matches."""
    crd_schema = schema.version_schema(rollout_crd, "argoproj.io/v1alpha1")

    def rollout(ports: list[dict[str, Any]]) -> dict[str, Any]:
        container = {"name": "app", "ports": ports}
        return {"kind": "Rollout", "spec": {"template": {"spec": {"containers": [container]}}}}

    git = rollout([{"containerPort": 9090}, {"containerPort": 8080}])
    live = rollout(
        [{"containerPort": 8080, "protocol": "TCP"}, {"containerPort": 9090, "protocol": "TCP"}]
    )
    changes = diffs.diff(git, live, crd_schema=crd_schema)
    assert [(c.op, c.pointer, c.live) for c in changes] == [
        (DiffOp.ADDED, "/spec/template/spec/containers/0/ports/0/protocol", "TCP"),
        (DiffOp.ADDED, "/spec/template/spec/containers/0/ports/1/protocol", "TCP"),
    ]


def test_same_key_twice_pairs_in_order() -> None:
    """Duplicate keys pair first-with-first, second-with-second."""
    git = _obj(spec={"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]})
    live = _obj(spec={"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "3"}]})
    assert _pointers(diffs.diff(git, live)) == ["/spec/env/1/value"]


def test_evidence_values_come_from_the_redacted_views() -> None:
    """An env value next to a secret-looking name is masked in evidence, via its whole object."""
    git = _pod_spec({"name": "db", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]})
    live = _pod_spec({"name": "db", "env": [{"name": "DB_PASSWORD", "value": "letmein"}]})
    (change,) = diffs.diff(git, live)
    evidence = diffs.to_evidence(
        change,
        git_view=redact_value(git, kind="Deployment"),
        live_view=redact_value(live, kind="Deployment"),
    )
    assert evidence == Evidence(
        "/spec/template/spec/containers/0/env/0/value", DiffOp.CHANGED, git=REDACTED, live=REDACTED
    )
    assert change.git == "hunter2"  # rules still decide on the raw value


def test_evidence_reads_the_git_side_at_the_git_index() -> None:
    """For a moved list item, evidence's git value comes from git's own position."""
    git = _pod_spec({"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"})
    live = _pod_spec({"name": "b", "image": "y:2"}, {"name": "a", "image": "x:1"})
    (change,) = diffs.diff(git, live)
    evidence = diffs.to_evidence(change, git_view=git, live_view=live)
    assert (evidence.git, evidence.live) == ("y:1", "y:2")


def test_absent_sides_stay_absent_in_evidence() -> None:
    """An added field has no git value in its evidence (not null, absent)."""
    (change,) = diffs.diff(_obj(data={}), _obj(data={"a": None}))
    evidence = diffs.to_evidence(change, git_view=_obj(data={}), live_view=_obj(data={"a": None}))
    assert evidence.git is ABSENT
    assert evidence.live is None


# --- paths -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("segments", "text"),
    [
        pytest.param((), "", id="root"),
        pytest.param(("spec", "data", 0, "remoteRef"), "/spec/data/0/remoteRef", id="nested"),
        pytest.param(
            ("metadata", "annotations", "a/b~c"), "/metadata/annotations/a~1b~0c", id="escaped"
        ),
    ],
)
def test_pointer_round_trip(segments: tuple[Any, ...], text: str) -> None:
    """Segments render to RFC 6901 pointers and parse back (digits become indices)."""
    assert paths.pointer(segments) == text
    assert paths.split(text) == segments


def test_unescape_order_follows_rfc_6901() -> None:
    """``~01`` is ``~1`` literally, not ``/`` (``~1`` is undone before ``~0``)."""
    assert paths.unescape("~01") == "~1"


def test_resolve_walks_maps_and_lists() -> None:
    """Resolve follows keys and indices and answers ABSENT for any missing step."""
    doc = {"a": [{"b": 1}]}
    assert paths.resolve(doc, ("a", 0, "b")) == 1
    assert paths.resolve(doc, ("a", 1, "b")) is ABSENT
    assert paths.resolve(doc, ("a", "0")) is ABSENT
    assert paths.resolve(doc, ("z",)) is ABSENT


def test_dotted_spelling() -> None:
    """Paths read as ``spec.data[0].remoteRef`` in summaries."""
    assert paths.dotted(("spec", "data", 0, "remoteRef")) == "spec.data[0].remoteRef"


@pytest.mark.parametrize(
    ("a", "b", "equal"),
    [
        pytest.param(True, 1, False, id="true_vs_1"),
        pytest.param(1, 1.0, True, id="int_vs_float"),
        pytest.param({"a": [1]}, {"a": [1]}, True, id="nested_equal"),
        pytest.param({"a": 1}, {"b": 1}, False, id="other_keys"),
        pytest.param([1], [1, 2], False, id="other_length"),
        pytest.param({}, [], False, id="map_vs_list"),
        pytest.param("a", {"a": 1}, False, id="scalar_vs_map"),
        pytest.param(None, None, True, id="nulls"),
    ],
)
def test_json_equal(a: Any, b: Any, equal: bool) -> None:
    """json_equal compares like JSON: types matter for booleans and containers."""
    assert paths.json_equal(a, b) is equal
