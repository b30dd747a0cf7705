"""Acks: scope parsing, creation rules, applying acks to findings, expiry, stored form."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core import acks
from bot.core.model import (
    Ack,
    AckScope,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    ResourceKey,
)
from bot.errors import InputError

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def finding(
    app: str = "gitea",
    kind: str = "Service",
    name: str = "gitea-http",
    *,
    live: Any = 1,
    cls: DriftClass = DriftClass.INJECTED_FIELDS,
) -> Finding:
    return Finding(
        app=app,
        drift_class=cls,
        key=ResourceKey("", kind, app, name),
        summary="one field injected",
        evidence=(Evidence("/spec/x", DiffOp.CHANGED, git=0, live=live),),
        fix=Fix(FixKind.IGNORE_DIFFERENCES, "jsonPointers: [/spec/x]"),
    )


def ack_of(
    findings: list[Finding],
    scope: str = "gitea",
    *,
    now: datetime = T0,
    duration: timedelta = acks.DEFAULT_ACK_DURATION,
) -> Ack:
    return acks.new_ack(
        ack_id="a1",
        scope=acks.parse_scope(scope),
        findings=findings,
        by="U123",
        reason="known chart bug",
        now=now,
        duration=duration,
    )


# --- parse_scope ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("gitea", AckScope("gitea"), id="app"),
        pytest.param(
            "gitea/Service/gitea-http", AckScope("gitea", "Service", "gitea-http"), id="resource"
        ),
        pytest.param("  gitea  ", AckScope("gitea"), id="outer-whitespace-ignored"),
        pytest.param("argocd_gitea", AckScope("argocd_gitea"), id="namespaced-app-name"),
        pytest.param("a" * 253, AckScope("a" * 253), id="253-chars"),
    ],
)
def test_parse_scope_accepts_app_and_resource_forms(text: str, expected: AckScope) -> None:
    """``APP`` and ``APP/KIND/NAME`` parse into the matching scope."""
    assert acks.parse_scope(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        pytest.param("", "empty part", id="empty"),
        pytest.param("gitea/Service", "is not an ack scope", id="two-parts"),
        pytest.param("a/b/c/d", "is not an ack scope", id="four-parts"),
        pytest.param("gitea//x", "empty part", id="empty-kind"),
        pytest.param("/Service/x", "empty part", id="empty-app"),
        pytest.param("gitea/Service/", "empty part", id="empty-name"),
        pytest.param("git ea", "whitespace", id="inner-space"),
        pytest.param("gitea/Ser\tvice/x", "whitespace", id="tab"),
        pytest.param("gitea\x00", "control", id="nul"),
        pytest.param("a" * 254, "longer than 253", id="254-chars"),
    ],
)
def test_parse_scope_rejects_malformed_text_naming_the_accepted_forms(
    text: str, problem: str
) -> None:
    """A malformed scope raises InputError saying what is wrong and which forms are accepted."""
    with pytest.raises(InputError, match="APP or APP/KIND/NAME") as err:
        acks.parse_scope(text)
    assert problem in str(err.value)


def test_parse_scope_error_quotes_long_input_shortened() -> None:
    """An error about a huge paste quotes only its start, so the reply stays short."""
    with pytest.raises(InputError) as err:
        acks.parse_scope("x/" * 500)
    assert len(str(err.value)) < 250
    assert "…" in str(err.value)


# --- new_ack --------------------------------------------------------------------------------


def test_new_ack_covers_exactly_the_fingerprints_its_scope_matches() -> None:
    """An app ack records the fingerprints of that app's findings and no other app's."""
    mine = [finding(name="a"), finding(name="b")]
    other = finding(app="argo-cd")
    ack = ack_of([*mine, other])
    assert ack.fingerprints == {f.fingerprint for f in mine}
    assert ack.scope == AckScope("gitea")
    assert (ack.id, ack.by, ack.reason) == ("a1", "U123", "known chart bug")


def test_new_ack_resource_scope_matches_kind_case_insensitively() -> None:
    """``gitea/service/a`` matches the Service named ``a`` and not its sibling ``b``."""
    a, b = finding(name="a"), finding(name="b")
    ack = ack_of([a, b], "gitea/service/a")
    assert ack.fingerprints == {a.fingerprint}


def test_new_ack_expires_after_the_default_seven_days() -> None:
    """Without a duration an ack lasts seven days from ``now``."""
    ack = ack_of([finding()])
    assert ack.created_at == T0
    assert ack.expires_at == T0 + timedelta(days=7)


def test_new_ack_accepts_exactly_the_maximum_duration() -> None:
    """Thirty days is allowed; the limit is inclusive."""
    ack = ack_of([finding()], duration=acks.MAX_ACK_DURATION)
    assert ack.expires_at == T0 + timedelta(days=30)


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        pytest.param(timedelta(0), "must be positive", id="zero"),
        pytest.param(timedelta(hours=-1), "must be positive", id="negative"),
        pytest.param(timedelta(days=30, seconds=1), "at most 30d", id="over-30d"),
    ],
)
def test_new_ack_rejects_durations_outside_the_allowed_range(
    duration: timedelta, message: str
) -> None:
    """Durations of zero, below zero or above thirty days raise InputError."""
    with pytest.raises(InputError, match=message):
        ack_of([finding()], duration=duration)


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"], ids=["empty", "spaces", "newline-tab"])
def test_new_ack_requires_a_reason(reason: str) -> None:
    """An ack without a reason (or only whitespace) raises InputError with an example."""
    with pytest.raises(InputError, match="needs a reason"):
        acks.new_ack(
            ack_id="a1",
            scope=AckScope("gitea"),
            findings=[finding()],
            by="U1",
            reason=reason,
            now=T0,
        )


def test_new_ack_collapses_whitespace_in_the_reason() -> None:
    """A reason pasted over several lines is stored as one line."""
    ack = acks.new_ack(
        ack_id="a1",
        scope=AckScope("gitea"),
        findings=[finding()],
        by="U1",
        reason="  upstream\n  bug   #12 ",
        now=T0,
    )
    assert ack.reason == "upstream bug #12"


def test_new_ack_without_matching_drift_lists_the_apps_current_drift() -> None:
    """A scope that matches nothing names the app's drifting resources instead."""
    with pytest.raises(InputError) as err:
        ack_of([finding(kind="Deployment", name="gitea")], "gitea/Service/x")
    assert str(err.value) == (
        "nothing drifts for gitea/Service/x; current drift: gitea/Deployment/gitea"
    )


