"""Class G: every differing field is one a chart, operator or webhook writes, not a person.

The seed's cases: Helm's ``checksum/*`` pod-template annotations, a chart stamping
``updatedAt: "2026-04-04 UTC 21:31:24"`` on each render, a ``vClusterConfigHash``, controller
defaults such as a PDB's ``maxUnavailable: ""`` that the server drops, and the NVIDIA operator
filling in ClusterPolicy fields it owns in ``managedFields``.

Only named writers make a field benign (`bot.core.rules.known_writers`): the HPA on replicas,
CA injectors on ``caBundle``, the ClusterRole aggregation controller on ``rules``, known
operators on their own resources. A field owned by any other manager (``kubectl-edit``, Lens,
k9s, a script) is a real change and makes the resource unexplained, whatever the field is called.
"""

from __future__ import annotations

import re
from typing import Any, Final

from bot.core import fixes
from bot.core.diffs import Change
from bot.core.model import ABSENT, DiffOp, DriftClass, Finding, Fix, FixKind
from bot.core.rules import known_writers
from bot.core.rules.context import Context, holds_default
from bot.core.rules.known_writers import FixStyle

CLASS: Final = DriftClass.INJECTED_FIELDS
"""The class this rule names (its place in the ladder is `DriftClass` order)."""

_HASH_KEY: Final = re.compile(r"(?:.*/)?checksum/.+|.*[Hh]ash")
_TIME_KEY: Final = re.compile(
    r"(?:^|[/._-])(?:updated|restarted|rendered|generated|deployed|modified|refreshed|created)"
    r"[-_]?(?:at|on|time|timestamp)$|(?:^|[/._-])(?:last[-_]?updated|timestamp)$",
    re.IGNORECASE,
)
_TIME_VALUE: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"| [A-Z]{2,5} \d{2}:\d{2}:\d{2})"
)
# Fields the API server or a built-in controller allocates on objects it stores; git never sets
# them, so when they are only live they are not a change anyone made. (group, kind) "*" = any.
_SERVER_ALLOCATED: Final = (
    (
        "",
        "Service",
        re.compile(r"/spec/(?:clusterIPs?|ipFamilies|healthCheckNodePort|ports/\d+/nodePort)"),
    ),
    ("", "PersistentVolumeClaim", re.compile(r"/spec/(?:volumeName|storageClassName)")),
    (
        "*",
        "*",
        re.compile(
            r"/metadata/annotations/(?:deployment\.kubernetes\.io~1revision"
            r"|pv\.kubernetes\.io~1.+|volume\.(?:beta\.)?kubernetes\.io~1.+)"
        ),
    ),
)
# (group, kind, pointer) where git's empty string is dropped by the API server: a PDB's
# ``maxUnavailable: ""`` is an unset IntOrString, not a value anyone chose.
_EMPTY_DROPPED: Final = {
    ("policy", "PodDisruptionBudget", "/spec/maxUnavailable"),
    ("policy", "PodDisruptionBudget", "/spec/minAvailable"),
}


def rule(ctx: Context) -> Finding | None:
    """A finding when every differing field is injected, else ``None``."""
    if ctx.live is None or not ctx.diffable:
        return None
    per_change = [reasons(ctx, c) for c in ctx.changes]
    if not all(per_change):
        return None
    distinct = list(dict.fromkeys(r for found in per_change for r in found))
    count = len(per_change)
    subject = f"All {count} differing fields are" if count > 1 else "The one differing field is"
    summary = (
        f"{subject} written by a chart, an operator or the API server ({', '.join(distinct)}),"
        " not by a person."
    )
    writers = {known_writers.writer_of(ctx, c) for c in ctx.changes}
    if len(writers) == 1 and None not in writers:
        (writer,) = writers
        assert writer is not None
        if writer.style is FixStyle.AGGREGATED_ROLES:
            return ctx.finding(CLASS, summary, ignore_aggregated_roles())
        if writer.style is FixStyle.MANAGERS:
            # One operator owns every field: ignore by manager (covers what it adds later).
            fix = fixes.ignore_differences(ctx.key, [], [writer.manager])
            return ctx.finding(CLASS, summary, fix)
    fix = fixes.ignore_differences(ctx.key, [e.path for e in ctx.evidence], [])
    return ctx.finding(CLASS, summary, fix)


def ignore_aggregated_roles() -> Fix:
    """Argo CD's own switch for rules the aggregation controller fills in."""
    text = (
        "# The ClusterRole aggregation controller writes the rules of aggregated ClusterRoles."
        " Tell Argo CD to ignore them, in the argocd-cm ConfigMap:\n"
        "data:\n"
        "  resource.compareoptions: |\n"
        "    ignoreAggregatedRoles: true"
    )
    return Fix(FixKind.IGNORE_DIFFERENCES, text)


def is_injected(ctx: Context, change: Change) -> bool:
    """Whether one differing field is written by something other than a person."""
    return bool(reasons(ctx, change))


def reasons(ctx: Context, change: Change) -> tuple[str, ...]:
    """Why a field counts as injected; empty when it does not.

    An added map counts when each of its entries does: git without any annotations and live
    with only a hash annotation is one added ``/metadata/annotations`` path.
    """
    direct = _reason(ctx, change)
    if direct:
        return (direct,)
    if change.op is DiffOp.ADDED and isinstance(change.live, dict) and change.live:
        parts = [
            reasons(ctx, Change(DiffOp.ADDED, (*change.path, k), (*change.git_path, k), live=v))
            for k, v in change.live.items()
        ]
        if all(parts):
            return tuple(r for found in parts for r in found)
    return ()


def _reason(ctx: Context, change: Change) -> str:
    writer = known_writers.writer_of(ctx, change)
    if writer is not None:
        return writer.reason
    if known_writers.unknown_managers(ctx, change):
        return ""  # a person (or a tool acting for one) wrote it: a real change
    last = change.path[-1] if change.path else ""
    parent = change.path[-2] if len(change.path) > 1 else ""
    if parent in {"annotations", "labels"} and isinstance(last, str) and _HASH_KEY.fullmatch(last):
        return "checksum/hash annotations"
    if isinstance(last, str) and _TIME_KEY.search(last):
        return "timestamps"
    if _dates(change.git, change.live):
        return "timestamps"
    key = ctx.key
    dropped = change.op is DiffOp.REMOVED and change.git == "" and isinstance(change.git, str)
    if dropped and (key.group, key.kind, change.pointer) in _EMPTY_DROPPED:
        return "controller defaults"
    if change.op is DiffOp.ADDED and _allocated(key.group, key.kind, change.pointer):
        return "server-allocated fields"
    if holds_default(ctx, change):
        return "server defaults"
    return ""


def _allocated(group: str, kind: str, pointer: str) -> bool:
    return any(
        (g, k) in {(group, kind), ("*", "*")} and pattern.fullmatch(pointer)
        for g, k, pattern in _SERVER_ALLOCATED
    )


def _dates(*values: Any) -> bool:
    present = [v for v in values if v is not ABSENT]
    return bool(present) and all(isinstance(v, str) and _TIME_VALUE.fullmatch(v) for v in present)
