"""Label and field selectors with the Kubernetes grammar, so list filters behave like the server's.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``,
comma-separated (AND). Field selectors: ``=``, ``==``, ``!=`` on ``metadata.name`` and
``metadata.namespace`` for every kind, plus the fields the API server indexes for pods.
A malformed selector raises `SelectorError`, which the API turns into a 400 ``Status``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Final

Predicate = Callable[[Mapping[str, Any]], bool]

_KEY: Final = r"(?:[A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?"
_VALUE: Final = r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET: Final = re.compile(rf"^({_KEY})\s+(in|notin)\s+\(\s*([^)]*)\)$")
_EQUALITY: Final = re.compile(rf"^({_KEY})\s*(==|=|!=)\s*({_VALUE})$")
_EXISTS: Final = re.compile(rf"^(!?)\s*({_KEY})$")

POD_FIELDS: Final = frozenset(
    {
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "spec.hostNetwork",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    }
)
_COMMON_FIELDS: Final = frozenset({"metadata.name", "metadata.namespace"})


class SelectorError(ValueError):
    """The selector does not parse; the message mimics the API server's."""


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def label_selector(selector: str) -> Predicate:
    """A predicate over an object's ``metadata.labels``."""
    requirements = [_label_requirement(part) for part in _split(selector)]

    def matches(obj: Mapping[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(req(labels) for req in requirements)

    return matches


def _label_requirement(text: str) -> Callable[[Mapping[str, str]], bool]:
    if found := _SET.match(text):
        key, op, raw = found.groups()
        values = {v.strip() for v in raw.split(",") if v.strip()}
        if op == "in":
            return lambda labels: labels.get(key) in values
        return lambda labels: labels.get(key) not in values
    if found := _EQUALITY.match(text):
        key, op, value = found.groups()
        if op == "!=":
            return lambda labels: labels.get(key) != value
        return lambda labels: key in labels and labels[key] == value
    if found := _EXISTS.match(text):
        negate, key = found.groups()
        if negate:
            return lambda labels: key not in labels
        return lambda labels: key in labels
    raise SelectorError(
        f"unable to parse requirement: found '{text}', expected: in, notin, =, ==, !=, gt, lt"
    )


def field_selector(selector: str, *, pod: bool) -> Predicate:
    """A predicate over the supported fields (pods support more, like the real server)."""
    allowed = _COMMON_FIELDS | POD_FIELDS if pod else _COMMON_FIELDS
    checks: list[Callable[[Mapping[str, Any]], bool]] = []
    for part in _split(selector):
        operator = "!=" if "!=" in part else "==" if "==" in part else "="
        field, _, value = part.partition(operator)
        field, value = field.strip(), value.strip()
        if field not in allowed:
            raise SelectorError(f"field label not supported: {field}")
        checks.append(_field_check(field, value, negate=operator == "!="))

    def matches(obj: Mapping[str, Any]) -> bool:
        return all(check(obj) for check in checks)

    return matches


def _field_check(field: str, value: str, *, negate: bool) -> Callable[[Mapping[str, Any]], bool]:
    path = field.split(".")

    def check(obj: Mapping[str, Any]) -> bool:
        node: Any = obj
        for step in path:
            node = node.get(step) if isinstance(node, Mapping) else None
        text = "" if node is None else str(node).lower() if isinstance(node, bool) else str(node)
        return (text != value) if negate else (text == value)

    return check
