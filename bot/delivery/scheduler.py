"""Time-driven jobs: the daily digest (cron) and the escalation check (every few minutes).

APScheduler 3's `BackgroundScheduler` (threads, like the rest of the bot). The digest cron is
read in ``DRIFT_TIMEZONE`` through `zoneinfo`, so 09:00 stays 09:00 local across DST changes.

Three things APScheduler 3 does not do for us:

* Weekday numbers. Its ``from_crontab`` reads day-of-week ``0`` as *Monday* (its own
  numbering, a documented 3.x wart), so crontab's ``1-5`` would mean Tuesday–Saturday. The
  field is translated to day names first, with crontab's meaning (0 and 7 are Sunday).
* Catching up after a restart. With the in-memory job store a process started at 09:03
  computes its next run from "now" and skips today. `build_scheduler` therefore schedules the
  latest fire time still within the misfire grace as the first run; Redis keeps that from
  posting twice when the digest already went out.
* Retrying a failed digest. The next cron run is tomorrow, so a failed post (or a replica that
  found another one mid-post) looks again a few times, a few minutes apart.

Every replica runs the scheduler; `bot.service.digest` and `bot.service.escalation` make the side
effects happen once.
Job functions never raise: a failing job logs and returns, so the scheduler thread lives on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.errors import ConfigError, DriftBotError, StoreError
from bot.service.digest import Notifier, time_zone

log = logging.getLogger(__name__)

ESCALATION_EVERY = timedelta(minutes=3)
"""Often enough that on-call hears of a stuck app within minutes of DRIFT_STUCK_AFTER."""
ESCALATION_MISFIRE_GRACE = timedelta(minutes=1)
"""A check that starts late still runs; one later than this is skipped (the next one comes)."""
DIGEST_MISFIRE_GRACE = timedelta(hours=2)
"""A digest up to 2 h late still beats no digest; later than that, wait for the next one."""
DIGEST_RETRY_EVERY = timedelta(minutes=5)
"""At least the lock's TTL, so a retry after a crashed replica finds its lock expired."""
DIGEST_RETRIES = 6
POSTPONE_LIMIT = timedelta(hours=8)
"""How long a digest postponed because Redis is down keeps waiting for it (every
`DIGEST_RETRY_EVERY`): a working day. Later than that, today's digest is skipped, logged."""
LATE_AFTER = timedelta(minutes=2)
"""A digest posted this long after it was due says it is late, and why."""

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NUMERIC_DOW = re.compile(r"^(\*|\d+)(?:-(\d+))?(?:/(\d+))?$")


def digest_trigger(cron: str, timezone: str) -> CronTrigger:
    """The digest's cron trigger; `ConfigError` naming the variable when invalid."""
    zone = time_zone(timezone)
    fields = cron.split()
    if len(fields) != 5:
        msg = (
            f"DRIFT_DIGEST_CRON: {cron!r} is not a 5-field crontab "
            "(minute hour day month weekday, e.g. '0 9 * * 1-5')"
        )
        raise ConfigError(msg)
    minute, hour, day, month, weekday = fields
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=crontab_weekdays(weekday),
            timezone=zone,
        )
    except ValueError as exc:
        msg = f"DRIFT_DIGEST_CRON: {cron!r} is not a valid crontab ({exc})"
        raise ConfigError(msg) from exc


