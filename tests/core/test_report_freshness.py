"""``fleet_as_of``: an additive key that only answers from serve's watched model carry."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.codec import app_report_from_json, scan_report_from_json
from bot.core.model import AppReport, ScanReport, Totals

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
AS_OF = datetime(2026, 11, 25, 8, 59, 58, tzinfo=UTC)


def test_app_reports_carry_it_only_when_set_and_it_round_trips() -> None:
    plain = AppReport(NOW, "gitea", "OutOfSync", "Healthy", None)
    assert "fleet_as_of" not in plain.to_json()
    assert app_report_from_json(plain.to_json()) == plain
    watched = AppReport(NOW, "gitea", "OutOfSync", "Healthy", None, fleet_as_of=AS_OF)
    assert watched.to_json()["fleet_as_of"] == "2026-11-25T08:59:58Z"
    assert app_report_from_json(watched.to_json()) == watched


def test_scan_reports_carry_it_only_when_set_and_it_round_trips() -> None:
    totals = Totals(total=1, out_of_sync=0, progressing=0, stuck=0)
    plain = ScanReport(NOW, totals)
    assert "fleet_as_of" not in plain.to_json()
    assert scan_report_from_json(plain.to_json()) == plain
    watched = ScanReport(NOW, totals, fleet_as_of=AS_OF)
    assert scan_report_from_json(watched.to_json()).fleet_as_of == AS_OF
