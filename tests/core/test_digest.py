"""The daily digest: comparing with yesterday, folding acks (rendering: tests/delivery/render)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core import acks as acks_core
from bot.core.digest import FindingRef, Snapshot, build_digest, snapshot_of
from bot.core.model import (
    Ack,
    AckScope,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.errors import InputError

T0 = datetime(2024, 5, 2, 9, 0, tzinfo=UTC)
YESTERDAY = T0 - timedelta(days=1)
TOTALS = Totals(total=52, out_of_sync=20, progressing=4, stuck=1)


def finding(
    app: str = "gitea",
    name: str = "gitea-admin",
    *,
    cls: DriftClass = DriftClass.SCHEMA_DEFAULTS,
    kind: str = "ExternalSecret",
    namespace: str = "gitea",
    live: Any = "Retain",
    summary: str = "1 field defaulted by the CRD schema",
    paths: tuple[str, ...] = ("/spec/target/deletionPolicy",),
) -> Finding:
    return Finding(
        app=app,
        drift_class=cls,
        key=ResourceKey("external-secrets.io", kind, namespace, name),
        summary=summary,
        evidence=tuple(Evidence(p, DiffOp.ADDED, live=live) for p in paths),
        fix=Fix(FixKind.PIN_IN_GIT, "deletionPolicy: Retain"),
    )


def stuck(app: str = "argo-rollouts", *, log: tuple[str, ...] = ("fatal: boom",)) -> StuckApp:
    pod = PodDiagnosis(
        namespace="argo-rollouts",
        name="argo-rollouts-6d8f-x2",
        container="argo-rollouts",
        reason="CrashLoopBackOff",
        restarts=1154,
        started_at=T0 - timedelta(days=21),
        log=log,
    )
    return StuckApp(app=app, health="Progressing", since=T0 - timedelta(days=21), pods=(pod,))


def report(
    findings: tuple[Finding, ...] = (),
    *,
    stuck_apps: tuple[StuckApp, ...] = (),
    errors: tuple[ScanError, ...] = (),
    totals: Totals = TOTALS,
) -> ScanReport:
    return ScanReport(
        generated_at=T0, totals=totals, findings=findings, stuck=stuck_apps, errors=errors
    )


def ack(findings: list[Finding], scope: str = "gitea", *, now: datetime = T0) -> Ack:
    return acks_core.new_ack(
        ack_id="a7",
        scope=acks_core.parse_scope(scope),
        findings=findings,
        by="U123",
        reason="upstream chart bug",
        now=now,
    )


def snapshot(*findings: Finding, totals: Totals = TOTALS) -> Snapshot:
    return snapshot_of(ScanReport(generated_at=YESTERDAY, totals=totals, findings=findings))


# --- snapshots ------------------------------------------------------------------------------


def test_snapshot_of_remembers_totals_and_findings_by_fingerprint() -> None:
    """A snapshot keys a small reference to each finding by its fingerprint."""
    f = finding()
    snap = snapshot_of(report((f,)))
    assert snap.taken_at == T0
    assert snap.totals == TOTALS
    assert snap.fingerprints == {f.fingerprint: FindingRef.of(f)}


def test_snapshot_json_round_trips() -> None:
    """A snapshot read back from its JSON equals the original."""
    snap = snapshot(finding(), finding(name="other", cls=DriftClass.ZOMBIE))
    assert Snapshot.from_json(json.loads(json.dumps(snap.to_json()))) == snap


def test_finding_ref_shortens_long_summaries() -> None:
    """A snapshot keeps at most 200 characters of a summary."""
    ref = FindingRef.of(finding(summary="x" * 500))
    assert len(ref.summary) == 200
    assert ref.summary.endswith("…")


def _snap_json(**changes: Any) -> dict[str, Any]:
    data = snapshot(finding()).to_json()
    data.update(changes)
    return data


def _ref_json(**changes: Any) -> dict[str, Any]:
    return {"x": {**FindingRef.of(finding()).to_json(), **changes}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param("[]", "must be a JSON object", id="not-an-object"),
        pytest.param(_snap_json(version=2), "version 2 is not 1", id="future-version"),
        pytest.param(_snap_json(findings=[]), "snapshot findings must be", id="findings-list"),
        pytest.param(_snap_json(findings={"x": 3}), "finding ref must be", id="ref-not-object"),
        pytest.param(
            _snap_json(findings=_ref_json(**{"class": "nope"})),
            "unknown drift class",
            id="ref-unknown-class",
        ),
        pytest.param(
            _snap_json(findings=_ref_json(name=None)), "'name' must be a string", id="ref-name-null"
        ),
        pytest.param(_snap_json(totals=None), "totals must be", id="totals-null"),
        pytest.param(_snap_json(totals={"total": 1}), "integer total", id="totals-partial"),
        pytest.param(
            _snap_json(totals={"total": True, "out_of_sync": 0, "progressing": 0, "stuck": 0}),
            "integer total",
            id="totals-bool",
        ),
        pytest.param(_snap_json(taken_at="soon"), "not an ISO-8601", id="taken-at-garbage"),
    ],
)
def test_snapshot_from_json_rejects_malformed_data(data: object, message: str) -> None:
    """Stored data that is not a snapshot of this version raises InputError saying why."""
    with pytest.raises(InputError, match=message):
        Snapshot.from_json(data)


# --- build_digest ---------------------------------------------------------------------------


def test_first_digest_has_no_trend_and_no_new_or_resolved() -> None:
    """Without yesterday's snapshot nothing is called new or resolved."""
    d = build_digest(report((finding(),)), previous=None, acks=[], now=T0)
    assert d.previous_totals is None
    assert (d.new, d.resolved) == ((), ())
    assert d.generated_at == T0


