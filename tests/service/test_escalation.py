"""On-call escalation: one ping per incident across replicas, re-pings, acks, recovery."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from bot.core.model import AckScope, ScanError
from bot.errors import StoreError
from bot.service.acks import AckedClassifier, Acknowledger
from bot.service.digest import Notifier
from bot.service.escalation import LOCK_TTL
from bot.simulator import Simulator, scenarios
from bot.wiring import build_service
from tests.service.support import (
    CHANNEL,
    ONCALL,
    POST,
    SIM_TOKEN,
    Clock,
    FakeClassifier,
    FlakySlackApi,
    StoreFactory,
    finding,
    notifier,
    race,
    report,
    sim_settings,
    stuck,
)

APP = "argo-rollouts"
MENTION = f"<!subteam^{ONCALL}>"
PINGED = [f"pinged on-call about {APP}"]
REPINGED = [f"re-pinged on-call about {APP}"]
CLOSED = [f"closed the incident of {APP}"]


@pytest.fixture
def classifier() -> FakeClassifier:
    return FakeClassifier(
        report(findings=[finding(app=APP, name="rollouts")], stuck_apps=[stuck()])
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(
    classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi, clock: Clock
) -> Notifier:
    """One replica."""
    return notifier(classifier, stores(), slack, clock)


def _thread(slack: FlakySlackApi, index: int) -> str | None:
    ts = slack.posts()[index].body.get("thread_ts")
    return str(ts) if ts else None


def _ts(slack: FlakySlackApi, index: int) -> str:
    return str(slack.posts()[index].answer["ts"])


class TestOpening:
    def test_a_stuck_app_pings_oncall_once_with_the_diagnosis(
        self, bot: Notifier, slack: FlakySlackApi, clock: Clock
    ) -> None:
        """One top-level message mentions the on-call group and carries pods, restarts, log."""
        assert bot.escalate() == PINGED
        (ping,) = slack.posts()
        text = ping.text_of_blocks
        assert text.startswith(f"{MENTION} :rotating_light: *{APP}* is stuck Progressing")
        assert ping.body["text"].startswith(MENTION)
        assert "CrashLoopBackOff" in text
        assert "1154" in text
        assert "Failed to download plugins" in text
        assert "thread_ts" not in ping.body
        assert ping.body["channel"] == CHANNEL
        clock.advance(hours=1)
        assert bot.escalate() == []
        assert len(slack.posts()) == 1

    def test_two_replicas_escalating_at_once_ping_once(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """Two replicas (own notifier and Redis connection) started together: one ping."""
        replicas = [notifier(classifier, stores(), slack, clock) for _ in range(2)]
        results = race([r.escalate for r in replicas])
        assert PINGED in results
        assert len(slack.calls(POST)) == 1

    def test_many_rounds_of_racing_replicas_ping_once_per_incident(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """Round after round (some due for a re-ping), four racing replicas never double-post."""
        replicas = [notifier(classifier, stores(), slack, clock) for _ in range(4)]
        for _ in range(6):
            race([r.escalate for r in replicas])
            clock.advance(hours=2)
        # Checks at 0, 2, 4, 6, 8, 10 h: the opening ping and re-pings at 4 and 8 h.
        assert len(slack.calls(POST)) == 3

    def test_a_replica_that_skipped_does_not_lose_the_ping(
        self, bot: Notifier, stores: StoreFactory, slack: FlakySlackApi, raw: redis.Redis
    ) -> None:
        """A crashed holder's lock makes others skip until it expires (≤ LOCK_TTL); then pings."""
        assert stores().try_lock("escalation", ttl=LOCK_TTL, owner="killed-replica")
        assert bot.escalate()[0].startswith("escalation skipped: another replica")
        assert slack.calls(POST) == []
        assert 0 < raw.pttl("test:lock:escalation") <= LOCK_TTL / timedelta(milliseconds=1)
        raw.delete("test:lock:escalation")  # what Redis does once the TTL runs out
        assert bot.escalate() == PINGED

    def test_a_failed_ping_is_retried_by_the_next_check(
        self, bot: Notifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Slack failing leaves no incident behind; the next check pings."""
        slack.fail(POST)
        (failed,) = bot.escalate()
        assert failed.startswith(f"failed to post about {APP}")
        assert stores().open_incidents() == []
        assert bot.escalate() == PINGED
        assert len(slack.posts()) == 1

    def test_one_failing_app_does_not_hold_up_the_others(
        self, stores: StoreFactory, slack: FlakySlackApi, clock: Clock
    ) -> None:
        """The first app's ping fails, the second app is still pinged in the same check."""
        classifier = FakeClassifier(report(stuck_apps=[stuck("immich"), stuck(APP)]))
        slack.fail(POST)
        actions = notifier(classifier, stores(), slack, clock).escalate()
        assert actions[0].startswith("failed to post about immich")
        assert actions[1:] == PINGED

    def test_without_an_oncall_group_the_message_mentions_nobody(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi, clock: Clock
    ) -> None:
        """No DRIFT_ONCALL_GROUP: the diagnosis is posted without any mention."""
        bot = notifier(classifier, stores(), slack, clock)
        bot._oncall = None
        bot.escalate()
        assert "<!" not in slack.posts()[0].text_of_blocks


class TestReping:
    def test_still_stuck_after_the_interval_re_pings_in_the_thread(
        self, bot: Notifier, slack: FlakySlackApi, clock: Clock
    ) -> None:
        """After DRIFT_REPING_AFTER the on-call group is mentioned again, in the first thread."""
        bot.escalate()
        clock.advance(hours=3, minutes=59)
        assert bot.escalate() == []
        clock.advance(minutes=1)
        assert bot.escalate() == REPINGED
        assert _thread(slack, 1) == _ts(slack, 0)
        assert slack.posts()[1].body["text"].startswith(MENTION)
        clock.advance(hours=4)
        assert bot.escalate() == REPINGED
        assert _thread(slack, 2) == _ts(slack, 0)

    def test_an_app_level_ack_stops_re_pings_until_it_expires(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """`/drift ack argo-rollouts 1d ...` covers this incident: no re-ping until it expires."""
        bot.escalate()
        ack = Acknowledger(classifier, stores(), clock=clock).ack(
            AckScope(APP), timedelta(days=1), "upstream plugin URL is gone", by="U0ALICE"
        )
        assert stuck().fingerprint in ack.fingerprints
        clock.advance(hours=4)
        assert bot.escalate() == [f"not re-pinging about {APP}: an ack covers this incident"]
        assert len(slack.posts()) == 1
        clock.advance(hours=20)  # the ack expired
        assert bot.escalate() == REPINGED

    def test_a_resource_level_ack_does_not_stop_re_pings(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        stores: StoreFactory,
        clock: Clock,
    ) -> None:
        """Acking one drifting resource of the app says nothing about its crashloop."""
        bot.escalate()
        ack = Acknowledger(classifier, stores(), clock=clock).ack(
            AckScope(APP, "ExternalSecret", "rollouts"), timedelta(days=1), "known", by="U0ALICE"
        )
        assert stuck().fingerprint not in ack.fingerprints
        clock.advance(hours=4)
        assert bot.escalate() == REPINGED

    def test_an_ack_of_an_earlier_incident_does_not_cover_a_new_one(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """The app got stuck again (new since): it pings and re-pings despite the old ack."""
        bot.escalate()
        Acknowledger(classifier, stores(), clock=clock).ack(
            AckScope(APP), timedelta(days=7), "known", by="U0ALICE"
        )
        clock.advance(hours=1)
        classifier.report = report(stuck_apps=[stuck(since=clock() - timedelta(minutes=40))])
        assert bot.escalate() == PINGED
        clock.advance(hours=4)
        assert bot.escalate() == REPINGED
        assert len(slack.posts()) == 3


class TestRecovery:
    def test_a_recovered_app_gets_a_reply_in_its_thread_and_the_incident_closes(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """Healed: a short "recovered" reply (no mention) in the thread; nothing after that."""
        bot.escalate()
        clock.advance(hours=2)
        classifier.report = report()
        assert bot.escalate() == CLOSED
        reply = slack.posts()[1]
        assert _thread(slack, 1) == _ts(slack, 0)
        assert (
            reply.body["text"]
            == f":white_check_mark: *{APP}* recovered after 21d: no longer stuck."
        )
        assert "<!" not in reply.text_of_blocks
        assert stores().open_incidents() == []
        clock.advance(hours=5)
        assert bot.escalate() == []
        assert len(slack.posts()) == 2

    def test_a_new_incident_of_the_same_app_pings_again(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """Recovered, then stuck again since a later time: a fresh top-level ping."""
        bot.escalate()
        classifier.report = report()
        bot.escalate()
        clock.advance(hours=1)
        classifier.report = report(stuck_apps=[stuck(since=clock() - timedelta(minutes=35))])
        assert bot.escalate() == PINGED
        assert _thread(slack, 2) is None
        assert len(slack.posts()) == 3

    def test_stuck_again_between_two_checks_opens_a_new_incident(
        self, bot: Notifier, classifier: FakeClassifier, slack: FlakySlackApi, clock: Clock
    ) -> None:
        """A different ``since`` at the next check is a new incident, even without a recovery."""
        bot.escalate()
        clock.advance(hours=1)
        classifier.report = report(stuck_apps=[stuck(since=clock() - timedelta(minutes=31))])
        assert bot.escalate() == PINGED
        assert _thread(slack, 1) is None

    def test_an_app_that_could_not_be_read_is_not_declared_recovered(
        self,
        bot: Notifier,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
    ) -> None:
        """Missing from ``stuck`` because its pods could not be read is not "recovered"."""
        bot.escalate()
        error = ScanError(app=APP, source="kubernetes", message="pods of Deployment: 503")
        classifier.report = report(errors=[error])
        assert bot.escalate() == [f"kept the incident of {APP} open: it could not be read"]
        assert len(slack.posts()) == 1
        assert stores().open_incidents() == [APP]

    def test_a_stale_scan_does_not_reopen_a_closed_incident(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """A replica whose (cached) scan predates the recovery does not ping the old incident."""
        fresh = notifier(classifier, stores(), slack, clock)
        stale = notifier(FakeClassifier(classifier.report), stores(), slack, clock)
        fresh.escalate()
        classifier.report = report()
        assert fresh.escalate() == CLOSED
        assert stale.escalate() == []
        assert len(slack.posts()) == 2

    def test_two_replicas_recovering_at_once_reply_once(
        self,
        classifier: FakeClassifier,
        stores: StoreFactory,
        slack: FlakySlackApi,
        clock: Clock,
    ) -> None:
        """The "recovered" reply is posted once however many replicas notice."""
        replicas = [notifier(classifier, stores(), slack, clock) for _ in range(3)]
        replicas[0].escalate()
        classifier.report = report()
        race([r.escalate for r in replicas])
        assert len(slack.calls(POST)) == 2


class TestWithoutRedis:
    def test_redis_down_posts_nothing_and_raises_a_store_error(
        self, classifier: FakeClassifier, stores: StoreFactory, slack: FlakySlackApi
    ) -> None:
        """Without shared state every replica would page, so none does; the error names Redis."""
        bot = notifier(classifier, stores(down=True), slack, Clock())
        with pytest.raises(StoreError, match="REDIS_URL"):
            bot.escalate()
        assert slack.calls(POST) == []

    def test_without_redis_configured_escalation_is_skipped(
        self, classifier: FakeClassifier, slack: FlakySlackApi
    ) -> None:
        """REDIS_URL unset: the check says why it does nothing."""
        bot = notifier(classifier, None, slack, Clock())
        assert bot.escalate() == [
            "escalation skipped: REDIS_URL is not set (replicas cannot agree)"
        ]
        assert slack.calls(POST) == []


NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def seed_sim() -> Iterator[Simulator]:
    with Simulator(scenarios.seed(now=NOW), token=SIM_TOKEN) as sim:
        yield sim


def test_the_seed_cluster_pages_about_argo_rollouts_only(
    seed_sim: Simulator, tmp_path: Path, stores: StoreFactory, slack: FlakySlackApi
) -> None:
    """Against the simulated seed (real clients), exactly argo-rollouts is escalated, with its
    21-day crashloop, 1154 restarts and the fatal plugin line; replicas agree on one ping."""
    service = build_service(sim_settings(seed_sim, tmp_path), clock=lambda: NOW)
    try:
        replicas = [
            notifier(AckedClassifier(service, store, clock=lambda: NOW), store, slack, lambda: NOW)
            for store in (stores(), stores())
        ]
        results = race([r.escalate for r in replicas])
    finally:
        service.close()
    assert PINGED in results
    (ping,) = slack.posts()
    text = ping.text_of_blocks
    assert text.startswith(f"{MENTION} :rotating_light: *{APP}* is stuck Progressing")
    assert "CrashLoopBackOff" in text
    assert "1154" in text
    assert 'level=fatal msg="Failed to download plugins' in text
    assert "for 21d" in text
    assert stores().incident(APP) is not None
