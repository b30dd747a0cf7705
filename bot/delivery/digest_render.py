"""Rendering the daily digest: terminal text and Slack Block Kit (pure, no Slack client).

Slack rejects a message outright when one limit is broken (50 blocks, 3000 characters per
section, 40,000 characters of fallback text), and a cluster can have thousands of findings,
so every section here is *packed*: lines are added while they fit and the rest is folded into
"…and N more". Each line is itself bounded, so packing always makes progress and rendering
stays linear in what is shown, not in what exists.

Everything that came from the cluster (app and resource names, summaries, log lines) is
untrusted text: `escape` turns ``&``, ``<``, ``>`` into entities so a manifest or a log line
cannot mention ``@channel`` or forge a link, and code spans swap backticks for ``ˋ`` so a
value cannot close its own code span. The terminal rendering replaces control characters
instead, so a log line cannot drive the terminal with escape sequences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

from bot.core.digest import Digest, FindingRef
from bot.core.durations import format_duration
from bot.core.model import (
    Ack,
    DriftClass,
    Finding,
    PodDiagnosis,
    ResourceKey,
    StuckApp,
    Totals,
)

T = TypeVar("T")
Block = dict[str, Any]

MAX_BLOCKS: Final = 50
MAX_SECTION_CHARS: Final = 3000
MAX_FALLBACK_CHARS: Final = 40_000
MAX_HEADER_CHARS: Final = 150

TOP_PER_CLASS: Final = 8
"""Resources named per class in Slack; the digest points at drift, `/drift app` details it."""
TOP_LISTED: Final = 10
"""New, resolved, expiring-ack and error lines named in Slack before folding."""
TOP_STUCK_SECTIONS: Final = 5
PODS_PER_STUCK_APP: Final = 3
LOG_LINES_PER_POD: Final = 3
UNEXPLAINED_SECTIONS: Final = 8
"""Unexplained drift is never folded into a count: it gets up to this many full sections."""
TEXT_TOP_PER_CLASS: Final = 20
"""The terminal has room for more, but the digest stays a summary (`drift-bot scan` is all)."""

_VALUE: Final = 120
"""Longest single cluster value (name, namespace) shown, after escaping."""
_SUMMARY: Final = 300
_LOG_LINE: Final = 200
_MORE_RESERVE: Final = 400
"""Room kept in every section for its "…and N more" line."""

_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SLACK_USER: Final = re.compile(r"[UW][A-Z0-9]{2,}")
_TREND_UP: Final = "↑"
_TREND_DOWN: Final = "↓"


# --- escaping (shared with the Slack renderer) --------------------------------------------


def escape(text: str) -> str:
    """Slack mrkdwn-escape untrusted text: ``&``, ``<`` and ``>`` become entities.

    Without this, ``<!channel>`` in a manifest pings everyone and ``<http://x|y>`` forges a
    link. ``&`` goes first so the entities we add are not escaped twice.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code_span(text: str, limit: int = _VALUE) -> str:
    """Untrusted text as an inline code span that no value can break out of."""
    cleaned = text.replace("`", "ˋ").replace("\n", " ")
    return f"`{_esc(cleaned, limit)}`" if cleaned.strip() else "(empty)"


def code_block(lines: Sequence[str], limit: int = _LOG_LINE) -> str:
    """Untrusted lines as a code block; backticks swapped so a line cannot close the fence."""
    body = "\n".join(_esc(middle(line, limit).replace("`", "ˋ"), limit) for line in lines)
    return f"```\n{body}\n```"


def _esc(text: str, limit: int) -> str:
    """Escape ``text`` and keep the result within ``limit`` characters."""
    # Escaping only lengthens text, so a prefix one longer than the limit decides the cut.
    # Backticks are swapped too: outside a code span, one from the cluster would open one.
    return _cut(escape(text[: limit + 1].replace("`", "ˋ")), limit)


def middle(text: str, limit: int) -> str:
    """Shorten a log line in the middle: its cause is often at the end ("… Not Found")."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - tail - 1] + "…" + text[-tail:]


def _cut(text: str, limit: int) -> str:
    """Shorten already-escaped text without splitting an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head + "…"


