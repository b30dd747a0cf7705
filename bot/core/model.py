"""The domain model: what the classifier reads and what it concludes.

Everything here is a frozen, slotted dataclass or an enum. Raw Kubernetes/Argo CD JSON stays a
plain ``dict`` (``RawObject``) at the edges; `bot.core.parse` turns the parts we reason about
into these types once, so the rules never dig through untyped dicts for identity or status.

No I/O, no clock: timestamps are values handed in by the caller.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeAlias

RawObject: TypeAlias = dict[str, Any]
"""A Kubernetes object or Argo CD payload exactly as the API returned it (parsed JSON)."""

TRACKING_ID_ANNOTATION: Final = "argocd.argoproj.io/tracking-id"
HOOK_ANNOTATION: Final = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION: Final = "helm.sh/hook"
LOCAL_SERVERS: Final = frozenset(
    {"https://kubernetes.default.svc", "https://kubernetes.default.svc/"}
)
"""How Applications name the cluster Argo CD itself runs in (``in-cluster``)."""


class _Absent:
    """Marks a side of a diff where the field does not exist (distinct from JSON ``null``)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


class DriftClass(enum.StrEnum):
    """The drift classes of the seed write-up (contract: the slugs). Order = precedence."""

    SCHEMA_DEFAULTS = "schema-defaults"
    PHANTOM_DEFAULTS = "phantom-defaults"
    UNADOPTED = "unadopted"
    ZOMBIE = "zombie"
    CONTESTED = "contested"
    HOOK_LEFTOVER = "hook-leftover"
    INJECTED_FIELDS = "injected-fields"
    UNEXPLAINED = "unexplained"

    @property
    def letter(self) -> str:
        """The seed's letter (A..G); ``?`` for the residual class."""
        return _LETTERS[self]

    @property
    def title(self) -> str:  # type: ignore[override]  # str.title is shadowed on purpose
        """A short human name for messages."""
        return _TITLES[self]

    @property
    def benign(self) -> bool:
        """Whether drift of this class is noise rather than a change someone made."""
        return self is not DriftClass.UNEXPLAINED


_LETTERS: Final = dict(zip(DriftClass, "ABCDEFG?", strict=True))
_TITLES: Final = {
    DriftClass.SCHEMA_DEFAULTS: "CRD schema defaults",
    DriftClass.PHANTOM_DEFAULTS: "default-value phantom",
    DriftClass.UNADOPTED: "unadopted object",
    DriftClass.ZOMBIE: "zombie (not in git any more)",
    DriftClass.CONTESTED: "two apps own one object",
    DriftClass.HOOK_LEFTOVER: "terminal hook leftover",
    DriftClass.INJECTED_FIELDS: "chart/operator-injected fields",
    DriftClass.UNEXPLAINED: "unexplained",
}


class DiffOp(enum.StrEnum):
    """How a path differs, seen from git: ``added`` exists only live, ``removed`` only in git."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class FixKind(enum.StrEnum):
    """What kind of action a fix asks for (JSON ``fix.kind``)."""

    PIN_IN_GIT = "pin-in-git"
    DROP_FROM_GIT = "drop-from-git"
    ANNOTATE = "annotate"
    DELETE = "delete"
    DROP_DUPLICATE = "drop-duplicate"
    HOOK_DELETE_POLICY = "hook-delete-policy"
    IGNORE_DIFFERENCES = "ignore-differences"
    INVESTIGATE = "investigate"


@dataclass(frozen=True, slots=True, order=True)
class ResourceKey:
    """Identity of one Kubernetes object. Core group and cluster scope are empty strings."""

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        scope = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind}/{self.name}{scope}"


@dataclass(frozen=True, slots=True)
class Condition:
    """One ``status.conditions`` entry of an Application."""

    type: str
    message: str


@dataclass(frozen=True, slots=True)
class ResourceStatus:
    """One ``status.resources`` entry of an Application (Argo CD omits empty keys)."""

    key: ResourceKey
    version: str
    status: str | None
    """``Synced``/``OutOfSync``/``Unknown``; ``None`` for hooks, which never get a sync status."""
    requires_pruning: bool = False
    hook: bool = False

    @property
    def drifting(self) -> bool:
        """Whether this entry is something to explain.

        Anything not Synced drifts, except a status-less hook that nothing would prune: Argo CD
        lists running hooks too, and those are not leftovers.
        """
        if self.status is None:
            return self.requires_pruning
        return self.status != "Synced"


@dataclass(frozen=True, slots=True)
class Application:
    """The parts of an ``argoproj.io/v1alpha1`` Application the bot reasons about."""

    name: str
    namespace: str
    """Where the Application CR lives."""
    control_plane_namespace: str
    """Argo CD's own namespace; apps elsewhere are tracked as ``<namespace>_<name>``."""
    project: str
    sync_status: str
    health_status: str
    health_since: datetime | None
    """``status.health.lastTransitionTime`` when Argo CD reports it."""
    destination_namespace: str
    resources: tuple[ResourceStatus, ...] = ()
    conditions: tuple[Condition, ...] = ()
    destination_server: str = ""
    destination_name: str = ""

    @property
    def in_local_cluster(self) -> bool:
        """Whether the app deploys into the cluster the bot reads (Argo CD's own).

        The usage checks behind ``safe_to_delete`` only see that cluster; for any other
        destination they would find no users and wrongly say "safe".
        """
        return self.destination_server in LOCAL_SERVERS or (
            not self.destination_server and self.destination_name in ("", "in-cluster")
        )

    @property
    def tracking_name(self) -> str:
        """The app name as written into tracking ids."""
        if self.namespace == self.control_plane_namespace:
            return self.name
        return f"{self.namespace}_{self.name}"

    @property
    def drifting_resources(self) -> tuple[ResourceStatus, ...]:
        return tuple(r for r in self.resources if r.drifting)


