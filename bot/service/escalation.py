"""On-call escalation: one incident per stuck app, identified by `StuckApp.fingerprint`
(app + since when it is unhealthy).

A ping when it opens, a re-ping in its thread after ``DRIFT_REPING_AFTER`` unless an app-level
ack covers that incident, and a "recovered" reply when it heals. Replicas take turns under a
lock, and every ping additionally has its own idempotency key (incident, ping number), so even
a replica whose lock expired or whose scan is a few seconds stale cannot ping twice or re-open
a closed incident. A replica that finds the lock taken just skips: the check is periodic and
its state lives in Redis, so the next check does whatever is still due.

With Redis down escalation does not run, because without shared state every replica would
page on-call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from bot.core.model import Ack, ScanReport, StuckApp
from bot.errors import DeliveryError, StoreError
from bot.ports import Poster, StateStore
from bot.service.acks import ACKS_UNAVAILABLE_SOURCE

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]
LOCK_TTL = timedelta(minutes=5)
"""A crashed holder blocks the others at most this long; far longer than one post takes."""
MIN_PING_MARK_TTL = timedelta(minutes=10)
"""Ping keys live at least this long: longer than a stale (cached, slow) scan can be old."""


@dataclass(frozen=True, slots=True)
class Policy:
    """What an escalation check needs to know besides the store and Slack."""

    render: Callable[[StuckApp, str, datetime], tuple[Blocks, str]]
    recovered: Callable[[str, timedelta | None], tuple[Blocks, str]]
    mention: str
    reping_after: timedelta


class Escalation:
    """One escalation check under the lock: the decisions for every stuck or healed app."""

    def __init__(
        self, policy: Policy, store: StateStore, poster: Poster, channel: str, now: datetime
    ) -> None:
        self._policy = policy
        self._store = store
        self._poster = poster
        self._channel = channel
        self._now = now
        self._acks: list[Ack] | None = None
        self._mark_ttl = max(policy.reping_after, MIN_PING_MARK_TTL)

    def run(self, report: ScanReport) -> list[str]:
        actions: list[str] = []
        stuck = {s.app: s for s in report.stuck}
        for diagnosis in stuck.values():
            actions += self._guarded(diagnosis.app, partial(self._stuck, diagnosis))
        unreadable = {e.app for e in report.errors if e.source != ACKS_UNAVAILABLE_SOURCE}
        for app in self._store.open_incidents():
            if app in stuck:
                continue
            if app in unreadable:
                # Not stuck *as far as we could read*: never call that recovered.
                actions.append(f"kept the incident of {app} open: it could not be read")
                continue
            actions += self._guarded(app, partial(self._recovered, app))
        return actions

    def _guarded(self, app: str, step: Callable[[], list[str]]) -> list[str]:
        """One app's step; a Slack failure is reported and the other apps still get theirs."""
        try:
            return step()
        except DeliveryError as exc:
            log.error("escalation of %s failed, retried next check: %s", app, exc)
            return [f"failed to post about {app}: {exc}"]

    def _stuck(self, diagnosis: StuckApp) -> list[str]:
        app, fingerprint = diagnosis.app, diagnosis.fingerprint
        incident = self._store.incident(app)
        if incident is None or incident.get("fingerprint") != fingerprint:
            return self._open(diagnosis)
        last = _parse_time(incident.get("last_ping", ""))
        if last is not None and self._now - last < self._policy.reping_after:
            return []
        if self._acked(diagnosis):
            return [f"not re-pinging about {app}: an ack covers this incident"]
        pings = _parse_int(incident.get("pings", ""), default=1)
        if self._ping(f"{fingerprint}:ping:{pings}", diagnosis, incident.get("ts")) is None:
            return []
        updated = {**incident, "last_ping": self._now.isoformat(), "pings": str(pings + 1)}
        self._store.save_incident(app, updated)
        return [f"re-pinged on-call about {app}"]

    def _open(self, diagnosis: StuckApp) -> list[str]:
        fingerprint = diagnosis.fingerprint
        ts = self._ping(f"{fingerprint}:ping:0", diagnosis, None)
        if ts is None:
            # Pinged moments ago (and maybe closed since): a stale scan must not re-open it.
            return []
        since = diagnosis.since.isoformat() if diagnosis.since else ""
        self._store.save_incident(
            diagnosis.app,
            {
                "fingerprint": fingerprint,
                "since": since,
                "ts": ts,
                "opened_at": self._now.isoformat(),
                "last_ping": self._now.isoformat(),
                "pings": "1",
            },
        )
        return [f"pinged on-call about {diagnosis.app}"]

    def _ping(self, ping: str, diagnosis: StuckApp, thread_ts: str | None) -> str | None:
        """Post ping ``ping`` unless some replica already did; the message ts, or None."""

        def message() -> tuple[Blocks, str]:
            return self._policy.render(diagnosis, self._policy.mention, self._now)

        return self._once(ping, message, thread_ts)

    def _recovered(self, app: str) -> list[str]:
        incident = self._store.incident(app) or {}
        fingerprint = incident.get("fingerprint") or f"stuck:{app}:{incident.get('since', '')}"
        since = _parse_time(incident.get("since", ""))
        took = self._now - since if since else None
        # Posted at most once; the incident is closed either way (a replica may have posted).
        message = partial(self._policy.recovered, app, took)
        self._once(f"{fingerprint}:recovered", message, incident.get("ts"))
        self._store.close_incident(app)
        return [f"closed the incident of {app}"]

    def _once(
        self,
        ping: str,
        message: Callable[[], tuple[Blocks, str]],
        thread_ts: str | None,
    ) -> str | None:
        """Claim ``ping``'s key, then post; a failed post gives the key back for the next check."""
        key = f"escalation:{self._channel}:{ping}"
        if not self._store.mark_once(key, ttl=self._mark_ttl):
            return None
        try:
            blocks, text = message()
            return self._poster.post(self._channel, blocks, text, thread_ts=thread_ts or None)
        except BaseException:
            quietly(lambda: self._store.clear_mark(key), "give the ping back")
            raise

    def _acked(self, diagnosis: StuckApp) -> bool:
        """Whether an active app-level ack names exactly this incident (not an older one)."""
        if self._acks is None:
            self._acks = self._store.active_acks(self._now)
        return any(
            not ack.scope.kind
            and ack.scope.app == diagnosis.app
            and self._now < ack.expires_at
            and diagnosis.fingerprint in ack.fingerprints
            for ack in self._acks
        )


def quietly(step: Callable[[], Any], what: str) -> Any:
    """Run a best-effort Redis step; on `StoreError` log it and return ``None``."""
    try:
        return step()
    except StoreError as exc:
        log.warning("could not %s: %s", what, exc)
        return None


def _parse_time(value: str) -> datetime | None:
    """A timestamp this module stored; ``None`` when absent or unreadable."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.utcoffset() is not None else None


def _parse_int(value: str, *, default: int) -> int:
    try:
        return max(int(value), default)
    except ValueError:
        return default
