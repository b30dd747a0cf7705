"""Messages the bot sends on its own: the daily digest and on-call escalation.

Both run on every replica (scheduler) and from the CLI (``digest --post``); Redis makes them
happen once.

Digest: a short lock per channel serialises replicas, and inside it a per-channel, per-local-day
idempotency key says whether today's digest went out. The key is first taken with the lock's
short TTL as a *claim*, and only turned into the day-long mark once Slack accepted the post. So
two replicas never both post, a failed post leaves the day open for the next run, and a replica
that dies mid-post blocks the others only until its lock and claim expire. ``--force`` posts
regardless and then marks the day, so the scheduler does not post a second time.

`Notifier` also starts the escalation check (`bot.service.escalation`): both share the
store, the poster and the replica id.

With ``REDIS_URL`` unset (one replica) the digest posts without coordination. With Redis set
but down, it is **postponed** rather than posted blind: without the lock and the day's key,
every replica would post it. `post_digest` raises `StoreError`; the scheduler retries every
few minutes (`bot.delivery.scheduler.DigestJob`) and the first replica to find Redis back posts
it once, with a line saying it is late and why. ``--force`` posts regardless (a person chose
to). Redis failing *inside* the lock (acks, yesterday's snapshot) still posts, saying acks
were not applied.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core import digest as digest_core
from bot.core.model import Ack, ScanReport, StuckApp
from bot.errors import ConfigError, DeliveryError, StoreError
from bot.ports import Classifier, Poster, StateStore
from bot.service.acks import ACKS_UNAVAILABLE_SOURCE
from bot.service.escalation import LOCK_TTL, Blocks, Escalation, Policy, quietly

log = logging.getLogger(__name__)

DIGEST_KEY_TTL = timedelta(hours=36)
"""Longer than any local day (25 h at most), so the mark outlives the day it guards."""


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
class DigestThread:
    """The digest as Slack shows it: one summary message and keyed thread replies."""

    summary: tuple[Blocks, str]
    replies: tuple[tuple[str, Blocks, str], ...] = ()
    """(key, blocks, text) per reply; the key (a class slug) finds the reply to edit later."""


@dataclass(frozen=True, slots=True)
class Renderers:
    """Block Kit builders, injected: the service renders nothing itself (delivery does)."""

    digest: Callable[[digest_core.Digest], tuple[Blocks, str]]
    escalation: Callable[[StuckApp, str, datetime], tuple[Blocks, str]]
    """(stuck app, mention, now) → blocks, fallback text."""
    recovered: Callable[[str, timedelta | None], tuple[Blocks, str]]
    """(app, how long it was stuck if known) → the "recovered" reply, blocks and text."""
    digest_thread: Callable[[digest_core.Digest], DigestThread] | None = None
    """Slack's digest as summary + per-class replies; ``None`` posts `digest` as one message."""


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

    def post_digest(
        self, *, force: bool = False, late: tuple[datetime, str] | None = None
    ) -> PostOutcome:
        """Post the digest to ``DRIFT_CHANNEL`` at most once per local day (unless forced).

        Args:
            force: post even if today's was posted, and even without Redis.
            late: (when it was due, why it is late) of a postponed digest; shown in it.

        Raises:
            ConfigError: Slack or the channel is not configured.
            DeliveryError: Slack refused the post; today stays open for the next run.
            StoreError: Redis is set but unreachable: postponed, nothing posted (unless forced).
        """
        channel, poster = self._require_slack()
        now = self._clock()
        day = now.astimezone(self._tz).date().isoformat()
        key, lock = f"digest:{channel}:{day}", f"digest:{channel}"
        # Scanned before the lock: a scan of thousands of apps may outlast the lock's TTL.
        report = self._classifier.scan()
        store = self._store
        if store is None:
            return self._send_digest(
                poster, channel, report, f"posted to {channel} (no Redis)", late
            )
        try:
            if not store.try_lock(lock, ttl=LOCK_TTL, owner=self._replica):
                return PostOutcome(False, "another replica is posting it", retry_later=True)
        except StoreError as exc:
            if not force:
                msg = (
                    f"digest postponed: replicas agree on who posts it through Redis, and {exc}; "
                    "it is posted once Redis answers (or use --force to post it now)"
                )
                raise StoreError(msg) from exc
            log.warning("forced digest posted without coordination (Redis down): %s", exc)
            return self._send_digest(
                poster, channel, report, f"posted to {channel} (no Redis)", late
            )
        try:
            return self._post_once(store, poster, channel, report, key, force=force, late=late)
        finally:
            quietly(lambda: store.release_lock(lock, owner=self._replica), "release the lock")

    def _post_once(
        self,
        store: StateStore,
        poster: Poster,
        channel: str,
        report: ScanReport,
        key: str,
        *,
        force: bool,
        late: tuple[datetime, str] | None,
    ) -> PostOutcome:
        """Under the lock: claim the day (short TTL), post, then mark the day as done."""
        if not force and not store.mark_once(key, ttl=LOCK_TTL):
            return PostOutcome(False, f"already posted today ({key})")
        try:
            outcome = self._send_digest(poster, channel, report, f"posted to {channel}", late)
        except BaseException:
            if not force:
                quietly(lambda: store.clear_mark(key), "reopen the day after a failed post")
            raise
        # The claim expires with the lock; replace it by the day-long mark. The lock is still
        # ours, so no other replica can claim the day between the two calls.
        quietly(lambda: store.clear_mark(key), "replace the claim")
        if not quietly(lambda: store.mark_once(key, ttl=DIGEST_KEY_TTL), "mark the day posted"):
            log.warning("today's digest is posted but not marked; a later run may repeat it")
        return outcome

    def _send_digest(
        self,
        poster: Poster,
        channel: str,
        report: ScanReport,
        reason: str,
        late: tuple[datetime, str] | None = None,
    ) -> PostOutcome:
        digest = replace(self.build_digest(report), late=late)
        if self._render.digest_thread is None:
            blocks, text = self._render.digest(digest)
            poster.post(channel, blocks, text)
        else:
            self._post_thread(poster, channel, self._render.digest_thread(digest))
        self._save_snapshot(report)
        return PostOutcome(True, reason)

    def _post_thread(self, poster: Poster, channel: str, thread: DigestThread) -> None:
        """Post the summary, then its replies; remember where they are for edits today."""
        ts = poster.post(channel, *thread.summary)
        replies: dict[str, str] = {}
        for key, blocks, text in thread.replies:
            try:
                replies[key] = poster.post(channel, blocks, text, thread_ts=ts)
            except DeliveryError as exc:
                # The summary is out: re-posting it all for one missing reply would double it.
                log.warning("digest reply %s not posted: %s", key, exc)
        store = self._store
        if store is None:
            return
        record = {"ts": ts, "replies": json.dumps(replies, sort_keys=True)}
        key = self._record_key(channel)
        quietly(
            lambda: store.save_message_record(key, record, ttl=DIGEST_KEY_TTL),
            "remember where today's digest is",
        )

    def refresh_digest(self) -> str:
        """Edit today's digest messages in place (chat.update) to show the acks as they are now.

        Called after every ack and unack. Replies of classes that have no drift any more say
        so; a class new since the morning is not added (tomorrow's digest has it).

        Raises:
            DeliveryError: Slack refused an edit.
            StoreError: Redis failed.
        """
        render = self._render.digest_thread
        if self._poster is None or not self._channel or self._store is None or render is None:
            return "digest not refreshed: needs SLACK_BOT_TOKEN, DRIFT_CHANNEL and REDIS_URL"
        channel = self._channel
        record = self._store.message_record(self._record_key(channel))
        if record is None or not record.get("ts"):
            return "digest not refreshed: none posted today"
        thread = render(self.build_digest())
        self._poster.update(channel, record["ts"], *thread.summary)
        posted = _replies(record.get("replies", ""))
        fresh = {key: (blocks, text) for key, blocks, text in thread.replies}
        for key, reply_ts in posted.items():
            blocks, text = fresh.get(key, ([], f"No open `{key}` drift any more."))
            self._poster.update(channel, reply_ts, blocks, text)
        return f"digest refreshed ({len(posted)} replies)"

    def _record_key(self, channel: str) -> str:
        day = self._clock().astimezone(self._tz).date().isoformat()
        return f"digest:{channel}:{day}:messages"

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
            policy = Policy(
                self._render.escalation,
                self._render.recovered,
                self._mention(),
                self._reping_after,
            )
            return Escalation(policy, store, poster, channel, self._clock()).run(report)
        finally:
            quietly(
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


def _replies(raw: str) -> dict[str, str]:
    """The stored key → reply ts map ({} when missing or unreadable)."""
    try:
        data = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
