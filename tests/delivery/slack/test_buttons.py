"""Every button, the modal's paths and App Home, clicked over signed HTTP against the served app.

The backend is the fixed-answer fake (`tests.delivery.slack.conftest.FakeBackend`); the Slack
side is real: Bolt checks signatures, waitress serves, slack_sdk calls the recording fake Slack API,
which enforces trigger_id expiry and the message and view limits.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

from bot.delivery.slack import buttons, ids
from bot.delivery.slack.links import ArgoLinks
from tests.delivery.slack import clicks, seed
from tests.delivery.slack.conftest import ACK_GROUP, ALICE, SIGNING_SECRET, Served, sign
from tests.fakes.slack_api import wait_for

MALLORY = "U0MALLORY"
LINKS = ArgoLinks("https://argocd.example.com")


def _channel_message(served: Served, blocks: list[dict[str, Any]], text: str) -> dict[str, Any]:
    """Post ``blocks`` to the channel through the fake, as the notifier would; the message."""
    ts = served.app.client.chat_postMessage(channel=clicks.CHANNEL, blocks=blocks, text=text)["ts"]
    return {"blocks": blocks, "text": text, "ts": ts}


def _escalation(served: Served) -> dict[str, Any]:
    panel = buttons.Buttons(LINKS, now=seed.NOW, surface=ids.SURFACE_ESCALATION)
    blocks, text = buttons.escalation(seed.rollouts_stuck(), "", seed.NOW, panel)
    return _channel_message(served, blocks, text)


def _click(served: Served, message: dict[str, Any], action_id: str, **kw: Any) -> int:
    body = clicks.block_actions(served.fake, message, action_id, ts=message.get("ts"), **kw)
    status, _, _ = served.post("/slack/events", body, _sign(body))
    return status


def _sign(body: str) -> dict[str, str]:
    return sign(body, SIGNING_SECRET)


def _submit(served: Served, view_id: str, user: str, reason: str = "known") -> tuple[int, str]:
    body = clicks.view_submission(served.fake, view_id, user=user, reason=reason, duration="4h")
    status, text, _ = served.post("/slack/events", body, _sign(body))
    return status, text


def _thread_replies(served: Served, ts: str) -> list[Any]:
    return [r for r in served.fake.calls("/api/chat.postMessage") if r.body.get("thread_ts") == ts]


def test_show_diff_on_a_channel_message_replies_in_its_thread(
    serve: Callable[..., Served],
) -> None:
    """Show diff posts the finding's evidence and fix as a reply in the clicked message's thread."""
    served = serve()
    panel = buttons.Buttons(LINKS, now=seed.NOW, surface=ids.SURFACE_DIGEST)
    finding = seed.gitea_report().findings[0]
    message = _channel_message(served, panel.finding(finding), "digest")
    assert _click(served, message, ids.SHOW_DIFF, user=ALICE) == 200
    wait_for(lambda: _thread_replies(served, message["ts"]))
    (reply,) = _thread_replies(served, message["ts"])
    assert reply.accepted
    assert "/spec/target/deletionPolicy" in reply.text_of_blocks
    assert "Fix" in reply.text_of_blocks


def test_show_diff_of_drift_that_changed_says_so(serve: Callable[..., Served]) -> None:
    """A button drawn for an older fingerprint does not show today's different drift as if same."""
    served = serve()
    panel = buttons.Buttons(LINKS, now=seed.NOW, surface=ids.SURFACE_DIGEST)
    finding = seed.gitea_report().findings[0]
    blocks = panel.finding(finding)
    value = json.loads(blocks[-1]["elements"][1]["value"])
    blocks[-1]["elements"][1]["value"] = json.dumps({**value, "fingerprint": "0000"})
    message = _channel_message(served, blocks, "digest")
    assert _click(served, message, ids.SHOW_DIFF, user=ALICE) == 200
    wait_for(lambda: _thread_replies(served, message["ts"]))
    assert (
        "no longer drifts as this message showed"
        in _thread_replies(served, message["ts"])[0].text_of_blocks
    )


def test_logs_on_an_escalation_ping_replies_in_its_thread(serve: Callable[..., Served]) -> None:
    """Logs on a stuck app's ping answers with the decisive lines in the ping's thread."""
    served = serve()
    ping = _escalation(served)
    assert _click(served, ping, ids.LOGS, user=ALICE) == 200
    wait_for(lambda: _thread_replies(served, ping["ts"]))
    assert "level=fatal" in _thread_replies(served, ping["ts"])[0].text_of_blocks


