"""The one time format: every rendering writes the same instant the same way, in UTC."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.core.model import Ack, AckScope, ScanReport, Totals
from bot.delivery.render import answers, text
from bot.delivery.render.time import when
from tests.delivery.slack import seed

INSTANT = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
"""30 minutes before Europe/Berlin switches to summer time (01:30 CET = 00:30 UTC)."""


@pytest.mark.parametrize(
    "zone",
    [
        UTC,
        ZoneInfo("Europe/Berlin"),
        ZoneInfo("America/St_Johns"),  # a half-hour offset, behind UTC
        ZoneInfo("Asia/Kathmandu"),  # a quarter-hour offset, ahead of UTC (next calendar day)
        timezone(timedelta(hours=-11)),  # the previous calendar day
    ],
    ids=str,
)
def test_any_zone_renders_the_same_utc_instant(zone: ZoneInfo | timezone) -> None:
    """One instant written in any zone renders as the same UTC minute, date included."""
    assert when(INSTANT.astimezone(zone)) == "2026-03-29 00:30 UTC"


def test_a_naive_time_is_taken_as_utc() -> None:
    """A datetime without a zone is read as UTC (as bot.core.parse does), not as local time."""
    assert when(datetime(2026, 3, 29, 0, 30)) == "2026-03-29 00:30 UTC"


def test_cli_and_slack_agree_on_a_non_utc_report() -> None:
    """A report stamped in +05:45 shows the same UTC time in the CLI scan and in Slack."""
    report = seed.gitea_report()
    kathmandu = report.generated_at.astimezone(ZoneInfo("Asia/Kathmandu"))
    slack = answers.app_report(replace(report, generated_at=kathmandu))
    assert "as of 2026-04-16 21:15 UTC" in slack.blocks[1]["text"]["text"]
    scan = ScanReport(generated_at=kathmandu, totals=Totals(1, 0, 0, 0))
    assert text.render_scan(scan, text.Style.plain()).startswith(
        "drift-bot scan · 2026-04-16 21:15 UTC\n"
    )


def test_ack_expiry_is_written_in_utc() -> None:
    """An ack read back with an offset expires at the UTC minute `/drift acks` shows."""
    berlin = ZoneInfo("Europe/Berlin")
    ack = Ack(
        id="a1",
        scope=AckScope("gitea"),
        fingerprints=frozenset(),
        by="U0ALICE",
        reason="r",
        created_at=INSTANT.astimezone(berlin),
        expires_at=(INSTANT + timedelta(days=1)).astimezone(berlin),
    )
    listed = answers.acks_list([ack], INSTANT)
    assert "(2026-03-30 00:30 UTC)" in listed.blocks[1]["text"]["text"]
    confirmed = answers.ack_confirmation(ack, INSTANT)
    assert "until 2026-03-30 00:30 UTC" in confirmed.text
