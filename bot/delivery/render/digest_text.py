"""The daily digest for a terminal (`drift-bot digest`): same order as Slack, more room.

Cluster text passes `escape.terminal` (control characters become U+FFFD), and findings use the
same `finding_line` as the Slack digest with a plain `TerminalMarkup`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from bot.core.digest import Digest, FindingRef
from bot.core.durations import format_duration
from bot.core.model import EVERY_APP, Ack, DriftClass, Finding
from bot.delivery.render.digest import UPSTREAM_NAMES, age, totals_line
from bot.delivery.render.escape import middle, terminal
from bot.delivery.render.findings import finding_line
from bot.delivery.render.markup import Style, TerminalMarkup
from bot.delivery.render.time import when
from bot.delivery.render.words import plural

TEXT_TOP_PER_CLASS: Final = 20
"""The terminal has room for more, but the digest stays a summary (`drift-bot scan` is all)."""
_TEXT: Final = 300
"""Longest single cluster value shown."""
_TERMINAL: Final = TerminalMarkup(Style.plain())


def digest_text(d: Digest) -> str:
    """The digest for a terminal: same order as Slack, more room, control characters removed."""
    lines = [f"Drift digest · {when(d.generated_at)}", ""]
    lines.extend(_text_stuck(d))
    if not d.acks_available:
        lines += [
            "! Ack store (Redis) unavailable: acks were NOT applied; acked drift shows open.",
            "",
        ]
    lines += [_plain_markup(totals_line(d)), ""]
    lines.extend(_text_changes(d))
    # Possibly real changes before the benign classes (the same order as `drift-bot scan`).
    if d.unexplained:
        lines.append(f"UNEXPLAINED ({len(d.unexplained)}) — matches no benign class:")
        lines.extend(_text_finding(f) + _text_paths(f) for f in d.unexplained)
        lines.append("")
    lines.extend(_text_classes(d))
    if d.acked_counts:
        parts = [f"[{cls.letter}] {cls.value} {n}" for cls, n in d.acked_counts.items()]
        lines += [f"Acked ({d.acked_count}), folded: " + " · ".join(parts), ""]
    if d.expiring_acks:
        lines.append(f"Acks expiring within a day ({len(d.expiring_acks)}):")
        lines.extend(_text_expiring(a, d) for a in d.expiring_acks)
        lines.append("")
    for e in (e for e in d.errors if e.app == EVERY_APP):
        name = UPSTREAM_NAMES.get(e.source, e.source)
        lines.append(f"{name} COULD NOT BE READ: {_safe(e.message)}")
        lines.append("  (app statuses and stuck apps are from Kubernetes; drift is unclassified)")
    apps = [e for e in d.errors if e.app != EVERY_APP]
    if apps:
        lines.append(f"Could not read {plural(len(apps), 'app')}:")
        lines.extend(f"  {_safe(e.app)} [{_safe(e.source)}]: {_safe(e.message)}" for e in apps)
    return "\n".join(lines).rstrip() + "\n"


def _plain_markup(mrkdwn: str) -> str:
    """Our own totals line without Slack's bold markers (it holds no cluster values)."""
    return mrkdwn.replace("*", "")


def _text_stuck(d: Digest) -> list[str]:
    if not d.stuck:
        return []
    lines = [f"STUCK ({len(d.stuck)}) — read these first"]
    for s in d.stuck:
        acked = "  (acked)" if s.app in d.acked_stuck else ""
        lines.append(f"  {_safe(s.app)}  {_safe(s.health)}{age(s.since, d)}{acked}")
        for pod in s.pods:
            pod_age = (
                f", age {format_duration(d.generated_at - pod.started_at)}"
                if pod.started_at
                else ""
            )
            lines.append(
                f"    pod {_safe(pod.namespace)}/{_safe(pod.name)} container "
                f"{_safe(pod.container)}: {_safe(pod.reason)}, "
                f"{plural(pod.restarts, 'restart')}{pod_age}"
            )
            lines.extend(f"      | {_safe(middle(line, 300))}" for line in pod.log)
    return [*lines, ""]


def _text_changes(d: Digest) -> list[str]:
    if d.previous_totals is None:
        return [
            "No snapshot from an earlier digest yet: new and resolved drift start tomorrow.",
            "",
        ]
    lines = [f"New since yesterday ({len(d.new)}):"]
    lines.extend(_text_finding(f, "+") for f in d.new[:TEXT_TOP_PER_CLASS])
    lines.extend(_text_more(len(d.new) - TEXT_TOP_PER_CLASS))
    lines.append(f"Resolved since yesterday ({len(d.resolved)}):")
    lines.extend(_text_ref(r) for r in d.resolved[:TEXT_TOP_PER_CLASS])
    lines.extend(_text_more(len(d.resolved) - TEXT_TOP_PER_CLASS))
    return [*lines, ""]


def _text_classes(d: Digest) -> list[str]:
    lines = []
    for cls, findings in d.by_class.items():
        if cls is DriftClass.UNEXPLAINED:
            continue
        acked = d.acked_counts.get(cls, 0)
        lines.append(
            f"[{cls.letter}] {cls.title} ({cls.value}): {len(findings)} open"
            + (f", {acked} acked" if acked else "")
        )
        lines.extend(_text_finding(f) for f in findings[:TEXT_TOP_PER_CLASS])
        rest = findings[TEXT_TOP_PER_CLASS:]
        if rest:
            lines.append(f"  …and {len(rest)} more ({_safe(_by_app_plain(rest))})")
        lines.append("")
    return lines


def _by_app_plain(findings: Sequence[Finding]) -> str:
    counts = Counter(f.app for f in findings).most_common(5)
    return ", ".join(f"{app} {n}" for app, n in counts)


def _text_more(rest: int) -> list[str]:
    return [f"  …and {rest} more"] if rest > 0 else []


def _text_finding(f: Finding, mark: str = " ") -> str:
    return finding_line(
        f.drift_class, f.app, f.key, f.summary, _TERMINAL, lead=f" {mark}", acked=f.acked
    )


def _text_ref(r: FindingRef) -> str:
    return finding_line(r.drift_class, r.app, r.key, r.summary, _TERMINAL, lead=" -", was=True)


def _text_paths(f: Finding) -> str:
    return f" · {', '.join(_safe(p, 120) for p in f.paths)}" if f.paths else ""


def _text_expiring(a: Ack, d: Digest) -> str:
    left = format_duration(a.expires_at - d.generated_at)
    return (
        f"  {_safe(a.id)}  {_safe(str(a.scope))} by {_safe(a.by)}, expires in {left}"
        f" — {_safe(a.reason)}"
    )


def _safe(text: str, limit: int = _TEXT) -> str:
    return terminal(text, limit)
