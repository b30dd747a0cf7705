"""Reading Slack's interaction payloads: which button, where, and what the modal says (pure).

Payloads are JSON Slack builds from our own blocks and views, but a handler still treats them
as input: every field is optional here, and anything we did not write is an `InputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from bot.core.durations import parse_duration
from bot.core.model import AppReport, Finding
from bot.delivery.slack import ids
from bot.errors import InputError


def clicked(body: Mapping[str, Any]) -> tuple[ids.Target, ids.Origin]:
    """The button's target and where the click happened; `InputError` for a foreign value."""
    return ids.Target.decode(_action(body).get("value", "")), origin(body)


def origin(body: Mapping[str, Any]) -> ids.Origin:
    """Where the click happened: a channel message (channel + ts), or ephemeral (response_url)."""
    container = body.get("container") or {}
    channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
    message = body.get("message") or {}
    ephemeral = bool(container.get("is_ephemeral"))
    return ids.Origin(
        surface=ids.surface_of(_action(body).get("block_id")),
        channel="" if ephemeral else channel,
        ts="" if ephemeral else str(message.get("ts") or container.get("message_ts") or ""),
        thread_ts="" if ephemeral else str(message.get("thread_ts") or ""),
        response_url=str(body.get("response_url") or ""),
    )


def _action(body: Mapping[str, Any]) -> Mapping[str, Any]:
    actions = body.get("actions") or [{}]
    return actions[0] if isinstance(actions[0], dict) else {}


def channel(body: Mapping[str, Any]) -> str:
    """The channel Slack says the click came from (``channel.id``); "" when none (App Home).

    Only ``channel.id``, never ``container.channel_id``: the read policy judges the channel
    Slack itself names, and a click without one matches no read channel (fail closed).
    """
    return str((body.get("channel") or {}).get("id") or "")


def user(body: Mapping[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def inputs(view: Mapping[str, Any]) -> tuple[str, timedelta]:
    """The reason and duration the person entered (Slack enforces the reason is non-empty)."""
    values = (view.get("state") or {}).get("values") or {}
    reason = str(
        ((values.get(ids.REASON_BLOCK) or {}).get(ids.REASON_INPUT) or {}).get("value") or ""
    )
    picked = ((values.get(ids.DURATION_BLOCK) or {}).get(ids.DURATION_INPUT) or {}).get(
        "selected_option"
    ) or {}
    choice = str(picked.get("value") or ids.DEFAULT_DURATION)
    if choice not in ids.DURATIONS:
        msg = f"{choice!r} is not one of the offered durations"
        raise InputError(msg)
    if not reason.strip():
        msg = "an ack needs a reason"
        raise InputError(msg)
    return reason, parse_duration(choice)


def finding(report: AppReport, target: ids.Target) -> Finding | None:
    """The finding a button was drawn for, if it still drifts exactly as shown."""
    for finding in report.findings:
        k = finding.key
        same = (k.group, k.kind, k.namespace, k.name) == (
            target.group,
            target.kind,
            target.namespace,
            target.name,
        )
        if same and (not target.fingerprint or finding.fingerprint == target.fingerprint):
            return finding
    return None


def short(text: str) -> str:
    """Slack shows modal errors under the field; keep them to a readable length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= 300 else flat[:299] + "…"
