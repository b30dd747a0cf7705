"""Prometheus metrics of the serving process, on a registry the caller owns.

A `Metrics` object is built once by the entry point and handed to the Slack app (and whoever
else records), while the HTTP layer serves the same registry on ``/metrics``. Not using
prometheus_client's global registry keeps tests independent: each builds its own, so no test
sees another's counts or trips over "Duplicated timeseries".

Label values are small fixed sets (command verbs, outcomes, upstream sources, Slack methods):
never an app name or user id, which would make the number of series unbounded.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

SCAN_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
"""Seconds. A cached answer takes milliseconds; the seed's 52 apps scan in about a second;
thousands of apps over a slow Argo CD take minutes, which is when someone should look."""


class Metrics:
    """The counters and histograms drift-bot exports."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.commands = Counter(
            "drift_commands",
            "Slash commands answered, by sub-command and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.scan_seconds = Histogram(
            "drift_scan_duration_seconds",
            "Time to answer one use case that reads the cluster (scan, app, logs, digest).",
            ["use_case"],
            buckets=SCAN_BUCKETS,
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "drift_upstream_errors",
            "Failures talking to Kubernetes, Argo CD or Redis, by source.",
            ["source"],
            registry=self.registry,
        )
        self.slack_api_errors = Counter(
            "drift_slack_api_errors",
            "Slack API calls that failed after retries, by method.",
            ["method"],
            registry=self.registry,
        )
