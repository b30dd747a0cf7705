"""Durations as people type them in slash commands and env vars."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.core.durations import format_duration, parse_duration
from bot.errors import InputError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("90s", timedelta(seconds=90)),
        ("1h30m", timedelta(minutes=90)),
        (" 4H ", timedelta(hours=4)),
    ],
)
def test_parse_accepts_units(text: str, expected: timedelta) -> None:
    """Numbers with s/m/h/d/w units, combined or alone, parse to a timedelta."""
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        *("", "soon", "4", "h4", "-5m", "4 h", "0m", "1.5h", "9999999d", "400d", "999999w" * 40),
        *("-1d", "1e9h", "PT4H", "P1D", "４h", "٣d", "+4h", "4hours", "4h-"),
    ],
)
def test_parse_rejects_other_text(text: str) -> None:
    """Anything else is an InputError that shows the accepted form."""
    with pytest.raises(InputError, match=r"like 30m, 4h, 1d, 7d or 1d12h|zero|longer than a year"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("delta", "expected"),
    [
        (timedelta(seconds=45), "45s"),
        (timedelta(seconds=-3), "0s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(hours=4), "4h"),
        (timedelta(hours=4, minutes=12), "4h 12m"),
        (timedelta(days=1, hours=3), "1d 3h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=21, hours=5), "21d"),
    ],
)
def test_format_reads_like_speech(delta: timedelta, expected: str) -> None:
    """Durations render as people say them, coarser as they grow."""
    assert format_duration(delta) == expected
