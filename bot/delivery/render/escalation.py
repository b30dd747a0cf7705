"""The on-call ping for a stuck app (a mention, then `/drift logs`' diagnosis) and its all-clear."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core.durations import format_duration
from bot.core.model import StuckApp
from bot.delivery.render.answers import stuck_app
from bot.delivery.render.blocks import Block, fit, section
from bot.delivery.render.escape import escape, mrkdwn


def escalation_message(stuck: StuckApp, mention: str, now: datetime) -> tuple[list[Block], str]:
    """Blocks and fallback text; ``mention`` (``<!subteam^ID>``) is the only ping in it."""
    lead = f"{mention} " if mention else ""
    headline = f"{lead}:rotating_light: *{mrkdwn(stuck.app)}* is stuck {escape(stuck.health)}"
    diagnosis = stuck_app(stuck, now)
    message = fit([section(headline), *diagnosis.blocks], f"{headline}\n{diagnosis.text}")
    return message.blocks, message.text


def recovered_message(app: str, took: timedelta | None) -> tuple[list[Block], str]:
    """The reply in an incident's thread once its app is no longer stuck (no mention)."""
    after = f" after {format_duration(took)}" if took is not None else ""
    text = f":white_check_mark: *{mrkdwn(app)}* recovered{after}: no longer stuck."
    message = fit([section(text)], text)
    return message.blocks, message.text
