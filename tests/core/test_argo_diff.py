"""Argo CD's diff (normalized vs predicted live), tracking methods and named writers, in small.

The realistic cases run on real objects in test_realdata_argo_diff.py; these pin the edges:
git values re-anchored on targetState, tracking metadata kept apart, label tracking, Argo CD's
SharedResourceWarning, HPA discovery and CA injection.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from bot.core import argo_diff, classify, diffs, parse, tracking
from bot.core.model import Condition, DiffOp, DriftClass, Finding
from bot.core.tracking import TrackingConfig, TrackingMethod
from tests.core import argo_predict as ap
from tests.core.conftest import K8s

LABEL = TrackingConfig(TrackingMethod.LABEL)
BOTH = TrackingConfig(TrackingMethod.ANNOTATION_AND_LABEL, "team.example/app")


def managed(target: Any, live: Any, predicted: Any) -> Any:
    (item,) = parse.parse_managed_resources({"items": [ap.item(target, live, predicted, live)]})
    return item


def classify_items(
    items: list[dict[str, Any]],
    *,
    tracking_config: TrackingConfig | None = None,
    conditions: tuple[Condition, ...] = (),
) -> tuple[Finding, ...]:
    parsed = parse.parse_managed_resources({"items": items})
    app = K8s.app("demo", [K8s.status_entry(m.key) for m in parsed])
    app = msgspec.structs.replace(app, conditions=conditions)
    facts = classify.Facts(tracking=tracking_config or TrackingConfig())
    return classify.classify_app(app, parsed, facts)


def deploy(**spec: Any) -> dict[str, Any]:
    return K8s.obj("Deployment", "web", "shop", group="apps", spec=spec)


# --- the diff ---------------------------------------------------------------------------------


def test_git_values_come_from_git_and_list_items_are_found_by_key() -> None:
    """The prediction reorders containers and fills a default; evidence reads git's item."""
    git = deploy(template={"spec": {"containers": [{"name": "b", "image": "b:2"}, {"name": "a"}]}})
    live = K8s.tracked(deploy(template={"spec": {"containers": [{"name": "a"}, {"name": "b"}]}}))
    live["metadata"]["uid"] = "1"
    predicted = json.loads(json.dumps(live))
    predicted["spec"]["template"]["spec"]["containers"][1]["image"] = "b:2"
    found = argo_diff.compute(managed(K8s.tracked(git), live, predicted), TrackingConfig())
    (change,) = found.changes
    assert change.pointer == "/spec/template/spec/containers/1/image"
    assert change.git_path == ("spec", "template", "spec", "containers", 0, "image")
    assert (change.op, change.git, found.approximate) == (DiffOp.REMOVED, "b:2", False)


def test_a_value_only_the_prediction_has_is_read_from_it() -> None:
    """A default filled into a port git added: git does not spell it, the prediction does."""
    git = K8s.tracked(deploy(ports=[{"port": 1}]))
    live = K8s.tracked(deploy())
    live["metadata"]["uid"] = "1"
    predicted = K8s.tracked(deploy(ports=[{"port": 1, "protocol": "TCP"}], extra={"x": 1}))
    predicted["metadata"]["uid"] = "1"
    found = argo_diff.compute(managed(git, live, predicted), TrackingConfig())
    by_path = {c.pointer: c for c in found.changes}
    assert by_path["/spec/extra"].git_from_prediction
    assert not by_path["/spec/ports"].git_from_prediction
    view = {"spec": {"extra": {"x": "shown"}}}
    evidence = diffs.to_evidence(
        by_path["/spec/extra"], git_view={}, live_view={}, predicted_view=view
    )
    assert evidence.git == {"x": "shown"}


def test_locate_gives_up_where_git_has_nothing() -> None:
    assert diffs.locate({"a": 1}, {"b": 1}, ("b",)) is None
    assert diffs.locate({"a": {"x": 1}}, {"a": [1]}, ("a", 0)) is None
    assert diffs.locate({"a": [1]}, {"a": [1, 2]}, ("a", 1)) is None
    assert diffs.locate({"a": [{"k": 1}]}, {"a": [{"k": 1}]}, ("a", 0, "k")) == ("a", 0, "k")


