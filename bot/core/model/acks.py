"""What an ack names and what it covers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.model.report import Finding, iso


@dataclass(frozen=True, slots=True)
class AckScope:
    """What an ack names: a whole app (``gitea``) or one resource (``gitea/Service/redis``)."""

    app: str
    kind: str = ""
    name: str = ""

    def __str__(self) -> str:
        return f"{self.app}/{self.kind}/{self.name}" if self.kind else self.app

    def matches(self, finding: Finding) -> bool:
        if finding.app != self.app:
            return False
        if not self.kind:
            return True
        return finding.key.kind.lower() == self.kind.lower() and finding.key.name == self.name


@dataclass(frozen=True, slots=True)
class Ack:
    """Someone said "known, leave it" about exactly these drifts, until ``expires_at``.

    ``fingerprints`` are the `Finding.fingerprint` values the scope matched when the ack was
    made: if the drift changes, its fingerprint changes and the ack no longer covers it.
    """

    id: str
    scope: AckScope
    fingerprints: frozenset[str]
    by: str
    """Slack user id (or ``cli:<user>``) of who acknowledged."""
    reason: str
    created_at: datetime
    expires_at: datetime

    def covers(self, finding: Finding, now: datetime) -> bool:
        return (
            now < self.expires_at
            and self.scope.matches(finding)
            and finding.fingerprint in self.fingerprints
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "scope": str(self.scope),
            "fingerprints": sorted(self.fingerprints),
            "by": self.by,
            "reason": self.reason,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
        }
