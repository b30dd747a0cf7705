"""The drift rules: the first that recognises a resource names its class.

Each rule module declares the `DriftClass` it names (``CLASS``) and a pure ``rule`` function of
one `Context` returning a `Finding` or ``None``. The ladder `RULES` is built from `DriftClass`
order, the contract's precedence (lower letter wins, ``unexplained`` last), so there is one
ordering, not two. Why each class sits where it does:

- A schema-defaults: purely additive, value-exact defaults are the narrowest explanation;
  pinning fixes it.
- B phantom-defaults: purely removed zero values, the mirror image of A; dropping the line
  fixes it.
- C unadopted: before any content rule, because until Argo CD adopts it no diff of it can close.
- D zombie: not in git at all, and not a hook; the only class whose fix deletes something.
- E contested: two apps fighting; after C so "unknown owner" is not mistaken for a fight.
- F hook-leftover: hooks and finished runs; after D, which excludes them, so neither shadows
  the other.
- G injected-fields: last benign rule: every field must be injected, or it is not noise.
- unexplained: what nothing above explains, named with its fields, never hidden (`FALLBACK`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from bot.core.model import DriftClass, Finding
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

_BY_CLASS: Final[dict[DriftClass, Rule]] = {
    m.CLASS: m.rule
    for m in (
        contested,
        hook_leftover,
        injected_fields,
        phantom_defaults,
        schema_defaults,
        unadopted,
        zombie,
    )
}

RULES: Final[tuple[Rule, ...]] = tuple(_BY_CLASS[c] for c in DriftClass if c in _BY_CLASS)
"""The benign rules in `DriftClass` (precedence) order."""

FALLBACK: Final = unexplained.explain
"""What nothing above explains: named, with its fields, never hidden."""
