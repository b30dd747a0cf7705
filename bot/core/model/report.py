"""What the classifier concludes: findings with their evidence and fix, stuck apps, reports.

Every ``to_json`` here writes the DESIGN.md §3 shape, which `bot.core.report_schema` declares
once; tests validate the output against that declaration.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from bot.core.model.classes import DiffOp, DriftClass, FixKind
from bot.core.model.resources import ABSENT, ResourceKey
from bot.core.raw import AppName, TrackingName


@dataclass(frozen=True, slots=True)
class Evidence:
    """One differing JSON pointer with the git and live values (``ABSENT`` when missing)."""

    path: str
    op: DiffOp
    git: Any = ABSENT
    live: Any = ABSENT

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "op": str(self.op)}
        if self.git is not ABSENT:
            out["git"] = self.git
        if self.live is not ABSENT:
            out["live"] = self.live
        return out


@dataclass(frozen=True, slots=True)
class Fix:
    """What a person should do, with text they can paste (YAML, a command, a checklist)."""

    kind: FixKind
    text: str

    def to_json(self) -> dict[str, Any]:
        return {"kind": str(self.kind), "text": self.text}


@dataclass(frozen=True, slots=True)
class Finding:
    """One drifting resource of one app, its class, the proof, and the narrowest fix."""

    app: TrackingName
    drift_class: DriftClass
    key: ResourceKey
    summary: str
    """One sentence saying why this class, e.g. "3 fields defaulted by the CRD schema"."""
    evidence: tuple[Evidence, ...]
    fix: Fix
    safe_to_delete: bool | None = None
    """Zombies only: ``True`` only when nothing uses the object."""
    users: tuple[str, ...] = ()
    """Zombies: who still uses the object; contested: the other apps listing it (tracking
    names)."""
    acked: bool = False
    _fingerprint: str | None = field(default=None, init=False, repr=False, compare=False)
    """`fingerprint`, once read (`dataclasses.replace` starts a copy without it)."""

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(e.path for e in self.evidence)

    @property
    def fingerprint(self) -> str:
        """Identity of exactly this drift: class, resource, differing paths and values.

        JSON-encoding a list (not joining strings) keeps it delimiter-safe: no two different
        drifts can produce the same input to the hash. Computed on first read and kept: an
        answer, a digest and the ack store read it many times (it was 8 % of the CPU of a
        cached ``/drift app`` answer).
        """
        known = self._fingerprint
        if known is None:
            k = self.key
            payload = [
                self.app,
                str(self.drift_class),
                [k.group, k.kind, k.namespace, k.name],
                [[e.path, str(e.op), _jsonable(e.git), _jsonable(e.live)] for e in self.evidence],
            ]
            blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
            known = hashlib.sha256(blob.encode()).hexdigest()[:16]
            object.__setattr__(self, "_fingerprint", known)  # a memo of frozen fields
        return known

    def to_json(self) -> dict[str, Any]:
        """The finding as DESIGN.md §3 spells it (contract)."""
        return {
            "app": self.app,
            "class": str(self.drift_class),
            "group": self.key.group,
            "kind": self.key.kind,
            "namespace": self.key.namespace,
            "name": self.key.name,
            "summary": self.summary,
            "paths": list(self.paths),
            "evidence": [e.to_json() for e in self.evidence],
            "fix": self.fix.to_json(),
            "safe_to_delete": self.safe_to_delete,
            "users": list(self.users),
            "acked": self.acked,
            "fingerprint": self.fingerprint,
        }


def _jsonable(value: Any) -> Any:
    return {"absent": True} if value is ABSENT else value


@dataclass(frozen=True, slots=True)
class PodDiagnosis:
    """Why one container of a stuck app is unhealthy, with the decisive (redacted) log lines."""

    namespace: str
    name: str
    container: str
    reason: str
    """``CrashLoopBackOff``, ``ImagePullBackOff``, ``OOMKilled``, ``Error``, ``Pending``..."""
    restarts: int
    started_at: datetime | None
    """When the pod was created (its age is ``now - started_at``)."""
    message: str = ""
    log: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "name": self.name,
            "container": self.container,
            "reason": self.reason,
            "restarts": self.restarts,
            "started_at": iso(self.started_at),
            "message": self.message,
            "log": list(self.log),
        }


@dataclass(frozen=True, slots=True)
class StuckApp:
    """An app whose health has been Progressing/Degraded for too long, and why."""

    app: AppName
    health: str
    since: datetime | None
    pods: tuple[PodDiagnosis, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Identity of this incident (app + when it became unhealthy), for acks and pings."""
        since = iso(self.since) or "unknown"
        return f"stuck:{self.app}:{since}"

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "health": self.health,
            "since": iso(self.since),
            "pods": [p.to_json() for p in self.pods],
        }


