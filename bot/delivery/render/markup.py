"""How each medium marks up the same content: Slack mrkdwn or a (maybe coloured) terminal.

`findings.finding_lines` and friends decide *what* a finding says (which evidence, which
verdict, how values are shortened) once; a `Markup` decides only how it looks, and is the one
place where untrusted text is made safe for its medium (`escape`'s doors). Renderers never
format a cluster value themselves.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from bot.core.model import DriftClass
from bot.delivery.render import escape

SLACK_MAX_NAMES: Final = 5
"""Zombie users, close matches and other lists show this many names in Slack, then a count."""
_SLACK_USER: Final = re.compile(r"[UW][A-Z0-9]{2,20}")


def who(by: str) -> str:
    """Who acked: a real mention for a Slack user id we stored ourselves, else a code span.

    The only mention drift-bot creates on purpose.
    """
    return f"<@{by}>" if _SLACK_USER.fullmatch(by) else escape.code_span(by)


class Markup(Protocol):
    """Safe, styled text for one medium. Every method taking ``text`` treats it as untrusted."""

    @property
    def sep(self) -> str:
        """Between a finding's class tag, its resource and its acked mark."""
        ...

    @property
    def gap(self) -> str:
        """Between the app, resource and acked mark of a one-line finding (digest)."""
        ...

    def tag(self, cls: DriftClass) -> str:
        """``[C] Title`` of a class, emphasised."""
        ...

    def subject(self, text: str) -> str:
        """The untrusted name a block of lines is about (a resource), standing out."""
        ...

    def item(self, text: str) -> str:
        """One line of a list (evidence): bulleted or dimmed."""
        ...

    def strong(self, text: str) -> str:
        """Our own words (not cluster text), emphasised."""
        ...

    def alert(self, text: str) -> str:
        """Our own words that warn (NOT safe to delete)."""
        ...

    def ok(self, text: str) -> str:
        """Our own words that reassure (Safe to delete)."""
        ...

    def quiet(self, text: str) -> str:
        """Our own words of lesser weight (acked, folded counts)."""
        ...

    def prose(self, text: str, limit: int | None) -> str:
        """Untrusted running text (summaries, messages), at most ``limit`` characters."""
        ...

    def value(self, text: str, limit: int | None = None) -> str:
        """One untrusted value inline (a path, a name, a JSON value)."""
        ...

    def names(self, names: Sequence[str]) -> str:
        """A list of untrusted names, folded into a count where the medium is short of room."""
        ...

    def block(self, lines: Sequence[str]) -> list[str]:
        """Untrusted lines to copy as they are (a fix): a code block, or indented lines."""
        ...


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


@dataclass(frozen=True, slots=True)
class SlackMarkup:
    """Slack mrkdwn: values in code spans, everything from the cluster escaped."""

    sep: str = " · "
    gap: str = " "

    def tag(self, cls: DriftClass) -> str:
        return f"*[{cls.letter}] {escape.escape(cls.title)}*"

    def subject(self, text: str) -> str:
        return escape.code_span(text)

    def item(self, text: str) -> str:
        return f"• {text}"

    def strong(self, text: str) -> str:
        return f"*{text}*"

    def alert(self, text: str) -> str:
        return f"*{text}*"

    def ok(self, text: str) -> str:
        return f"*{text}*"

    def quiet(self, text: str) -> str:
        return f"_{text}_"

    def prose(self, text: str, limit: int | None) -> str:
        return escape.mrkdwn(text, limit)

    def value(self, text: str, limit: int | None = None) -> str:
        return escape.code_span(text, limit)

    def names(self, names: Sequence[str]) -> str:
        shown = ", ".join(escape.code_span(name) for name in names[:SLACK_MAX_NAMES])
        hidden = len(names) - SLACK_MAX_NAMES
        return f"{shown} (+{hidden} more)" if hidden > 0 else shown

    def block(self, lines: Sequence[str]) -> list[str]:
        return [escape.code_block(lines)]


@dataclass(frozen=True, slots=True)
class TerminalMarkup:
    """A terminal: colour if the style allows, control characters neutralised, all names."""

    style: Style
    sep: str = "  "
    gap: str = "  "

    def tag(self, cls: DriftClass) -> str:
        tag = f"[{cls.letter}] {cls.title}"
        return self.style.red(tag) if cls is DriftClass.UNEXPLAINED else self.style.cyan(tag)

    def subject(self, text: str) -> str:
        return self.style.bold(escape.terminal(text))

    def item(self, text: str) -> str:
        return self.style.dim(text)

    def strong(self, text: str) -> str:
        return self.style.bold(text)

    def alert(self, text: str) -> str:
        return self.style.red(text)

    def ok(self, text: str) -> str:
        return self.style.green(text)

    def quiet(self, text: str) -> str:
        return self.style.dim(text)

    def prose(self, text: str, limit: int | None) -> str:
        return escape.terminal(text, limit)

    def value(self, text: str, limit: int | None = None) -> str:
        return escape.terminal(text, limit)

    def names(self, names: Sequence[str]) -> str:
        return ", ".join(escape.terminal(name) for name in names)

    def block(self, lines: Sequence[str]) -> list[str]:
        return [f"  {escape.terminal(line)}" for line in lines]
