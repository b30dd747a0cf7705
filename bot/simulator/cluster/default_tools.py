"""Small helpers the defaulting modules share: set-if-absent and typed child access."""

from __future__ import annotations

import hashlib
from typing import Any

from bot.core.model import RawObject


def put(node: dict[str, Any], key: str, value: Any) -> None:
    if key not in node:
        node[key] = value


def items(node: Any, key: str) -> list[dict[str, Any]]:
    value = node.get(key) if isinstance(node, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def child(node: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = node.get(key)
    return value if isinstance(value, dict) else None


def allocated(obj: RawObject, purpose: str, length: int) -> str:
    meta = obj.get("metadata") or {}
    blob = f"{purpose}|{meta.get('namespace', '')}|{meta.get('name', '')}".encode()
    return hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:length]
