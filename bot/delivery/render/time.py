"""The one time format every rendering uses: ``2026-04-16 21:15 UTC``.

Always converted to UTC, never shown in the moment's own zone. The moments we render come from
different places — the service's UTC clock, Argo CD and Kubernetes timestamps, ack expiries read
back from Redis, reports decoded from a remote classifier (which may carry any offset) — and one
message often shows several of them (a digest's date next to ack expiries). Only one zone makes
them comparable at a glance, and the CLI, Slack and the JSON report (`generated_at`, ISO UTC)
then agree on the same instant. ``DRIFT_TIMEZONE`` decides *when* the digest runs, not how
times are written. A naive datetime is taken as UTC, as `bot.core.parse` does.
"""

from __future__ import annotations

from datetime import UTC, datetime


def when(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM UTC`` for any moment, whatever zone (or none) it carries."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
