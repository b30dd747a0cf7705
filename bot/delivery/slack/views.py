"""The ack modal, the App Home tab and the thread replies buttons ask for (pure Block Kit).

Views have their own limits (Slack: a modal or home tab holds at most 100 blocks, a modal
title and its submit/close labels at most 24 characters, ``private_metadata`` at most 3000),
so every view here is built within them; cluster values pass the same escaping doors as
every message (`bot.delivery.render.escape`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from bot.core.acks import expiring
from bot.core.durations import format_duration
from bot.core.model import Ack, DriftClass, Finding, ScanReport
from bot.delivery.render.blocks import Block, Message, context, fit, header, section
from bot.delivery.render.escape import code_span, mrkdwn
from bot.delivery.render.findings import Room, finding_lines
from bot.delivery.render.markup import SlackMarkup
from bot.delivery.render.time import when
from bot.delivery.slack import ids
from bot.delivery.slack.buttons import Buttons

MAX_VIEW_BLOCKS: Final = 100
MAX_TITLE_CHARS: Final = 24
MAX_REASON_CHARS: Final = 500
HOME_STUCK: Final = 10
HOME_UNEXPLAINED: Final = 15
HOME_EXPIRING_WITHIN: Final = timedelta(days=1)
DIFF_ROOM: Final = Room(evidence=40, value=300, summary=1000, fix=2500)
"""A diff reply shows one finding, so it gets more room than `/drift app` gives each."""
VALUE: Final = 120

_SLACK: Final = SlackMarkup()
_LABELS: Final = {"4h": "4 hours", "1d": "1 day", "7d": "7 days", "30d": "30 days"}
View = dict[str, Any]


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(value: str) -> dict[str, Any]:
    return {"text": _plain(_LABELS[value]), "value": value}


# --- the ack modal ----------------------------------------------------------------------------


def ack_modal(target: ids.Target, origin: ids.Origin) -> View:
    """What will be acked (app, resource, class, fingerprint), a reason and a duration."""
    blocks: list[Block] = [
        section(_what(target)),
        context(
            "Stored exactly like "
            f"{code_span('/drift ack ' + str(target.scope), 2 * VALUE)}: it covers this drift "
            "as it is now; if the drift changes, it is reported again. Audited, and it expires."
        ),
        {
            "type": "input",
            "block_id": ids.REASON_BLOCK,
            "label": _plain("Reason"),
            "element": {
                "type": "plain_text_input",
                "action_id": ids.REASON_INPUT,
                "multiline": True,
                "min_length": 1,
                "max_length": MAX_REASON_CHARS,
                "placeholder": _plain("e.g. upstream chart bug, fixed in #123"),
            },
        },
        {
            "type": "input",
            "block_id": ids.DURATION_BLOCK,
            "label": _plain("For"),
            "element": {
                "type": "static_select",
                "action_id": ids.DURATION_INPUT,
                "initial_option": _option(ids.DEFAULT_DURATION),
                "options": [_option(d) for d in ids.DURATIONS],
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": ids.ACK_MODAL,
        "title": _plain("Ack drift"),
        "submit": _plain("Ack"),
        "close": _plain("Cancel"),
        "private_metadata": ids.metadata(target, origin),
        "blocks": blocks,
    }


def _what(target: ids.Target) -> str:
    lines = [f"*App* {code_span(target.app, VALUE)}"]
    if target.kind:
        group = f"{target.group}/" if target.group else ""
        where = f"{target.namespace}/" if target.namespace else ""
        resource = f"{group}{target.kind} {where}{target.name}"
        lines.append(f"*Resource* {code_span(resource, 3 * VALUE)}")
    else:
        lines.append("*Resource* the whole app (its current drift and stuck incident)")
    if target.drift_class in DriftClass.__members__.values():
        cls = DriftClass(target.drift_class)
        lines.append(f"*Class* [{cls.letter}] {cls.title} · `{cls.value}`")
    if target.fingerprint:
        lines.append(f"*Fingerprint* {code_span(target.fingerprint, VALUE)}")
    return "\n".join(lines)


def ack_done(ack: Ack, now: datetime) -> View:
    """The modal after a slow submission finished: what was stored."""
    text = (
        f":white_check_mark: Acked {code_span(str(ack.scope), 2 * VALUE)} for "
        f"{format_duration(ack.expires_at - now)} (until {when(ack.expires_at)}).\n"
        f"Ack id {code_span(ack.id)} · reason: {mrkdwn(ack.reason, MAX_REASON_CHARS)}"
    )
    return _notice("Acked", text)


def ack_failed(message: Message) -> View:
    """The modal after a slow submission failed: why, and that nothing was stored."""
    return _notice("Not acked", message.text + "\nNothing was stored.")


def working() -> View:
    """Shown while a submission takes longer than Slack's 3 s (the result replaces it)."""
    return _notice("Acking…", "Working on it… this view updates when the ack is stored.")


