"""The daily digest as one summary message plus a thread reply per drift class (pure).

The summary is what a channel reads: counts, stuck apps first (each with Ack…, Logs and Open
in Argo CD), then unexplained drift (real changes, each with its buttons), then the benign
classes folded into one line each ("details in the thread"). Each class's findings go into
their own thread reply, keyed by the class slug, so `bot.service.digest` can edit exactly
that reply in place (chat.update) when acks change during the day instead of re-posting.
Every message stays within Slack's 50 blocks: the counts below are chosen so that the worst
case (every list full, every item with an ack line and buttons) is 49.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from bot.core.digest import Digest
from bot.core.durations import format_duration
from bot.core.model import DriftClass, Finding
from bot.delivery.render.blocks import Block, context, fit, header, section
from bot.delivery.render.digest import digest_blocks, notices, totals_line
from bot.delivery.render.escape import code_span, mrkdwn
from bot.delivery.render.findings import finding_line
from bot.delivery.render.markup import SlackMarkup
from bot.delivery.render.time import when
from bot.delivery.slack import ids
from bot.delivery.slack.buttons import Buttons
from bot.delivery.slack.links import ArgoLinks
from bot.service.digest import DigestThread

SUMMARY_STUCK: Final = 5
"""Stuck apps with buttons in the summary (3 blocks each at most)."""
SUMMARY_UNEXPLAINED: Final = 6
"""Unexplained findings with buttons in the summary (3 blocks each at most)."""
PER_REPLY: Final = 14
"""Findings with buttons per class reply: 1 + 14 × 3 + fold line + acked line = 45 blocks."""
VALUE: Final = 120

_SLACK: Final = SlackMarkup()


@dataclass(frozen=True, slots=True)
class DigestThreads:
    """Renders a `Digest` as summary + replies; ``links`` draws the Argo CD buttons."""

    links: ArgoLinks

    def __call__(self, d: Digest) -> DigestThread:
        return DigestThread(summary=self.summary(d), replies=tuple(self.replies(d)))

    def summary(self, d: Digest) -> tuple[list[Block], str]:
        buttons = self._buttons(d)
        blocks: list[Block] = [header(f"Drift digest · {when(d.generated_at)}"), *notices(d)]
        blocks.append(section(totals_line(d)))
        if not d.acks_available:
            blocks.append(
                section(":warning: The ack store (Redis) is unavailable: acks were *not* applied.")
            )
        if d.stuck:
            blocks.append(section(f":rotating_light: *Stuck apps ({len(d.stuck)})*"))
        for stuck in d.stuck[:SUMMARY_STUCK]:
            since = f" for {format_duration(d.generated_at - stuck.since)}" if stuck.since else ""
            reasons = sorted({p.reason for p in stuck.pods})
            why = f" · {mrkdwn(', '.join(reasons), 200)}" if reasons else ""
            acked = " _(acked)_" if stuck.app in d.acked_stuck else ""
            blocks.append(
                section(
                    f"*{mrkdwn(stuck.app, VALUE)}* {mrkdwn(stuck.health, 40)}{since}{why}{acked}"
                )
            )
            blocks.extend(buttons.stuck(stuck))
        blocks.extend(_more(len(d.stuck) - SUMMARY_STUCK, "stuck apps: `drift-bot scan`"))
        unexplained = [f for f in d.unexplained if not f.acked]
        if unexplained:
            blocks.append(
                section(
                    f":mag: *Unexplained drift ({len(unexplained)})* — matches no benign class; "
                    "someone or something changed these:"
                )
            )
        for finding in unexplained[:SUMMARY_UNEXPLAINED]:
            blocks.append(section(_line(finding)))
            blocks.extend(buttons.finding(finding))
        blocks.extend(_more(len(unexplained) - SUMMARY_UNEXPLAINED, "unexplained: in the thread"))
        folded = [
            f"[{cls.letter}] {cls.title} · `{cls.value}` · {len(findings)} open"
            + (f", {d.acked_counts[cls]} acked" if d.acked_counts.get(cls) else "")
            for cls, findings in d.by_class.items()
            if cls.benign
        ]
        if folded:
            blocks.append(
                section("*Benign drift, folded* (details in the thread)\n" + "\n".join(folded))
            )
        if d.acked_count:
            blocks.append(context(f"{d.acked_count} acked findings folded — `/drift acks`"))
        message = fit(blocks, digest_blocks(d)[1])
        return message.blocks, message.text

    def replies(self, d: Digest) -> list[tuple[str, list[Block], str]]:
        out = []
        for cls, findings in d.by_class.items():
            out.append((cls.value, *self._reply(d, cls, findings)))
        for cls, acked in d.acked_counts.items():
            if cls not in d.by_class and acked:
                text = f"*[{cls.letter}] {cls.title}* · `{cls.value}` · all {acked} acked"
                out.append((cls.value, [section(text)], text))
        return out

    def _reply(
        self, d: Digest, cls: DriftClass, findings: Sequence[Finding]
    ) -> tuple[list[Block], str]:
        buttons = self._buttons(d)
        acked = d.acked_counts.get(cls, 0)
        head = f"*[{cls.letter}] {cls.title}* · `{cls.value}` · {len(findings)} open" + (
            f", {acked} acked" if acked else ""
        )
        blocks: list[Block] = [section(head)]
        for finding in findings[:PER_REPLY]:
            blocks.append(section(_line(finding)))
            blocks.extend(buttons.finding(finding))
        blocks.extend(
            _more(len(findings) - PER_REPLY, "in this class: `drift-bot scan` lists them")
        )
        text = f"[{cls.letter}] {cls.title}: {len(findings)} open, {acked} acked"
        message = fit(blocks, text)
        return message.blocks, message.text

    def _buttons(self, d: Digest) -> Buttons:
        return Buttons(self.links, now=d.generated_at, surface=ids.SURFACE_DIGEST)


def _line(f: Finding) -> str:
    line = finding_line(f.drift_class, f.app, f.key, f.summary, _SLACK, lead="• ", acked=f.acked)
    paths = ", ".join(code_span(p, 80) for p in f.paths[:3])
    more = f" +{len(f.paths) - 3}" if len(f.paths) > 3 else ""
    return line + (f" · {paths}{more}" if paths else "")


def _more(hidden: int, what: str) -> list[Block]:
    return [context(f"…and {hidden} more {what}")] if hidden > 0 else []
