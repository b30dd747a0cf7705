"""The domain model's own behaviour: identity, JSON shapes, ack coverage."""

from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, datetime, timedelta

from bot.core.model import (
    ABSENT,
    EVERY_APP,
    Ack,
    AckScope,
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    KindRef,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
KEY = ResourceKey("", "Service", "gitea", "gitea-redis-cluster")


def finding(live: object = "x") -> Finding:
    return Finding(
        app="gitea",
        drift_class=DriftClass.ZOMBIE,
        key=KEY,
        summary="s",
        evidence=(Evidence("/spec/x", DiffOp.ADDED, live=live),),
        fix=Fix(FixKind.DELETE, "kubectl delete"),
    )


class TestAbsent:
    def test_absent_is_a_falsy_singleton(self) -> None:
        """ABSENT is one object, falsy, and prints as ABSENT (never confused with None)."""
        assert copy.copy(ABSENT) is ABSENT
        assert type(ABSENT)() is ABSENT
        assert not ABSENT
        assert repr(ABSENT) == "ABSENT"
        assert ABSENT is not None


class TestDriftClass:
    def test_letters_and_benign(self) -> None:
        """Classes carry the seed's letter; only unexplained is not benign."""
        assert [c.letter for c in DriftClass] == list("ABCDEFG?")
        assert [c.benign for c in DriftClass] == [True] * 7 + [False]


class TestFinding:
    def test_fingerprint_changes_with_the_drift(self) -> None:
        """The same drift has the same fingerprint; a different live value changes it."""
        assert finding().fingerprint == finding().fingerprint
        assert finding("x").fingerprint != finding("y").fingerprint
        assert finding(ABSENT).fingerprint != finding(None).fingerprint

    def test_a_read_fingerprint_is_kept_and_never_carried_to_a_changed_copy(self) -> None:
        """Read once, then remembered; `replace` copies start without it, so a copy with other
        evidence gets its own; equality and hashing ignore whether it was read."""
        first = finding("x")
        read = first.fingerprint
        assert first._fingerprint == read
        assert first == finding("x")
        assert hash(first) == hash(finding("x"))
        acked = dataclasses.replace(first, acked=True)
        assert acked._fingerprint is None
        assert acked.fingerprint == read
        other = dataclasses.replace(first, evidence=finding("y").evidence)
        assert other.fingerprint == finding("y").fingerprint != read

    def test_json_names_the_contract_keys(self) -> None:
        """to_json has the DESIGN §3 keys, with empty strings for core group and scope."""
        doc = finding().to_json()
        assert doc["class"] == "zombie"
        assert doc["group"] == ""
        assert doc["paths"] == ["/spec/x"]
        assert doc["evidence"] == [{"path": "/spec/x", "op": "added", "live": "x"}]
        assert doc["fix"] == {"kind": "delete", "text": "kubectl delete"}


class TestReports:
    def test_scan_report_json(self) -> None:
        """The scan document carries totals under `apps` and ISO times with Z."""
        report = ScanReport(
            generated_at=NOW,
            totals=Totals(total=2, out_of_sync=1, progressing=1, stuck=0),
            findings=(finding(),),
            health={"gitea": "Healthy"},
        )
        doc = report.to_json()
        assert doc["generated_at"] == "2026-11-25T09:00:00Z"
        assert doc["apps"] == {"total": 2, "out_of_sync": 1, "progressing": 1, "stuck": 0}
        assert doc["health"] == {"gitea": "Healthy"}

    def test_app_report_json(self) -> None:
        """An app report without a stuck diagnosis says null."""
        doc = AppReport(NOW, "gitea", "OutOfSync", "Healthy", None).to_json()
        assert doc["stuck"] is None
        assert doc["health_since"] is None
        assert doc["sync"] == "OutOfSync"

    def test_stuck_fingerprint_is_per_incident(self) -> None:
        """The incident identity changes when the app gets stuck anew."""
        first = StuckApp("a", "Progressing", NOW)
        again = StuckApp("a", "Progressing", NOW + timedelta(hours=1))
        assert first.fingerprint != again.fingerprint
        assert StuckApp("a", "Degraded", None).fingerprint == "stuck:a:unknown"


class TestKindRef:
    def test_api_version(self) -> None:
        """Core kinds have a bare version; grouped kinds group/version."""
        assert KindRef("", "v1", "Pod", "pods").api_version == "v1"
        assert KindRef("apps", "v1", "Deployment", "deployments").api_version == "apps/v1"


class TestAcks:
    def ack(self, scope: AckScope) -> Ack:
        return Ack(
            id="a1",
            scope=scope,
            fingerprints=frozenset({finding().fingerprint}),
            by="U1",
            reason="known",
            created_at=NOW,
            expires_at=NOW + timedelta(days=7),
        )

    def test_scope_matching(self) -> None:
        """An app scope matches all its findings; a resource scope only that resource."""
        assert AckScope("gitea").matches(finding())
        assert AckScope("gitea", "service", "gitea-redis-cluster").matches(finding())
        assert not AckScope("gitea", "Service", "other").matches(finding())
        assert not AckScope("infisical").matches(finding())
        assert str(AckScope("gitea", "Service", "x")) == "gitea/Service/x"
        assert str(AckScope("gitea")) == "gitea"

    def test_covers_only_the_same_drift_until_expiry(self) -> None:
        """An ack covers the fingerprinted drift, not changed drift, and not after expiry."""
        ack = self.ack(AckScope("gitea"))
        assert ack.covers(finding(), NOW)
        assert not ack.covers(finding("changed"), NOW)
        assert not ack.covers(finding(), NOW + timedelta(days=8))
        assert ack.to_json()["scope"] == "gitea"
        assert ack.to_json()["expires_at"] == "2026-12-02T09:00:00Z"


class TestCodecCompatibility:
    def test_scan_json_without_health_decodes(self) -> None:
        """A scan document from before `health` was added decodes with an empty health map."""
        from bot.core.codec import scan_report_from_json

        doc = ScanReport(NOW, Totals(1, 0, 0, 0), health={"a": "Healthy"}).to_json()
        del doc["health"]
        assert scan_report_from_json(doc).health == {}


def test_a_report_is_partial_only_when_a_whole_upstream_failed() -> None:
    """`unreachable` names Argo CD or Kubernetes down for every app; one app or Redis is not."""
    down = ScanError(app=EVERY_APP, source="argocd", message="check ARGOCD_SERVER")
    others = (
        ScanError(app="gitea", source="argocd", message="one app"),
        ScanError(app=EVERY_APP, source="redis", message="acks not applied"),
    )
    totals = Totals(total=1, out_of_sync=0, progressing=0, stuck=0)
    assert ScanReport(generated_at=NOW, totals=totals, errors=others).unreachable == ()
    assert ScanReport(generated_at=NOW, totals=totals, errors=(*others, down)).unreachable == (
        down,
    )
