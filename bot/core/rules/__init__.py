"""The drift rules, in precedence order: the first that recognises a resource names its class.

Each rule is a pure function of one `Context` returning a `Finding` or ``None``. The order is
the contract's precedence (lower letter wins, ``unexplained`` last) and each position has a
reason, noted beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bot.core.model import Finding
from bot.core.rules import (
    contested,
    hook_leftover,
    injected_fields,
    phantom_defaults,
    schema_defaults,
    unadopted,
    unexplained,
    zombie,
)
from bot.core.rules.context import Context

Rule = Callable[[Context], Finding | None]

RULES: Final[tuple[Rule, ...]] = (
    # A: purely additive, value-exact defaults are the narrowest explanation; pinning fixes it.
    schema_defaults.rule,
    # B: purely removed zero values, the mirror image of A; dropping the line fixes it.
    phantom_defaults.rule,
    # C: before any content rule, because until Argo CD adopts it no diff of it can close.
    unadopted.rule,
    # D: not in git at all, and not a hook; the only class whose fix deletes something.
    zombie.rule,
    # E: two apps fighting; after C so "unknown owner" is not mistaken for a fight.
    contested.rule,
    # F: hooks and finished runs; after D, which excludes them, so neither shadows the other.
    hook_leftover.rule,
    # G: last benign rule: every field must be injected, or it is not noise.
    injected_fields.rule,
)

FALLBACK: Final = unexplained.explain
"""What nothing above explains: named, with its fields, never hidden."""
