"""Field paths and JSON values: pointers (RFC 6901), walking by segments, strict equality.

A path is a tuple of segments, ``str`` for a map key and ``int`` for a list index. Evidence,
fixes and ``ignoreDifferences`` entries speak JSON pointers, so every pointer we show is built
here, with ``~0``/``~1`` escaping done in one place (annotation keys like
``checksum/config`` are where hand-rolled escaping usually goes wrong).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeAlias

from bot.core.model import ABSENT

Segment: TypeAlias = str | int
Path: TypeAlias = tuple[Segment, ...]


def escape(segment: Segment) -> str:
    """Escape one segment for a JSON pointer: ``~`` → ``~0`` first, then ``/`` → ``~1``."""
    return str(segment).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    """Undo `escape` (``~1`` before ``~0``, as RFC 6901 §4 requires)."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(segments: Sequence[Segment]) -> str:
    """Render segments as a JSON pointer; the empty path is ``""`` (the whole document)."""
    return "".join("/" + escape(s) for s in segments)


def split(text: str) -> Path:
    """Parse a JSON pointer into segments; all-digit tokens become list indices."""
    if not text:
        return ()
    return tuple(_token(t) for t in text.split("/")[1:])


def _token(raw: str) -> Segment:
    token = unescape(raw)
    return int(token) if token.isdigit() else token


def resolve(doc: Any, segments: Sequence[Segment]) -> Any:
    """The value at ``segments`` inside ``doc``, or ``ABSENT`` when any step is missing."""
    node = doc
    for segment in segments:
        if not _has(node, segment):
            return ABSENT
        node = node[segment]
    return node


def _has(node: Any, segment: Segment) -> bool:
    if isinstance(segment, int):
        return isinstance(node, list) and 0 <= segment < len(node)
    return isinstance(node, dict) and segment in node


def dotted(segments: Sequence[Segment]) -> str:
    """A human spelling for summaries: ``spec.data[0].remoteRef``."""
    out = ""
    for segment in segments:
        out += f"[{segment}]" if isinstance(segment, int) else f".{segment}"
    return out.lstrip(".")


def json_equal(a: Any, b: Any) -> bool:
    """Equality as JSON means it: ``true`` is not ``1`` (``True == 1`` would hide a change)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(v, b[k]) for k, v in a.items())
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict | list) or isinstance(b, dict | list):
        return False
    return bool(a == b)
