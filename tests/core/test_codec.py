"""`bot.core.codec` decodes exactly what the model's ``to_json`` writes, and nothing malformed."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.codec import (
    app_report_from_json,
    finding_from_json,
    scan_report_from_json,
    stuck_app_from_json,
)
from bot.core.model import ABSENT, DiffOp, DriftClass, Evidence, FixKind
from bot.errors import InputError
from tests.delivery.api.api_fakes import (
    NOW,
    app_report,
    scan_report,
    schema_defaults_finding,
    stuck_app,
    zombie_finding,
)
from tests.schema_check import assert_matches_schema


def _wire(payload: dict[str, Any]) -> Any:
    """``payload`` after a trip through JSON text, as a client receives it."""
    return json.loads(json.dumps(payload))


EVIDENCE_SIDES = {
    "git-absent": Evidence("/spec/a", DiffOp.ADDED, live="x"),
    "live-absent": Evidence("/spec/a", DiffOp.REMOVED, git="x"),
    "both-absent": Evidence("/spec/a", DiffOp.CHANGED),
    "null-vs-value": Evidence("/spec/a", DiffOp.CHANGED, git=None, live=0),
    "nested-values": Evidence("/spec/a", DiffOp.CHANGED, git={"k": [1, None]}, live=[False]),
}


@pytest.mark.parametrize("evidence", EVIDENCE_SIDES.values(), ids=EVIDENCE_SIDES.keys())
@pytest.mark.parametrize("safe", [True, False, None], ids=["safe", "unsafe", "not-a-zombie"])
@pytest.mark.parametrize("drift_class", list(DriftClass), ids=str)
def test_finding_round_trips(
    evidence: Evidence, safe: bool | None, drift_class: DriftClass
) -> None:
    """A finding decodes to an equal finding, keeping absent evidence sides distinct from null."""
    finding = replace(
        schema_defaults_finding(),
        drift_class=drift_class,
        evidence=(evidence,),
        safe_to_delete=safe,
    )
    decoded = finding_from_json(_wire(finding.to_json()))
    assert decoded == finding
    assert (decoded.evidence[0].git is ABSENT) == (evidence.git is ABSENT)
    assert (decoded.evidence[0].live is ABSENT) == (evidence.live is ABSENT)
    assert decoded.fingerprint == finding.fingerprint


TIMES = {
    "utc-z": NOW,
    "offset": datetime(2026, 4, 25, 11, 0, tzinfo=timezone(timedelta(hours=2))),
    "microseconds": datetime(2026, 4, 25, 9, 0, 0, 123456, tzinfo=UTC),
    "none": None,
}


@pytest.mark.parametrize("when", TIMES.values(), ids=TIMES.keys())
def test_datetimes_round_trip(when: datetime | None) -> None:
    """Datetimes (``Z``, offsets, microseconds) and missing ones come back equal."""
    stuck = replace(stuck_app(), since=when)
    report = replace(app_report(), health_since=when, stuck=stuck)
    assert stuck_app_from_json(_wire(stuck.to_json())) == stuck
    assert app_report_from_json(_wire(report.to_json())) == report


def test_utc_datetimes_are_sent_with_z_and_decoded_aware() -> None:
    """A UTC timestamp travels as ``...Z`` and decodes to an aware datetime in UTC."""
    wire = _wire(scan_report().to_json())
    assert wire["generated_at"] == "2026-04-25T09:00:00Z"
    assert scan_report_from_json(wire).generated_at.utcoffset() == timedelta(0)


def test_scan_report_round_trips() -> None:
    """A scan report with findings, stuck apps and errors decodes to an equal report."""
    report = scan_report()
    assert scan_report_from_json(_wire(report.to_json())) == report


def test_empty_scan_report_round_trips() -> None:
    """A scan that found nothing decodes to an equal, empty report."""
    report = replace(scan_report(), findings=(), stuck=(), errors=())
    assert scan_report_from_json(_wire(report.to_json())) == report


def test_scan_report_sync_round_trips_and_older_documents_have_none() -> None:
    """Per-app sync status travels with the report; a document without it decodes empty."""
    report = replace(scan_report(), sync={"gitea": "OutOfSync", "argocd": "Synced"})
    assert scan_report_from_json(_wire(report.to_json())).sync == report.sync
    older = {k: v for k, v in _wire(report.to_json()).items() if k != "sync"}
    assert scan_report_from_json(older).sync == {}


def test_scan_report_reads_health_when_present() -> None:
    """A ``health`` map in the document (not written by today's model) is kept."""
    wire = _wire(scan_report().to_json()) | {"health": {"gitea": "Progressing"}}
    assert scan_report_from_json(wire).health == {"gitea": "Progressing"}


@pytest.mark.parametrize("stuck", [None, stuck_app("gitea")], ids=["healthy", "stuck"])
def test_app_report_round_trips(stuck: Any) -> None:
    """An app report, with or without a stuck diagnosis, decodes to an equal report."""
    report = replace(app_report(), stuck=stuck)
    assert app_report_from_json(_wire(report.to_json())) == report


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(git=_JSON | st.just(ABSENT), live=_JSON | st.just(ABSENT), path=st.text())
def test_any_json_evidence_round_trips(git: Any, live: Any, path: str) -> None:
    """Whatever JSON values a diff holds, the decoded finding writes the same JSON again."""
    finding = replace(zombie_finding(), evidence=(Evidence(path, DiffOp.CHANGED, git, live),))
    decoded = finding_from_json(_wire(finding.to_json()))
    assert json.dumps(decoded.to_json()) == json.dumps(finding.to_json())


def _set(*path: str | int, value: Any) -> Callable[[Any], None]:
    def mutate(doc: Any) -> None:
        for step in path[:-1]:
            doc = doc[step]
        doc[path[-1]] = value

    return mutate


def _drop(*path: str | int) -> Callable[[Any], None]:
    def mutate(doc: Any) -> None:
        for step in path[:-1]:
            doc = doc[step]
        del doc[path[-1]]

    return mutate


MALFORMED = {
    "unknown-op": (_set("findings", 0, "evidence", 0, "op", value="moved"),
                   "$.findings[0].evidence[0].op: 'moved' is not one of added"),
    "unknown-class": (_set("findings", 1, "class", value="K"), "$.findings[1].class: 'K'"),
    "unknown-fix": (_set("findings", 0, "fix", "kind", value="pray"), "$.findings[0].fix.kind"),
    "missing-totals": (_drop("apps"), "$.apps: missing"),
    "string-count": (_set("apps", "total", value="3"), "$.apps.total: expected an integer"),
    "bool-restarts": (_set("stuck", 0, "pods", 0, "restarts", value=True),
                      "$.stuck[0].pods[0].restarts: expected an integer, got bool"),
    "bad-time": (_set("generated_at", value="yesterday"), "$.generated_at: 'yesterday' is not"),
    "null-time": (_set("generated_at", value=None), "$.generated_at: expected a string, got null"),
    "findings-object": (_set("findings", value={}), "$.findings: expected a list, got dict"),
    "finding-string": (_set("findings", 0, value="gitea"), "$.findings[0]: expected an object"),
    "acked-string": (_set("findings", 0, "acked", value="yes"), "$.findings[0].acked: expected"),
    "safe-string": (_set("findings", 1, "safe_to_delete", value="no"),
                    "$.findings[1].safe_to_delete: expected true, false or null"),
    "log-number": (_set("stuck", 0, "pods", 0, "log", 0, value=7), "$.stuck[0].pods[0].log[0]"),
    "error-source": (_drop("errors", 0, "source"), "$.errors[0].source: missing"),
}  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_scan_names_the_json_path(mutate: Callable[[Any], None], message: str) -> None:
    """Malformed input raises InputError whose message starts at the offending JSON path."""
    doc = copy.deepcopy(_wire(scan_report().to_json()))
    mutate(doc)
    with pytest.raises(InputError) as caught:
        scan_report_from_json(doc)
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "decode",
    [scan_report_from_json, app_report_from_json, stuck_app_from_json, finding_from_json],
    ids=["scan", "app", "stuck", "finding"],
)
@pytest.mark.parametrize(
    "doc", [[], "report", None, {1: "x"}], ids=["list", "str", "null", "int-key"]
)
def test_non_objects_are_refused_at_the_root(decode: Callable[[Any], object], doc: Any) -> None:
    """Anything but a JSON object at the root raises InputError naming ``$``."""
    with pytest.raises(InputError, match=r"^\$: expected an object"):
        decode(doc)