EVERY_APP: Final = "*"
"""`ScanError.app` of an error about a whole upstream, not one app: Argo CD could not be read at
all (every diff failed), or acks could not be applied (Redis)."""
WHOLE_UPSTREAMS: Final = ("argocd", "kubernetes")


@dataclass(frozen=True, slots=True)
class ScanError:
    """Something the scan could not read; the rest of the report is still valid."""

    app: str
    source: str
    """``argocd`` or ``kubernetes``."""
    message: str

    def to_json(self) -> dict[str, str]:
        return {"app": self.app, "source": self.source, "message": self.message}


@dataclass(frozen=True, slots=True)
class Totals:
    total: int
    out_of_sync: int
    progressing: int
    stuck: int

    def to_json(self) -> dict[str, int]:
        return {
            "total": self.total,
            "out_of_sync": self.out_of_sync,
            "progressing": self.progressing,
            "stuck": self.stuck,
        }


@dataclass(frozen=True, slots=True)
class ScanReport:
    """The whole answer of one scan (DESIGN.md §3 JSON, contract)."""

    generated_at: datetime
    totals: Totals
    findings: tuple[Finding, ...] = ()
    stuck: tuple[StuckApp, ...] = ()
    errors: tuple[ScanError, ...] = ()
    health: Mapping[TrackingName, str] = field(default_factory=dict)
    """Health status per app, keyed like `Finding.app` (``<namespace>_<name>`` for apps outside
    Argo CD's own namespace), so renderers can put each finding's app status beside it."""
    sync: Mapping[TrackingName, str] = field(default_factory=dict)
    """Sync status per app, keyed like ``health``: a Synced app can still hold leftovers (hooks
    kept by prune off)."""
    fleet_as_of: datetime | None = None
    """When the answer came from ``serve``'s watched model: the last moment every watched
    namespace was confirmed current (JSON ``fleet_as_of``, sent only then)."""

    @property
    def unreachable(self) -> tuple[ScanError, ...]:
        """Errors saying a whole upstream (Argo CD, Kubernetes) could not be read at all: the
        report is partial, and the CLI exits 3 after printing it."""
        return tuple(e for e in self.errors if e.app == EVERY_APP and e.source in WHOLE_UPSTREAMS)

    def to_json(self) -> dict[str, Any]:
        out = {
            "generated_at": iso(self.generated_at),
            "apps": self.totals.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "stuck": [s.to_json() for s in self.stuck],
            "errors": [e.to_json() for e in self.errors],
            "health": dict(self.health),
            "sync": dict(self.sync),
        }
        if self.fleet_as_of is not None:
            out["fleet_as_of"] = iso(self.fleet_as_of)
        return out


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class AppReport:
    """Everything about one app: what `/drift app NAME` and `drift-bot app NAME` show."""

    generated_at: datetime
    app: AppName
    sync_status: str
    health_status: str
    health_since: datetime | None
    findings: tuple[Finding, ...] = ()
    stuck: StuckApp | None = None
    errors: tuple[ScanError, ...] = ()
    fleet_as_of: datetime | None = None
    """As `ScanReport.fleet_as_of`: how fresh the watched model this answer came from was."""

    def to_json(self) -> dict[str, Any]:
        out = {
            "generated_at": iso(self.generated_at),
            "app": self.app,
            "sync": self.sync_status,
            "health": self.health_status,
            "health_since": iso(self.health_since),
            "findings": [f.to_json() for f in self.findings],
            "stuck": self.stuck.to_json() if self.stuck else None,
            "errors": [e.to_json() for e in self.errors],
        }
        if self.fleet_as_of is not None:
            out["fleet_as_of"] = iso(self.fleet_as_of)
        return out
