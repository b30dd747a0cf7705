"""Counted nouns in our own words: "1 more path", "2 more paths" (every medium alike)."""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and the noun agreeing with it: ``plural(1, "path")`` is ``"1 path"``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"
