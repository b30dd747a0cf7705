"""Who may read diffs and logs through ``/drift`` (``DRIFT_READ_CHANNELS``, ``DRIFT_READ_GROUPS``).

``/drift app`` shows live and desired values of drifted fields and ``/drift logs`` the decisive
lines of crash-looping pods: redacted, but still more than every channel of a workspace should
see. A command may read when it is typed in one of the read channels, or by a member of one of
the read user groups (anywhere). Defaults follow what the team already configured: the digest
channel (``DRIFT_CHANNEL``, which sees the same findings every morning) and the ack group
(``DRIFT_ACK_GROUP``, the people trusted to silence them). ``*`` in the channel list opens every
channel; with nothing configured at all (no channel, no group) reading stays open, since there
is nothing to restrict it to.

The *Show diff* and *Logs* buttons read the same things, so they ask the same policy
(`bot.delivery.slack.interactions`), with the click's ``channel.id`` as the channel. A click
with no channel (App Home) matches no read channel: only the read groups (or an open policy)
let it through, so reading never gets wider because Slack left the channel out.

Pure policy: group membership comes from the caller (the Slack app caches it), so this module
decides without I/O and is tested without Slack.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.delivery.render.blocks import Message, fit, section
from bot.delivery.slack.outcomes import Refusal
from bot.settings import Settings

log = logging.getLogger(__name__)

ANY_CHANNEL = "*"
GUARDED_VERBS = frozenset({"app", "logs"})
"""The commands that show diffs or log lines; the others answer anywhere."""


class ReadRefused(Refusal):
    """This caller may not read diffs and logs here; ``message`` says where and who may."""


@dataclass(frozen=True, slots=True)
class ReadAccess:
    """The read policy: channel ids and user-group ids, resolved from the settings."""

    channels: frozenset[str]
    groups: tuple[str, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadAccess:
        """``DRIFT_READ_*`` when set, else ``DRIFT_CHANNEL`` and ``DRIFT_ACK_GROUP``."""
        channels = settings.drift_read_channels or [settings.drift_channel or ""]
        groups = settings.drift_read_groups or [settings.drift_ack_group or ""]
        return cls(
            frozenset(c for c in channels if c), tuple(dict.fromkeys(g for g in groups if g))
        )

    @property
    def is_open(self) -> bool:
        """Anyone may read anywhere (``*``, or nothing configured to restrict to)."""
        return ANY_CHANNEL in self.channels or not (self.channels or self.groups)

    def allows(self, channel: str, user: str, members: Callable[[str], frozenset[str]]) -> bool:
        """Whether ``user`` typing in ``channel`` may read; ``members`` lists a group's users.

        Groups are asked only when the channel alone does not allow it, in order, stopping at
        the first that has the user. ``members`` may raise; the caller decides what that means.
        """
        if self.is_open or channel in self.channels:
            return True
        return any(user in members(group) for group in self.groups)

    def check(
        self,
        verb: str,
        user: str,
        channel: str,
        members: Callable[[str], frozenset[str]],
        *,
        what: str = "",
    ) -> None:
        """Raise `ReadRefused` when ``verb`` shows diffs or logs and the caller may not read.

        A group whose members cannot be listed (Slack error, missing scope) grants nothing:
        reading fails closed, and the refusal names who else may read. ``what`` names the
        thing refused in the answer when it is not ``/drift <verb>`` (a button).
        """
        if verb not in GUARDED_VERBS:
            return
        try:
            allowed = self.allows(channel, user, members)
        except Exception as exc:  # the delivery edge: a group we cannot list grants nothing
            log.warning("/drift %s: read groups could not be checked: %s", verb, exc)
            allowed = False
        if not allowed:
            raise ReadRefused(self.refusal(verb, what))

    def refusal(self, verb: str, what: str = "") -> Message:
        """The answer to someone who may not read: where and who may, by id (no pings)."""
        where = ", ".join(f"`{c}`" for c in sorted(self.channels)) or "no channel"
        who = ", ".join(f"`{g}`" for g in self.groups) or "no user group"
        subject = what or f"`/drift {verb}`"
        text = (
            f"{subject} shows diffs and logs only in {where} (`DRIFT_READ_CHANNELS`, "
            f"default `DRIFT_CHANNEL`) or to members of {who} (`DRIFT_READ_GROUPS`, default "
            "`DRIFT_ACK_GROUP`). Ask there, or ask an admin to add this channel."
        )
        fallback = f"{what} is not available here." if what else None
        return fit([section(text)], fallback or f"/drift {verb} is not available in this channel.")
