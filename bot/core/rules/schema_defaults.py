"""Class A: git leaves a field out and the API server writes its default into the live object.

The seed's ExternalSecrets: ``deletionPolicy: Retain`` and three ``remoteRef`` strategies come
from the CRD's ``default:`` values. Every differing field must be an addition whose live value
is exactly that default; one field that is not (a different value, a removed line, a schema
that no longer has the default, as in ESO v2.9.0) and the whole resource falls through.
"""

from __future__ import annotations

from typing import Final

from bot.core import fixes
from bot.core.model import DiffOp, DriftClass, Finding
from bot.core.rules.context import Context, holds_default

CLASS: Final = DriftClass.SCHEMA_DEFAULTS
"""The class this rule names (its place in the ladder is `DriftClass` order)."""


def rule(ctx: Context) -> Finding | None:
    """A finding when every differing field is an added default, else ``None``."""
    if ctx.live_view is None or not ctx.diffable:
        return None
    if not all(c.op is DiffOp.ADDED and holds_default(ctx, c) for c in ctx.changes):
        return None
    source = "its CRD schema" if ctx.crd_schema is not None else "the API server"
    count = len(ctx.changes)
    fields = f"{count} fields absent in git hold" if count > 1 else "A field absent in git holds"
    summary = f"{fields} the default {source} writes: {fixes.summarize_paths(ctx.evidence)}."
    return ctx.finding(CLASS, summary, fixes.pin_in_git(ctx.key, ctx.evidence, ctx.live_view))
