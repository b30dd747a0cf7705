"""The scheduler: digest cron in DRIFT_TIMEZONE across DST, job settings, jobs that never raise."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.delivery import scheduler as sched
from bot.errors import ConfigError, DeliveryError, StoreError
from bot.service.digest import Notifier, PostOutcome
from tests.service.support import (
    POST,
    Clock,
    FakeClassifier,
    FlakySlackApi,
    StoreFactory,
    finding,
    notifier,
    report,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_AT_9 = "0 9 * * 1-5"


def fire_times(trigger: CronTrigger, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire times after ``start``, the way the scheduler walks them."""
    times: list[datetime] = []
    previous: datetime | None = None
    now = start
    while len(times) < count:
        nxt = trigger.get_next_fire_time(previous, now)
        assert nxt is not None
        times.append(nxt)
        previous = now = nxt
    return times


class FakeNotifier:
    """Stands in for `Notifier` in job tests: answers or raises what it is told, counts calls."""

    def __init__(self, *results: PostOutcome | BaseException) -> None:
        self.results = list(results)
        self.digests = 0
        self.escalations = 0
        self.called = threading.Event()
        self.lates: list[tuple[datetime, str] | None] = []

    def post_digest(
        self, *, force: bool = False, late: tuple[datetime, str] | None = None
    ) -> PostOutcome:
        self.digests += 1
        self.lates.append(late)
        self.called.set()
        result = self.results.pop(0) if self.results else PostOutcome(True, "posted")
        if isinstance(result, BaseException):
            raise result
        return result

    def escalate(self) -> list[str]:
        self.escalations += 1
        result = self.results.pop(0) if self.results else None
        if isinstance(result, BaseException):
            raise result
        return ["pinged on-call about argo-rollouts"]

    def as_notifier(self) -> Notifier:
        return cast(Notifier, self)


class TestDigestTrigger:
    def test_weekdays_mean_monday_to_friday(self) -> None:
        """Crontab's ``1-5`` is Monday–Friday (APScheduler 3 alone would read Tuesday–Saturday)."""
        trigger = sched.digest_trigger(WEEKDAYS_AT_9, "UTC")
        times = fire_times(trigger, datetime(2026, 5, 3, 12, tzinfo=UTC), 10)  # a Sunday
        assert [t.strftime("%a") for t in times[:5]] == ["Mon", "Tue", "Wed", "Thu", "Fri"]
        assert {t.strftime("%a") for t in times} == {"Mon", "Tue", "Wed", "Thu", "Fri"}

    def test_nine_stays_nine_local_across_the_spring_dst_change(self) -> None:
        """Berlin moves to CEST on 2026-03-29: 09:00 local before and after (08:00→07:00 UTC)."""
        trigger = sched.digest_trigger(WEEKDAYS_AT_9, "Europe/Berlin")
        times = fire_times(trigger, datetime(2026, 3, 26, 12, tzinfo=BERLIN), 3)
        local = [t.astimezone(BERLIN) for t in times]
        assert [(t.date().isoformat(), t.hour, t.minute) for t in local] == [
            ("2026-03-27", 9, 0),
            ("2026-03-30", 9, 0),
            ("2026-03-31", 9, 0),
        ]
        assert [t.astimezone(UTC).hour for t in times] == [8, 7, 7]

    def test_nine_stays_nine_local_across_the_autumn_dst_change(self) -> None:
        """Berlin returns to CET on 2026-10-25: 09:00 local before and after (07:00→08:00 UTC)."""
        trigger = sched.digest_trigger(WEEKDAYS_AT_9, "Europe/Berlin")
        times = fire_times(trigger, datetime(2026, 10, 22, 12, tzinfo=BERLIN), 3)
        local = [t.astimezone(BERLIN) for t in times]
        assert [(t.date().isoformat(), t.hour) for t in local] == [
            ("2026-10-23", 9),
            ("2026-10-26", 9),
            ("2026-10-27", 9),
        ]
        assert [t.astimezone(UTC).hour for t in times] == [7, 8, 8]

    @pytest.mark.parametrize(
        ("field", "expected"),
        [
            ("*", "*"),
            ("1-5", "mon,tue,wed,thu,fri"),
            ("0", "sun"),
            ("7", "sun"),
            ("0,6", "sun,sat"),
            ("*/2", "sun,tue,thu,sat"),
            ("mon-fri", "mon-fri"),
        ],
    )
    def test_weekday_numbers_follow_crontab(self, field: str, expected: str) -> None:
        """Day-of-week numbers are crontab's (0 and 7 Sunday); names pass through."""
        assert sched.crontab_weekdays(field) == expected

    @pytest.mark.parametrize("cron", ["0 9 * *", "", "61 9 * * *", "0 9 * * 8", "0 9 * * 5-1"])
    def test_a_bad_cron_is_a_config_error_naming_the_variable(self, cron: str) -> None:
        """Wrong field count, out-of-range values or weekdays: `ConfigError` naming the variable."""
        with pytest.raises(ConfigError, match="DRIFT_DIGEST_CRON"):
            sched.digest_trigger(cron, "UTC")

    @pytest.mark.parametrize("zone", ["Europe/Atlantis", "Europe", "", "../etc/passwd"])
    def test_a_bad_timezone_is_a_config_error_naming_the_variable(self, zone: str) -> None:
        """Unknown zones, directories and paths are refused with DRIFT_TIMEZONE named."""
        with pytest.raises(ConfigError, match="DRIFT_TIMEZONE"):
            sched.digest_trigger(WEEKDAYS_AT_9, zone)
        with pytest.raises(ConfigError, match="DRIFT_TIMEZONE"):
            sched.build_scheduler(FakeNotifier().as_notifier(), cron=WEEKDAYS_AT_9, timezone=zone)


