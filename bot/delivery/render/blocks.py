"""Block Kit primitives and the guard that keeps every message within Slack's limits (pure).

Every Slack message drift-bot sends is built from `header`, `section` and `context` and passes
`fit` last, so two promises hold for ANY input: Slack never rejects it (`limits`), and the
mrkdwn objects are ``verbatim`` so Slack does not auto-link names or channels found in cluster
text (manual mentions we write on purpose, ``<@U…>`` and ``<!subteam^…>``, still work).
Escaping of the values inside is `escape`'s job, done before text reaches these builders.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.delivery.render.escape import clip, cut, escape
from bot.delivery.render.limits import (
    MAX_BLOCKS,
    MAX_FALLBACK_CHARS,
    MAX_FIELD_CHARS,
    MAX_FIELDS,
    MAX_HEADER_CHARS,
    MAX_SECTION_CHARS,
    MESSAGE_BUDGET_CHARS,
)

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    """One Slack message: Block Kit blocks plus the fallback text notifications show."""

    blocks: list[Block]
    text: str


def header(text: str) -> Block:
    """A header line: one line, escaped, cut; emoji codes in it stay literal text.

    Plain text has no markup to repair, so the cut only keeps entities whole (`cut`).
    """
    plain = cut(escape(" ".join(text.split())), MAX_HEADER_CHARS)
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": False}}


def section(mrkdwn: str) -> Block:
    """A mrkdwn section (already escaped text), clipped to Slack's section limit."""
    clipped = clip(mrkdwn, MAX_SECTION_CHARS)
    return {"type": "section", "text": {"type": "mrkdwn", "text": clipped, "verbatim": True}}


def context(mrkdwn: str) -> Block:
    """A small grey line under the main content (already escaped text)."""
    element = {"type": "mrkdwn", "text": clip(mrkdwn, MAX_SECTION_CHARS), "verbatim": True}
    return {"type": "context", "elements": [element]}


def fit(blocks: Sequence[Block], text: str, *, more: str = "run `drift-bot`") -> Message:
    """Clamp any blocks and fallback text to Slack's hard limits (the last line of defence).

    Renderers fold long answers themselves; this catches whatever slips through, including
    blocks built elsewhere (the digest preview, the escalation ping).
    """
    clamped = [_clamp_block(block) for block in blocks]
    if len(clamped) > MAX_BLOCKS:
        hidden = len(clamped) - (MAX_BLOCKS - 1)
        clamped = [*clamped[: MAX_BLOCKS - 1], section(f"…and {hidden} more — {more}")]
    return Message(blocks=clamped, text=clip(text, MAX_FALLBACK_CHARS))


def fill(texts: Iterable[str], *, used: Sequence[Block], reserve: int) -> list[str]:
    """The leading ``texts`` that fit after ``used`` within the block and character budgets.

    ``reserve`` blocks stay free for the fold and error lines. The first text is always taken
    (clipped later if need be), so an answer never consists of a fold line alone. Lazy: with
    10,000 findings only the few that fit are ever rendered.
    """
    room = MAX_BLOCKS - len(used) - reserve
    chars = sum(len(block_text(block)) for block in used)
    taken: list[str] = []
    for text in texts:
        size = min(len(text), MAX_SECTION_CHARS)
        if len(taken) >= room or (taken and chars + size > MESSAGE_BUDGET_CHARS):
            break
        chars += size
        taken.append(text)
    return taken


def chunks(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into texts of at most ``limit`` characters (a longer line is clipped later)."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > limit:
            out.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        out.append("\n".join(current))
    return out


def block_text(block: Block) -> str:
    """The main text of a block ("" for dividers and the like)."""
    text = block.get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def _clamp_block(block: Block) -> Block:
    kind = block.get("type")
    limit = MAX_HEADER_CHARS if kind == "header" else MAX_SECTION_CHARS
    out = dict(block)
    text = out.get("text")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        out["text"] = {**text, "text": clip(text["text"], limit)}
    if kind == "section" and isinstance(out.get("fields"), list):
        out["fields"] = [_clamp_text(f, MAX_FIELD_CHARS) for f in out["fields"][:MAX_FIELDS]]
    if kind == "context" and isinstance(out.get("elements"), list):
        elements = out["elements"][:MAX_FIELDS]
        out["elements"] = [_clamp_text(e, MAX_SECTION_CHARS) for e in elements]
    return out


def _clamp_text(obj: Any, limit: int) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return {**obj, "text": clip(obj["text"], limit)}
    return obj
