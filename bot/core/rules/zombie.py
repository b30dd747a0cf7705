"""Class D: git no longer has it, ``prune: false`` keeps it, and it is not a hook.

The seed's disabled sub-charts left Services, ServiceAccounts, Roles, an IngressClass and a
webhook configuration behind. Whether each may be deleted comes from `bot.core.usage`, which
says "safe" only when every list it needed was read and nothing outside this app's own
leftovers uses it.
"""

from __future__ import annotations

from typing import Final

from bot.core import fixes
from bot.core.model import DriftClass, Finding
from bot.core.rules.context import Context, zombie_candidate
from bot.core.usage import Verdict

CLASS: Final = DriftClass.ZOMBIE
"""The class this rule names (its place in the ladder is `DriftClass` order)."""


def rule(ctx: Context) -> Finding | None:
    """A finding for a non-hook object marked ``requiresPruning``, else ``None``."""
    live = ctx.live
    if live is None or not zombie_candidate(ctx.status, live):
        return None
    # classify always assesses zombie candidates; without a verdict nothing was verified.
    verdict = ctx.verdict or Verdict(safe=False, blockers=("could not verify: no usage check ran",))
    if verdict.safe:
        summary = (
            "It is no longer in git (requiresPruning) and prune is off; nothing uses it, so it"
            " is safe to delete."
        )
    else:
        summary = (
            "It is no longer in git (requiresPruning) and prune is off, but it is not safe to"
            f" delete: {verdict.blockers[0]}."
        )
    return ctx.finding(
        CLASS,
        summary,
        fixes.delete_zombie(ctx.app, ctx.key, verdict, live),
        evidence=ctx.whole_object(),
        safe_to_delete=verdict.safe,
        users=verdict.users,
    )