@dataclass(frozen=True, slots=True)
class ManagedResource:
    """One item of Argo CD's ``managed-resources`` with its JSON-string states parsed.

    ``target`` is ``None`` when the object is not in git; ``live`` is ``None`` when it is missing
    from the cluster. ``live`` is the normalized live state when Argo CD sent one.
    """

    key: ResourceKey
    target: RawObject | None
    live: RawObject | None
    modified: bool = False
    normalized: RawObject | None = None
    """``normalizedLiveState`` exactly as sent (what Argo CD compared with its prediction);
    ``live`` adds back what normalization removed and the rules still read (managedFields,
    a custom resource's status)."""
    predicted: RawObject | None = None
    """``predictedLiveState``: live after applying git, as Argo CD computed it; ``None`` when
    Argo CD sent none (then the bot can only approximate the diff from git and live)."""
    diff_failed: bool = False
    """Argo CD sent ``{}`` for both normalized and predicted live: its diff of this item failed
    (the app then carries a ``ComparisonError`` condition)."""


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

    app: str
    drift_class: DriftClass
    key: ResourceKey
    summary: str
    """One sentence saying why this class, e.g. "3 fields defaulted by the CRD schema"."""
    evidence: tuple[Evidence, ...]
    fix: Fix
    safe_to_delete: bool | None = None
    """Zombies only: ``True`` only when nothing uses the object."""
    users: tuple[str, ...] = ()
    """Zombies: who still uses the object; contested: the other apps listing it."""
    acked: bool = False

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(e.path for e in self.evidence)

    @property
    def fingerprint(self) -> str:
        """Identity of exactly this drift: class, resource, differing paths and values.

        JSON-encoding a list (not joining strings) keeps it delimiter-safe: no two different
        drifts can produce the same input to the hash.
        """
        k = self.key
        payload = [
            self.app,
            str(self.drift_class),
            [k.group, k.kind, k.namespace, k.name],
            [[e.path, str(e.op), _jsonable(e.git), _jsonable(e.live)] for e in self.evidence],
        ]
        blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

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
            "started_at": _iso(self.started_at),
            "message": self.message,
            "log": list(self.log),
        }


@dataclass(frozen=True, slots=True)
class StuckApp:
    """An app whose health has been Progressing/Degraded for too long, and why."""

    app: str
    health: str
    since: datetime | None
    pods: tuple[PodDiagnosis, ...] = ()

    @property
    def fingerprint(self) -> str:
        """Identity of this incident (app + when it became unhealthy), for acks and pings."""
        since = _iso(self.since) or "unknown"
        return f"stuck:{self.app}:{since}"

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "health": self.health,
            "since": _iso(self.since),
            "pods": [p.to_json() for p in self.pods],
        }


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
    health: Mapping[str, str] = field(default_factory=dict)
    """App name → health status, for renderers that show per-app health."""

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": _iso(self.generated_at),
            "apps": self.totals.to_json(),
            "findings": [f.to_json() for f in self.findings],
            "stuck": [s.to_json() for s in self.stuck],
            "errors": [e.to_json() for e in self.errors],
            "health": dict(self.health),
        }


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, order=True)
class KindRef:
    """A listable resource type: what the zombie check asks the cluster for ("who uses it?")."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


@dataclass(frozen=True, slots=True)
class AppReport:
    """Everything about one app: what `/drift app NAME` and `drift-bot app NAME` show."""

    generated_at: datetime
    app: str
    sync_status: str
    health_status: str
    health_since: datetime | None
    findings: tuple[Finding, ...] = ()
    stuck: StuckApp | None = None
    errors: tuple[ScanError, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "generated_at": _iso(self.generated_at),
            "app": self.app,
            "sync": self.sync_status,
            "health": self.health_status,
            "health_since": _iso(self.health_since),
            "findings": [f.to_json() for f in self.findings],
            "stuck": self.stuck.to_json() if self.stuck else None,
            "errors": [e.to_json() for e in self.errors],
        }


@dataclass(frozen=True, slots=True)
class AckScope:
    """What an ack names: a whole app (``gitea``) or one resource (``gitea/Service/redis``)."""

    app: str
    kind: str = ""
    name: str = ""

    def __str__(self) -> str:
        return f"{self.app}/{self.kind}/{self.name}" if self.kind else self.app

    def matches(self, finding: Finding) -> bool:
        if finding.app != self.app:
            return False
        if not self.kind:
            return True
        return finding.key.kind.lower() == self.kind.lower() and finding.key.name == self.name


@dataclass(frozen=True, slots=True)
class Ack:
    """Someone said "known, leave it" about exactly these drifts, until ``expires_at``.

    ``fingerprints`` are the `Finding.fingerprint` values the scope matched when the ack was
    made: if the drift changes, its fingerprint changes and the ack no longer covers it.
    """

    id: str
    scope: AckScope
    fingerprints: frozenset[str]
    by: str
    """Slack user id (or ``cli:<user>``) of who acknowledged."""
    reason: str
    created_at: datetime
    expires_at: datetime

    def covers(self, finding: Finding, now: datetime) -> bool:
        return (
            now < self.expires_at
            and self.scope.matches(finding)
            and finding.fingerprint in self.fingerprints
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": str(self.scope),
            "fingerprints": sorted(self.fingerprints),
            "by": self.by,
            "reason": self.reason,
            "created_at": _iso(self.created_at),
            "expires_at": _iso(self.expires_at),
        }
