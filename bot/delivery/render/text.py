"""Terminal rendering of scans, app reports and pod diagnoses (pure: report in, string out).

Layout follows how the seed's operator worked: stuck apps first (they are outages), then drift
per app with the class letter, the resource, one line per differing path (git → live) and the
fix indented so it can be copied. Colour is optional and decided by the caller (TTY or not);
cluster text passes `TerminalMarkup`, so no control character reaches the terminal.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Final

from bot.core.durations import format_duration
from bot.core.model import (
    AppReport,
    DriftClass,
    Finding,
    ScanError,
    ScanReport,
    StuckApp,
    TrackingName,
)
from bot.delivery.render.escape import terminal
from bot.delivery.render.findings import Room, finding_lines
from bot.delivery.render.markup import Style, TerminalMarkup
from bot.delivery.render.time import when
from bot.delivery.render.words import plural

__all__ = ["Style", "render_app", "render_logs", "render_scan", "to_json"]

APP_ROOM: Final = Room(evidence=6, value=80, summary=None)
"""`drift-bot app`: every finding with its fix in full."""
SCAN_ROOM: Final = Room(evidence=3, value=80, summary=None)
"""`drift-bot scan`: fewer paths per finding, since it lists every app."""


def render_scan(report: ScanReport, style: Style) -> str:
    """The whole scan: headline, stuck apps, findings grouped by app, errors, class tally."""
    t = report.totals
    m = TerminalMarkup(style)
    lines = [
        style.bold(f"drift-bot scan · {when(report.generated_at)}"),
        f"{t.total} apps · {t.out_of_sync} OutOfSync · {t.progressing} Progressing · "
        + (style.red(f"{t.stuck} stuck") if t.stuck else "0 stuck")
        + f" · {plural(len(report.findings), 'drifting resource')}",
        "",
    ]
    if report.findings:
        lines.extend(_tally(report.findings))
        lines.append("")
    if report.stuck:
        lines.append(style.red("STUCK (health has not recovered — read these first)"))
        for stuck in report.stuck:
            lines.extend(_stuck_lines(stuck, report.generated_at, style))
        lines.append("")
    # Real changes before the benign classes; apps Argo CD itself counts as Synced (their
    # leftovers, e.g. hooks kept by prune off, do not change the app's status) come last, so
    # DRIFT BY APP lists exactly the apps the headline counts as OutOfSync.
    unexplained = [f for f in report.findings if f.drift_class is DriftClass.UNEXPLAINED]
    benign = [f for f in report.findings if f.drift_class is not DriftClass.UNEXPLAINED]
    counted = [f for f in benign if _sync(report, f.app) == "OutOfSync"]
    uncounted = [f for f in benign if _sync(report, f.app) != "OutOfSync"]
    sections = (
        (unexplained, f"UNEXPLAINED ({len(unexplained)}) — no benign class matches: review these"),
        (counted, "DRIFT BY APP"),
        (uncounted, "IN APPS NOT COUNTED AS OutOfSync (Argo CD ignores these leftovers)"),
    )
    for findings, title in sections:
        if findings:
            lines.append(style.red(title) if findings is unexplained else style.bold(title))
            lines.extend(_app_blocks(report, findings, m))
            lines.append("")
    if not report.findings:
        lines.append(style.green("No drift: every resource is Synced."))
        lines.append("")
    if report.errors:
        lines.extend(_error_lines(report.errors, style))
    return "\n".join(lines).rstrip() + "\n"


def render_app(report: AppReport, style: Style) -> str:
    """One app: sync/health, stuck diagnosis if any, then each finding."""
    since = (
        f" for {format_duration(report.generated_at - report.health_since)}"
        if (report.health_since)
        else ""
    )
    lines = [
        style.bold(terminal(report.app))
        + f"  {terminal(report.sync_status)} · {terminal(report.health_status)}{since}",
        "",
    ]
    if report.stuck:
        lines.extend(_stuck_lines(report.stuck, report.generated_at, style))
        lines.append("")
    if report.findings:
        m = TerminalMarkup(style)
        for finding in _real_first(report.findings):
            lines.extend(_indent(finding_lines(finding, m, APP_ROOM), ""))
    elif report.sync_status == "Synced":
        lines.append(style.green("Synced: nothing drifts."))
    else:
        lines.append("No drifting resources listed in the Application's status.")
    if report.errors:
        lines.append("")
        lines.extend(_error_lines(report.errors, style))
    return "\n".join(lines).rstrip() + "\n"


def render_logs(stuck: StuckApp, now: datetime, style: Style) -> str:
    """Why an app's workload is unhealthy: one block per pod/container problem."""
    lines = _stuck_lines(stuck, now, style)
    if not stuck.pods:
        lines.append("  No unhealthy pods found for this app's workloads.")
    return "\n".join(lines).rstrip() + "\n"


