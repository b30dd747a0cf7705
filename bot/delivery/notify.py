"""Messages the bot sends on its own: the daily digest and on-call escalation.

Both run on every replica (scheduler) and from the CLI (``digest --post``); Redis makes them
happen once.

Digest: a short lock per channel serialises replicas, and inside it a per-channel, per-local-day
idempotency key says whether today's digest went out. The key is first taken with the lock's
short TTL as a *claim*, and only turned into the day-long mark once Slack accepted the post. So
two replicas never both post, a failed post leaves the day open for the next run, and a replica
that dies mid-post blocks the others only until its lock and claim expire. ``--force`` posts
regardless and then marks the day, so the scheduler does not post a second time.

Escalation: one incident per stuck app, identified by `StuckApp.fingerprint` (app + since when
it is unhealthy). A ping when it opens, a re-ping in its thread after ``DRIFT_REPING_AFTER``
unless an app-level ack covers that incident, and a "recovered" reply when it heals. Replicas
take turns under a lock, and every ping additionally has its own idempotency key (incident,
ping number), so even a replica whose lock expired or whose scan is a few seconds stale cannot
ping twice or re-open a closed incident. A replica that finds the lock taken just skips: the
check is periodic and its state lives in Redis, so the next check does whatever is still due.

With Redis down the digest still posts (acks not applied, and it says so); escalation does
not run, because without shared state every replica would page on-call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.acking import ACKS_UNAVAILABLE_SOURCE
from bot.core import digest as digest_core
from bot.core.durations import format_duration
from bot.core.model import Ack, ScanReport, StuckApp
from bot.delivery.render.escape import escape
from bot.errors import ConfigError, DeliveryError, StoreError
from bot.ports import Classifier, Poster, StateStore

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]
DIGEST_KEY_TTL = timedelta(hours=36)
"""Longer than any local day (25 h at most), so the mark outlives the day it guards."""
LOCK_TTL = timedelta(minutes=5)
"""A crashed holder blocks the others at most this long; far longer than one post takes."""
MIN_PING_MARK_TTL = timedelta(minutes=10)
"""Ping keys live at least this long: longer than a stale (cached, slow) scan can be old."""


def time_zone(name: str) -> ZoneInfo:
    """``DRIFT_TIMEZONE`` as a zone; `ConfigError` naming the variable when it is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        msg = f"DRIFT_TIMEZONE: {name!r} is not an IANA time zone (e.g. Europe/Berlin or UTC)"
        raise ConfigError(msg) from exc


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """What one `Notifier.post_digest` call did."""

    posted: bool
    reason: str
    retry_later: bool = False
    """Another replica holds the lock: if its post fails, today is still open, so look again."""


@dataclass(frozen=True, slots=True)
class Renderers:
    """Block Kit builders, injected so this module needs no Slack rendering import cycle."""

    digest: Callable[[digest_core.Digest], tuple[Blocks, str]]
    escalation: Callable[[StuckApp, str, datetime], tuple[Blocks, str]]
    """(stuck app, mention, now) → blocks, fallback text."""


