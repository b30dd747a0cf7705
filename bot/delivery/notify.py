"""Messages the bot sends on its own: the daily digest and on-call escalation.

Both run on every replica (scheduler) and from the CLI (``digest --post``); Redis makes them
happen once:

* digest — an idempotency key per channel and local day (``SET NX``) is taken *before*
  posting and cleared again if the post fails, so a failed run is retried by the next one
  and two replicas never both post. ``--force`` skips the key.
* escalation — one incident per stuck app, keyed by when it got stuck; a ping when the
  incident opens, a re-ping after ``DRIFT_REPING_AFTER`` unless someone acked the app, and a
  "recovered" reply in the thread when it heals. A short lock serialises replicas.

With Redis down the digest still posts (acks not applied, and it says so); escalation is
skipped, because without shared state every replica would page on-call.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import digest as digest_core
from bot.core.durations import format_duration
from bot.core.model import Ack, ScanReport, StuckApp
from bot.errors import ConfigError, StoreError
from bot.ports import Classifier, Poster, StateStore

log = logging.getLogger(__name__)

Blocks = list[dict[str, Any]]
DIGEST_KEY_TTL = timedelta(hours=36)
"""Longer than a day so the key outlives the day it guards, whatever the time zone."""
LOCK_TTL = timedelta(minutes=5)
"""A crashed holder blocks the others at most this long."""


@dataclass(frozen=True, slots=True)
class PostOutcome:
    posted: bool
    reason: str


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
        self._tz = ZoneInfo(timezone)
        self._reping_after = reping_after
        self._clock = clock
        self._replica = replica or uuid.uuid4().hex[:12]

    # --- digest ---------------------------------------------------------------------------

    def build_digest(self, report: ScanReport | None = None) -> digest_core.Digest:
        """Today's digest: the scan, yesterday's snapshot, and active acks when Redis answers."""
        now = self._clock()
        report = report or self._classifier.scan()
        acks: list[Ack] | None = None
        previous = None
        if self._store is not None:
            try:
                acks = self._store.active_acks(now)
                previous = self._store.load_snapshot()
            except StoreError as exc:
                log.warning("digest without acks: %s", exc)
                acks = None
        return digest_core.build_digest(report, previous=previous, acks=acks, now=now)

    def post_digest(self, *, force: bool = False) -> PostOutcome:
        """Post the digest to ``DRIFT_CHANNEL`` at most once per local day (unless forced)."""
        channel, poster = self._require_slack()
        now = self._clock()
        key = f"digest:{channel}:{now.astimezone(self._tz).date().isoformat()}"
        store = self._store
        if store is not None and not force:
            try:
                if not store.mark_once(key, ttl=DIGEST_KEY_TTL):
                    return PostOutcome(False, f"already posted today ({key})")
            except StoreError as exc:
                log.warning("digest idempotency unavailable, posting anyway: %s", exc)
                store = None
        report = self._classifier.scan()
        try:
            digest = self.build_digest(report)
            blocks, text = self._render.digest(digest)
            poster.post(channel, blocks, text)
        except Exception:
            # Leave the day open so the next run (or replica) retries.
            if store is not None and not force:
                store.clear_mark(key)
            raise
        self._save_snapshot(report)
        return PostOutcome(True, f"posted to {channel}")

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

        Returns one line per action taken (for logs and tests).
        """
        channel, poster = self._require_slack()
        store = self._store
        if store is None:
            return ["escalation skipped: REDIS_URL is not set (replicas cannot agree)"]
        if not store.try_lock("escalation", ttl=LOCK_TTL, owner=self._replica):
            return ["escalation skipped: another replica is running it"]
        try:
            return self._escalate(store, poster, channel)
        finally:
            store.release_lock("escalation", owner=self._replica)

    def _escalate(self, store: StateStore, poster: Poster, channel: str) -> list[str]:
        now = self._clock()
        report = self._classifier.scan()
        actions: list[str] = []
        stuck = {s.app: s for s in report.stuck}
        acked = {str(a.scope) for a in store.active_acks(now)}
        mention = f"<!subteam^{self._oncall}>" if self._oncall else ""
        for app, diagnosis in stuck.items():
            incident = store.incident(app)
            since = diagnosis.since.isoformat() if diagnosis.since else ""
            if incident is None or incident.get("since") != since:
                blocks, text = self._render.escalation(diagnosis, mention, now)
                ts = poster.post(channel, blocks, text)
                store.save_incident(app, {"since": since, "ts": ts, "last_ping": now.isoformat()})
                actions.append(f"pinged on-call about {app}")
                continue
            last = datetime.fromisoformat(incident["last_ping"])
            if now - last >= self._reping_after and app not in acked:
                blocks, text = self._render.escalation(diagnosis, mention, now)
                poster.post(channel, blocks, text, thread_ts=incident["ts"])
                store.save_incident(app, {**incident, "last_ping": now.isoformat()})
                actions.append(f"re-pinged on-call about {app}")
        for app in store.open_incidents():
            if app in stuck:
                continue
            incident = store.incident(app) or {}
            opened = incident.get("since", "")
            took = ""
            if opened:
                took = f" after {format_duration(now - datetime.fromisoformat(opened))}"
            text = f":white_check_mark: {app} recovered{took}."
            block = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
            poster.post(channel, [block], text, thread_ts=incident.get("ts"))
            store.close_incident(app)
            actions.append(f"closed incident of {app}")
        return actions

    def _require_slack(self) -> tuple[str, Poster]:
        if self._poster is None:
            msg = "SLACK_BOT_TOKEN is not set: nothing can be posted to Slack"
            raise ConfigError(msg)
        if not self._channel:
            msg = "DRIFT_CHANNEL is not set: no channel to post to"
            raise ConfigError(msg)
        return self._channel, self._poster
