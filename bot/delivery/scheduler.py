"""Time-driven jobs: the daily digest (cron) and the escalation check (every few minutes).

APScheduler 3's `BackgroundScheduler` (threads, like the rest of the bot). The digest cron is
read in ``DRIFT_TIMEZONE`` through `zoneinfo`, so 09:00 stays 09:00 across DST changes. Each
job coalesces missed runs into one and tolerates a late start (``misfire_grace_time``): a pod
that was rescheduled at 09:00 still posts at 09:03 instead of skipping the day. Every replica
runs the scheduler; `bot.delivery.notify` makes the side effects happen once via Redis.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.delivery.notify import Notifier
from bot.errors import ConfigError, DriftBotError

log = logging.getLogger(__name__)

ESCALATION_EVERY = timedelta(minutes=3)
"""Often enough that on-call hears of a stuck app within minutes of DRIFT_STUCK_AFTER."""
DIGEST_MISFIRE_GRACE = timedelta(hours=2)


def digest_trigger(cron: str, timezone: str) -> CronTrigger:
    """The digest's cron trigger; `ConfigError` naming the variable when invalid."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"DRIFT_TIMEZONE: {timezone!r} is not an IANA time zone (e.g. Europe/Berlin)"
        raise ConfigError(msg) from exc
    try:
        return CronTrigger.from_crontab(cron, timezone=zone)
    except ValueError as exc:
        msg = f"DRIFT_DIGEST_CRON: {cron!r} is not a 5-field crontab ({exc})"
        raise ConfigError(msg) from exc


def build_scheduler(notifier: Notifier, *, cron: str, timezone: str) -> BackgroundScheduler:
    """A scheduler with the digest and escalation jobs, not yet started."""
    scheduler = BackgroundScheduler(timezone=ZoneInfo(timezone))
    scheduler.add_job(
        _run_digest,
        digest_trigger(cron, timezone),
        args=[notifier],
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(DIGEST_MISFIRE_GRACE.total_seconds()),
    )
    scheduler.add_job(
        _run_escalation,
        IntervalTrigger(seconds=int(ESCALATION_EVERY.total_seconds())),
        args=[notifier],
        id="escalation",
        coalesce=True,
        max_instances=1,
    )
    return scheduler


def _run_digest(notifier: Notifier) -> None:
    try:
        outcome = notifier.post_digest()
        log.info("digest: %s", outcome.reason)
    except DriftBotError as exc:
        log.error("digest not posted: %s", exc)
    except Exception:  # a scheduler job must never die silently; log the traceback
        log.exception("digest job failed")


def _run_escalation(notifier: Notifier) -> None:
    try:
        for action in notifier.escalate():
            log.info("escalation: %s", action)
    except DriftBotError as exc:
        log.error("escalation check failed: %s", exc)
    except Exception:  # see above
        log.exception("escalation job failed")
