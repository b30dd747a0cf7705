"""Terminal rendering of scans, app reports and pod diagnoses (pure: report in, string out).

Layout follows how the seed's operator worked: stuck apps first (they are outages), then drift
per app with the class letter, the resource, one line per differing path (git → live) and the
fix indented so it can be copied. Colour is optional and decided by the caller (TTY or not).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.durations import format_duration
from bot.core.model import (
    ABSENT,
    AppReport,
    DriftClass,
    Finding,
    ScanError,
    ScanReport,
    StuckApp,
)

MAX_EVIDENCE_LINES = 6
MAX_VALUE_CHARS = 80
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters (ANSI/OSC escapes, carriage returns) a log line could drive a terminal."""


def _safe(text: str) -> str:
    """Cluster text for the terminal: every control character becomes U+FFFD."""
    return _CONTROL.sub("\ufffd", text)


@dataclass(frozen=True, slots=True)
class Style:
    """ANSI styling; `Style.plain()` when output is not a terminal."""

    enabled: bool

    @classmethod
    def plain(cls) -> Style:
        return cls(enabled=False)

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def red(self, text: str) -> str:
        return self._wrap("31;1", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


def render_scan(report: ScanReport, style: Style) -> str:
    """The whole scan: headline, stuck apps, findings grouped by app, errors, class tally."""
    t = report.totals
    lines = [
        style.bold(f"drift-bot scan · {_when(report.generated_at)}"),
        f"{t.total} apps · {t.out_of_sync} OutOfSync · {t.progressing} Progressing · "
        + (style.red(f"{t.stuck} stuck") if t.stuck else "0 stuck")
        + f" · {len(report.findings)} drifting resources",
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
    if report.findings:
        lines.append(style.bold("DRIFT BY APP"))
        for app, findings in _by_app(report.findings):
            health = report.health.get(app, "")
            lines.append(style.bold(f"  {app}") + style.dim(f"  {health}" if health else ""))
            shown: dict[tuple[DriftClass, str], str] = {}
            for finding in findings:
                # A fix that only differs by the resource's name is printed once per class and
                # app; `drift-bot app NAME` prints every one in full.
                shape = (finding.drift_class, _fix_shape(finding))
                first = shown.setdefault(shape, finding.key.name)
                lines.extend(
                    _finding_lines(
                        finding,
                        style,
                        indent="    ",
                        fix_as=None if first == finding.key.name else first,
                        max_evidence=3,
                    )
                )
    else:
        lines.append(style.green("No drift: every resource is Synced."))
    if report.errors:
        lines.append("")
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
        style.bold(report.app) + f"  {report.sync_status} · {report.health_status}{since}",
        "",
    ]
    if report.stuck:
        lines.extend(_stuck_lines(report.stuck, report.generated_at, style))
        lines.append("")
    if report.findings:
        for finding in report.findings:
            lines.extend(_finding_lines(finding, style, indent=""))
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


def _finding_lines(
    finding: Finding,
    style: Style,
    *,
    indent: str,
    fix_as: str | None = None,
    max_evidence: int = MAX_EVIDENCE_LINES,
) -> list[str]:
    cls = finding.drift_class
    tag = f"[{cls.letter}] {cls.title}"
    tag = style.red(tag) if cls is DriftClass.UNEXPLAINED else style.cyan(tag)
    acked = style.dim("  (acked)") if finding.acked else ""
    lines = [f"{indent}{tag}  {style.bold(str(finding.key))}{acked}"]
    lines.append(f"{indent}    {_safe(finding.summary)}")
    if finding.safe_to_delete is not None and "safe to delete" not in finding.summary:
        verdict = (
            style.green("safe to delete")
            if finding.safe_to_delete
            else style.red("NOT safe to delete")
        )
        users = f": still used by {', '.join(finding.users)}" if finding.users else ""
        lines.append(f"{indent}    {verdict}{users}")
    for evidence in finding.evidence[:max_evidence]:
        if not evidence.path:
            continue  # the whole object (zombies, hooks): the summary already says it
        git = _value(evidence.git)
        live = _value(evidence.live)
        lines.append(style.dim(f"{indent}    {evidence.path}: {git} → {live}"))
    hidden = len(finding.evidence) - max_evidence
    if hidden > 0:
        lines.append(style.dim(f"{indent}    … and {hidden} more paths"))
    if fix_as is not None:
        lines.append(f"{indent}    fix ({finding.fix.kind}): as for {fix_as} above, with this name")
        return lines
    lines.append(f"{indent}    fix ({finding.fix.kind}):")
    lines.extend(f"{indent}      {_safe(line)}" for line in finding.fix.text.splitlines())
    return lines


def _fix_shape(finding: Finding) -> str:
    """The fix text with this resource's name blanked out, to spot fixes that repeat."""
    text = finding.fix.text.replace(finding.key.name, "…")
    return re.sub(r"step \d+ of \d+", "step", text)


def _stuck_lines(stuck: StuckApp, now: datetime, style: Style) -> list[str]:
    age = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    lines = [style.red(f"  {stuck.app}") + f"  {stuck.health}{age}"]
    for pod in stuck.pods:
        pod_age = f", age {format_duration(now - pod.started_at)}" if pod.started_at else ""
        lines.append(
            f"    pod {pod.namespace}/{pod.name} container {pod.container}: "
            + style.bold(pod.reason)
            + f", {pod.restarts} restarts{pod_age}"
        )
        if pod.message:
            lines.append(style.dim(f"      {_safe(pod.message)}"))
        lines.extend(f"      | {_safe(line)}" for line in pod.log)
    return lines


def _error_lines(errors: Sequence[ScanError], style: Style) -> list[str]:
    lines = [style.yellow(f"COULD NOT READ ({len(errors)})")]
    lines.extend(f"  {e.app} [{e.source}]: {_safe(e.message)}" for e in errors)
    return lines


def _tally(findings: Iterable[Finding]) -> list[str]:
    counts = Counter(f.drift_class for f in findings)
    return [
        f"  [{cls.letter}] {cls.value:<17} {counts[cls]:>4}  {cls.title}"
        for cls in DriftClass
        if counts[cls]
    ]


def _by_app(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding.app, []).append(finding)
    return sorted(grouped.items())


def _value(value: object) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