class TestJobs:
    def test_jobs_coalesce_run_alone_and_tolerate_lateness(self) -> None:
        """Both jobs coalesce missed runs, never overlap themselves, and have a misfire grace."""
        scheduler = sched.build_scheduler(
            FakeNotifier().as_notifier(),
            cron=WEEKDAYS_AT_9,
            timezone="Europe/Berlin",
            clock=Clock(datetime(2026, 5, 2, 12, tzinfo=UTC)),  # a Saturday: nothing to catch up
        )
        digest, escalation = scheduler.get_job("digest"), scheduler.get_job("escalation")
        for job in (digest, escalation):
            assert job.coalesce is True
            assert job.max_instances == 1
            assert job.misfire_grace_time > 0
        assert digest.misfire_grace_time == sched.DIGEST_MISFIRE_GRACE.total_seconds()
        assert str(digest.trigger.timezone) == "Europe/Berlin"
        assert escalation.trigger.interval == sched.ESCALATION_EVERY
        assert not hasattr(digest, "next_run_time")  # computed from the cron when started

    def test_a_restart_shortly_after_nine_catches_up_todays_digest(self) -> None:
        """Started at 09:20 on a weekday, the first digest run is today's 09:00 (within grace)."""
        clock = Clock(datetime(2026, 5, 4, 9, 20, tzinfo=BERLIN))  # Monday
        scheduler = sched.build_scheduler(
            FakeNotifier().as_notifier(), cron=WEEKDAYS_AT_9, timezone="Europe/Berlin", clock=clock
        )
        assert scheduler.get_job("digest").next_run_time == datetime(2026, 5, 4, 9, tzinfo=BERLIN)

    @pytest.mark.parametrize(
        "now",
        [
            datetime(2026, 5, 4, 11, 30, tzinfo=BERLIN),  # Monday, past the 2 h grace
            datetime(2026, 5, 4, 8, 59, tzinfo=BERLIN),  # Monday, not due yet
            datetime(2026, 5, 2, 9, 20, tzinfo=BERLIN),  # Saturday
        ],
    )
    def test_no_catch_up_outside_the_grace_or_off_schedule(self, now: datetime) -> None:
        """Nothing is caught up when the last fire time is too old, ahead, or not today."""
        trigger = sched.digest_trigger(WEEKDAYS_AT_9, "Europe/Berlin")
        assert sched.catch_up_time(trigger, now) is None

    def test_a_started_scheduler_runs_the_caught_up_digest(self) -> None:
        """Really started, the caught-up digest runs at once on the scheduler's thread."""
        minute_ago = datetime.now(UTC) - timedelta(minutes=1)
        fake = FakeNotifier()
        scheduler = sched.build_scheduler(
            fake.as_notifier(), cron=f"{minute_ago.minute} {minute_ago.hour} * * *", timezone="UTC"
        )
        scheduler.start()
        try:
            assert fake.called.wait(timeout=10)
        finally:
            scheduler.shutdown(wait=True)
        assert fake.digests == 1


