"""Class B: git spells out a zero value that the live object does not carry.

Argo CD writes its own CRs (Application, ApplicationSet, AppProject) through Go structs with
``omitempty``, so ``prune: false``, ``selfHeal: false`` or ``group: ""`` in git are stripped
from the live object and the diff never closes. On any kind, an empty map or list is dropped
the same way. Other zero values are *not* phantoms: a PDB's ``maxUnavailable: ""`` or a
``creationTimestamp: null`` on another kind mean something else, and fall to later rules.
"""

from __future__ import annotations

from typing import Any, Final

from bot.core import fixes
from bot.core.model import DiffOp, DriftClass, Finding
from bot.core.paths import split
from bot.core.rules.context import Context
from bot.core.yaml_text import yaml_scalar

CLASS: Final = DriftClass.PHANTOM_DEFAULTS
"""The class this rule names (its place in the ladder is `DriftClass` order)."""

_ARGO_KINDS: Final = {"Application", "ApplicationSet", "AppProject"}


def rule(ctx: Context) -> Finding | None:
    """A finding when every differing field is a zero value only git has, else ``None``."""
    if ctx.target_view is None or not ctx.diffable:
        return None
    argo = ctx.key.group == "argoproj.io" and ctx.key.kind in _ARGO_KINDS
    if not all(c.op is DiffOp.REMOVED and is_phantom(c.git, argo=argo) for c in ctx.changes):
        return None
    lines = ", ".join(f"{split(e.path)[-1]}: {yaml_scalar(e.git)}" for e in ctx.evidence)
    summary = f"git sets zero values that are stripped from the live object ({lines})."
    fix = fixes.drop_from_git(ctx.key, ctx.evidence, ctx.target_view)
    return ctx.finding(CLASS, summary, fix)


def is_phantom(value: Any, *, argo: bool) -> bool:
    """Whether a git-only value is one the server drops: empty containers, or Go zero values
    on Argo CD's own kinds."""
    if isinstance(value, dict | list):
        return not value
    return argo and (value is False or value is None or value == "")
