"""The classifier on real objects: gitops-engine's config/live pairs, as Argo CD would send them.

The pairs (``tests/data/realdata/gitops-engine-diff``, copied from argoproj/gitops-engine
``pkg/diff/testdata``) carry every server default, ``last-applied`` and ``managedFields`` a real
API server writes, and for server-side diffs the recorded dry-run result. `argo_predict` turns
each into the managed-resources item Argo CD builds (its README says how); the status entry is
OutOfSync exactly when that item's predicted and normalized live states differ, as in Argo CD.

Ground truth is written by hand from gitops-engine's own test verdicts (the data README) and
from reading each pair, never from the classifier: ``EXPECTED`` holds Argo CD's differing
paths and the class a person would give them.
"""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from bot.core import classify, diffs, parse
from bot.core.model import Condition, DriftClass, Finding, ManagedResource
from tests.core import argo_predict as ap
from tests.core.conftest import K8s
from tests.core.realdata_cases import EXPECTED, G, U

HPA = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "nginx", "namespace": "default"},
    "spec": {
        "scaleTargetRef": {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": "guestbook-ui",
        },
        "minReplicas": 1,
        "maxReplicas": 10,
    },
}


def items_of(name: str, *, predicted: bool = True) -> list[dict[str, Any]]:
    """The managed-resources items of one case (a scaled workload comes with its HPA)."""
    build = EXPECTED[name][0]
    cfg, raw, prediction, normalized = build()
    item = ap.item(cfg, raw, prediction, normalized)
    if not predicted:
        item["predictedLiveState"] = "null"
    out = [item]
    if "scaled" in name:
        hpa = K8s.tracked(HPA)
        out.append(ap.item(hpa, hpa, hpa, hpa))
    return out


def run(items: list[dict[str, Any]], **facts: Any) -> tuple[Finding, ...]:
    """Classify the items as one app, each OutOfSync exactly when Argo CD's diff says so."""
    return classify_parsed(parse.parse_managed_resources({"items": items}), items, **facts)


def classify_parsed(
    managed: tuple[ManagedResource, ...], items: list[dict[str, Any]], **facts: Any
) -> tuple[Finding, ...]:
    entries = [
        K8s.status_entry(m.key, "OutOfSync" if i.get("modified") else "Synced")
        for m, i in zip(managed, items, strict=True)
    ]
    app = K8s.app("demo", entries)
    return classify.classify_app(app, managed, classify.Facts(**facts))


def diff_paths(finding: Finding) -> set[str]:
    """The finding's paths that come from the diff (not the tracking claim evidence)."""
    return {p for p in finding.paths if "tracking-id" not in p}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_paths_and_class_are_argo_cds(name: str) -> None:
    """Each finding shows exactly Argo CD's differing paths and the class a person would give."""
    _, paths, expected = EXPECTED[name]
    findings = run(items_of(name))
    if expected is None:
        assert findings == ()
        return
    (finding,) = findings
    assert (diff_paths(finding), finding.drift_class) == (set(paths), expected)
    assert "Approximate" not in finding.summary


def test_not_modified_pairs_have_an_empty_argo_diff() -> None:
    """Argo CD's verdict "not modified": its prediction equals normalized live for every pair."""
    quiet = [n for n, (_, _, c) in EXPECTED.items() if c is None]
    assert len(quiet) >= 10
    modified = [n for n in quiet if items_of(n)[0].get("modified")]
    assert modified == []


def _precision(findings: list[Finding], names: list[str]) -> tuple[float, int]:
    shown = hits = 0
    for name, finding in zip(names, findings, strict=True):
        paths = diff_paths(finding)
        shown += len(paths)
        hits += len(paths & EXPECTED[name][1])
    return (hits / shown if shown else 1.0), shown


def _all_findings(*, predicted: bool) -> tuple[list[Finding], list[str]]:
    """Every case classified; for the git-vs-live baseline each case is forced OutOfSync."""
    findings: list[Finding] = []
    names: list[str] = []
    for name in sorted(EXPECTED):
        items = items_of(name, predicted=predicted)
        if not predicted:
            items[0]["modified"] = True
        for finding in run(items):
            if finding.key.kind != "HorizontalPodAutoscaler":
                findings.append(finding)
                names.append(name)
    return findings, names


def test_precision_over_the_corpus() -> None:
    """At least 90 % of the paths findings show are in Argo CD's diff (git vs live: far less)."""
    findings, names = _all_findings(predicted=True)
    precision, shown = _precision(findings, names)
    baseline, baseline_shown = _precision(*_all_findings(predicted=False))
    report = (
        f"precision {precision:.3f} over {shown} paths in {len(findings)} findings;"
        f" git-vs-live baseline {baseline:.3f} over {baseline_shown} paths"
    )
    assert precision >= 0.9, report
    assert baseline < precision, report


