"""Interaction payloads built the way Slack builds them, from what the bot really sent.

A click is a ``block_actions`` payload naming the button (its action_id, block_id and value
as they appear in the posted message) and where it sat: a channel message (``message`` with
its ``ts``) or an ephemeral answer (``container.is_ephemeral``, only a response_url). A
submission is a ``view_submission`` of the modal as the bot opened it, plus the state the
person entered. Both go over HTTP form-encoded as ``payload=<json>``, signed like commands.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from bot.delivery.slack import ids
from tests.fakes.slack_api import FakeSlackApi

CHANNEL = "C0DRIFT"


def button(
    message: dict[str, Any], action_id: str, nth: int = 0
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``nth`` button ``action_id`` in ``message`` and the actions block holding it."""
    found = [
        (block, element)
        for block in message.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
        if element.get("action_id") == action_id
    ]
    assert len(found) > nth, f"no {action_id} button #{nth} in the message"
    return found[nth]


def block_actions(
    fake: FakeSlackApi,
    message: dict[str, Any],
    action_id: str,
    *,
    user: str,
    ts: str | None = None,
    response_url: str = "",
    nth: int = 0,
    channel: str | None = CHANNEL,
) -> str:
    """The form body of a click; ``ts`` None means an ephemeral answer (no message ts).

    ``channel`` None leaves the channel out, as Slack does for a click in App Home.
    """
    block, element = button(message, action_id, nth)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0DRIFT",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "container": {
            "type": "message",
            "message_ts": ts or "1700000000.000100",
            "channel_id": channel,
            "is_ephemeral": ts is None,
        },
        "trigger_id": fake.issue_trigger(),
        "channel": {"id": channel, "name": "platform"},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": element["action_id"],
                "block_id": block["block_id"],
                "value": element.get("value", ""),
                "text": element["text"],
                "action_ts": "1700000001.000200",
            }
        ],
    }
    if channel is None:
        del payload["channel"], payload["container"]["channel_id"]
    if ts is not None:
        payload["message"] = {**message, "ts": ts, "type": "message"}
    return urlencode({"payload": json.dumps(payload)})


def view_submission(
    fake: FakeSlackApi, view_id: str, *, user: str, reason: str, duration: str = "7d"
) -> str:
    """The form body submitting the modal ``view_id`` as the bot opened it."""
    view = fake.views[view_id]
    values = {
        ids.REASON_BLOCK: {ids.REASON_INPUT: {"type": "plain_text_input", "value": reason}},
        ids.DURATION_BLOCK: {
            ids.DURATION_INPUT: {
                "type": "static_select",
                "selected_option": {
                    "text": {"type": "plain_text", "text": duration},
                    "value": duration,
                },
            }
        },
    }
    payload = {
        "type": "view_submission",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
        "api_app_id": "A0DRIFT",
        "trigger_id": fake.issue_trigger(),
        "view": {**view, "id": view_id, "state": {"values": values}},
    }
    return urlencode({"payload": json.dumps(payload)})
