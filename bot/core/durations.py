"""Durations as people type them: ``30m``, ``4h``, ``7d``, ``1h30m``, ``90s``, ``2w``.

Strict on purpose: ASCII digits only (``\\d`` would take ``４`` or ``٣``), whole numbers, one of
five units, no sign, no exponent, no ISO 8601. What is not exactly that is an `InputError`
naming the accepted forms, never a guess.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final

from bot.errors import InputError

_UNIT_SECONDS: Final = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART: Final = re.compile(r"([0-9]{1,6})([smhdw])")
_WHOLE: Final = re.compile(r"(?:[0-9]{1,6}[smhdw])+")
ACCEPTED: Final = "whole numbers with a unit (s, m, h, d, w), like 30m, 4h, 1d, 7d or 1d12h"
_MAX_SECONDS: Final = 366 * 86400


def parse_duration(text: str) -> timedelta:
    """Parse ``4h``/``7d``/``1h30m``; raise `InputError` saying what is accepted otherwise."""
    cleaned = text.strip().lower()
    if not _WHOLE.fullmatch(cleaned):
        msg = f"{text!r} is not a duration; use {ACCEPTED}"
        raise InputError(msg)
    seconds = sum(int(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(cleaned))
    if seconds == 0:
        msg = f"{text!r} is zero; a duration must be positive"
        raise InputError(msg)
    if seconds > _MAX_SECONDS:
        msg = f"{text!r} is longer than a year; nothing here needs that long"
        raise InputError(msg)
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a duration the way people say it: ``21d``, ``4h 12m``, ``2m``, ``45s``."""
    total = int(delta.total_seconds())
    if total < 60:
        return f"{max(total, 0)}s"
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h" if hours and days < 3 else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m"