def to_json(payload: dict[str, Any]) -> str:
    """Stable, pretty JSON for ``--format json``."""
    return json.dumps(payload, indent=2, ensure_ascii=False, default=str) + "\n"


# --- pieces -------------------------------------------------------------------------------


def _app_blocks(report: ScanReport, findings: Sequence[Finding], m: TerminalMarkup) -> list[str]:
    """Findings grouped under their app's name and status."""
    lines: list[str] = []
    style = m.style
    for app, grouped in _by_app(findings):
        known = (report.sync.get(app, ""), report.health.get(app, ""))
        status = " · ".join(s for s in known if s)
        lines.append(style.bold(f"  {terminal(app)}") + style.dim(f"  {status}" if status else ""))
        shown: dict[tuple[DriftClass, str], str] = {}
        for finding in grouped:
            # A fix that only differs by the resource's name is printed once per class and
            # app; `drift-bot app NAME` prints every one in full.
            shape = (finding.drift_class, _fix_shape(finding))
            first = shown.setdefault(shape, finding.key.name)
            fix_as = None if first == finding.key.name else first
            found = finding_lines(finding, m, SCAN_ROOM, fix_as=fix_as)
            lines.extend(_indent(found, "    "))
    return lines


def _sync(report: ScanReport, app: TrackingName) -> str:
    """An app's sync status; OutOfSync when the report does not say (older servers)."""
    return report.sync.get(app, "OutOfSync")


def _real_first(findings: Sequence[Finding]) -> list[Finding]:
    """Unexplained (possibly real) changes first, then the benign classes in their order."""
    return sorted(findings, key=lambda f: f.drift_class is not DriftClass.UNEXPLAINED)


def _indent(lines: Sequence[str], indent: str) -> list[str]:
    """A finding's title at ``indent``, its details four columns further in."""
    return [f"{indent}{line}" if i == 0 else f"{indent}    {line}" for i, line in enumerate(lines)]


def _fix_shape(finding: Finding) -> str:
    """The fix text with this resource's name blanked out, to spot fixes that repeat."""
    text = finding.fix.text.replace(finding.key.name, "…")
    return re.sub(r"step \d+ of \d+", "step", text)


def _stuck_lines(stuck: StuckApp, now: datetime, style: Style) -> list[str]:
    age = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    lines = [style.red(f"  {terminal(stuck.app)}") + f"  {terminal(stuck.health)}{age}"]
    for pod in stuck.pods:
        pod_age = f", age {format_duration(now - pod.started_at)}" if pod.started_at else ""
        where = terminal(f"{pod.namespace}/{pod.name} container {pod.container}")
        lines.append(
            f"    pod {where}: "
            + style.bold(terminal(pod.reason))
            + f", {plural(pod.restarts, 'restart')}{pod_age}"
        )
        if pod.message:
            lines.append(style.dim(f"      {terminal(pod.message)}"))
        lines.extend(f"      | {terminal(line)}" for line in pod.log)
    return lines


def _error_lines(errors: Sequence[ScanError], style: Style) -> list[str]:
    lines = [style.yellow(f"COULD NOT READ ({len(errors)})")]
    lines.extend(
        f"  {terminal(e.app)} [{terminal(e.source)}]: {terminal(e.message)}" for e in errors
    )
    return lines


def _tally(findings: Iterable[Finding]) -> list[str]:
    counts = Counter(f.drift_class for f in findings)
    return [
        f"  [{cls.letter}] {cls.value:<17} {counts[cls]:>4}  {cls.title}"
        for cls in DriftClass
        if counts[cls]
    ]


def _by_app(findings: Sequence[Finding]) -> list[tuple[TrackingName, list[Finding]]]:
    grouped: dict[TrackingName, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.app, []).append(finding)
    return sorted(grouped.items())
