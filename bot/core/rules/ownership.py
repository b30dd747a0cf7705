"""Reading the live tracking id against the apps that list an object (classes C and E).

Both ownership rules compare the same three things: the id Argo CD would stamp for this app,
the id the live object carries, and which apps list the object. The evidence they show is the
tracking-id annotation itself, since the diff deliberately leaves that annotation out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from bot.core import tracking
from bot.core.model import TRACKING_ID_ANNOTATION, DiffOp, Evidence
from bot.core.paths import pointer
from bot.core.raw import TrackingName
from bot.core.redact import redact_value
from bot.core.rules.context import Context

_POINTER: Final = pointer(("metadata", "annotations", TRACKING_ID_ANNOTATION))


@dataclass(frozen=True, slots=True)
class Claim:
    """What the live object says about its owner."""

    expected: str
    """The id this app would stamp."""
    raw: str | None
    """The live annotation, if any."""
    parsed: tracking.TrackingId | None

    @property
    def app(self) -> TrackingName | None:
        """The app the live id names (``None`` without a readable id)."""
        return self.parsed.app if self.parsed else None

    def evidence(self) -> Evidence:
        """The annotation as evidence: git = what Argo CD expects, live = what is there."""
        git = redact_value(self.expected, path=_POINTER)
        if self.raw is None:
            return Evidence(_POINTER, DiffOp.REMOVED, git=git)
        return Evidence(
            _POINTER, DiffOp.CHANGED, git=git, live=redact_value(self.raw, path=_POINTER)
        )


def claim(ctx: Context) -> Claim:
    raw = tracking.live_id(ctx.live)
    return Claim(
        expected=tracking.format_id(ctx.app, ctx.key),
        raw=raw,
        parsed=tracking.parse_id(raw) if raw else None,
    )
