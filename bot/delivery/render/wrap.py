"""Fit terminal text to the terminal's width without breaking what people copy.

Prose lines (titles, summaries, messages, evidence) wrap at spaces with a hanging indent two
columns deeper, so a wrapped line still reads as part of its item. Two kinds of lines are never
broken, because a reader copies them: the commands and YAML of a fix block (the indented lines
under a "Fix (...)" heading, which a line break would corrupt when pasted) and a single token
longer than the width (a URL, an image reference, a JSON pointer) — those overflow instead.
Comment lines of a fix block (``# ...``) do wrap, each piece a comment again, so the block
stays paste-safe. Log lines (``| ...``) wrap with a ``|`` continuation so they stay readable.

ANSI colour codes contain no spaces, so they stay attached to their word and count zero
columns; a colour that spans a break simply continues on the next line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

FIX_HEADINGS: Final = ("Fix (", "Keep it for now")
"""How `findings.finding_lines` introduces a block to paste (see `findings.fix_heading`)."""
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")
_LOG_MARK: Final = "| "
_COMMENT: Final = "# "


def visible_len(text: str) -> int:
    """Columns ``text`` takes on a terminal (colour codes take none)."""
    return len(_ANSI.sub("", text))


def wrap_text(text: str, width: int | None) -> str:
    """``text`` with every line fitted to ``width`` columns (module docstring); None: as is."""
    if width is None:
        return text
    return "".join(line + "\n" for line in wrap_lines(text.splitlines(), width))


def wrap_lines(lines: Iterable[str], width: int) -> list[str]:
    """The lines fitted to ``width``; fix blocks and unbreakable tokens kept whole."""
    width = max(width, 20)  # below this nothing readable fits; overflow instead of shredding
    fitted: list[str] = []
    block_indent: int | None = None
    for line in lines:
        plain = _ANSI.sub("", line)
        indent = len(plain) - len(plain.lstrip(" "))
        if block_indent is not None and indent > block_indent and plain.strip():
            # Inside a fix block: commands and YAML are never broken; comments stay comments.
            comment = plain.lstrip(" ").startswith(_COMMENT)
            fitted.extend(_wrap(line, indent, width, _COMMENT) if comment else [line])
            continue
        block_indent = indent if plain.lstrip(" ").startswith(FIX_HEADINGS) else None
        log = plain.lstrip(" ").startswith(_LOG_MARK)
        fitted.extend(_wrap(line, indent, width, "|   " if log else "  "))
    return fitted


def _wrap(line: str, indent: int, width: int, continuation: str) -> list[str]:
    """``line`` broken at spaces; each further piece starts with indent + ``continuation``."""
    if visible_len(line) <= width:
        return [line]
    lead = line[:indent]
    words = line[indent:].split(" ")
    hanging = lead + continuation
    out: list[str] = []
    prefix, current = lead, ""
    for word in words:
        candidate = f"{current} {word}" if current else word
        if current and len(prefix) + visible_len(candidate) > width:
            out.append(prefix + current)
            prefix, current = hanging, word
        else:
            current = candidate
    out.append(prefix + current)
    return out