# --- Slack Block Kit ----------------------------------------------------------------------


def digest_blocks(d: Digest) -> tuple[list[Block], str]:
    """The digest as Block Kit blocks plus the notification/fallback text, within limits.

    The block count is bounded by construction, whatever the input: header 1, stuck 6,
    warning 1, totals 1, changes 2, divider 1, classes 7, acked 1, unexplained 8, expiring 1,
    errors 1 — at most 30 of Slack's 50.
    """
    blocks: list[Block] = [_header(f"Drift digest · {_when(d.generated_at)}")]
    blocks.extend(_section(text) for text in _stuck_sections(d))
    if not d.acks_available:
        blocks.append(
            _section(
                ":warning: The ack store (Redis) is unavailable: acks were *not* applied, "
                "so acknowledged drift is shown as open."
            )
        )
    blocks.append(_section(_totals_line(d)))
    blocks.extend(_section(text) for text in _change_sections(d))
    blocks.append({"type": "divider"})
    blocks.extend(_section(text) for text in _class_sections(d))
    if d.acked_counts:
        blocks.append(_context(_acked_line(d)))
    blocks.extend(_section(text) for text in _unexplained_sections(d))
    if d.expiring_acks:
        blocks.append(_section(_expiring_section(d)))
    if d.errors:
        blocks.append(_section(_errors_section(d)))
    return blocks, _fallback(d)


def _header(text: str) -> Block:
    plain = text if len(text) <= MAX_HEADER_CHARS else text[: MAX_HEADER_CHARS - 1] + "…"
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": True}}


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


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
    budget = MAX_SECTION_CHARS - _MORE_RESERVE - len(head) - 1
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
        lines.append(_cut(more(left), _MORE_RESERVE - 1))
    return "\n".join(lines), index


def _stuck_sections(d: Digest) -> list[str]:
    if not d.stuck:
        return []
    shown = d.stuck[:TOP_STUCK_SECTIONS]
    sections = [_stuck_app(s, d, first=i == 0) for i, s in enumerate(shown)]
    rest = d.stuck[TOP_STUCK_SECTIONS:]
    if rest:
        head = f"*…and {len(rest)} more stuck apps:*"
        text, _ = _packed(
            head,
            rest,
            lambda s: f"• *{_esc(s.app, _VALUE)}* {_esc(s.health, _VALUE)}{_age(s.since, d)}",
            more=lambda n: f"…and {n} more: `drift-bot scan` lists them all",
        )
        sections.append(text)
    return sections


def _stuck_app(stuck: StuckApp, d: Digest, *, first: bool) -> str:
    title = f":rotating_light: *Stuck apps ({len(d.stuck)})*\n" if first else ""
    acked = " _(acked)_" if stuck.app in d.acked_stuck else ""
    head = (
        f"{title}*{_esc(stuck.app, _VALUE)}* {_esc(stuck.health, _VALUE)}"
        f"{_age(stuck.since, d)}{acked}"
    )
    if not stuck.pods:
        return head + "\nNo unhealthy pods found for its workloads."
    text, _ = _packed(
        head,
        stuck.pods[:PODS_PER_STUCK_APP],
        lambda p: _pod_lines(p, d),
        total=len(stuck.pods),
        more=lambda n: f"…and {n} more pods: `/drift logs {_esc(stuck.app, _VALUE)}`",
    )
    return text


def _pod_lines(pod: PodDiagnosis, d: Digest) -> str:
    age = f", age {format_duration(d.generated_at - pod.started_at)}" if pod.started_at else ""
    line = (
        f"• {code_span(f'{pod.namespace}/{pod.name}')} container {code_span(pod.container)}: "
        f"*{_esc(pod.reason, _VALUE)}*, {pod.restarts} restarts{age}"
    )
    if pod.log:
        line += "\n" + code_block(pod.log[:LOG_LINES_PER_POD])
    return line


def _age(since: datetime | None, d: Digest) -> str:
    return f" for {format_duration(d.generated_at - since)}" if since else ""


