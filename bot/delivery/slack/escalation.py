"""The on-call ping for a stuck app: a mention, then the same diagnosis `/drift logs` shows."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.core.durations import format_duration
from bot.core.model import StuckApp
from bot.delivery.digest_render import escape
from bot.delivery.slack import render


def escalation_message(
    stuck: StuckApp, mention: str, now: datetime
) -> tuple[list[dict[str, Any]], str]:
    """Blocks and fallback text; ``mention`` (``<!subteam^ID>``) is the only ping in it."""
    lead = f"{mention} " if mention else ""
    headline = f"{lead}:rotating_light: *{escape(stuck.app)}* is stuck {escape(stuck.health)}"
    diagnosis = render.stuck_app(stuck, now)
    intro = {"type": "section", "text": {"type": "mrkdwn", "text": headline}}
    message = render.fit([intro, *diagnosis.blocks], f"{headline}\n{diagnosis.text}")
    return message.blocks, message.text


def recovered_message(app: str, took: timedelta | None) -> tuple[list[dict[str, Any]], str]:
    """The reply in an incident's thread once its app is no longer stuck (no mention)."""
    after = f" after {format_duration(took)}" if took is not None else ""
    text = f":white_check_mark: *{escape(app)}* recovered{after}: no longer stuck."
    return [{"type": "section", "text": {"type": "mrkdwn", "text": text}}], text
