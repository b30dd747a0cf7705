"""Class E: two Applications render the same object, and each sync steals it back.

The seed's Namespace ``sympozium-system`` is listed by ``sympozium`` and ``sympozium-extras``;
the tracking id on the live object names whichever synced last. The finding names both apps
and the one the live id says owns it, so the fix can say which manifest to drop.
"""

from __future__ import annotations

from typing import Final

from bot.core import fixes
from bot.core.model import DriftClass, Finding
from bot.core.rules.context import Context
from bot.core.rules.ownership import claim, claimants

CLASS: Final = DriftClass.CONTESTED
"""The class this rule names (its place in the ladder is `DriftClass` order)."""


def rule(ctx: Context) -> Finding | None:
    """A finding when another app lists the object too, else ``None``."""
    if ctx.live is None:
        return None
    seen = claim(ctx)
    me = ctx.app.tracking_name
    # This app lists it too (it is in its status), even if the index was built without it;
    # Argo CD's SharedResourceWarning names the other app even when the bot cannot read it.
    owners = claimants(ctx)
    if len(owners) < 2:
        return None
    keeper = seen.app if seen.app in owners else None
    what = "instance label" if ctx.tracking.by_label else "tracking id"
    verdict = f"the live {what} says {keeper} owns it" if keeper else "no live id names either"
    summary = f"It is listed by {len(owners)} apps ({', '.join(owners)}); {verdict}."
    evidence = ctx.evidence if keeper == me else (seen.evidence(), *ctx.evidence)
    labels = ((ctx.target_view or {}).get("metadata") or {}).get("labels") or {}
    fix = fixes.drop_duplicate(ctx.app, ctx.key, owners, keeper, labels)
    others = tuple(o for o in owners if o != me)
    return ctx.finding(CLASS, summary, fix, evidence=evidence, users=others)
