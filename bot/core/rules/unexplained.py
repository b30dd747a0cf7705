"""The residual class: drift no benign pattern explains. Name it; never hide it.

A changed image, replica count or env var must land here, as must anything the rules cannot
see into (a schemaless CRD, a diff Argo CD did not return). The finding lists every differing
field with its git and live values (redacted) and the command that shows Argo CD's own diff.
"""

from __future__ import annotations

from typing import Final

from bot.core import fixes, schema
from bot.core.model import DriftClass, Evidence, Finding
from bot.core.paths import pointer
from bot.core.rules.context import Context
from bot.core.rules.injected_fields import is_injected

CLASS: Final = DriftClass.UNEXPLAINED
"""The class this rule names (its place in the ladder is `DriftClass` order)."""


def explain(ctx: Context) -> Finding:
    """Always a finding: the most specific reason we can give for drift we cannot classify."""
    if not ctx.found:
        summary = (
            "Argo CD returned no diff for it, so the drift cannot be explained (diff unavailable)."
        )
        return _investigate(ctx, summary)
    if ctx.diff_failed:
        failure = next(
            (c.message for c in ctx.app.conditions if c.type == "ComparisonError" and c.message),
            "see the app's ComparisonError condition",
        )
        summary = f"Argo CD could not compute its diff for it ({failure}), so neither can the bot."
        return _investigate(ctx, summary)
    if ctx.live is None and ctx.target is not None:
        summary = "It is in git but missing from the cluster: sync it."
        return ctx.finding(CLASS, summary, fixes.sync_missing(ctx.app, ctx.key))
    if ctx.live is None:
        summary = (
            "It is neither in git nor in the cluster: Argo CD's status is stale (refresh the app)."
        )
        return _investigate(ctx, summary)
    if ctx.target is None:
        summary = "It is not in git, yet Argo CD does not mark it for pruning."
        return _investigate(ctx, summary, evidence=ctx.whole_object())
    if not ctx.changes:
        if ctx.tracking_changes:
            moved = ctx.tracking_changes[0]
            summary = (
                "Only its tracking metadata differs: applying git would change"
                f" {pointer(moved.pointer)} from {moved.live!r} to {moved.expected!r}."
            )
        elif ctx.approximate:
            summary = (
                "Argo CD reports it OutOfSync, but its normalized live state matches git field for"
                " field (a server-side diff or normalization quirk)."
            )
        else:
            summary = (
                "Argo CD reports it OutOfSync, but its predicted and normalized live states match"
                " field for field (a stale comparison: refresh the app)."
            )
        return _investigate(ctx, summary)
    # Point at the fields no rule explains: in a mixed diff those are the ones to look at.
    odd = [e for c, e in zip(ctx.changes, ctx.evidence, strict=True) if not is_injected(ctx, c)]
    count = len(ctx.changes)
    of = f" of {count}" if len(odd) < count else ""
    noun = "fields" if count > 1 else "field"
    verb = "matches" if len(odd) == 1 else "match"
    summary = (
        f"{len(odd)}{of} differing {noun} {verb} no benign pattern: {fixes.summarize_paths(odd)}."
    )
    if any(schema.preserves_unknown(ctx.crd_schema, c.path) for c in ctx.changes):
        summary += " Its CRD schema keeps unknown fields there, so defaults cannot be read from it."
    return _investigate(ctx, summary)


def _investigate(
    ctx: Context, summary: str, evidence: tuple[Evidence, ...] | None = None
) -> Finding:
    shown = ctx.evidence if evidence is None else evidence
    fix = fixes.investigate(ctx.app, ctx.key, shown, summary)
    return ctx.finding(CLASS, summary, fix, evidence=shown)
