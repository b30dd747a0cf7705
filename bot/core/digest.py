"""The daily digest as data: what changed since yesterday, what is open, what is acked.

The digest answers the on-call engineer's morning questions in order: is anything broken
(stuck apps, always first), did drift grow or shrink (totals against yesterday, new and
resolved findings), what is open per class (acked drift folded into counts so it stops
shouting), which acks run out soon, and what nobody can explain (named, never folded).

"Yesterday" is a `Snapshot` of the previous digest's scan, small enough to keep in Redis as
JSON: totals plus one `FindingRef` per fingerprint. Comparing fingerprints (not resources)
means a drift that changed counts as new and its old form as resolved, the same identity acks
use. Pure: no I/O, no clock; renderers live in `bot.delivery.render.digest`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from bot.core import acks as acks_core
from bot.core.model import (
    Ack,
    AppName,
    DriftClass,
    Finding,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
    TrackingName,
)
from bot.errors import InputError

SNAPSHOT_VERSION: Final = 1
MAX_REF_SUMMARY_CHARS: Final = 200
"""A snapshot keeps the summary only to name resolved drift; a long one would bloat Redis."""

_CLASS_ORDER: Final = {cls: i for i, cls in enumerate(DriftClass)}


@dataclass(frozen=True, slots=True)
class FindingRef:
    """Enough of a finding to name it once it is gone (resolved since yesterday)."""

    app: TrackingName
    drift_class: DriftClass
    key: ResourceKey
    summary: str

    @classmethod
    def of(cls, finding: Finding) -> FindingRef:
        summary = finding.summary
        if len(summary) > MAX_REF_SUMMARY_CHARS:
            summary = summary[: MAX_REF_SUMMARY_CHARS - 1] + "…"
        return cls(finding.app, finding.drift_class, finding.key, summary)

    def to_json(self) -> dict[str, str]:
        k = self.key
        return {
            "app": self.app,
            "class": str(self.drift_class),
            "group": k.group,
            "kind": k.kind,
            "namespace": k.namespace,
            "name": k.name,
            "summary": self.summary,
        }

    @classmethod
    def from_json(cls, data: object) -> FindingRef:
        """Inverse of `to_json`; `InputError` naming the field when ``data`` is not one."""
        obj = _object(data, "finding ref")
        slug = _str(obj, "class")
        try:
            drift_class = DriftClass(slug)
        except ValueError as exc:
            msg = f"unknown drift class {slug!r} in a finding ref"
            raise InputError(msg) from exc
        key = ResourceKey(
            _str(obj, "group"), _str(obj, "kind"), _str(obj, "namespace"), _str(obj, "name")
        )
        return cls(TrackingName(_str(obj, "app")), drift_class, key, _str(obj, "summary"))


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What we remember from the previous digest: totals and the drift by fingerprint."""

    taken_at: datetime
    totals: Totals
    fingerprints: Mapping[str, FindingRef]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SNAPSHOT_VERSION,
            "taken_at": self.taken_at.isoformat(),
            "totals": self.totals.to_json(),
            "findings": {fp: ref.to_json() for fp, ref in self.fingerprints.items()},
        }

    @classmethod
    def from_json(cls, data: object) -> Snapshot:
        """Inverse of `to_json`.

        Raises:
            InputError: not a snapshot of a version this code reads; the message says why.
        """
        obj = _object(data, "snapshot")
        if obj.get("version") != SNAPSHOT_VERSION:
            msg = f"snapshot version {obj.get('version')!r} is not {SNAPSHOT_VERSION}"
            raise InputError(msg)
        refs = _object(obj.get("findings"), "snapshot findings")
        return cls(
            taken_at=acks_core.parse_instant(obj.get("taken_at"), "taken_at"),
            totals=_totals(obj.get("totals")),
            fingerprints={str(fp): FindingRef.from_json(ref) for fp, ref in refs.items()},
        )


def _totals(data: object) -> Totals:
    obj = _object(data, "totals")
    values = [obj.get(name) for name in ("total", "out_of_sync", "progressing", "stuck")]
    ints = [v for v in values if isinstance(v, int) and not isinstance(v, bool)]
    if len(ints) != len(values):
        msg = "snapshot totals need integer total, out_of_sync, progressing and stuck"
        raise InputError(msg)
    return Totals(*ints)


