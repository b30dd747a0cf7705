"""Class F: a finished hook (or one-shot run) that nothing deletes.

Argo CD never gives hooks a sync status; with ``prune: false`` and no ``hook-delete-policy`` a
completed hook Job stays forever and shows up as a leftover. A completed PipelineRun kept in git
behaves the same way. Deleting it once is harmless; the lasting fix is a delete policy.
"""

from __future__ import annotations

from typing import Final

from bot.core import fixes
from bot.core.model import DriftClass, Finding
from bot.core.rules.context import Context, hook_flavour

CLASS: Final = DriftClass.HOOK_LEFTOVER
"""The class this rule names (its place in the ladder is `DriftClass` order)."""

_WHAT = {
    "argocd": "an Argo CD hook",
    "helm": "a Helm hook",
    "run": "a finished run",
    "": "a hook",
}


def rule(ctx: Context) -> Finding | None:
    """A finding for a hook-like object waiting to be pruned, else ``None``."""
    flavour = hook_flavour(ctx.status, ctx.live)
    if flavour is None:
        return None
    leftover = ctx.status.requires_pruning or (ctx.status.hook and ctx.status.status is None)
    if not leftover:
        return None
    summary = (
        f"It is {_WHAT[flavour]} that has done its job and is kept because nothing deletes it"
        " (no hook-delete-policy, prune off)."
    )
    fix = fixes.hook_delete_policy(ctx.key, flavour)
    return ctx.finding(CLASS, summary, fix, evidence=ctx.whole_object())