class TestJobsNeverRaise:
    def _job(self, fake: FakeNotifier, clock: Clock) -> tuple[sched.DigestJob, Any]:
        scheduler = sched.build_scheduler(
            fake.as_notifier(), cron=WEEKDAYS_AT_9, timezone="UTC", clock=clock
        )
        return sched.DigestJob(fake.as_notifier(), scheduler, clock), scheduler

    @pytest.mark.parametrize(
        "failure",
        [
            DeliveryError("Slack refused the post: internal_error"),
            RuntimeError("bug"),
        ],
    )
    def test_a_failing_digest_logs_and_schedules_a_retry(
        self, failure: Exception, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Any failure is logged, not raised, and the digest is tried again a few minutes later."""
        clock = Clock()
        job, scheduler = self._job(FakeNotifier(failure), clock)
        with caplog.at_level(logging.ERROR, logger="bot.delivery.scheduler"):
            job()
        assert caplog.records
        retry = scheduler.get_job("digest-retry")
        assert retry.trigger.run_date == clock() + sched.DIGEST_RETRY_EVERY
        assert retry.args == (1, clock(), "")

    def test_redis_down_postpones_and_the_late_post_says_why(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Redis down: retried until it answers, then posted once, naming when it was due."""
        clock = Clock()
        due = clock()
        fake = FakeNotifier(StoreError("digest postponed: Redis down"))
        job, scheduler = self._job(fake, clock)
        with caplog.at_level(logging.ERROR, logger="bot.delivery.scheduler"):
            job()
        assert "postponed" in caplog.text
        retry = scheduler.get_job("digest-retry")
        assert retry.args[:2] == (0, due)
        assert "Redis was unreachable" in retry.args[2]
        clock.advance(seconds=sched.DIGEST_RETRY_EVERY.total_seconds())
        job(*retry.args)
        assert fake.lates == [None, (due, retry.args[2])]

    def test_a_digest_postponed_all_day_is_given_up(self, caplog: pytest.LogCaptureFixture) -> None:
        """After a working day of Redis down, today's digest is skipped, and the log says so."""
        clock = Clock()
        due = clock()
        job, scheduler = self._job(FakeNotifier(StoreError("Redis down")), clock)
        clock.advance(seconds=sched.POSTPONE_LIMIT.total_seconds())
        with caplog.at_level(logging.ERROR, logger="bot.delivery.scheduler"):
            job(3, due, "Redis was unreachable")
        assert scheduler.get_job("digest-retry") is None
        assert "stayed unreachable" in caplog.text

    def test_a_busy_lock_schedules_a_retry_too(self) -> None:
        """Another replica mid-post may still fail, so this one looks again later."""
        job, scheduler = self._job(
            FakeNotifier(PostOutcome(False, "busy", retry_later=True)), Clock()
        )
        job()
        assert scheduler.get_job("digest-retry") is not None

    @pytest.mark.parametrize(
        "result",
        [PostOutcome(True, "posted"), PostOutcome(False, "already posted today"), ConfigError("x")],
    )
    def test_done_or_misconfigured_runs_are_not_retried(
        self, result: PostOutcome | Exception
    ) -> None:
        """Posted, already posted, or a config error (retrying cannot help): no retry."""
        job, scheduler = self._job(FakeNotifier(result), Clock())
        job()
        assert scheduler.get_job("digest-retry") is None

    def test_retries_stop_after_the_limit(self, caplog: pytest.LogCaptureFixture) -> None:
        """The last retry that fails gives up until the next scheduled run, and says so."""
        job, scheduler = self._job(FakeNotifier(DeliveryError("down")), Clock())
        with caplog.at_level(logging.ERROR, logger="bot.delivery.scheduler"):
            job(sched.DIGEST_RETRIES)
        assert scheduler.get_job("digest-retry") is None
        assert "giving up" in caplog.text

    def test_a_retry_posts_what_the_first_run_could_not(
        self, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """End to end: Slack fails at 09:00, the retry (run as the scheduler would) posts."""
        clock = Clock()
        real = notifier(FakeClassifier(report(findings=[finding()])), stores(), slack, clock)
        scheduler = sched.build_scheduler(real, cron=WEEKDAYS_AT_9, timezone="UTC", clock=clock)
        job = sched.DigestJob(real, scheduler, clock)
        slack.fail(POST)
        job()
        retry = scheduler.get_job("digest-retry")
        clock.advance(minutes=5)
        retry.func(*retry.args)
        assert [c.accepted for c in slack.calls(POST)] == [False, False, True]

    def test_a_failing_escalation_logs_and_returns(self, caplog: pytest.LogCaptureFixture) -> None:
        """The escalation job never raises, whatever the check raises."""
        for failure in (StoreError("Redis down"), RuntimeError("bug")):
            fake = FakeNotifier(failure)
            with caplog.at_level(logging.ERROR, logger="bot.delivery.scheduler"):
                sched.run_escalation(fake.as_notifier())
            assert fake.escalations == 1
        assert "Redis down" in caplog.text
        assert "escalation job failed" in caplog.text