def _object(data: object, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        msg = f"a {what} must be a JSON object, got {type(data).__name__}"
        raise InputError(msg)
    return data


def _str(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        msg = f"field {name!r} must be a string"
        raise InputError(msg)
    return value


@dataclass(frozen=True, slots=True)
class Digest:
    """Everything one digest says, ready for a renderer (terminal or Slack)."""

    generated_at: datetime
    totals: Totals
    previous_totals: Totals | None
    """``None`` when there is no snapshot yet: no trend, and new/resolved are empty."""
    stuck: tuple[StuckApp, ...]
    new: tuple[Finding, ...]
    """Unacked findings whose fingerprint yesterday's snapshot did not have."""
    resolved: tuple[FindingRef, ...]
    by_class: Mapping[DriftClass, tuple[Finding, ...]]
    """Unacked findings per class, classes in precedence order, empty classes left out."""
    acked_counts: Mapping[DriftClass, int]
    expiring_acks: tuple[Ack, ...]
    unexplained: tuple[Finding, ...]
    """Every unexplained finding, acked or not: drift nobody can explain is always named."""
    errors: tuple[ScanError, ...]
    acks_available: bool
    """``False`` when the ack store was down: acked drift is shown as open, and says so."""
    acked_stuck: frozenset[AppName] = field(default_factory=frozenset)
    """Stuck apps whose current incident an ack covers (still listed first, marked acked)."""
    late: tuple[datetime, str] | None = None
    """When a postponed digest was due, and why it is late (e.g. Redis was unreachable)."""

    @property
    def open_count(self) -> int:
        return sum(len(findings) for findings in self.by_class.values())

    @property
    def acked_count(self) -> int:
        return sum(self.acked_counts.values())

    def to_json(self) -> dict[str, Any]:
        """The digest for ``GET /api/v1/digest``: the same facts any rendering shows."""
        previous = self.previous_totals
        return {
            "generated_at": self.generated_at.isoformat(),
            "apps": self.totals.to_json(),
            "previous_apps": previous.to_json() if previous else None,
            "stuck": [{**s.to_json(), "acked": s.app in self.acked_stuck} for s in self.stuck],
            "new": [f.to_json() for f in self.new],
            "resolved": [r.to_json() for r in self.resolved],
            "by_class": {
                str(cls): [f.to_json() for f in findings] for cls, findings in self.by_class.items()
            },
            "acked_counts": {str(cls): n for cls, n in self.acked_counts.items()},
            "expiring_acks": [a.to_json() for a in self.expiring_acks],
            "unexplained": [f.to_json() for f in self.unexplained],
            "errors": [e.to_json() for e in self.errors],
            "acks_available": self.acks_available,
        }


def snapshot_of(report: ScanReport) -> Snapshot:
    """Today's scan as tomorrow's "yesterday"."""
    refs = {f.fingerprint: FindingRef.of(f) for f in report.findings}
    return Snapshot(taken_at=report.generated_at, totals=report.totals, fingerprints=refs)


def build_digest(
    report: ScanReport,
    *,
    previous: Snapshot | None,
    acks: Sequence[Ack] | None,
    now: datetime,
) -> Digest:
    """Compare today's scan with yesterday's snapshot and fold in the active acks.

    ``acks=None`` means the ack store was unavailable (not "no acks"): nothing is folded and
    the digest records it so renderers can say acks were not applied.
    """
    findings = acks_core.apply_acks(report.findings, acks or (), now)
    # Hash each finding once: fingerprints are sha256 over the evidence, and a digest may
    # hold thousands of findings.
    fingerprinted = [(f.fingerprint, f) for f in findings]
    current = {fp for fp, _ in fingerprinted}
    open_findings = sorted((f for f in findings if not f.acked), key=_finding_order)
    new: tuple[Finding, ...] = ()
    resolved: tuple[FindingRef, ...] = ()
    if previous is not None:
        known = previous.fingerprints
        new = tuple(
            sorted(
                (f for fp, f in fingerprinted if fp not in known and not f.acked),
                key=_finding_order,
            )
        )
        gone = (ref for fp, ref in known.items() if fp not in current)
        resolved = tuple(sorted(gone, key=_ref_order))
    return Digest(
        generated_at=now,
        totals=report.totals,
        previous_totals=previous.totals if previous else None,
        stuck=report.stuck,
        new=new,
        resolved=resolved,
        by_class=_group(open_findings),
        acked_counts=_acked_counts(findings),
        expiring_acks=acks_core.expiring(acks or (), now),
        unexplained=tuple(
            sorted(
                (f for f in findings if f.drift_class is DriftClass.UNEXPLAINED), key=_finding_order
            )
        ),
        errors=report.errors,
        acks_available=acks is not None,
        acked_stuck=_acked_stuck(report.stuck, acks or (), now),
    )


def _finding_order(f: Finding) -> tuple[int, str, ResourceKey]:
    return (_CLASS_ORDER[f.drift_class], f.app, f.key)


def _ref_order(r: FindingRef) -> tuple[int, str, ResourceKey]:
    return (_CLASS_ORDER[r.drift_class], r.app, r.key)


def _group(ordered: Sequence[Finding]) -> dict[DriftClass, tuple[Finding, ...]]:
    """Group findings already sorted by class; dict order is therefore precedence order."""
    grouped: dict[DriftClass, list[Finding]] = {}
    for finding in ordered:
        grouped.setdefault(finding.drift_class, []).append(finding)
    return {cls: tuple(items) for cls, items in grouped.items()}


def _acked_counts(findings: Sequence[Finding]) -> dict[DriftClass, int]:
    counts = dict.fromkeys(DriftClass, 0)
    for finding in findings:
        if finding.acked:
            counts[finding.drift_class] += 1
    return {cls: n for cls, n in counts.items() if n}


def _acked_stuck(
    stuck: Sequence[StuckApp], acks: Sequence[Ack], now: datetime
) -> frozenset[AppName]:
    covered = {fp for a in acks if now < a.expires_at for fp in a.fingerprints}
    return frozenset(s.app for s in stuck if s.fingerprint in covered)