def test_a_prediction_without_metadata_is_compared_as_is() -> None:
    git = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"a": 1}}
    live = {"apiVersion": "v1", "kind": "Thing", "metadata": {"name": "t"}}
    predicted = {"apiVersion": "v1", "kind": "Thing", "spec": {"a": 1}}
    found = argo_diff.compute(managed(git, live, predicted), TrackingConfig())
    assert {c.pointer for c in found.changes} == {"/metadata", "/spec"}


def test_tracking_metadata_is_kept_apart_from_the_fields() -> None:
    """Predicted carries our id, live none: one TrackingChange, no differing field."""
    live = deploy()
    live["metadata"]["uid"] = "1"
    predicted = K8s.tracked(live)
    found = argo_diff.compute(managed(K8s.tracked(deploy()), live, predicted), TrackingConfig())
    assert found.changes == ()
    (moved,) = found.tracking
    assert (moved.expected, moved.live) == ("demo:apps/Deployment:shop/web", None)


def test_git_echoed_back_is_not_a_prediction() -> None:
    """A "prediction" equal to git while the object is live is no prediction: approximate."""
    git = K8s.tracked(deploy(replicas=2))
    live = K8s.tracked(deploy(replicas=3))
    item = managed(git, live, git)
    assert item.predicted is None
    assert argo_diff.compute(item, TrackingConfig()).approximate


# --- tracking methods ---------------------------------------------------------------------------


def test_tracking_pointers_per_method() -> None:
    annotation = ("metadata", "annotations", "argocd.argoproj.io/tracking-id")
    assert TrackingConfig().pointers() == (annotation,)
    assert LABEL.pointers() == (("metadata", "labels", "app.kubernetes.io/instance"),)
    assert BOTH.pointers() == (annotation, ("metadata", "labels", "team.example/app"))


def _labelled(value: str | None, *, uid: bool = True) -> dict[str, Any]:
    obj = deploy(replicas=1)
    if value is not None:
        obj["metadata"]["labels"] = {"app.kubernetes.io/instance": value}
    if uid:
        obj["metadata"]["uid"] = "1"
    return obj


def test_label_tracking_reads_the_instance_label() -> None:
    git = _labelled("demo", uid=False)
    cases = {"demo": None, None: "has no app.kubernetes.io/instance", "old": "naming app old"}
    for live_label, reason in cases.items():
        live = _labelled(live_label)
        (finding,) = classify_items(
            [ap.item(git, live, _labelled("demo"), live)], tracking_config=LABEL
        )
        if reason is None:
            assert finding.drift_class is DriftClass.UNEXPLAINED
            continue
        assert finding.drift_class is DriftClass.UNADOPTED
        assert reason in finding.summary
        assert "kubectl label -n shop deployment.apps web app.kubernetes.io/instance=demo" in (
            finding.fix.text
        )


def test_shared_resource_warning_names_the_other_app() -> None:
    """Argo CD's condition says another app claims it: contested even without the index."""
    git = K8s.tracked(deploy(replicas=1))
    live = K8s.tracked(deploy(replicas=1), app="team_other")
    live["metadata"]["uid"] = "1"
    predicted = dict(
        live, metadata={**live["metadata"], "annotations": git["metadata"]["annotations"]}
    )
    warning = Condition(
        "SharedResourceWarning", "Deployment/web is part of applications argocd/demo and team/other"
    )
    (finding,) = classify_items([ap.item(git, live, predicted, live)], conditions=(warning,))
    assert finding.drift_class is DriftClass.CONTESTED
    assert finding.users == ("team_other",)
    assert "the live tracking id says team_other owns it" in finding.summary


def test_shared_with_reads_only_matching_warnings() -> None:
    app = msgspec.structs.replace(
        K8s.app("demo"),
        conditions=(
            Condition("SharedResourceWarning", "Deployment/web is part of applications demo and b"),
            Condition("SharedResourceWarning", "Service/web is part of applications demo and c"),
            Condition("ComparisonError", "Deployment/web is part of applications demo and d"),
        ),
    )
    key = K8s.key(deploy())
    assert tracking.shared_with(app, key) == ("b",)


def test_a_tracking_only_diff_is_named_when_nothing_else_explains_it() -> None:
    """Our own id, restamped identically except for a detail names() ignores: say which."""
    live = deploy()
    live["metadata"]["uid"] = "1"
    live["metadata"]["annotations"] = {
        "argocd.argoproj.io/tracking-id": "demo:apps/Deployment:x/web"
    }
    predicted = K8s.tracked(live)
    # The live id names this app and object: the unadopted rule explains the restamp.
    (finding,) = classify_items([ap.item(K8s.tracked(deploy()), live, predicted, live)])
    assert "differs from the one Argo CD stamps" in finding.summary