def test_ack_on_a_ping_stores_the_app_ack_and_edits_the_ping_in_place(
    serve: Callable[..., Served],
) -> None:
    """Ack… on a ping → modal → submit: the app ack covers the incident; chat.update says who."""
    served = serve(drift_ack_group=ACK_GROUP)
    ping = _escalation(served)
    assert _click(served, ping, ids.ACK_APP, user=ALICE) == 200
    wait_for(lambda: served.fake.views)
    (view_id,) = served.fake.views
    assert _submit(served, view_id, ALICE) == (200, "")
    (ack,) = served.backend.stored.values()
    assert ack.scope.app == "argo-rollouts"
    assert not ack.scope.kind
    assert seed.rollouts_stuck().fingerprint in ack.fingerprints
    wait_for(lambda: served.fake.calls("/api/chat.update"))
    (update,) = served.fake.calls("/api/chat.update")
    assert update.accepted
    assert update.body["ts"] == ping["ts"]
    assert f"Acked by <@{ALICE}>" in update.text_of_blocks
    assert clicks.button(dict(update.body), ids.UNACK)


def test_unack_by_an_outsider_is_refused_privately_and_keeps_the_ack(
    serve: Callable[..., Served],
) -> None:
    """Unack checks DRIFT_ACK_GROUP like /drift unack; the refusal goes to the clicker only."""
    served = serve(drift_ack_group=ACK_GROUP)
    target = ids.Target("argo-rollouts", fingerprint=seed.rollouts_stuck().fingerprint)
    served.backend.ack_target(target, timedelta(hours=4), "known", ALICE)
    acked = served.backend.acks()
    panel = buttons.Buttons(LINKS, acked, now=seed.NOW, surface=ids.SURFACE_ESCALATION)
    blocks, text = buttons.escalation(seed.rollouts_stuck(), "", seed.NOW, panel)
    ping = _channel_message(served, blocks, text)
    url = served.fake.response_url("unack")
    assert _click(served, ping, ids.UNACK, user=MALLORY, response_url=url) == 200
    wait_for(lambda: served.fake.responses("unack"))
    refusal = served.fake.responses("unack")[0]
    assert refusal.body["response_type"] == "ephemeral"
    assert "ack user group" in refusal.text_of_blocks
    assert served.backend.stored
    assert _click(served, ping, ids.UNACK, user=ALICE, response_url=url) == 200
    wait_for(lambda: not served.backend.stored)
    wait_for(lambda: served.fake.calls("/api/chat.update"))
    assert clicks.button(dict(served.fake.calls("/api/chat.update")[-1].body), ids.ACK_APP)


def test_a_click_whose_trigger_expired_opens_nothing_and_stores_nothing(
    serve: Callable[..., Served],
) -> None:
    """Slack refuses a trigger_id older than 3 s; the bot logs it and stores nothing."""
    served = serve()
    ping = _escalation(served)
    body = clicks.block_actions(served.fake, ping, ids.ACK_APP, user=ALICE, ts=ping["ts"])
    payload = json.loads(parse_qs(body)["payload"][0])
    payload["trigger_id"] = served.fake.issue_trigger(age=5)
    stale = urlencode({"payload": json.dumps(payload)})
    assert served.post("/slack/events", stale, _sign(stale))[0] == 200
    wait_for(lambda: served.fake.calls("/api/views.open"))
    (opened,) = served.fake.calls("/api/views.open")
    assert opened.answer["error"] == "expired_trigger_id"
    assert served.fake.views == {}
    assert served.backend.stored == {}


def test_a_slow_submission_shows_working_then_the_result(serve: Callable[..., Served]) -> None:
    """Past the submit budget the modal says "Working on it…", then views.update shows the ack."""
    served = serve()
    ping = _escalation(served)
    assert _click(served, ping, ids.ACK_APP, user=ALICE) == 200
    wait_for(lambda: served.fake.views)
    (view_id,) = served.fake.views
    gate = threading.Event()
    original = served.backend.ack_target

    def slow(*args: Any) -> Any:
        gate.wait(10)
        return original(*args)

    served.backend.ack_target = slow  # type: ignore[method-assign]
    status, body = _submit(served, view_id, ALICE)
    assert status == 200
    answer = json.loads(body)
    assert answer["response_action"] == "update"
    assert "Working on it" in json.dumps(answer["view"])
    gate.set()
    wait_for(lambda: served.fake.calls("/api/views.update"))
    assert "Acked" in json.dumps(served.fake.views[view_id])
    assert served.backend.stored