def _totals_line(d: Digest) -> str:
    labels = ("apps", "OutOfSync", "Progressing", "stuck")
    today = _counts(d.totals)
    before: Sequence[int | None] = (
        _counts(d.previous_totals) if d.previous_totals else (None,) * len(labels)
    )
    parts = [
        f"*{n}* {label}{_trend(n, b)}" for label, n, b in zip(labels, today, before, strict=True)
    ]
    counts = f"{d.open_count} open findings, {d.acked_count} acked"
    if not d.open_count and not d.acked_count:
        counts = "no drift: every resource is Synced"
    return " · ".join(parts) + f"\n{counts}"


def _counts(t: Totals) -> tuple[int, int, int, int]:
    return (t.total, t.out_of_sync, t.progressing, t.stuck)


def _trend(now: int, before: int | None) -> str:
    """`` ↑3``/`` ↓2``/`` =`` against yesterday; nothing without a snapshot."""
    if before is None:
        return ""
    delta = now - before
    if delta > 0:
        return f" {_TREND_UP}{delta}"
    if delta < 0:
        return f" {_TREND_DOWN}{-delta}"
    return " ="


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
    acked = " _(acked)_" if f.acked else ""
    return (
        f"• [{f.drift_class.letter}] *{_esc(f.app, _VALUE)}* {_resource(f.key)}{acked}"
        f" — {_esc(f.summary, _SUMMARY)}"
    )


def _ref_line(r: FindingRef) -> str:
    return (
        f"• [{r.drift_class.letter}] *{_esc(r.app, _VALUE)}* {_resource(r.key)}"
        f" — was: {_esc(r.summary, _SUMMARY)}"
    )


def _resource(key: ResourceKey) -> str:
    where = f" in {_esc(key.namespace, _VALUE)}" if key.namespace else ""
    return code_span(f"{key.kind}/{key.name}", 2 * _VALUE) + where


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
    shown = ", ".join(f"{_esc(app, 60)} {n}" for app, n in counts)
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
    by = f"<@{a.by}>" if _SLACK_USER.fullmatch(a.by) else _esc(a.by, _VALUE)
    left = format_duration(a.expires_at - d.generated_at)
    return (
        f"• {code_span(a.id, 40)} {code_span(str(a.scope), 2 * _VALUE)} by {by}, "
        f"expires in {left} — {_esc(a.reason, _SUMMARY)}"
    )


def _errors_section(d: Digest) -> str:
    text, _ = _packed(
        f":warning: *Could not read {len(d.errors)} app(s)*; the digest covers the rest",
        d.errors[:TOP_LISTED],
        lambda e: f"• *{_esc(e.app, _VALUE)}* ({_esc(e.source, 40)}): {_esc(e.message, _SUMMARY)}",
        total=len(d.errors),
        more=lambda n: f"…and {n} more",
    )
    return text


def _fallback(d: Digest) -> str:
    """The notification text: one line a phone can show, naming stuck apps first."""
    parts = []
    if d.stuck:
        names = ", ".join(_esc(s.app, 60) for s in d.stuck[:10])
        more = ", …" if len(d.stuck) > 10 else ""
        parts.append(f"{len(d.stuck)} stuck ({names}{more})")
    parts.append(f"{d.open_count} open drift findings, {d.acked_count} acked")
    if d.previous_totals is not None:
        parts.append(f"{len(d.new)} new, {len(d.resolved)} resolved")
    if d.unexplained:
        parts.append(f"{len(d.unexplained)} unexplained")
    if not d.acks_available:
        parts.append("acks not applied (Redis unavailable)")
    return _cut(f"Drift digest {_when(d.generated_at)}: " + "; ".join(parts), MAX_FALLBACK_CHARS)


# --- terminal -----------------------------------------------------------------------------