def test_aggregated_cluster_role_gets_argo_cds_compare_option() -> None:
    (finding,) = run(items_of("aggr-clusterrole"))
    assert "aggregation controller" in finding.summary
    assert "resource.compareoptions: |\n    ignoreAggregatedRoles: true" in finding.fix.text


def test_hpa_replicas_get_an_ignore_on_that_pointer() -> None:
    (finding,) = [
        f for f in run(items_of("deployment-scaled-by-hpa")) if f.key.kind == "Deployment"
    ]
    assert "HorizontalPodAutoscaler" in finding.summary
    assert finding.fix.text.endswith("    jsonPointers:\n      - /spec/replicas")


def test_without_an_hpa_the_controller_manager_is_not_a_reason() -> None:
    """kube-controller-manager owning replicas explains nothing unless an HPA targets it."""
    (item, _) = items_of("deployment-scaled-by-hpa")
    (finding,) = run([item])
    assert finding.drift_class is U


def test_chart_label_is_not_ownership_under_annotation_tracking() -> None:
    """aggr-clusterrole's git sets app.kubernetes.io/instance=clusterroles (not the app name)."""
    (item,) = items_of("aggr-clusterrole")
    assert "clusterroles" in item["targetState"]
    owners = {parse.parse_managed_resources({"items": [item]})[0].key: ("demo",)}
    (finding,) = run([item], owners=owners)
    assert finding.drift_class is G


def test_without_a_prediction_the_paths_are_marked_approximate() -> None:
    """Argo CD sent no predictedLiveState: git vs live, and the summary says so."""
    items = items_of("smd-service", predicted=False)
    items[0]["modified"] = True
    (finding,) = run(items)
    assert "Approximate paths" in finding.summary
    assert "/spec/ports/1/targetPort" in finding.paths


def test_a_tracking_id_fight_is_contested_not_field_drift() -> None:
    """Live carries another app's id: Argo CD's prediction would restamp ours. With both apps
    listing it that is contested; the id is evidence, not a differing field."""
    cfg, raw, _, _ = EXPECTED["deployment"][0]()
    raw = K8s.tracked(raw, app="other")
    predicted, normalized = ap.three_way(cfg, raw)
    item = ap.item(cfg, raw, predicted, normalized)
    key = parse.parse_managed_resources({"items": [item]})[0].key
    (finding,) = run([item], owners={key: ("demo", "other")})
    assert finding.drift_class is DriftClass.CONTESTED
    assert finding.paths == ("/metadata/annotations/argocd.argoproj.io~1tracking-id",)
    (alone,) = run([item])
    assert alone.drift_class is DriftClass.UNADOPTED


def test_the_only_diff_is_our_own_id_restamped() -> None:
    """Live has this app's id for a different namespace: Argo CD would restamp it."""
    cfg, raw, _, _ = EXPECTED["deployment"][0]()
    raw = K8s.tracked(raw, dest="elsewhere")
    raw["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = (
        "demo:apps/Deployment:elsewhere/guestbook-ui"
    )
    item = ap.item(cfg, raw, *ap.three_way(cfg, raw))
    (finding,) = run([item])
    assert finding.drift_class is DriftClass.UNADOPTED
    assert "differs from the one Argo CD stamps" in finding.summary


def test_a_failed_diff_is_named() -> None:
    """``{}`` states and a ComparisonError: Argo CD's diff failed, and the finding says why."""
    (item,) = items_of("smd-service")
    item["normalizedLiveState"] = item["predictedLiveState"] = "{}"
    managed = parse.parse_managed_resources({"items": [item]})
    app = msgspec.structs.replace(
        K8s.app("demo", [K8s.status_entry(managed[0].key)]),
        conditions=(Condition("ComparisonError", "failed to get dry run: timeout"),),
    )
    (finding,) = classify.classify_app(app, managed, classify.Facts())
    assert finding.drift_class is U
    assert "failed to get dry run: timeout" in finding.summary
    assert finding.paths == ()  # no guessed paths where Argo CD has no diff


def test_the_old_diff_would_report_server_defaults() -> None:
    """Why this matters: git vs live on the real Deployment shows API-server defaults."""
    cfg, raw, _, _ = EXPECTED["deployment"][0]()
    pointers = {c.pointer for c in diffs.diff(cfg, raw)}
    assert "/spec/template/spec/dnsPolicy" in pointers


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("predicted", [True, False], ids=["predicted", "git_vs_live"])
def test_classifying_leaves_the_managed_states_untouched(name: str, predicted: bool) -> None:
    """The diff copies only the maps it edits (metadata, labels, annotations) and shares the
    rest with the parsed states; none of them may change, on any real pair, either diff."""
    items = items_of(name, predicted=predicted)
    managed = parse.parse_managed_resources({"items": items})
    before = copy.deepcopy([(m.target, m.live, m.predicted, m.normalized) for m in managed])
    findings = classify_parsed(managed, items)
    assert findings or EXPECTED[name][2] is None
    assert [(m.target, m.live, m.predicted, m.normalized) for m in managed] == before