def test_new_ack_for_an_app_without_drift_lists_the_apps_that_drift() -> None:
    """Acking an app with no drift names the apps that do drift."""
    with pytest.raises(InputError, match="none in gitea; apps with drift: argo-cd, kyverno"):
        ack_of([finding(app="kyverno"), finding(app="argo-cd")], "gitea")


def test_new_ack_when_nothing_drifts_says_so() -> None:
    """With no findings at all the error says there is no drift anywhere."""
    with pytest.raises(InputError, match="current drift: none at all"):
        ack_of([], "gitea")


def test_new_ack_error_folds_long_drift_lists() -> None:
    """More than ten candidate resources are folded into "…and N more"."""
    many = [finding(name=f"svc-{i:02d}") for i in range(13)]
    with pytest.raises(InputError) as err:
        ack_of(many, "gitea/Service/nope")
    message = str(err.value)
    assert "gitea/Service/svc-09" in message
    assert "svc-10" not in message
    assert message.endswith("…and 3 more")


def test_new_ack_with_extra_fingerprints_needs_no_matching_finding() -> None:
    """Extra fingerprints (a stuck incident) make an ack valid even with no drift."""
    ack = acks.new_ack(
        ack_id="a9",
        scope=AckScope("argo-rollouts"),
        findings=[],
        by="U1",
        reason="rollback in progress",
        now=T0,
        extra_fingerprints=["stuck:argo-rollouts:2024-04-10T00:00:00Z"],
    )
    assert ack.fingerprints == {"stuck:argo-rollouts:2024-04-10T00:00:00Z"}


# --- apply_acks -----------------------------------------------------------------------------


def test_apply_acks_marks_covered_findings_and_leaves_the_rest() -> None:
    """A finding an active ack covers comes back acked; an unrelated one does not."""
    covered, other = finding(), finding(app="argo-cd")
    result = acks.apply_acks([covered, other], [ack_of([covered])], T0)
    assert [f.acked for f in result] == [True, False]
    assert result[0].fingerprint == covered.fingerprint


def test_apply_acks_reports_changed_drift_again() -> None:
    """When the live value changes, the fingerprint changes and the old ack no longer covers it."""
    ack = ack_of([finding(live=1)])
    (changed,) = acks.apply_acks([finding(live=2)], [ack], T0 + timedelta(hours=1))
    assert not changed.acked


