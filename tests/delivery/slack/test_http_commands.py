"""``/drift`` as Slack sends it: signed HTTP POSTs to the served app, answers via response_url."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace

import pytest

from bot.core.redact import redact
from bot.delivery.slack import commands
from bot.errors import StoreError, UpstreamUnavailableError
from tests.delivery.slack import seed
from tests.delivery.slack.conftest import (
    ACK_GROUP,
    ALICE,
    SIGNING_SECRET,
    Served,
    response_json,
    seed_backend,
)
from tests.fakes.slack_api import Recorded, wait_for

ServeFn = Callable[..., Served]


def answer(served: Served, ident: str = "1") -> Recorded:
    """The one message posted to ``response_url`` ``ident`` (waits for the worker)."""
    wait_for(lambda: served.fake.responses(ident))
    (posted,) = served.fake.responses(ident)
    assert posted.accepted, posted.answer
    assert posted.body["response_type"] == "ephemeral"
    return posted


def outcome_count(served: Served, command: str, outcome: str) -> float:
    labels = {"command": command, "outcome": outcome}
    return served.metrics.registry.get_sample_value("drift_commands_total", labels) or 0.0


def test_app_acks_fast_then_answers_with_classes_and_fixes(serve: ServeFn) -> None:
    """A slow scan is acknowledged within 3 s; the answer names each class and its fix."""
    served = serve(replace(seed_backend(), delay=1.0))
    status, body, seconds = served.command("app gitea")
    assert status == 200
    assert seconds < 0.8, "acknowledged before the 1 s scan finished"
    assert response_json(body) == {"text": "Working on it…", "response_type": "ephemeral"}
    text = answer(served).text_of_blocks
    assert "[A] CRD schema defaults" in text
    assert "[D] zombie (not in git any more)" in text
    assert "deletionPolicy: Retain" in text
    assert "kubectl delete service -n gitea gitea-redis-cluster" in text
    assert "*Safe to delete*: nothing uses it." in text
    assert outcome_count(served, "app", "ok") == 1


# Two seconds past the 5-minute window: the timestamp is whole seconds, so 301 could land
# within 300.x of a clock read a fraction of a second later (flaky at the boundary).
@pytest.mark.parametrize(
    ("secret", "age"),
    [
        pytest.param("not-the-secret", 0, id="forged-signature"),
        pytest.param(SIGNING_SECRET, 302, id="stale-timestamp"),
        pytest.param(SIGNING_SECRET, -302, id="future-timestamp"),
    ],
)
def test_rejects_unverified_requests(serve: ServeFn, secret: str, age: int) -> None:
    """A bad signature or a timestamp more than 5 minutes off gets 401 and no work at all."""
    served = serve()
    status, _, _ = served.command("app gitea", secret=secret, timestamp=int(time.time()) - age)
    assert status == 401
    time.sleep(0.2)  # anything queued would have reached the fake by now
    assert served.backend.calls == []
    assert served.fake.responses() == []


def test_rejects_unsigned_requests(serve: ServeFn) -> None:
    """A POST without Slack's signature headers is refused before any listener runs."""
    served = serve()
    status, _, _ = served.post("/slack/events", "command=/drift&text=app+gitea", {})
    assert status == 401
    assert served.backend.calls == []


def test_logs_show_fatal_reason_without_secrets(serve: ServeFn) -> None:
    """`/drift logs` shows reason and fatal line; redacted secrets and pings stay out."""
    raw = [
        "level=info msg=connecting dsn=postgres://rollouts:hunter2@db:5432/rollouts",
        "level=info msg=auth Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
        f"<!channel> {seed.FATAL_LINE}",
    ]
    backend = seed_backend()
    backend.stuck["argo-rollouts"] = seed.rollouts_stuck(tuple(redact(line) for line in raw))
    served = serve(backend)
    status, _, _ = served.command("logs argo-rollouts")
    assert status == 200
    posted = answer(served)
    text = posted.text_of_blocks
    assert "*CrashLoopBackOff*" in text
    assert "1154 restarts · age 21d" in text
    assert 'level=fatal msg="Failed to download plugins: response code Not Found"' in text
    assert "&lt;!channel&gt;" in text
    assert "<!channel>" not in posted.raw.decode()
    assert "hunter2" not in posted.raw.decode()
    assert "eyJzdWIiOiIxIn0" not in posted.raw.decode()