def digest_text(d: Digest) -> str:
    """The digest for a terminal: same order as Slack, more room, control characters removed."""
    lines = [f"Drift digest · {_when(d.generated_at)}", ""]
    lines.extend(_text_stuck(d))
    if not d.acks_available:
        lines += [
            "! Ack store (Redis) unavailable: acks were NOT applied; acked drift shows open.",
            "",
        ]
    lines += [_plain_markup(_totals_line(d)), ""]
    lines.extend(_text_changes(d))
    lines.extend(_text_classes(d))
    if d.acked_counts:
        parts = [f"[{cls.letter}] {cls.value} {n}" for cls, n in d.acked_counts.items()]
        lines += [f"Acked ({d.acked_count}), folded: " + " · ".join(parts), ""]
    if d.unexplained:
        lines.append(f"UNEXPLAINED ({len(d.unexplained)}) — matches no benign class:")
        lines.extend(_text_finding(f) + _text_paths(f) for f in d.unexplained)
        lines.append("")
    if d.expiring_acks:
        lines.append(f"Acks expiring within a day ({len(d.expiring_acks)}):")
        lines.extend(_text_expiring(a, d) for a in d.expiring_acks)
        lines.append("")
    if d.errors:
        lines.append(f"Could not read {len(d.errors)} app(s):")
        lines.extend(
            f"  {_plain(e.app)} [{_plain(e.source)}]: {_plain(e.message)}" for e in d.errors
        )
    return "\n".join(lines).rstrip() + "\n"


def _plain(text: str, limit: int = 300) -> str:
    """Untrusted text made safe for a terminal: no control characters, bounded length."""
    cleaned = _CONTROL.sub("?", text)
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"


def _plain_markup(mrkdwn: str) -> str:
    """Our own totals line without Slack's bold markers (it holds no cluster values)."""
    return mrkdwn.replace("*", "")


def _text_stuck(d: Digest) -> list[str]:
    if not d.stuck:
        return []
    lines = [f"STUCK ({len(d.stuck)}) — read these first"]
    for s in d.stuck:
        acked = "  (acked)" if s.app in d.acked_stuck else ""
        lines.append(f"  {_plain(s.app)}  {_plain(s.health)}{_age(s.since, d)}{acked}")
        for pod in s.pods:
            age = (
                f", age {format_duration(d.generated_at - pod.started_at)}"
                if pod.started_at
                else ""
            )
            lines.append(
                f"    pod {_plain(pod.namespace)}/{_plain(pod.name)} container "
                f"{_plain(pod.container)}: {_plain(pod.reason)}, {pod.restarts} restarts{age}"
            )
            lines.extend(f"      | {_plain(middle(line, 300))}" for line in pod.log)
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
            lines.append(f"  …and {len(rest)} more ({_plain(_by_app_plain(rest))})")
        lines.append("")
    return lines


def _by_app_plain(findings: Sequence[Finding]) -> str:
    counts = Counter(f.app for f in findings).most_common(5)
    return ", ".join(f"{app} {n}" for app, n in counts)


def _text_more(rest: int) -> list[str]:
    return [f"  …and {rest} more"] if rest > 0 else []


def _text_finding(f: Finding, mark: str = " ") -> str:
    acked = "  (acked)" if f.acked else ""
    return (
        f" {mark}[{f.drift_class.letter}] {_plain(f.app)}  {_text_key(f.key)}{acked}"
        f" — {_plain(f.summary)}"
    )


def _text_ref(r: FindingRef) -> str:
    where = f"{_plain(r.app)}  {_text_key(r.key)}"
    return f" -[{r.drift_class.letter}] {where} — was: {_plain(r.summary)}"


def _text_paths(f: Finding) -> str:
    return f" · {', '.join(_plain(p, 120) for p in f.paths)}" if f.paths else ""


def _text_key(key: ResourceKey) -> str:
    where = f" in {_plain(key.namespace)}" if key.namespace else ""
    return f"{_plain(key.kind)}/{_plain(key.name)}{where}"


def _text_expiring(a: Ack, d: Digest) -> str:
    left = format_duration(a.expires_at - d.generated_at)
    return (
        f"  {_plain(a.id)}  {_plain(str(a.scope))} by {_plain(a.by)}, expires in {left}"
        f" — {_plain(a.reason)}"
    )


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M %Z").strip()