@pytest.mark.parametrize(
    ("offset", "acked"),
    [
        pytest.param(timedelta(days=7) - timedelta(seconds=1), True, id="just-before-expiry"),
        pytest.param(timedelta(days=7), False, id="at-expiry"),
        pytest.param(timedelta(days=8), False, id="after-expiry"),
    ],
)
def test_apply_acks_ignores_expired_acks(offset: timedelta, acked: bool) -> None:
    """An ack covers its findings until, not including, its expiry instant."""
    f = finding()
    (result,) = acks.apply_acks([f], [ack_of([f])], T0 + offset)
    assert result.acked is acked


def test_apply_acks_requires_the_scope_to_match_as_well_as_the_fingerprint() -> None:
    """A fingerprint listed under a scope that does not match the finding does not cover it."""
    f = finding(name="a")
    foreign = Ack(
        id="a2",
        scope=AckScope("gitea", "Service", "b"),
        fingerprints=frozenset({f.fingerprint}),
        by="U1",
        reason="r",
        created_at=T0,
        expires_at=T0 + timedelta(days=1),
    )
    (result,) = acks.apply_acks([f], [foreign], T0)
    assert not result.acked


def test_apply_acks_keeps_findings_that_were_already_acked() -> None:
    """A finding marked acked upstream stays acked even if no ack here covers it."""
    f = finding(app="argo-cd")
    pre_acked = replace(f, acked=True)
    result = acks.apply_acks([pre_acked], [ack_of([finding()])], T0)
    assert result == (pre_acked,)


def test_apply_acks_without_acks_returns_the_findings_unchanged() -> None:
    """No active ack means the same findings come back, as a tuple."""
    f = finding()
    assert acks.apply_acks([f], [], T0) == (f,)


# --- expiring -------------------------------------------------------------------------------


def test_expiring_lists_active_acks_ending_within_a_day_soonest_first() -> None:
    """Acks expiring in the next day are listed soonest first; later or expired ones are not."""
    f = [finding()]
    soon = ack_of(f, now=T0 - timedelta(days=7) + timedelta(hours=5))
    sooner = replace(soon, id="a0", expires_at=T0 + timedelta(hours=1))
    later = ack_of(f, now=T0)
    gone = ack_of(f, now=T0 - timedelta(days=8))
    edge = replace(soon, id="a5", expires_at=T0 + timedelta(days=1))
    assert acks.expiring([later, soon, gone, sooner, edge], T0) == (sooner, soon, edge)


def test_expiring_uses_the_given_window() -> None:
    """A wider window includes acks that expire later."""
    ack = ack_of([finding()], now=T0)
    assert acks.expiring([ack], T0, within=timedelta(days=7)) == (ack,)
    assert acks.expiring([ack], T0, within=timedelta(days=6)) == ()


# --- stored form ----------------------------------------------------------------------------


def test_ack_from_json_inverts_to_json() -> None:
    """An ack survives a JSON round trip unchanged, resource scope included."""
    ack = ack_of([finding(name="a")], "gitea/Service/a")
    assert acks.ack_from_json(ack.to_json()) == ack


def test_ack_from_json_keeps_non_utc_offsets() -> None:
    """A timestamp with another offset is read as that instant."""
    data = ack_of([finding()]).to_json()
    data["expires_at"] = "2024-05-08T11:00:00+02:00"
    assert acks.ack_from_json(data).expires_at == T0 + timedelta(days=7)


def _broken(**changes: Any) -> dict[str, Any]:
    data = ack_of([finding()]).to_json()
    for key, value in changes.items():
        if value is _DROP:
            del data[key]
        else:
            data[key] = value
    return data


_DROP = object()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param([], "must be a JSON object", id="not-an-object"),
        pytest.param(_broken(fingerprints="abc"), "list of strings", id="fingerprints-string"),
        pytest.param(_broken(fingerprints=[1]), "list of strings", id="fingerprints-ints"),
        pytest.param(_broken(id=_DROP), "'id' must be a string", id="missing-id"),
        pytest.param(_broken(by=5), "'by' must be a string", id="by-not-string"),
        pytest.param(_broken(scope="a/b"), "not an ack scope", id="bad-scope"),
        pytest.param(_broken(created_at=None), "ISO-8601 string", id="created-null"),
        pytest.param(_broken(created_at="yesterday"), "not an ISO-8601", id="created-garbage"),
        pytest.param(_broken(expires_at="2024-05-08T09:00:00"), "no UTC offset", id="naive"),
    ],
)
def test_ack_from_json_rejects_malformed_data(data: object, message: str) -> None:
    """Stored data that is not an ack raises InputError naming the problem."""
    with pytest.raises(InputError, match=message):
        acks.ack_from_json(data)