def test_digest_names_new_and_resolved_drift_by_fingerprint() -> None:
    """A finding absent yesterday is new; one present yesterday and gone today is resolved."""
    kept, gone, fresh = finding(name="kept"), finding(name="gone"), finding(name="fresh")
    d = build_digest(report((kept, fresh)), previous=snapshot(kept, gone), acks=[], now=T0)
    assert d.new == (fresh,)
    assert d.resolved == (FindingRef.of(gone),)
    assert d.previous_totals == TOTALS


def test_changed_drift_is_new_and_its_old_form_resolved() -> None:
    """The same resource drifting to a different value counts as new plus resolved."""
    old, changed = finding(live="Retain"), finding(live="Delete")
    d = build_digest(report((changed,)), previous=snapshot(old), acks=[], now=T0)
    assert d.new == (changed,)
    assert d.resolved == (FindingRef.of(old),)


def test_acked_findings_are_folded_into_counts_and_not_new() -> None:
    """Acked drift leaves the class lists and the new list and is only counted."""
    a, b = finding(name="a"), finding(name="b")
    d = build_digest(
        report((a, b)), previous=snapshot(), acks=[ack([a], "gitea/externalsecret/a")], now=T0
    )
    assert d.by_class == {DriftClass.SCHEMA_DEFAULTS: (b,)}
    assert d.acked_counts == {DriftClass.SCHEMA_DEFAULTS: 1}
    assert d.new == (b,)
    assert (d.open_count, d.acked_count) == (1, 1)


def test_by_class_lists_classes_in_precedence_order_and_resources_sorted() -> None:
    """Classes come in seed-letter order and resources by app and key inside each."""
    z = finding("zeta", cls=DriftClass.ZOMBIE)
    a2 = finding("beta", cls=DriftClass.SCHEMA_DEFAULTS)
    a1 = finding("alpha", cls=DriftClass.SCHEMA_DEFAULTS)
    u = finding("gamma", cls=DriftClass.UNEXPLAINED)
    d = build_digest(report((z, u, a2, a1)), previous=None, acks=[], now=T0)
    assert list(d.by_class) == [
        DriftClass.SCHEMA_DEFAULTS,
        DriftClass.ZOMBIE,
        DriftClass.UNEXPLAINED,
    ]
    assert d.by_class[DriftClass.SCHEMA_DEFAULTS] == (a1, a2)


