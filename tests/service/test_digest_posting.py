"""Posting the daily digest: once per local day and channel across replicas, and its failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from bot.core.digest import Digest
from bot.delivery.render.digest import digest_blocks
from bot.delivery.render.escalation import escalation_message, recovered_message
from bot.errors import ConfigError, DeliveryError, StoreError
from bot.service.acks import AckedClassifier
from bot.service.digest import DIGEST_KEY_TTL, Renderers
from bot.service.escalation import LOCK_TTL
from tests.service.support import (
    CHANNEL,
    POST,
    T0,
    Clock,
    FakeClassifier,
    FlakySlackApi,
    StoreFactory,
    finding,
    notifier,
    race,
    report,
    stuck,
)

BERLIN = "Europe/Berlin"


def _once_key(day: str) -> str:
    return f"test:once:digest:{CHANNEL}:{day}"


@pytest.fixture
def classifier() -> FakeClassifier:
    return FakeClassifier(report(findings=[finding()], stuck_apps=[stuck()]))


class TestOncePerDay:
    def test_two_replicas_posting_at_once_post_one_digest(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Two replicas (own notifier, own Redis connection) racing post exactly one digest."""
        clock = Clock()
        replicas = [notifier(classifier, stores(), slack, clock) for _ in range(2)]
        outcomes = race([n.post_digest for n in replicas])
        assert sorted(o.posted for o in outcomes) == [False, True]
        assert len(slack.calls(POST)) == 1
        assert slack.posts()[0].body["channel"] == CHANNEL

    def test_eight_replicas_racing_still_post_once(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """More contention changes nothing: one post, and every loser says why it did not."""
        clock = Clock()
        replicas = [notifier(classifier, stores(), slack, clock) for _ in range(8)]
        outcomes = race([n.post_digest for n in replicas])
        assert sum(o.posted for o in outcomes) == 1
        assert len(slack.calls(POST)) == 1
        losers = [o for o in outcomes if not o.posted]
        assert all(("already posted" in o.reason) or o.retry_later for o in losers)

    def test_a_second_run_the_same_day_does_not_post(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Run again later that day (another replica or the CLI), the digest is not reposted."""
        clock = Clock()
        assert notifier(classifier, stores(), slack, clock).post_digest().posted
        clock.advance(hours=6)
        outcome = notifier(classifier, stores(), slack, clock).post_digest()
        assert not outcome.posted
        assert not outcome.retry_later
        assert "already posted today" in outcome.reason
        assert len(slack.calls(POST)) == 1

    def test_the_next_day_posts_again(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """The key is per day: tomorrow's run posts."""
        clock = Clock()
        n = notifier(classifier, stores(), slack, clock)
        assert n.post_digest().posted
        clock.advance(days=1)
        assert n.post_digest().posted
        assert len(slack.posts()) == 2

    def test_force_posts_again_and_then_keeps_the_day_closed(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """``--force`` posts even after today's digest, and a forced first post closes the day."""
        clock = Clock()
        n = notifier(classifier, stores(), slack, clock)
        assert n.post_digest().posted
        assert n.post_digest(force=True).posted
        assert len(slack.posts()) == 2
        clock.advance(days=1)
        assert n.post_digest(force=True).posted
        assert not n.post_digest().posted  # the scheduler's run after a forced post
        assert len(slack.posts()) == 3

    def test_the_day_mark_outlives_the_day_and_the_lock_is_gone(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        raw: redis.Redis,
    ) -> None:
        """After a post the day's key lives ~36 h (not the short claim TTL); the lock is freed."""
        notifier(classifier, stores(), slack, Clock()).post_digest()
        ttl = timedelta(milliseconds=int(raw.pttl(_once_key("2026-01-14"))))
        assert DIGEST_KEY_TTL - timedelta(minutes=1) < ttl <= DIGEST_KEY_TTL
        assert raw.exists(f"test:lock:digest:{CHANNEL}") == 0


class TestLocalDay:
    def test_days_change_at_local_midnight_in_drift_timezone(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """In Europe/Berlin 22:30 and 23:30 UTC fall on two days: both post."""
        clock = Clock(datetime(2026, 1, 14, 22, 30, tzinfo=UTC))  # 23:30 in Berlin
        n = notifier(classifier, stores(), slack, clock, timezone=BERLIN)
        assert n.post_digest().posted
        clock.advance(hours=1)  # 00:30 on the 15th in Berlin, still the 14th in UTC
        assert n.post_digest().posted
        assert len(slack.posts()) == 2

    def test_the_same_instants_are_one_day_in_utc(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """With DRIFT_TIMEZONE=UTC the same two instants are one day: one post."""
        clock = Clock(datetime(2026, 1, 14, 22, 30, tzinfo=UTC))
        n = notifier(classifier, stores(), slack, clock, timezone="UTC")
        assert n.post_digest().posted
        clock.advance(hours=1)
        assert not n.post_digest().posted
        assert len(slack.posts()) == 1

    def test_the_key_names_the_local_date(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        raw: redis.Redis,
    ) -> None:
        """23:30 UTC on the 14th is the 15th in Berlin, and the key says so."""
        clock = Clock(datetime(2026, 1, 14, 23, 30, tzinfo=UTC))
        notifier(classifier, stores(), slack, clock, timezone=BERLIN).post_digest()
        assert raw.exists(_once_key("2026-01-15")) == 1
        assert raw.exists(_once_key("2026-01-14")) == 0

    def test_an_invalid_timezone_is_a_config_error_naming_the_variable(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """A notifier is never built with a zone that does not exist."""
        with pytest.raises(ConfigError, match="DRIFT_TIMEZONE"):
            notifier(classifier, stores(), slack, Clock(), timezone="Europe/Atlantis")


class TestFailures:
    def test_a_slack_500_leaves_the_day_open_for_the_next_run(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """A failed post raises `DeliveryError`, and the next run (any replica) posts."""
        clock = Clock()
        slack.fail(POST, status=500, error="internal_error")
        with pytest.raises(DeliveryError, match="internal_error"):
            notifier(classifier, stores(), slack, clock).post_digest()
        assert slack.posts() == []
        clock.advance(minutes=5)
        assert notifier(classifier, stores(), slack, clock).post_digest().posted
        assert len(slack.posts()) == 1

    def test_an_invalid_token_fails_clearly_and_does_not_close_the_day(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """invalid_auth names SLACK_BOT_TOKEN; once the token is fixed the digest posts."""
        clock = Clock()
        wrong = notifier(classifier, stores(), slack, clock, token="xoxb-revoked")
        with pytest.raises(DeliveryError, match=r"invalid_auth.*SLACK_BOT_TOKEN"):
            wrong.post_digest()
        assert notifier(classifier, stores(), slack, clock).post_digest().posted
        assert len(slack.posts()) == 1

    def test_blocks_slack_refuses_are_retried_as_text_and_posted_once(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """invalid_blocks: the fallback text goes out instead, exactly once, and the day closes."""

        def too_many_blocks(d: Digest) -> tuple[list[dict[str, Any]], str]:
            blocks, text = digest_blocks(d)
            return blocks * 10, text  # past Slack's 50-block limit

        renderers = Renderers(
            digest=too_many_blocks, escalation=escalation_message, recovered=recovered_message
        )
        clock = Clock()
        n = notifier(classifier, stores(), slack, clock, renderers=renderers)
        assert n.post_digest().posted
        calls = slack.calls(POST)
        assert [c.answer.get("error") for c in calls] == ["invalid_blocks", None]
        assert "blocks" not in calls[1].body
        assert "Drift digest" in calls[1].body["text"]
        assert not n.post_digest().posted
        assert len(slack.posts()) == 1

    def test_a_lock_left_by_a_crashed_replica_delays_but_never_loses_the_digest(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        raw: redis.Redis,
    ) -> None:
        """A replica killed mid-post leaves a lock and a claim that both expire within LOCK_TTL;
        until then others back off and ask to retry, afterwards they post."""
        dead = stores()
        assert dead.try_lock(f"digest:{CHANNEL}", ttl=LOCK_TTL, owner="killed-replica")
        assert dead.mark_once(f"digest:{CHANNEL}:2026-01-14", ttl=LOCK_TTL)
        clock = Clock()
        outcome = notifier(classifier, stores(), slack, clock).post_digest()
        assert not outcome.posted
        assert outcome.retry_later
        for key in (f"test:lock:digest:{CHANNEL}", _once_key("2026-01-14")):
            assert 0 < raw.pttl(key) <= LOCK_TTL / timedelta(milliseconds=1)
            raw.delete(key)  # what Redis does once the TTL runs out
        assert notifier(classifier, stores(), slack, clock).post_digest().posted
        assert len(slack.posts()) == 1

    def test_without_slack_posting_is_a_config_error(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """No DRIFT_CHANNEL: a `ConfigError` naming it, and nothing is posted."""
        n = notifier(classifier, stores(), slack, Clock())
        n._channel = None
        with pytest.raises(ConfigError, match="DRIFT_CHANNEL"):
            n.post_digest()
        assert slack.calls(POST) == []


class TestRedisDown:
    def test_the_digest_is_postponed_not_posted_by_every_replica(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Redis unreachable: no replica can know whether another posted, so none posts yet."""
        down = stores(down=True)
        acked_view = AckedClassifier(classifier, down, clock=Clock())
        with pytest.raises(StoreError, match=r"digest postponed.*REDIS_URL.*--force"):
            notifier(acked_view, down, slack, Clock()).post_digest()
        assert slack.posts() == []

    def test_forced_it_still_posts_and_says_acks_were_not_applied(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """--force with Redis unreachable: posted, with the warning in the blocks and fallback."""
        down = stores(down=True)
        acked_view = AckedClassifier(classifier, down, clock=Clock())
        outcome = notifier(acked_view, down, slack, Clock()).post_digest(force=True)
        assert outcome.posted
        (post,) = slack.posts()
        blocks_text = post.text_of_blocks
        assert "acks were *not* applied" in blocks_text
        assert "acks not applied (Redis unavailable)" in post.body["text"]
        # The classifier's "acks not applied" note is not presented as an unreadable app.
        assert "Could not read" not in blocks_text
        assert "argo-rollouts" in blocks_text

    def test_the_printed_digest_says_so_too(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """`build_digest` without Redis marks acks unavailable (what `drift-bot digest` prints)."""
        down = stores(down=True)
        digest = notifier(classifier, down, slack, Clock()).build_digest()
        assert not digest.acks_available
        assert digest.previous_totals is None


class TestTrend:
    def test_the_snapshot_saved_after_posting_drives_tomorrows_changes(
        self, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Tomorrow's digest names new and resolved drift and the trend against today."""
        clock = Clock()
        old, kept, new = finding(name="old"), finding(name="kept"), finding(name="fresh")
        classifier = FakeClassifier(report(findings=[old, kept]))
        n = notifier(classifier, stores(), slack, clock)
        assert n.post_digest().posted
        first = slack.posts()[0].text_of_blocks
        assert "No snapshot from an earlier digest yet" in first

        clock.advance(days=1)
        classifier.report = report(
            now=clock(), findings=[kept, new], stuck_apps=[stuck(since=T0)], apps=["gitea", "x"]
        )
        assert n.post_digest().posted
        second = slack.posts()[1].text_of_blocks
        assert "*New since yesterday (1)*" in second
        assert "ExternalSecret/fresh" in second
        assert "*Resolved since yesterday (1)*" in second
        assert "ExternalSecret/old" in second
        assert "*1* stuck ↑1" in second
        # gitea, x and argo-rollouts vs gitea, argo-rollouts, root: unchanged, so no marker
        assert "*3* apps · " in second
        assert "(arrows: since yesterday)" in second

    def test_a_failed_post_saves_no_snapshot(
        self, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Only a digest people saw becomes "yesterday"."""
        clock = Clock()
        n = notifier(FakeClassifier(report(findings=[finding()])), stores(), slack, clock)
        slack.fail(POST)
        with pytest.raises(DeliveryError):
            n.post_digest()
        assert n.build_digest().previous_totals is None
