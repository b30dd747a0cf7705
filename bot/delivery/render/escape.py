"""The one escaping policy: how untrusted cluster text becomes safe output (pure).

Cluster data is attacker-controlled: a manifest, a resource name or a log line can say
anything. Every renderer in this package sends such text through exactly one of these doors:

* Slack, outside code — `mrkdwn`: ``&``, ``<``, ``>`` become entities (so ``<!channel>`` pings
  nobody and ``<http://x|y>`` forges no link) and backticks become ``ˋ`` (U+02CB, looks alike but
  is not markup) so a value cannot open a code span. Bounded after escaping, never splitting
  an entity.
* Slack, inside code — `code_span` / `code_block`: the same escaping; a span is one line.
* Our own Slack text that merely *contains* such values (fallback texts) — `escape`.
* The terminal — `terminal`: control characters (ANSI/OSC escapes, carriage returns) become
  U+FFFD, so a log line cannot drive the operator's terminal.

Cuts come in two kinds: `shorten` keeps the head ("…" at the end, for names and messages) and
`middle` keeps head and tail (log lines, whose cause is often at the end: "… Not Found"). `clip`
is the last-resort cut of a finished mrkdwn text that repairs any markup it cuts through.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

FENCE: Final = "```"
_TICK: Final = "\u02cb"
_CONTROL: Final = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters a value could use to drive a terminal (tab and newline are layout)."""


def escape(text: str) -> str:
    """Slack-escape text: ``&``, ``<`` and ``>`` become entities (``&`` first: no double escape)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def neutralise(text: str) -> str:
    """Backticks become ``ˋ`` so cluster text can neither open nor close a code span."""
    return text.replace("`", _TICK)


def mrkdwn(text: str, limit: int | None = None) -> str:
    """Untrusted text shown outside code in Slack: escaped, neutralised, at most ``limit`` long."""
    if limit is None:
        return escape(neutralise(text))
    # Escaping only lengthens text, so a prefix one longer than the limit decides the cut.
    return cut(escape(neutralise(text[: limit + 1])), limit)


def code_span(text: str, limit: int | None = None) -> str:
    """Untrusted text as one-line inline code no value can break out of; blank is ``(empty)``."""
    flat = " ".join(text.split())
    return f"`{mrkdwn(flat, limit)}`" if flat else "(empty)"


def code_block(lines: Sequence[str], limit: int | None = None) -> str:
    """Untrusted lines as a code block; each line cut in the middle to ``limit`` if given."""
    shown = (mrkdwn(middle(line, limit), limit) if limit else mrkdwn(line) for line in lines)
    body = "\n".join(shown) or " "
    return f"{FENCE}\n{body}\n{FENCE}"


def terminal(text: str, limit: int | None = None) -> str:
    """Untrusted text for a terminal: control characters become U+FFFD; optionally shortened."""
    cleaned = _CONTROL.sub("\ufffd", text)
    return cleaned if limit is None else shorten(cleaned, limit)


def shorten(text: str, limit: int) -> str:
    """Keep the head of ``text`` within ``limit`` characters, marking a cut with "…"."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def middle(text: str, limit: int) -> str:
    """Shorten a log line in the middle: its cause is often at the end ("… Not Found")."""
    if len(text) <= limit:
        return text
    tail = limit // 3
    return text[: limit - tail - 1] + "…" + text[-tail:]


def cut(text: str, limit: int) -> str:
    """Shorten already-escaped text without splitting an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head + "…"


def clip(text: str, limit: int) -> str:
    """Cut finished mrkdwn to ``limit`` characters without leaving broken markup behind.

    A cut may land inside ``&amp;``, ``<@U…>`` or a code fence; each is repaired so the result
    is still valid mrkdwn (room for "…" and a closing fence is reserved up front).
    """
    if len(text) <= limit:
        return text
    head = text[: max(limit - len(FENCE) - 2, 0)]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    head = head.rstrip("`") + "…"
    if head.count(FENCE) % 2:
        head += "\n" + FENCE
    return head