def test_every_class_a_digest_groups_by_has_its_own_letter_and_title() -> None:
    """Digest headings name a class by letter and title; no two classes share either."""
    letters = [cls.letter for cls in DriftClass]
    titles = [cls.title for cls in DriftClass]
    assert len(set(letters)) == len(set(titles)) == len(DriftClass)
    assert all(titles)
    assert DriftClass.ZOMBIE.title == "zombie (not in git any more)"


def test_unexplained_drift_is_named_even_when_acked() -> None:
    """Unexplained findings are all listed, the acked one marked, never only counted."""
    open_u = finding("a", cls=DriftClass.UNEXPLAINED)
    acked_u = finding("gitea", cls=DriftClass.UNEXPLAINED)
    d = build_digest(report((acked_u, open_u)), previous=None, acks=[ack([acked_u])], now=T0)
    assert [(f.app, f.acked) for f in d.unexplained] == [("a", False), ("gitea", True)]


def test_store_down_means_acks_not_applied_and_flagged() -> None:
    """With ``acks=None`` nothing is folded and the digest records that acks were unavailable."""
    f = finding()
    d = build_digest(report((f,)), previous=None, acks=None, now=T0)
    assert not d.acks_available
    assert d.acked_counts == {}
    assert d.by_class == {DriftClass.SCHEMA_DEFAULTS: (f,)}
    assert d.expiring_acks == ()


def test_digest_lists_acks_expiring_within_a_day() -> None:
    """An ack that ends in the next 24 hours is listed; one ending later is not."""
    f = finding()
    ending = ack([f], now=T0 - timedelta(days=6, hours=12))
    d = build_digest(report((f,)), previous=None, acks=[ending, ack([f])], now=T0)
    assert d.expiring_acks == (ending,)


def test_stuck_apps_errors_and_totals_are_carried_over() -> None:
    """Stuck apps and read errors reach the digest as the scan reported them."""
    err = ScanError("kyverno", "argocd", "permission denied")
    d = build_digest(report(stuck_apps=(stuck(),), errors=(err,)), previous=None, acks=[], now=T0)
    assert d.stuck == (stuck(),)
    assert d.errors == (err,)
    assert d.totals == TOTALS


def test_a_stuck_app_acked_for_its_current_incident_is_marked() -> None:
    """An ack holding the stuck incident's fingerprint marks that app as acked."""
    s = stuck()
    incident_ack = acks_core.new_ack(
        ack_id="a8",
        scope=AckScope(s.app),
        findings=[],
        by="U1",
        reason="rolling back",
        now=T0,
        extra_fingerprints=[s.fingerprint],
    )
    d = build_digest(
        report(stuck_apps=(s, stuck("other"))), previous=None, acks=[incident_ack], now=T0
    )
    assert d.acked_stuck == {"argo-rollouts"}


def test_digest_to_json_carries_every_part() -> None:
    """The API form names stuck, new, resolved, classes, acked counts, acks and errors."""
    f, gone = finding(name="new"), finding(name="gone")
    d = build_digest(
        report((f,), stuck_apps=(stuck(),), errors=(ScanError("x", "argocd", "boom"),)),
        previous=snapshot(gone),
        acks=[ack([f], now=T0 - timedelta(days=6, hours=20))],
        now=T0,
    )
    data = json.loads(json.dumps(d.to_json()))
    assert data["apps"] == TOTALS.to_json()
    assert data["previous_apps"] == TOTALS.to_json()
    assert data["stuck"][0]["app"] == "argo-rollouts"
    assert data["stuck"][0]["acked"] is False
    assert data["new"] == []
    assert data["resolved"][0]["name"] == "gone"
    assert data["by_class"] == {}
    assert data["acked_counts"] == {"schema-defaults": 1}
    assert data["expiring_acks"][0]["id"] == "a7"
    assert data["errors"][0]["app"] == "x"
    assert data["acks_available"] is True


def test_digest_to_json_without_snapshot_has_null_previous_totals() -> None:
    """Without a snapshot the API says so with ``previous_apps: null``."""
    d = build_digest(report((finding(),)), previous=None, acks=[], now=T0)
    data = d.to_json()
    assert data["previous_apps"] is None
    assert data["by_class"]["schema-defaults"][0]["name"] == "gitea-admin"
