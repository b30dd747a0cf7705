"""YAML snippets a person pastes into git: values nested under their real parents.

`yaml_at_paths` turns (JSON-pointer segments, value) pairs into one nested block, naming each
list item by its identifying field (``name``, ``mountPath``...) so a reader finds the right
entry; `yaml_scalar` quotes exactly the strings YAML would otherwise read as something else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, Final

from bot.core.model import RawObject
from bot.core.paths import Path, resolve

# Fields that tell list items apart, shown as context so a reader finds the right item.
_IDENTITY_FIELDS: Final = ("name", "secretKey", "mountPath", "containerPort", "port", "devicePath")
_PLAIN: Final = re.compile(r"[A-Za-z_/.][\w./@%+~-]*(?: [\w./@%+~-]+)*")
_YAML_WORDS: Final = frozenset({"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"})

# --- small renderers ------------------------------------------------------------------------


def yaml_scalar(value: Any) -> str:
    """One YAML scalar: plain when unambiguous, else JSON-quoted (valid YAML)."""
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value.lower() not in _YAML_WORDS:
            return value
        return json.dumps(value)
    if isinstance(value, dict | list) and not value:
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value)


def _yaml_value(key: str, value: Any, indent: int, mark: str = "") -> list[str]:
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = [f"{pad}{yaml_scalar(key)}:{mark}"]
        for k, v in value.items():
            lines += _yaml_value(k, v, indent + 2)
        return lines
    if isinstance(value, list) and value:
        lines = [f"{pad}{yaml_scalar(key)}:{mark}"]
        for item in value:
            lines += _yaml_item(item, indent + 2)
        return lines
    return [f"{pad}{yaml_scalar(key)}: {yaml_scalar(value)}{mark}"]


def _yaml_item(item: Any, indent: int) -> list[str]:
    if isinstance(item, dict) and item:
        lines: list[str] = []
        for k, v in item.items():
            lines += _yaml_value(k, v, indent + 2)
        return _dash(lines, indent)
    return [f"{' ' * indent}- {yaml_scalar(item)}"]


def _dash(lines: list[str], indent: int) -> list[str]:
    """Turn the first line of an item's block into its ``- `` line."""
    first = lines[0][indent + 2 :]
    return [f"{' ' * indent}- {first}", *lines[1:]]


class _Leaf:
    __slots__ = ("mark", "value")

    def __init__(self, value: Any, mark: str = "") -> None:
        self.value = value
        self.mark = mark


def yaml_at_paths(
    entries: Iterable[tuple[Path, Any]], *, context: RawObject | None = None, mark: str = ""
) -> str:
    """Render values at their paths as one nested YAML snippet.

    Args:
        entries: (path segments, value) pairs, e.g. from evidence.
        context: The object the paths point into; list items get their identifying field
            (``name``, ``secretKey``...) from it so the reader knows which item is meant.
        mark: A trailing comment for each entry's line (e.g. "delete this line").
    """
    tree: dict[Any, Any] = {}
    for segments, value in entries:
        node = tree
        for depth, segment in enumerate(segments[:-1]):
            node = node.setdefault(segment, {})
            if isinstance(segment, int):
                _add_identity(node, resolve(context, segments[: depth + 1]))
        node[segments[-1]] = _Leaf(value, mark)
    return "\n".join(_render(tree, 0))


def _add_identity(node: dict[Any, Any], item: Any) -> None:
    if not isinstance(item, dict):
        return
    for field in _IDENTITY_FIELDS:
        if field in item and not isinstance(item[field], dict | list):
            node.setdefault(field, _Leaf(item[field]))
            return


def _render(node: dict[Any, Any], indent: int) -> list[str]:
    lines: list[str] = []
    for key, child in node.items():
        if isinstance(child, _Leaf):
            lines += _yaml_value(str(key), child.value, indent, child.mark)
        elif child and all(isinstance(k, int) for k in child):
            lines.append(f"{' ' * indent}{yaml_scalar(str(key))}:")
            lines += _render_list(child, indent + 2)
        else:
            lines.append(f"{' ' * indent}{yaml_scalar(str(key))}:")
            lines += _render(child, indent + 2)
    return lines


def _render_list(node: dict[int, Any], indent: int) -> list[str]:
    lines: list[str] = []
    for index in sorted(node):
        child = node[index]
        if isinstance(child, _Leaf):
            item = _yaml_item(child.value, indent)
            item[0] += child.mark
            lines += item
        else:
            lines += _dash(_render(child, indent + 2), indent)
    return lines
