"""The daily digest as Slack Block Kit (pure, no Slack client; `digest_text` is the terminal's).

Slack rejects a message outright when one limit is broken (50 blocks, 3000 characters per
section, 40,000 characters of fallback text), and a cluster can have thousands of findings,
so every section here is *packed*: lines are added while they fit and the rest is folded into
"…and N more". Each line is itself bounded, so packing always makes progress and rendering
stays linear in what is shown, not in what exists. Cluster values pass `escape`'s doors
(`mrkdwn`, `code_span`, `code_block`) like every other Slack message's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Final, TypeVar

from bot.core.digest import Digest, FindingRef
from bot.core.durations import format_duration
from bot.core.model import (
    EVERY_APP,
    Ack,
    DriftClass,
    Finding,
    PodDiagnosis,
    ScanError,
    StuckApp,
    Totals,
)
from bot.delivery.render.blocks import Block, context, header, section
from bot.delivery.render.escape import code_block, code_span, cut, mrkdwn
from bot.delivery.render.findings import finding_line
from bot.delivery.render.limits import MAX_FALLBACK_CHARS, MAX_SECTION_CHARS
from bot.delivery.render.markup import SlackMarkup, who
from bot.delivery.render.time import when
from bot.delivery.render.words import plural

T = TypeVar("T")

TOP_PER_CLASS: Final = 8
"""Resources named per class in Slack; the digest points at drift, `/drift app` details it."""
TOP_LISTED: Final = 10
"""New, resolved, expiring-ack and error lines named in Slack before folding."""
TOP_STUCK_SECTIONS: Final = 5
PODS_PER_STUCK_APP: Final = 3
LOG_LINES_PER_POD: Final = 3
UNEXPLAINED_SECTIONS: Final = 8
"""Unexplained drift is never folded into a count: it gets up to this many full sections."""

VALUE: Final = 120
"""Longest single cluster value (name, namespace) shown, after escaping."""
SUMMARY: Final = 300
LOG_LINE: Final = 200
MORE_RESERVE: Final = 400
"""Room kept in every section for its "…and N more" line."""

_SLACK: Final = SlackMarkup()
_TREND_UP: Final = "↑"
_TREND_DOWN: Final = "↓"


def digest_blocks(d: Digest) -> tuple[list[Block], str]:
    """The digest as Block Kit blocks plus the notification/fallback text, within limits.

    The block count is bounded by construction, whatever the input: header 1, stuck 6,
    warning 1, totals 1, changes 2, divider 1, classes 7, acked 1, unexplained 8, expiring 1,
    errors 1, late 1, upstreams down 1 — at most 32 of Slack's 50.
    """
    blocks: list[Block] = [header(f"Drift digest · {when(d.generated_at)}"), *notices(d)]
    blocks.extend(section(text) for text in _stuck_sections(d))
    if not d.acks_available:
        blocks.append(
            section(
                ":warning: The ack store (Redis) is unavailable: acks were *not* applied, "
                "so acknowledged drift is shown as open."
            )
        )
    blocks.append(section(totals_line(d)))
    blocks.extend(section(text) for text in _change_sections(d))
    # Possibly real changes before the benign classes (the same order as `drift-bot scan`).
    blocks.extend(section(text) for text in _unexplained_sections(d))
    blocks.append({"type": "divider"})
    blocks.extend(section(text) for text in _class_sections(d))
    if d.acked_counts:
        blocks.append(context(_acked_line(d)))
    if d.expiring_acks:
        blocks.append(section(_expiring_section(d)))
    if _per_app(d):
        blocks.append(section(_errors_section(d)))
    return blocks, _fallback(d)


def notices(d: Digest) -> list[Block]:
    """What a reader must know before the numbers: posted late (why), an upstream unreadable."""
    found: list[Block] = []
    if d.late is not None:
        due, why = d.late
        found.append(
            context(f":hourglass: Posted late: it was due {when(due)}. {mrkdwn(why, 300)}")
        )
    if whole := [upstream_down_line(e) for e in d.errors if e.app == EVERY_APP]:
        found.append(section("\n".join(whole)))
    return found


def _per_app(d: Digest) -> list[ScanError]:
    return [e for e in d.errors if e.app != EVERY_APP]


def _packed(
    head: str,
    items: Sequence[T],
    fmt: Callable[[T], str],
    *,
    more: Callable[[int], str] | None,
    start: int = 0,
    total: int | None = None,
) -> tuple[str, int]:
    """``head`` and as many formatted items from ``start`` as fit one section.

    Returns the section text and the index of the first item left out. ``total`` (default:
    ``len(items)``) is how many exist, so a caller that passes only the top few still gets
    an honest "…and N more"; ``more=None`` means a following section continues the list.
    """
    budget = MAX_SECTION_CHARS - MORE_RESERVE - len(head) - 1
    lines = [head]
    index = start
    while index < len(items):
        line = fmt(items[index])
        if len(line) + 1 > budget:
            break
        lines.append(line)
        budget -= len(line) + 1
        index += 1
    left = (len(items) if total is None else total) - index
    if left > 0 and more is not None:
        lines.append(cut(more(left), MORE_RESERVE - 1))
    return "\n".join(lines), index


def _stuck_sections(d: Digest) -> list[str]:
    if not d.stuck:
        return []
    shown = d.stuck[:TOP_STUCK_SECTIONS]
    sections = [_stuck_app(s, d, first=i == 0) for i, s in enumerate(shown)]
    rest = d.stuck[TOP_STUCK_SECTIONS:]
    if rest:
        head = f"*…and {plural(len(rest), 'more stuck app')}:*"
        text, _ = _packed(
            head,
            rest,
            lambda s: f"• *{mrkdwn(s.app, VALUE)}* {mrkdwn(s.health, VALUE)}{age(s.since, d)}",
            more=lambda n: f"…and {n} more: `drift-bot scan` lists them all",
        )
        sections.append(text)
    return sections


def _stuck_app(stuck: StuckApp, d: Digest, *, first: bool) -> str:
    title = f":rotating_light: *Stuck apps ({len(d.stuck)})*\n" if first else ""
    acked = " _(acked)_" if stuck.app in d.acked_stuck else ""
    head = (
        f"{title}*{mrkdwn(stuck.app, VALUE)}* {mrkdwn(stuck.health, VALUE)}"
        f"{age(stuck.since, d)}{acked}"
    )
    if not stuck.pods:
        return head + "\nNo unhealthy pods found for its workloads."
    text, _ = _packed(
        head,
        stuck.pods[:PODS_PER_STUCK_APP],
        lambda p: _pod_lines(p, d),
        total=len(stuck.pods),
        more=lambda n: f"…and {plural(n, 'more pod')}: `/drift logs {mrkdwn(stuck.app, VALUE)}`",
    )
    return text


def _pod_lines(pod: PodDiagnosis, d: Digest) -> str:
    age = f", age {format_duration(d.generated_at - pod.started_at)}" if pod.started_at else ""
    line = (
        f"• {code_span(f'{pod.namespace}/{pod.name}', VALUE)} "
        f"container {code_span(pod.container, VALUE)}: "
        f"*{mrkdwn(pod.reason, VALUE)}*, {plural(pod.restarts, 'restart')}{age}"
    )
    if pod.log:
        line += "\n" + code_block(pod.log[:LOG_LINES_PER_POD], LOG_LINE)
    return line


def age(since: datetime | None, d: Digest) -> str:
    """`` for 21d`` since ``since`` as of the digest, or nothing."""
    return f" for {format_duration(d.generated_at - since)}" if since else ""


def totals_line(d: Digest) -> str:
    """Counts with trends against yesterday, then open/acked findings (our own words only)."""
    labels = ("apps", "OutOfSync", "Progressing", "stuck")
    today, before = _counts(d.totals), d.previous_totals and _counts(d.previous_totals)
    trends = [_trend(n, before[i]) if before else "" for i, n in enumerate(today)]
    line = " · ".join(
        f"*{n}* {label}{t}" for label, n, t in zip(labels, today, trends, strict=True)
    )
    # Yesterday is named once, at the end: an "=" after each count read as a cut-off sentence.
    if before:
        line += " (arrows: since yesterday)" if any(trends) else " (same as yesterday)"
    counts = f"{plural(d.open_count, 'open finding')}, {d.acked_count} acked"
    if not d.open_count and not d.acked_count:
        counts = "no drift: every resource is Synced"
    return f"{line}\n{counts}"


def _counts(t: Totals) -> tuple[int, int, int, int]:
    return (t.total, t.out_of_sync, t.progressing, t.stuck)


def _trend(now: int, before: int) -> str:
    """`` ↑3``/`` ↓2`` against yesterday; nothing when unchanged."""
    delta = now - before
    if delta > 0:
        return f" {_TREND_UP}{delta}"
    if delta < 0:
        return f" {_TREND_DOWN}{-delta}"
    return ""


def _change_sections(d: Digest) -> list[str]:
    if d.previous_totals is None:
        return ["_No snapshot from an earlier digest yet: new and resolved drift start tomorrow._"]
    if not d.new and not d.resolved:
        return ["Nothing new or resolved since yesterday."]
    sections = []
    if d.new:
        text, _ = _packed(
            f":new: *New since yesterday ({len(d.new)})*",
            d.new[:TOP_LISTED],
            _finding_line,
            total=len(d.new),
            more=lambda n: f"…and {n} more new",
        )
        sections.append(text)
    if d.resolved:
        text, _ = _packed(
            f":white_check_mark: *Resolved since yesterday ({len(d.resolved)})*",
            d.resolved[:TOP_LISTED],
            _ref_line,
            total=len(d.resolved),
            more=lambda n: f"…and {n} more resolved",
        )
        sections.append(text)
    return sections


def _finding_line(f: Finding) -> str:
    return finding_line(f.drift_class, f.app, f.key, f.summary, _SLACK, lead="• ", acked=f.acked)


def _ref_line(r: FindingRef) -> str:
    return finding_line(r.drift_class, r.app, r.key, r.summary, _SLACK, lead="• ", was=True)


def _class_sections(d: Digest) -> list[str]:
    sections = []
    for cls, findings in d.by_class.items():
        if cls is DriftClass.UNEXPLAINED:
            continue  # named in full in its own sections
        acked = d.acked_counts.get(cls, 0)
        head = f"*[{cls.letter}] {cls.title}* · `{cls.value}` · {len(findings)} open" + (
            f", {acked} acked" if acked else ""
        )
        text, _ = _packed(
            head,
            findings[:TOP_PER_CLASS],
            _finding_line,
            total=len(findings),
            more=_fold_by_app(findings),
        )
        sections.append(text)
    return sections


def _fold_by_app(findings: Sequence[Finding]) -> Callable[[int], str]:
    """The "…and N more" line of a class: where the last N (the folded ones) are."""

    def more(n: int) -> str:
        return f"…and {n} more ({_by_app(findings[len(findings) - n :])})"

    return more


def _by_app(findings: Sequence[Finding]) -> str:
    """Where the folded findings are, busiest apps first: ``gitea 120, argo-cd 3, …``."""
    counts = Counter(f.app for f in findings).most_common(5)
    shown = ", ".join(f"{mrkdwn(app, 60)} {n}" for app, n in counts)
    apps = len({f.app for f in findings})
    return shown + (", …" if apps > len(counts) else "")


def _acked_line(d: Digest) -> str:
    parts = [f"[{cls.letter}] {cls.value} {n}" for cls, n in d.acked_counts.items()]
    return f"*Acked ({d.acked_count}), folded:* " + " · ".join(parts) + " — `/drift acks`"


def _unexplained_sections(d: Digest) -> list[str]:
    items = d.unexplained
    if not items:
        return []
    sections: list[str] = []
    head = (
        f":mag: *Unexplained drift ({len(items)})* — matches no benign class; "
        "someone or something changed these:"
    )
    index = 0
    while index < len(items) and len(sections) < UNEXPLAINED_SECTIONS:
        last = len(sections) == UNEXPLAINED_SECTIONS - 1
        text, index = _packed(
            head,
            items,
            _unexplained_line,
            start=index,
            more=_unexplained_more if last else None,
        )
        sections.append(text)
        head = "*Unexplained drift (continued)*"
    return sections


def _unexplained_more(n: int) -> str:
    return f"…and {n} more unexplained: `drift-bot scan` lists every one"


def _unexplained_line(f: Finding) -> str:
    paths = ", ".join(code_span(p, 80) for p in f.paths[:3])
    more = f" +{len(f.paths) - 3}" if len(f.paths) > 3 else ""
    return _finding_line(f) + (f" · {paths}{more}" if paths else "")


def _expiring_section(d: Digest) -> str:
    text, _ = _packed(
        f":hourglass: *Acks expiring within a day ({len(d.expiring_acks)})*",
        d.expiring_acks[:TOP_LISTED],
        lambda a: _expiring_line(a, d),
        total=len(d.expiring_acks),
        more=lambda n: f"…and {n} more: `/drift acks`",
    )
    return text


def _expiring_line(a: Ack, d: Digest) -> str:
    by = who(a.by)
    left = format_duration(a.expires_at - d.generated_at)
    return (
        f"• {code_span(a.id, 40)} {code_span(str(a.scope), 2 * VALUE)} by {by}, "
        f"expires in {left} — {mrkdwn(a.reason, SUMMARY)}"
    )


UPSTREAM_NAMES: Final = {"argocd": "Argo CD", "kubernetes": "Kubernetes", "redis": "Redis"}


def upstream_down_line(e: ScanError) -> str:
    """An error about a whole upstream (`EVERY_APP`): what failed, and what the digest still is."""
    name = mrkdwn(UPSTREAM_NAMES.get(e.source, e.source), 40)
    also = "This digest shows what Kubernetes says: statuses, stuck apps; drift is unclassified."
    return f":warning: *{name} could not be read*: {mrkdwn(e.message, SUMMARY)}\n{also}"


def _errors_section(d: Digest) -> str:
    apps = _per_app(d)
    text, _ = _packed(
        f":warning: *Could not read {plural(len(apps), 'app')}*; the digest covers the rest",
        apps[:TOP_LISTED],
        lambda e: (
            f"• *{mrkdwn(e.app, VALUE)}* ({mrkdwn(e.source, 40)}): {mrkdwn(e.message, SUMMARY)}"
        ),
        total=len(apps),
        more=lambda n: f"…and {n} more",
    )
    return text


def _error_line(e: ScanError) -> str:
    return f"• *{mrkdwn(e.app, VALUE)}* ({mrkdwn(e.source, 40)}): {mrkdwn(e.message, SUMMARY)}"


def _fallback(d: Digest) -> str:
    """The notification text: one line a phone can show, naming stuck apps first."""
    parts = []
    if d.stuck:
        names = ", ".join(mrkdwn(s.app, 60) for s in d.stuck[:10])
        more = ", …" if len(d.stuck) > 10 else ""
        parts.append(f"{len(d.stuck)} stuck ({names}{more})")
    parts.append(f"{d.open_count} open drift findings, {d.acked_count} acked")
    if d.previous_totals is not None:
        parts.append(f"{len(d.new)} new, {len(d.resolved)} resolved")
    if d.unexplained:
        parts.append(f"{len(d.unexplained)} unexplained")
    if not d.acks_available:
        parts.append("acks not applied (Redis unavailable)")
    return cut(f"Drift digest {when(d.generated_at)}: " + "; ".join(parts), MAX_FALLBACK_CHARS)
