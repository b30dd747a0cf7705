"""Class C: the object is in git, but the live one does not carry this app's tracking id.

The seed's CRDs were installed before Argo CD existed, so they carry no
``argocd.argoproj.io/tracking-id`` and Argo CD will not silently adopt them. The same holds for
an id naming an app that does not list the object (stale, copied), or naming this app but a
different object. An id naming another app that *does* list it is a fight between two apps:
class E, not this rule.
"""

from __future__ import annotations

from typing import Final

from bot.core.model import DriftClass, Finding
from bot.core.rules.context import Context
from bot.core.rules.ownership import adopt, claim, claimants

CLASS: Final = DriftClass.UNADOPTED
"""The class this rule names (its place in the ladder is `DriftClass` order)."""


def rule(ctx: Context) -> Finding | None:
    """A finding when the live object is not adopted by this app, else ``None``."""
    if ctx.target is None or ctx.live is None:
        return None
    seen = claim(ctx)
    me = ctx.app.tracking_name
    what = "instance label" if ctx.tracking.by_label else "tracking id"
    if seen.raw is None:
        what = ctx.tracking.label_key if ctx.tracking.by_label else "argocd.argoproj.io/tracking-id"
        reason = f"has no {what}, so Argo CD does not adopt it"
    elif seen.parsed is None:
        reason = f"has a malformed tracking id, so Argo CD does not adopt it for {me}"
    elif seen.parsed.app == me:
        if not seen.parsed.names(ctx.key):
            reason = f"has a tracking id of {me} that names a different object (copied metadata?)"
        elif any(t.live == seen.raw and t.expected for t in ctx.tracking_changes):
            # Argo CD's own diff shows the id would change: it is ours, but not the one we stamp.
            reason = f"has a {what} of {me} that differs from the one Argo CD stamps"
        else:
            return None
    elif seen.parsed.app in claimants(ctx):
        return None
    else:
        reason = f"has a {what} naming app {seen.parsed.app}, which does not list it"
    summary = f"The live object {reason}."
    evidence = (seen.evidence(), *ctx.evidence)
    return ctx.finding(CLASS, summary, adopt(ctx, seen), evidence=evidence)