class Notifier:
    """Digest and escalation use cases over the classifier, the shared store and Slack."""

    def __init__(
        self,
        classifier: Classifier,
        store: StateStore | None,
        poster: Poster | None,
        renderers: Renderers,
        *,
        channel: str | None,
        oncall_group: str | None,
        timezone: str,
        reping_after: timedelta,
        clock: Callable[[], datetime],
        replica: str | None = None,
    ) -> None:
        self._classifier = classifier
        self._store = store
        self._poster = poster
        self._render = renderers
        self._channel = channel
        self._oncall = oncall_group
        self._tz = time_zone(timezone)
        self._reping_after = reping_after
        self._clock = clock
        self._replica = replica or uuid.uuid4().hex[:12]

    # --- digest ---------------------------------------------------------------------------

    def build_digest(self, report: ScanReport | None = None) -> digest_core.Digest:
        """Today's digest: the scan, yesterday's snapshot, and active acks when Redis answers."""
        now = self._clock()
        if report is None:
            report = self._classifier.scan()
        # The classifier may have noted that it could not apply acks; the digest states
        # whether acks were applied itself, instead of listing Redis as an unreadable app.
        errors = tuple(e for e in report.errors if e.source != ACKS_UNAVAILABLE_SOURCE)
        report = replace(report, errors=errors)
        acks: list[Ack] | None = None
        previous = None
        if self._store is not None:
            try:
                acks = self._store.active_acks(now)
                previous = self._store.load_snapshot()
            except StoreError as exc:
                log.warning("digest without acks or trend: %s", exc)
        return digest_core.build_digest(report, previous=previous, acks=acks, now=now)

    def post_digest(self, *, force: bool = False) -> PostOutcome:
        """Post the digest to ``DRIFT_CHANNEL`` at most once per local day (unless forced).

        Raises:
            ConfigError: Slack or the channel is not configured.
            DeliveryError: Slack refused the post; today stays open for the next run.
        """
        channel, poster = self._require_slack()
        now = self._clock()
        day = now.astimezone(self._tz).date().isoformat()
        key, lock = f"digest:{channel}:{day}", f"digest:{channel}"
        report = self._classifier.scan()
        store = self._store
        if store is None:
            return self._send_digest(poster, channel, report, f"posted to {channel} (no Redis)")
        try:
            if not store.try_lock(lock, ttl=LOCK_TTL, owner=self._replica):
                return PostOutcome(False, "another replica is posting it", retry_later=True)
        except StoreError as exc:
            log.warning("digest not coordinated with other replicas (Redis down): %s", exc)
            return self._send_digest(poster, channel, report, f"posted to {channel} (no Redis)")
        try:
            return self._post_once(store, poster, channel, report, key, force=force)
        finally:
            _quietly(lambda: store.release_lock(lock, owner=self._replica), "release the lock")

    def _post_once(
        self,
        store: StateStore,
        poster: Poster,
        channel: str,
        report: ScanReport,
        key: str,
        *,
        force: bool,
    ) -> PostOutcome:
        """Under the lock: claim the day (short TTL), post, then mark the day as done."""
        if not force and not store.mark_once(key, ttl=LOCK_TTL):
            return PostOutcome(False, f"already posted today ({key})")
        try:
            outcome = self._send_digest(poster, channel, report, f"posted to {channel}")
        except BaseException:
            if not force:
                _quietly(lambda: store.clear_mark(key), "reopen the day after a failed post")
            raise
        # The claim expires with the lock; replace it by the day-long mark. The lock is still
        # ours, so no other replica can claim the day between the two calls.
        _quietly(lambda: store.clear_mark(key), "replace the claim")
        if not _quietly(lambda: store.mark_once(key, ttl=DIGEST_KEY_TTL), "mark the day posted"):
            log.warning("today's digest is posted but not marked; a later run may repeat it")
        return outcome

    def _send_digest(
        self, poster: Poster, channel: str, report: ScanReport, reason: str
    ) -> PostOutcome:
        digest = self.build_digest(report)
        blocks, text = self._render.digest(digest)
        poster.post(channel, blocks, text)
        self._save_snapshot(report)
        return PostOutcome(True, reason)

    def _save_snapshot(self, report: ScanReport) -> None:
        if self._store is None:
            return
        try:
            self._store.save_snapshot(digest_core.snapshot_of(report))
        except StoreError as exc:
            log.warning("could not save today's snapshot; tomorrow shows no trend: %s", exc)

    # --- escalation -----------------------------------------------------------------------

    def escalate(self) -> list[str]:
        """Ping on-call about newly stuck apps, re-ping old ones, close recovered ones.

        Returns one line per action taken or skipped (for logs and tests).

        Raises:
            ConfigError: Slack or the channel is not configured.
            StoreError: Redis failed (nothing is posted without shared state).
        """
        channel, poster = self._require_slack()
        store = self._store
        if store is None:
            return ["escalation skipped: REDIS_URL is not set (replicas cannot agree)"]
        if not store.try_lock("escalation", ttl=LOCK_TTL, owner=self._replica):
            return ["escalation skipped: another replica is checking; the next check catches up"]
        try:
            report = self._classifier.scan()
            policy = _Policy(self._render.escalation, self._mention(), self._reping_after)
            return _Escalation(policy, store, poster, channel, self._clock()).run(report)
        finally:
            _quietly(
                lambda: store.release_lock("escalation", owner=self._replica), "release the lock"
            )

    def _mention(self) -> str:
        return f"<!subteam^{self._oncall}>" if self._oncall else ""

    def _require_slack(self) -> tuple[str, Poster]:
        if self._poster is None:
            msg = "SLACK_BOT_TOKEN is not set: nothing can be posted to Slack"
            raise ConfigError(msg)
        if not self._channel:
            msg = "DRIFT_CHANNEL is not set: no channel to post to"
            raise ConfigError(msg)
        return self._channel, self._poster


@dataclass(frozen=True, slots=True)
class _Policy:
    """What an escalation check needs to know besides the store and Slack."""

    render: Callable[[StuckApp, str, datetime], tuple[Blocks, str]]
    mention: str
    reping_after: timedelta


class _Escalation:
    """One escalation check under the lock: the decisions for every stuck or healed app."""

    def __init__(
        self, policy: _Policy, store: StateStore, poster: Poster, channel: str, now: datetime
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
        took = f" after {format_duration(self._now - since)}" if since else ""
        text = f":white_check_mark: *{escape(app)}* recovered{took}: no longer stuck."
        block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
        # Posted at most once; the incident is closed either way (a replica may have posted).
        self._once(f"{fingerprint}:recovered", lambda: ([block], text), incident.get("ts"))
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
            _quietly(lambda: self._store.clear_mark(key), "give the ping back")
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


def _quietly(step: Callable[[], Any], what: str) -> Any:
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