def crontab_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler 3 day names.

    ``1-5`` → ``mon,tue,wed,thu,fri``; ``*`` stays ``*``; names pass through unchanged.

    Raises:
        ValueError: a day number outside 0–7 or a zero step.
    """
    if field == "*":
        return field
    return ",".join(_weekday_item(item) for item in field.split(","))


def _weekday_item(item: str) -> str:
    match = _NUMERIC_DOW.match(item)
    if match is None:
        return item  # day names ("mon-fri") mean the same to APScheduler as to cron
    start, end, step = match.groups()
    if start == "*":
        first, last = 0, 6
    else:
        first = int(start)
        last = int(end) if end is not None else (7 if step else first)
    every = int(step) if step else 1
    if not (0 <= first <= 7 and 0 <= last <= 7) or first > last or every < 1:
        msg = f"day of week {item!r} must be numbers 0-7 (0 and 7 are Sunday), low to high"
        raise ValueError(msg)
    days = sorted({day % 7 for day in range(first, last + 1, every)})
    return ",".join(_DAY_NAMES[day] for day in days)


def catch_up_time(trigger: CronTrigger, now: datetime) -> datetime | None:
    """The latest fire time within the misfire grace before ``now``, if any (for restarts)."""
    due: datetime | None = None
    candidate = trigger.get_next_fire_time(None, now - DIGEST_MISFIRE_GRACE)
    while candidate is not None and candidate <= now:
        due = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    return due


class DigestJob:
    """The scheduled digest run, with bounded retries of failed or undecided runs.

    Redis down postpones the digest (`Notifier.post_digest` raises `StoreError`): it is
    retried every `DIGEST_RETRY_EVERY` for up to `POSTPONE_LIMIT`, and the replica that first
    finds Redis back posts it, once, saying when it was due and why it is late. Other
    failures get `DIGEST_RETRIES` retries.
    """

    def __init__(
        self,
        notifier: Notifier,
        scheduler: BackgroundScheduler,
        clock: Callable[[], datetime],
    ) -> None:
        self._notifier = notifier
        self._scheduler = scheduler
        self._clock = clock

    def __call__(self, attempt: int = 0, due: datetime | None = None, why: str = "") -> None:
        """Post today's digest; never raises (logs instead) and schedules a retry if needed."""
        due = due or self._clock()
        late = (due, why) if why and self._clock() - due >= LATE_AFTER else None
        try:
            outcome = self._notifier.post_digest(late=late)
        except ConfigError as exc:
            log.error("digest not posted, and retrying will not help: %s", exc)
            return
        except StoreError as exc:
            log.error("%s", exc)
            self._postpone(attempt, due)
            return
        except DriftBotError as exc:
            log.error("digest not posted: %s", exc)
        except Exception:  # a scheduler job must never die silently; log the traceback
            log.exception("digest job failed")
        else:
            log.info("digest: %s", outcome.reason)
            if not outcome.retry_later:
                return
        self._retry(attempt + 1, due, why)

    def _postpone(self, attempt: int, due: datetime) -> None:
        if self._clock() - due >= POSTPONE_LIMIT:
            log.error("digest due %s not posted: Redis stayed unreachable", due.isoformat())
            return
        self._schedule(
            attempt, due, "Redis was unreachable, so replicas could not agree on who posts it."
        )

    def _retry(self, attempt: int, due: datetime, why: str) -> None:
        if attempt > DIGEST_RETRIES:
            log.error("digest: giving up after %d retries until its next run", DIGEST_RETRIES)
            return
        self._schedule(attempt, due, why)

    def _schedule(self, attempt: int, due: datetime, why: str) -> None:
        when = self._clock() + DIGEST_RETRY_EVERY
        log.info("digest: retry %d at %s", attempt, when.isoformat())
        self._scheduler.add_job(
            self,
            DateTrigger(run_date=when),
            args=[attempt, due, why],
            id="digest-retry",
            replace_existing=True,
            misfire_grace_time=int(DIGEST_MISFIRE_GRACE.total_seconds()),
        )


def run_escalation(notifier: Notifier) -> None:
    """One escalation check; never raises (logs instead)."""
    try:
        for action in notifier.escalate():
            log.info("escalation: %s", action)
    except DriftBotError as exc:
        log.error("escalation check failed, next check in %s: %s", ESCALATION_EVERY, exc)
    except Exception:  # a scheduler job must never die silently; log the traceback
        log.exception("escalation job failed")


def build_scheduler(
    notifier: Notifier,
    *,
    cron: str,
    timezone: str,
    clock: Callable[[], datetime] | None = None,
) -> BackgroundScheduler:
    """A scheduler with the digest and escalation jobs, not yet started.

    Raises:
        ConfigError: ``DRIFT_DIGEST_CRON`` or ``DRIFT_TIMEZONE`` is invalid (named).
    """
    trigger = digest_trigger(cron, timezone)
    now = (clock or _utc_now)()
    scheduler = BackgroundScheduler(timezone=time_zone(timezone))
    first: dict[str, Any] = {}
    due = catch_up_time(trigger, now)
    if due is not None:
        log.info("digest: catching up the run due at %s", due.isoformat())
        first["next_run_time"] = due
    scheduler.add_job(
        DigestJob(notifier, scheduler, clock or _utc_now),
        trigger,
        id="digest",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(DIGEST_MISFIRE_GRACE.total_seconds()),
        **first,
    )
    scheduler.add_job(
        run_escalation,
        IntervalTrigger(seconds=int(ESCALATION_EVERY.total_seconds())),
        args=[notifier],
        id="escalation",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=int(ESCALATION_MISFIRE_GRACE.total_seconds()),
    )
    return scheduler


def _utc_now() -> datetime:
    return datetime.now(UTC)