def test_matching_states_in_predicted_mode_mean_a_stale_comparison() -> None:
    live = K8s.tracked(deploy(replicas=1))
    live["metadata"]["uid"] = "1"
    (finding,) = classify_items([ap.item(K8s.tracked(deploy(replicas=1)), live, live, live)])
    assert "stale comparison" in finding.summary


def test_only_tracking_differs_under_label_tracking_is_named() -> None:
    """Label tracking: the label is ours (names() holds) yet the annotation+label differ."""
    git = _labelled("demo", uid=False)
    live = _labelled("demo")
    predicted = _labelled("demo")
    predicted["metadata"]["labels"]["team.example/app"] = "demo"
    (finding,) = classify_items(
        [ap.item(git, live, predicted, live)],
        tracking_config=TrackingConfig(TrackingMethod.LABEL, "team.example/app"),
    )
    assert finding.drift_class is DriftClass.UNADOPTED


# --- named writers ------------------------------------------------------------------------------


def test_hpa_discovery_skips_malformed_and_other_targets() -> None:
    hpas = [
        {"spec": "bad"},
        {"spec": {"scaleTargetRef": "bad"}},
        {"spec": {"scaleTargetRef": {"apiVersion": "v1", "kind": "Pod", "name": "p"}}},
        {
            "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
            }
        },
    ]
    items = []
    for i, spec in enumerate(hpas):
        hpa = K8s.obj("HorizontalPodAutoscaler", f"h{i}", "shop", group="autoscaling", **spec)
        items.append(parse.parse_managed_resources({"items": [ap.item(hpa, hpa, hpa, hpa)]})[0])
    assert classify.autoscaled(items) == frozenset({K8s.key(deploy())})


def _webhook(bundle: str, annotations: dict[str, str], managers: list[str]) -> dict[str, Any]:
    hook = K8s.obj(
        "MutatingWebhookConfiguration",
        "inject",
        group="admissionregistration.k8s.io",
        annotations=annotations,
        webhooks=[{"name": "w", "clientConfig": {"caBundle": bundle}}],
    )
    hook["metadata"]["uid"] = "1"
    hook["metadata"]["managedFields"] = [
        {
            "manager": m,
            "operation": "Update",
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:webhooks": {'k:{"name":"w"}': {"f:clientConfig": {"f:caBundle": {}}}}},
        }
        for m in managers
    ]
    return K8s.tracked(hook, dest="")


def test_ca_bundles_are_injected_by_named_injectors_only() -> None:
    git = _webhook("", {}, [])
    git["metadata"].pop("uid")
    git["metadata"].pop("managedFields")
    cases = [
        ({}, ["cert-manager-cainjector"], DriftClass.INJECTED_FIELDS),
        ({"cert-manager.io/inject-ca-from": "ns/cert"}, [], DriftClass.INJECTED_FIELDS),
        ({"cert-manager.io/inject-ca-from": "ns/cert"}, ["kubectl-edit"], DriftClass.UNEXPLAINED),
        ({}, [], DriftClass.UNEXPLAINED),
    ]
    for notes, managers, expected in cases:
        live = _webhook("LS0tLS1CRUdJTi==", notes, managers)
        predicted = _webhook("", notes, managers)
        git_now = json.loads(json.dumps(git))
        git_now["metadata"]["annotations"].update(notes)
        (finding,) = classify_items([ap.item(git_now, live, predicted, live)])
        assert (finding.drift_class, managers) == (expected, managers)


def test_an_id_git_would_remove_is_named_as_the_only_difference() -> None:
    """Live carries our id, applying git would write none (git stamps nothing): say exactly."""
    git = deploy(replicas=1)
    live = K8s.tracked(deploy(replicas=1))
    live["metadata"]["uid"] = "1"
    predicted = deploy(replicas=1)
    predicted["metadata"]["uid"] = "1"
    (finding,) = classify_items([ap.item(git, live, predicted, live)])
    assert finding.drift_class is DriftClass.UNEXPLAINED
    assert finding.summary.startswith("Only its tracking metadata differs: applying git would")