def _notice(title: str, text: str) -> View:
    return {
        "type": "modal",
        "callback_id": ids.ACK_MODAL + "_result",
        "title": _plain(title[:MAX_TITLE_CHARS]),
        "close": _plain("Close"),
        "blocks": [section(text)],
    }


# --- thread replies -----------------------------------------------------------------------------


def diff_reply(finding: Finding) -> Message:
    """Show diff: one finding's evidence (git → live) and its fix, for a thread reply."""
    more = "run " + code_span(f"drift-bot app {finding.app}")
    lines = finding_lines(finding, _SLACK, DIFF_ROOM, more=more)
    head = f"*{mrkdwn(finding.app, VALUE)}* · " + lines[0]
    text = f"Diff of {finding.key} in {finding.app}"
    return fit([section(head), *(section(t) for t in _chunks(lines[1:]))], mrkdwn(text))


def gone_reply(target: ids.Target) -> Message:
    """Show diff on drift that is no longer there (fixed, or changed since the message)."""
    text = (
        f"{code_span(str(target.scope), 2 * VALUE)} no longer drifts as this message showed "
        f"(fixed, or changed since): {code_span('/drift app ' + target.app, VALUE)} shows it now."
    )
    return fit([section(text)], text)


def _chunks(lines: Sequence[str]) -> list[str]:
    out: list[str] = []
    current = ""
    for line in lines:
        if current and len(current) + len(line) + 1 > 2800:
            out.append(current)
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*out, current] if current else out


# --- App Home ---------------------------------------------------------------------------------


def home(report: ScanReport, acks: Sequence[Ack], user: str, buttons: Buttons) -> View:
    """The fleet at a glance for ``user``: stuck apps, unexplained drift, their expiring acks."""
    now = report.generated_at
    t = report.totals
    open_findings = [f for f in report.findings if not f.acked]
    blocks: list[Block] = [
        header("drift-bot · the fleet at a glance"),
        section(
            f"*{t.total}* apps · *{t.out_of_sync}* OutOfSync · *{t.progressing}* Progressing · "
            f"*{t.stuck}* stuck\n{len(open_findings)} open findings, "
            f"{len(report.findings) - len(open_findings)} acked · as of {when(now)}"
        ),
        {"type": "divider"},
    ]
    blocks.append(section(f":rotating_light: *Stuck apps ({len(report.stuck)})*"))
    if not report.stuck:
        blocks.append(context("None: every Progressing app is within DRIFT_STUCK_AFTER."))
    for stuck in report.stuck[:HOME_STUCK]:
        since = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
        blocks.append(section(f"*{mrkdwn(stuck.app, VALUE)}* {mrkdwn(stuck.health, 40)}{since}"))
        blocks.extend(buttons.stuck(stuck))
    blocks.extend(_more(len(report.stuck) - HOME_STUCK, "stuck apps", "drift-bot scan"))
    unexplained = [f for f in open_findings if f.drift_class is DriftClass.UNEXPLAINED]
    blocks.append({"type": "divider"})
    blocks.append(section(f":mag: *Unexplained drift ({len(unexplained)})*"))
    if not unexplained:
        blocks.append(context("None: all open drift matches a known class."))
    for finding in unexplained[:HOME_UNEXPLAINED]:
        blocks.append(section(f"*{mrkdwn(finding.app, VALUE)}* · {_subject(finding)}"))
        blocks.extend(buttons.finding(finding))
    blocks.extend(_more(len(unexplained) - HOME_UNEXPLAINED, "unexplained", "drift-bot scan"))
    mine = [a for a in expiring(acks, now, HOME_EXPIRING_WITHIN) if a.by == user]
    blocks.append({"type": "divider"})
    blocks.append(section(f":hourglass: *Your acks expiring within a day ({len(mine)})*"))
    lines = [
        f"• {code_span(a.id, 40)} {code_span(str(a.scope), 2 * VALUE)} expires in "
        f"{format_duration(a.expires_at - now)} — {mrkdwn(a.reason, 200)}"
        for a in mine[:20]
    ]
    blocks.append(context("\n".join(lines) if lines else "None."))
    return {"type": "home", "callback_id": ids.HOME, "blocks": blocks[:MAX_VIEW_BLOCKS]}


def _subject(finding: Finding) -> str:
    paths = ", ".join(code_span(p, 80) for p in finding.paths[:3])
    return f"{code_span(str(finding.key), 2 * VALUE)}" + (f" · {paths}" if paths else "")


def _more(hidden: int, what: str, command: str) -> list[Block]:
    return [context(f"…and {hidden} more {what}: `{command}`")] if hidden > 0 else []