def test_unknown_app_suggests_close_matches(serve: ServeFn) -> None:
    """A typo is answered with the apps it is close to."""
    served = serve()
    served.command("app gitae")
    assert "Did you mean: `gitea`?" in answer(served).text_of_blocks
    assert outcome_count(served, "app", "unknown_app") == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("app", "Usage: `/drift app NAME`", id="syntax-error"),
        pytest.param("help", "/drift ack APP[/KIND/NAME] [DURATION] REASON...", id="help"),
    ],
)
def test_cheap_answers_come_in_the_ack(serve: ServeFn, text: str, expected: str) -> None:
    """Help and syntax errors are answered in the HTTP response itself; the backend is idle."""
    served = serve()
    status, body, _ = served.command(text)
    assert status == 200
    payload = response_json(body)
    assert payload["response_type"] == "ephemeral"
    assert any(expected in block["text"]["text"] for block in payload["blocks"])
    time.sleep(0.2)
    assert served.backend.calls == []
    assert served.fake.responses() == []


def test_listener_runs_on_the_request_thread(
    serve: ServeFn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ack leaves when the listener returns: no hand-off to another thread and no polling.

    With Bolt's default (``process_before_response=False``) the listener runs on Bolt's
    executor and the request thread polls for the ack every 10 ms (bench/README.md); the
    command is then parsed on a thread that served no request, and this fails.
    """
    parsed_on: list[str] = []
    real_parse = commands.parse

    def recording_parse(text: str) -> commands.Command:
        parsed_on.append(threading.current_thread().name)
        return real_parse(text)

    monkeypatch.setattr(commands, "parse", recording_parse)
    served = serve()
    status, _, _ = served.command("help")
    assert status == 200
    (thread,) = parsed_on
    assert thread.startswith("waitress-"), thread


def test_upstream_failure_names_the_setting(serve: ServeFn) -> None:
    """Argo CD being down is reported with the setting to check, and counted."""
    backend = seed_backend()
    backend.errors["app_report"] = UpstreamUnavailableError(
        "connection refused", source="argocd", setting="ARGOCD_SERVER"
    )
    served = serve(backend)
    served.command("app gitea")
    text = answer(served).text_of_blocks
    assert "*Argo CD unreachable*: connection refused — check `ARGOCD_SERVER`." in text
    labels = {"source": "argocd"}
    assert served.metrics.registry.get_sample_value("drift_upstream_errors_total", labels) == 1


def test_redis_down_breaks_only_acks(serve: ServeFn) -> None:
    """With Redis down, `/drift acks` says so and `/drift app` still answers."""
    backend = seed_backend()
    backend.errors["acks"] = StoreError("Error 111 connecting to redis:6379. Connection refused.")
    served = serve(backend)
    served.command("acks", ident="acks")
    served.command("app gitea", ident="app")
    assert "*Acks unavailable*: Error 111" in answer(served, "acks").text_of_blocks
    assert "[A] CRD schema defaults" in answer(served, "app").text_of_blocks
    assert outcome_count(served, "acks", "store_error") == 1


def test_ack_then_list_then_unack(serve: ServeFn) -> None:
    """An ack is confirmed, listed with a mention of who made it, and can be withdrawn."""
    served = serve()
    served.command("ack gitea/Service/gitea-redis-cluster 4h drop after the upgrade", ident="1")
    confirmation = answer(served, "1").text_of_blocks
    assert "Acked `gitea/Service/gitea-redis-cluster` for 4h" in confirmation
    assert "covers 1 current drift)" not in confirmation
    assert "it covers 1 current drift." in confirmation
    served.command("acks", ident="2")
    assert f"by <@{ALICE}>" in answer(served, "2").text_of_blocks
    served.command("unack a1", ident="3")
    assert "Removed ack `a1`" in answer(served, "3").text_of_blocks
    assert served.backend.stored == {}


@pytest.mark.parametrize(
    ("user", "acked"),
    [pytest.param(ALICE, True, id="member"), pytest.param("U0MALLORY", False, id="outsider")],
)
def test_ack_group_decides_who_may_ack(serve: ServeFn, user: str, acked: bool) -> None:
    """With DRIFT_ACK_GROUP set, only its members' acks reach the backend."""
    served = serve(drift_ack_group=ACK_GROUP)
    served.command("ack gitea known noise", user=user)
    text = answer(served).text_of_blocks
    assert ("Acked `gitea`" in text) is acked
    assert ("Only members of the ack user group `S0ACKERS`" in text) is not acked
    assert any(call[0] == "ack" for call in served.backend.calls) is acked
    (lookup,) = served.fake.calls("/api/usergroups.users.list")
    assert lookup.body["usergroup"] == ACK_GROUP
    assert lookup.accepted


def test_ack_group_membership_is_cached(serve: ServeFn) -> None:
    """Two acks in a row ask Slack for the group's members once."""
    served = serve(drift_ack_group=ACK_GROUP)
    served.command("ack gitea known noise", ident="1")
    assert "Acked `gitea`" in answer(served, "1").text_of_blocks
    served.command("unack a1", ident="2")
    assert "Removed ack" in answer(served, "2").text_of_blocks
    assert len(served.fake.calls("/api/usergroups.users.list")) == 1


def test_unknown_ack_group_refuses_the_ack(serve: ServeFn) -> None:
    """If Slack cannot list the group, the ack is refused with Slack's reason."""
    served = serve(drift_ack_group="S0NOPE")
    served.command("ack gitea known noise")
    assert "Slack said `no_such_subteam`" in answer(served).text_of_blocks
    assert not any(call[0] == "ack" for call in served.backend.calls)


def test_unexpected_error_is_logged_not_shown(
    serve: ServeFn, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in the backend is logged with its traceback; the user gets a generic answer."""
    backend = seed_backend()
    backend.errors["digest_preview"] = RuntimeError("boom: internal detail")
    served = serve(backend)
    with caplog.at_level(logging.ERROR, logger="bot.delivery.slack.app"):
        served.command("digest")
        text = answer(served).text_of_blocks
    assert "Something went wrong inside drift-bot" in text
    assert "internal detail" not in text
    assert "RuntimeError: boom: internal detail" in caplog.text
    assert outcome_count(served, "digest", "internal_error") == 1


def test_oversized_digest_preview_is_clamped(serve: ServeFn) -> None:
    """A digest preview beyond Slack's limits is clamped, so Slack accepts it."""
    backend = seed_backend()
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "d" * 5000}}
    backend.digest = ([section] * 70, "digest " * 10_000)
    served = serve(backend)
    served.command("digest")
    posted = answer(served)
    assert len(posted.body["blocks"]) == 50
    assert "run `drift-bot digest`" in posted.body["blocks"][-1]["text"]["text"]


def test_response_url_rate_limit_is_waited_out(serve: ServeFn) -> None:
    """A 429 on response_url is retried after Retry-After and the answer arrives once."""
    served = serve()
    served.fake.rate_limit("/response/1", times=1, retry_after=0)
    served.command("app gitea")
    wait_for(lambda: any(r.accepted for r in served.fake.responses()))
    statuses = [r.status for r in served.fake.responses()]
    assert statuses == [429, 200]


def test_bot_token_never_logged(serve: ServeFn, caplog: pytest.LogCaptureFixture) -> None:
    """Even at DEBUG, no log line carries the bot token."""
    with caplog.at_level(logging.DEBUG):
        served = serve()
        served.command("app gitea")
        answer(served)
        served.app.client.chat_postMessage(channel="C0DRIFT", text="hello")
    assert caplog.records, "debug logging was captured"
    assert served.fake.token not in caplog.text
