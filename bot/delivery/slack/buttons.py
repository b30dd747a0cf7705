"""The buttons on drift-bot's Slack messages, and the answers that carry them (pure).

Every finding shown gets an actions block: *Ack…* (opens the ack modal), *Show diff* (its
evidence and fix in a thread reply), and *Open in Argo CD* (a URL button to that resource's
diff tab). Every stuck app gets *Ack…* (the whole app, which covers the incident and stops
re-pings), *Logs* and *Open in Argo CD*. An item an ack covers shows who acked it until when
and, instead of *Ack…*, *Unack* (the handler checks the ack group, as ``/drift unack`` does).

Buttons are drawn from model objects only; the ids are `ids`, the values `ids.Target`. No
cluster text reaches a button label: labels are our words; names live in values and URLs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any, Final

from bot.core.model import Ack, AppReport, Finding, StuckApp
from bot.delivery.render import answers
from bot.delivery.render.blocks import Block, Message, context, fit
from bot.delivery.render.escalation import escalation_message
from bot.delivery.render.escape import mrkdwn
from bot.delivery.render.markup import who
from bot.delivery.render.time import when
from bot.delivery.slack import ids
from bot.delivery.slack.links import ArgoLinks

MAX_REASON_CHARS: Final = 300


def button(
    label: str, action_id: str, *, value: str | None = None, url: str | None = None
) -> Block | None:
    """A button (None when its value could not be encoded within Slack's limits)."""
    element: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": label, "emoji": True},
        "action_id": action_id,
    }
    if url is not None:
        element["url"] = url
    elif value is None:
        return None
    if value is not None:
        element["value"] = value
    return element


@dataclass
class Buttons:
    """Draws the buttons of one message; block_ids are numbered so each is unique in it."""

    links: ArgoLinks
    acks: Sequence[Ack] = ()
    """Acks in force, to say who acked an item and offer *Unack* instead of *Ack…*."""
    now: datetime | None = None
    surface: str = ids.SURFACE_APP
    """Which message this is (`ids.SURFACES`): after an ack, the handler redraws it."""
    _serial: Iterator[int] = field(default_factory=lambda: count(1))

    def finding(self, finding: Finding) -> list[Block]:
        """[acked line,] Ack…/Unack, Show diff and Open in Argo CD for one finding."""
        k = finding.key
        target = ids.Target(
            app=finding.app,
            kind=k.kind,
            name=k.name,
            group=k.group,
            namespace=k.namespace,
            drift_class=str(finding.drift_class),
            fingerprint=finding.fingerprint,
        )
        ack = self.ack_of(target.fingerprint)
        value = target.encode()
        elements = [
            self._ack_button(value, ids.ACK, ack),
            button("Show diff", ids.SHOW_DIFF, value=value),
            self._open(self.links.resource(finding.app, k)),
        ]
        return self._blocks(elements, ack)

    def stuck(self, stuck: StuckApp, *, logs: bool = True) -> list[Block]:
        """[acked line,] Ack… (the whole app), Logs and Open in Argo CD for one stuck app."""
        target = ids.Target(app=stuck.app, fingerprint=stuck.fingerprint)
        ack = self.ack_of(target.fingerprint)
        value = target.encode()
        elements = [
            self._ack_button(value, ids.ACK_APP, ack),
            button("Logs", ids.LOGS, value=value) if logs else None,
            self._open(self.links.app(stuck.app)),
        ]
        return self._blocks(elements, ack)

    def ack_of(self, fingerprint: str) -> Ack | None:
        """The ack in force covering ``fingerprint`` (the latest to expire), if any."""
        now = self.now
        covering = [
            a
            for a in self.acks
            if fingerprint in a.fingerprints and (now is None or now < a.expires_at)
        ]
        return max(covering, key=lambda a: a.expires_at) if covering else None

    def _ack_button(self, value: str | None, action_id: str, ack: Ack | None) -> Block | None:
        if ack is not None:
            return button("Unack", ids.UNACK, value=value)
        return button("Ack…", action_id, value=value)

    def _open(self, url: str | None) -> Block | None:
        return button("Open in Argo CD", ids.OPEN_ARGOCD, url=url) if url else None

    def _blocks(self, elements: Sequence[Block | None], ack: Ack | None) -> list[Block]:
        out = [context(acked_text(ack))] if ack is not None else []
        shown = [e for e in elements if e is not None]
        if shown:
            block_id = ids.actions_block(self.surface, next(self._serial))
            out.append({"type": "actions", "block_id": block_id, "elements": shown})
        return out


def acked_text(ack: Ack) -> str:
    """ "Acked by @x until … — reason" (the reason is cluster-adjacent user text: escaped)."""
    reason = mrkdwn(" ".join(ack.reason.split()), MAX_REASON_CHARS)
    return f":white_check_mark: Acked by {who(ack.by)} until {when(ack.expires_at)} — {reason}"


# --- interactive answers --------------------------------------------------------------------


def app_answer(report: AppReport, buttons: Buttons) -> Message:
    """`/drift app NAME` with buttons on every finding shown and on the stuck app."""
    return answers.app_report(
        report, actions=buttons.finding, stuck_actions=lambda s: buttons.stuck(s)
    )


def logs_answer(stuck: StuckApp, now: datetime, buttons: Buttons) -> Message:
    """`/drift logs NAME` with Ack… and Open in Argo CD (Logs would repeat this answer)."""
    return answers.stuck_app(stuck, now, actions=buttons.stuck(stuck, logs=False))


def escalation(
    stuck: StuckApp, mention: str, now: datetime, buttons: Buttons
) -> tuple[list[Block], str]:
    """The on-call ping with Ack…, Logs and Open in Argo CD under its headline."""
    blocks, text = escalation_message(stuck, mention, now)
    message = fit([blocks[0], *buttons.stuck(stuck), *blocks[1:]], text)
    return message.blocks, message.text
