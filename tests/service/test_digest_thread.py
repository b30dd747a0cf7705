"""The digest as a summary plus class threads, edited in place as acks change (real Redis).

Posting records where the summary and each class reply went (per channel and local day);
`Notifier.refresh_digest` rebuilds the digest and edits exactly those messages with
chat.update: no second summary, no duplicate replies, and a class whose drift is gone says so.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.core.model import Ack, AckScope
from bot.delivery.slack.backend import Backend
from bot.delivery.slack.commands import AckCmd
from bot.delivery.slack.digest import DigestThreads
from bot.delivery.slack.links import ArgoLinks
from bot.service.acks import AckedClassifier, Acknowledger
from tests.fakes.slack_api import wait_for
from tests.service.support import (
    CHANNEL,
    POST,
    RENDERERS,
    Clock,
    FakeClassifier,
    FlakySlackApi,
    StoreFactory,
    finding,
    notifier,
    report,
    stuck,
)

THREADS = replace(RENDERERS, digest_thread=DigestThreads(ArgoLinks("https://argocd.test")))
UPDATE = "/api/chat.update"


def test_the_digest_posts_one_summary_and_its_class_replies_in_its_thread(
    stores: StoreFactory, slack: FlakySlackApi
) -> None:
    """Summary first (stuck apps first in it), then one reply per class with thread_ts."""
    classifier = FakeClassifier(report(findings=[finding()], stuck_apps=[stuck()]))
    clock = Clock()
    assert notifier(classifier, stores(), slack, clock, renderers=THREADS).post_digest().posted
    summary, *replies = slack.posts()
    assert "thread_ts" not in summary.body
    text = summary.text_of_blocks
    assert text.index("argo-rollouts") < text.index("Benign drift")
    assert [r.body["thread_ts"] for r in replies] == [summary.answer["ts"]]
    assert "gitea-admin" in replies[0].text_of_blocks


def test_an_ack_edits_the_summary_and_the_reply_in_place(
    stores: StoreFactory, slack: FlakySlackApi
) -> None:
    """After an ack the same two messages are updated (chat.update); nothing is re-posted."""
    clock = Clock()
    store = stores()
    base = FakeClassifier(report(findings=[finding(), finding(name="gitea-runner")]))
    classifier = AckedClassifier(base, store, clock=clock)
    digest = notifier(classifier, store, slack, clock, renderers=THREADS)
    assert digest.post_digest().posted
    summary, reply = slack.posts()
    before = reply.text_of_blocks
    assert "2 open" in before
    store.add_ack(
        Ack(
            id=store.new_ack_id(),
            scope=AckScope("gitea", "ExternalSecret", "gitea-admin"),
            fingerprints=frozenset({finding().fingerprint}),
            by="U0ALICE",
            reason="known",
            created_at=clock(),
            expires_at=clock() + timedelta(days=1),
        )
    )
    assert digest.refresh_digest() == "digest refreshed (1 replies)"
    updates = slack.calls(UPDATE)
    assert [u.body["ts"] for u in updates] == [summary.answer["ts"], reply.answer["ts"]]
    assert all(u.accepted for u in updates)
    assert "1 open, 1 acked" in updates[1].text_of_blocks
    assert len(slack.calls(POST)) == 2


def test_a_class_that_is_gone_says_so_and_no_digest_today_edits_nothing(
    stores: StoreFactory, slack: FlakySlackApi
) -> None:
    """A reply whose class has no drift any more is edited to say so; a day without digest
    has nothing to refresh."""
    clock = Clock()
    store = stores()
    classifier = FakeClassifier(report(findings=[finding()]))
    digest = notifier(classifier, store, slack, clock, renderers=THREADS)
    assert digest.refresh_digest() == "digest not refreshed: none posted today"
    assert digest.post_digest().posted
    classifier.report = report(findings=[])
    digest.refresh_digest()
    (update_summary, update_reply) = slack.calls(UPDATE)
    assert "No open `schema-defaults` drift any more." in update_reply.text_of_blocks
    clock.now += timedelta(days=1)
    assert digest.refresh_digest() == "digest not refreshed: none posted today"
    assert len(slack.calls(UPDATE)) == 2
    assert update_summary.accepted
    assert update_summary.body["channel"] == CHANNEL


def test_a_typed_ack_also_edits_todays_digest(stores: StoreFactory, slack: FlakySlackApi) -> None:
    """`/drift ack` (no button involved) refreshes the digest in the background."""
    clock = Clock()
    store = stores()
    classifier = AckedClassifier(FakeClassifier(report(findings=[finding()])), store, clock=clock)
    digest = notifier(classifier, store, slack, clock, renderers=THREADS)
    backend = Backend(classifier, Acknowledger(classifier, store, clock=clock), digest)
    assert digest.post_digest().posted
    scope = AckScope("gitea", "ExternalSecret", "gitea-admin")
    backend.ack(AckCmd(scope=scope, duration=timedelta(days=1), reason="known"), "U0ALICE")
    wait_for(lambda: len(slack.calls(UPDATE)) == 2)
    summary, reply = slack.calls(UPDATE)
    assert "0 open findings, 1 acked" in summary.text_of_blocks
    assert "all 1 acked" in reply.text_of_blocks
