"""What every rule looks at: one drifting resource with its diff and the facts around it.

`bot.core.classify` builds one `Context` per drifting ``status.resources`` entry; rules only
read it. Raw values (``changes``, ``target``, ``live``) are for deciding; everything a finding
shows (``evidence``, the ``*_view`` objects) is already redacted, so a rule cannot leak a
secret into a message by accident.

The checks more than one rule needs live here too: whether an object is a hook (or a finished
run, which behaves like one), and whether an added field holds a default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from bot.core import builtin_defaults, schema
from bot.core.argo_diff import TrackingChange
from bot.core.diffs import Change
from bot.core.model import (
    HELM_HOOK_ANNOTATION,
    HOOK_ANNOTATION,
    Application,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    RawObject,
    ResourceKey,
    ResourceStatus,
)
from bot.core.raw import TrackingName
from bot.core.schema import SchemaNode
from bot.core.tracking import TrackingConfig
from bot.core.usage import Verdict

APPROXIMATE_NOTE: Final = (
    " (Approximate paths: Argo CD sent no predictedLiveState, so git was compared with live;"
    " `argocd app diff` shows Argo CD's own.)"
)

_RUN_KINDS: Final = {
    ("batch", "Job"),
    ("tekton.dev", "PipelineRun"),
    ("tekton.dev", "TaskRun"),
    ("argoproj.io", "Workflow"),
}


@dataclass(frozen=True, slots=True)
class Context:
    """One drifting resource of one app, ready to be judged."""

    app: Application
    status: ResourceStatus
    found: bool
    """Whether Argo CD's managed-resources listed it (hooks and some items are omitted)."""
    target: RawObject | None
    live: RawObject | None
    changes: tuple[Change, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    """``changes`` with values read from the redacted views, same order."""
    target_view: RawObject | None = None
    live_view: RawObject | None = None
    crd_schema: SchemaNode | None = None
    owners: tuple[TrackingName, ...] = ()
    """Tracking names of every app whose status lists this object (this one included)."""
    verdict: Verdict | None = None
    """Zombie candidates: whether deleting it is safe (see `bot.core.usage.assess`)."""
    approximate: bool = False
    """``changes`` come from git vs live because Argo CD sent no prediction."""
    tracking_changes: tuple[TrackingChange, ...] = ()
    """Tracking metadata Argo CD's prediction and the live object disagree on."""
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    predicted_view: RawObject | None = None
    shared_with: tuple[TrackingName, ...] = ()
    """Other apps a ``SharedResourceWarning`` of this app names for this object."""
    autoscaled: bool = False
    """A HorizontalPodAutoscaler of this app targets the object (it owns ``/spec/replicas``)."""
    diff_failed: bool = False
    """Argo CD sent ``{}`` states: its own diff of this item failed."""

    @property
    def key(self) -> ResourceKey:
        return self.status.key

    @property
    def diffable(self) -> bool:
        """Both sides exist and at least one field differs."""
        return self.target is not None and self.live is not None and bool(self.changes)

    def finding(
        self,
        drift_class: DriftClass,
        summary: str,
        fix: Fix,
        *,
        evidence: tuple[Evidence, ...] | None = None,
        safe_to_delete: bool | None = None,
        users: tuple[str, ...] = (),
    ) -> Finding:
        shown = self.evidence if evidence is None else evidence
        if self.approximate and any(e in self.evidence for e in shown):
            summary += APPROXIMATE_NOTE
        return Finding(
            app=self.app.tracking_name,
            drift_class=drift_class,
            key=self.key,
            summary=summary,
            evidence=shown,
            fix=fix,
            safe_to_delete=safe_to_delete,
            users=users,
        )

    def whole_object(self) -> tuple[Evidence, ...]:
        """Evidence for an object that exists only live: its identity at the root pointer."""
        if self.live_view is None:
            return ()
        meta = self.live_view.get("metadata") or {}
        identity: dict[str, Any] = {
            "apiVersion": self.live_view.get("apiVersion", ""),
            "kind": self.live_view.get("kind", self.key.kind),
            "metadata": {k: meta[k] for k in ("name", "namespace") if k in meta},
        }
        return (Evidence(path="", op=DiffOp.ADDED, live=identity),)


def annotations_of(obj: RawObject | None) -> dict[str, Any]:
    if not obj:
        return {}
    found = (obj.get("metadata") or {}).get("annotations")
    return found if isinstance(found, dict) else {}


def hook_flavour(status: ResourceStatus, live: RawObject | None) -> str | None:
    """Whether it behaves like a hook, and which kind; ``None`` for ordinary resources.

    ``argocd``/``helm`` when annotated as such, ``""`` when only Argo CD's ``hook: true`` says
    so, ``run`` for a finished Job, PipelineRun, TaskRun or Workflow (one-shot by nature).
    """
    notes = annotations_of(live)
    if HOOK_ANNOTATION in notes:
        return "argocd"
    if HELM_HOOK_ANNOTATION in notes:
        return "helm"
    if status.hook:
        return ""  # Argo CD knows it as a hook even though we cannot see how it was declared
    if live is not None and finished(status.key, live):
        return "run"
    return None


def zombie_candidate(status: ResourceStatus, live: RawObject | None) -> bool:
    """The zombie test: Argo CD would prune it (``requiresPruning``), it exists live, and it is
    not a hook or a finished run (those are hook leftovers, class F)."""
    return status.requires_pruning and live is not None and hook_flavour(status, live) is None


def finished(key: ResourceKey, live: RawObject) -> bool:
    """A run that has ended (succeeded or failed): nothing will ever change it again."""
    if (key.group, key.kind) not in _RUN_KINDS:
        return False
    status = live.get("status")
    if not isinstance(status, dict):
        return False  # a custom resource's status is whatever its controller wrote
    # Tuples, not sets: membership must not hash a value a controller wrote (it may be a list).
    if key.kind == "Workflow":
        return status.get("phase") in ("Succeeded", "Failed", "Error")
    terminal = ("Complete", "Failed") if key.kind == "Job" else ("Succeeded",)
    wanted = ("True",) if key.kind == "Job" else ("True", "False")
    conditions = status.get("conditions")
    return isinstance(conditions, list) and any(
        c.get("type") in terminal and c.get("status") in wanted
        for c in conditions
        if isinstance(c, dict)
    )


def holds_default(ctx: Context, change: Change) -> bool:
    """Whether an added field holds what the CRD schema or the API server defaults there."""
    if change.op is not DiffOp.ADDED or ctx.live is None:
        return False
    if ctx.crd_schema is not None:
        return schema.is_default(schema.node_at(ctx.crd_schema, change.path), change.live)
    key = ctx.key
    return builtin_defaults.is_default(key.group, key.kind, change.path, change.live, ctx.live)