def test_app_report_with_malformed_stuck_names_the_nested_path() -> None:
    """A broken stuck diagnosis inside an app report is reported under ``$.stuck``."""
    doc = _wire(replace(app_report(), stuck=stuck_app("gitea")).to_json())
    doc["stuck"]["pods"][0]["started_at"] = "soon"
    with pytest.raises(InputError, match=r"^\$\.stuck\.pods\[0\]\.started_at: 'soon'"):
        app_report_from_json(doc)


def test_derived_fields_are_recomputed_not_trusted() -> None:
    """A tampered ``paths`` or ``fingerprint`` does not change the decoded finding."""
    finding = schema_defaults_finding()
    doc = _wire(finding.to_json()) | {"paths": ["/bogus"], "fingerprint": "0" * 16}
    decoded = finding_from_json(doc)
    assert decoded.paths == finding.paths
    assert decoded.fingerprint == finding.fingerprint


def test_every_fix_kind_round_trips() -> None:
    """Every fix kind decodes back to the same enum member."""
    for kind in FixKind:
        finding = replace(zombie_finding(), fix=replace(zombie_finding().fix, kind=kind))
        assert finding_from_json(_wire(finding.to_json())).fix.kind is kind


def test_every_emitted_report_matches_the_schema() -> None:
    """Scan and app reports (stuck diagnosis included) validate against report_schema."""
    assert_matches_schema(_wire(scan_report().to_json()), "ScanReport")
    report = replace(app_report(), stuck=stuck_app("gitea"))
    assert_matches_schema(_wire(report.to_json()), "AppReport")
    assert_matches_schema(_wire(app_report().to_json()), "AppReport")


def test_an_undeclared_key_fails_the_schema_check() -> None:
    """The strict check refuses keys the schema does not declare, at any depth."""
    doc = _wire(scan_report().to_json())
    doc["findings"][0]["fix"]["extra"] = 1
    with pytest.raises(AssertionError, match=r"\$\.findings\[0\]\.fix: keys not in the schema"):
        assert_matches_schema(doc, "ScanReport")
