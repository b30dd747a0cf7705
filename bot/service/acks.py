"""Use cases for acknowledging drift: ack, list, unack, and marking findings as acked.

An ack is tied to the exact drift it was made for (the findings' fingerprints at ack time),
so changed drift is reported again. An app-level ack of a stuck app also covers that stuck
incident (`StuckApp.fingerprint`), which stops re-pings; a new incident is not covered.
Who may ack (``DRIFT_ACK_GROUP``) is checked by the Slack layer, which owns the Slack client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.core import acks as acks_core
from bot.core.model import Ack, AckScope, AppReport, Finding, ScanError, ScanReport, StuckApp
from bot.errors import InputError, StoreError
from bot.ports import AckStore, Classifier

log = logging.getLogger(__name__)

ACKS_UNAVAILABLE_SOURCE = "redis"
"""`ScanError.source` of the entry saying acks could not be applied (Redis failed)."""


_DRAFT_ID = "draft"
"""Id of an ack being validated; the store assigns the real one only once it is valid."""


class Acknowledger:
    """Create, list and remove acks against the current drift."""

    def __init__(
        self, classifier: Classifier, store: AckStore, *, clock: Callable[[], datetime]
    ) -> None:
        self._classifier = classifier
        self._store = store
        self._clock = clock

    def ack(
        self,
        scope: AckScope,
        duration: timedelta,
        reason: str,
        *,
        by: str,
        expected: str | None = None,
    ) -> Ack:
        """Acknowledge the current drift (and stuck incident) of ``scope`` for ``duration``.

        Everything about the request is checked before Redis is touched, so a typo costs no
        ack id and leaves no audit entry. ``expected`` is the fingerprint a person was shown
        (a button's): when the drift changed since, nothing is stored, because they would be
        acking something they have not seen.

        Raises:
            UnknownAppError: no such app (with close matches).
            InputError: no reason, a bad duration, nothing drifts for ``scope`` (the
                message lists what does drift), or not the ``expected`` drift any more.
            StoreError: Redis failed; nothing was stored.
        """
        now = self._clock()
        # The same question as `/drift app` (one cache key): a report read just before the ack
        # is reused, and the ack covers exactly what that report showed.
        report = self._classifier.app_report(scope.app)
        incident = report.stuck if not scope.kind else None
        stuck = [incident.fingerprint] if incident and incident.app == scope.app else []
        findings: Sequence[Finding] = report.findings
        if not stuck and not any(scope.matches(f) for f in findings) and not scope.kind:
            # Nothing to ack in this app: show which apps do drift (one scan, usually cached).
            findings = self._classifier.scan().findings
        draft = acks_core.new_ack(
            ack_id=_DRAFT_ID,
            scope=scope,
            findings=findings,
            extra_fingerprints=stuck,
            by=by,
            reason=reason,
            now=now,
            duration=duration,
        )
        if expected is not None and expected not in draft.fingerprints:
            msg = (
                f"the drift of {scope} changed since that message was posted; "
                f"look again (/drift app {scope.app}) before acking it"
            )
            raise InputError(msg)
        ack = replace(draft, id=self._store.new_ack_id())
        self._store.add_ack(ack)
        log.info("ack %s by %s on %s until %s", ack.id, by, scope, ack.expires_at.isoformat())
        return ack

    def acks(self) -> list[Ack]:
        return self._store.active_acks(self._clock())

    def refused(self, command: str, why: str, *, by: str) -> None:
        """Audit an ack or unack that was refused (not allowed, bad input, nothing to ack).

        Best effort: the person already has their answer, and Redis being down (often the
        reason for the refusal) must not turn it into a second error.
        """
        try:
            self._store.record_refusal(by=by, command=command, why=why, at=self._clock())
        except StoreError as exc:
            log.warning("refused ack by %s not audited: %s", by, exc)

    def unack(self, ack_id: str, *, by: str) -> Ack:
        return self._store.remove_ack(ack_id, by=by, now=self._clock())

    def unack_covering(self, scope: AckScope, fingerprint: str, *, by: str) -> list[Ack]:
        """Withdraw every ack in force on ``scope``'s app that covers ``fingerprint`` (audited).

        Raises:
            InputError: no ack covers it (any more).
            StoreError: Redis failed.
        """
        covering = [
            a for a in self.acks() if fingerprint in a.fingerprints and a.scope.app == scope.app
        ]
        if not covering:
            msg = f"no ack in force covers that drift of {scope}; `/drift acks` lists them"
            raise InputError(msg)
        return [self.unack(a.id, by=by) for a in covering]


class AckedClassifier:
    """A `Classifier` whose answers mark findings covered by an active ack.

    Redis trouble never hides drift: the findings come back unmarked with an ``errors``
    entry saying acks could not be applied.
    """

    def __init__(
        self, inner: Classifier, store: AckStore, *, clock: Callable[[], datetime]
    ) -> None:
        self._inner = inner
        self._store = store
        self._clock = clock

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        report = self._inner.scan(only)
        findings, error = self._mark(report.findings)
        return replace(report, findings=findings, errors=(*report.errors, *error))

    def app_report(self, name: str) -> AppReport:
        report = self._inner.app_report(name)
        findings, error = self._mark(report.findings)
        return replace(report, findings=findings, errors=(*report.errors, *error))

    def logs_report(self, name: str) -> StuckApp:
        return self._inner.logs_report(name)

    def close(self) -> None:
        self._inner.close()

    def _mark(
        self, findings: Sequence[Finding]
    ) -> tuple[tuple[Finding, ...], tuple[ScanError, ...]]:
        if not findings:
            return (), ()
        now = self._clock()
        try:
            active = self._store.active_acks(now)
        except StoreError as exc:
            log.warning("acks not applied: %s", exc)
            error = ScanError(
                app="*", source=ACKS_UNAVAILABLE_SOURCE, message=f"acks not applied: {exc}"
            )
            return tuple(findings), (error,)
        return acks_core.apply_acks(findings, active, now), ()