def test_a_submission_for_drift_that_changed_is_refused_in_the_modal(
    serve: Callable[..., Served],
) -> None:
    """The modal's fingerprint no longer drifts: errors under the reason, nothing stored."""
    served = serve()
    panel = buttons.Buttons(LINKS, now=seed.NOW, surface=ids.SURFACE_DIGEST)
    blocks = panel.finding(seed.gitea_report().findings[0])
    value = json.loads(blocks[-1]["elements"][0]["value"])
    blocks[-1]["elements"][0]["value"] = json.dumps({**value, "fingerprint": "0000"})
    message = _channel_message(served, blocks, "digest")
    assert _click(served, message, ids.ACK, user=ALICE) == 200
    wait_for(lambda: served.fake.views)
    (view_id,) = served.fake.views
    status, body = _submit(served, view_id, ALICE)
    assert status == 200
    assert "changed since" in json.loads(body)["errors"][ids.REASON_BLOCK]
    assert served.backend.stored == {}


def test_an_ack_from_the_digest_refreshes_the_digest(serve: Callable[..., Served]) -> None:
    """An ack made from a digest message asks the notifier to edit today's digest in place."""
    served = serve()
    panel = buttons.Buttons(LINKS, now=seed.NOW, surface=ids.SURFACE_DIGEST)
    message = _channel_message(served, panel.finding(seed.gitea_report().findings[1]), "d")
    assert _click(served, message, ids.ACK, user=ALICE) == 200
    wait_for(lambda: served.fake.views)
    (view_id,) = served.fake.views
    assert _submit(served, view_id, ALICE) == (200, "")
    wait_for(lambda: ("refresh_digest",) in served.backend.calls)


def test_the_url_button_is_acknowledged_and_does_nothing_else(
    serve: Callable[..., Served],
) -> None:
    """Slack sends a click for URL buttons too; an unacknowledged one shows a warning."""
    served = serve()
    ping = _escalation(served)
    before = len(served.backend.calls)
    assert _click(served, ping, ids.OPEN_ARGOCD, user=ALICE) == 200
    assert len(served.backend.calls) == before


def test_app_home_shows_the_fleet_for_the_person_looking(serve: Callable[..., Served]) -> None:
    """app_home_opened → views.publish of that user's Home tab, within Slack's view limits."""
    served = serve()
    event = {
        "type": "event_callback",
        "team_id": "T0FAKE",
        "api_app_id": "A0DRIFT",
        "event": {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": "home"},
        "event_id": "Ev0HOME",
        "event_time": 1700000000,
    }
    body = json.dumps(event)
    headers = {**_sign(body), "Content-Type": "application/json"}
    assert served.post("/slack/events", body, headers)[0] == 200
    wait_for(lambda: ALICE in served.fake.homes)
    (published,) = served.fake.calls("/api/views.publish")
    assert published.accepted
    home = served.fake.homes[ALICE]
    assert home["type"] == "home"
    text = json.dumps(home)
    assert "argo-rollouts" in text
    assert "Stuck apps (1)" in text


def test_a_value_we_did_not_write_opens_nothing_and_answers_privately(
    serve: Callable[..., Served],
) -> None:
    """A signed click whose value is not ours (an old or hand-made message) does no work."""
    served = serve()
    ping = _escalation(served)
    for block in ping["blocks"]:
        for element in block.get("elements") or []:
            if "value" in element:
                element["value"] = '{"kind": "Service"}'
    url = served.fake.response_url("foreign")
    assert _click(served, ping, ids.ACK_APP, user=ALICE) == 200
    assert _click(served, ping, ids.LOGS, user=ALICE, response_url=url) == 200
    wait_for(lambda: served.fake.responses("foreign"))
    assert "names no app" in served.fake.responses("foreign")[0].text_of_blocks
    assert served.fake.calls("/api/views.open") == []
    assert served.backend.calls == []
