"""Slack's Block Kit limits as the fake Slack API enforces them (messages and views).

A renderer that breaks one gets the error Slack would give (``invalid_blocks`` for messages,
``invalid_arguments`` for views) instead of a silent success, so its test fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_FIELD_TEXT = 2000
MAX_TEXT = 40_000
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24
MAX_PRIVATE_METADATA = 3000
TRIGGER_TTL_SECONDS = 3.0
"""Slack: a trigger_id opens a modal only within 3 seconds of the click, and only once."""


def view_problem(view: Mapping[str, Any]) -> str | None:
    """Slack's view limits (modal and home): what is wrong, or None."""
    blocks = view.get("blocks") or []
    if view.get("type") not in ("modal", "home"):
        return "view type must be modal or home"
    if len(blocks) > MAX_VIEW_BLOCKS:
        return f"more than {MAX_VIEW_BLOCKS} blocks"
    if len(str(view.get("private_metadata", ""))) > MAX_PRIVATE_METADATA:
        return "private_metadata too long"
    if view.get("type") == "modal":
        for part in ("title", "submit", "close"):
            text = (view.get(part) or {}).get("text", "")
            if (part == "title" and not text) or len(text) > MAX_VIEW_TITLE:
                return f"{part} must be 1-{MAX_VIEW_TITLE} characters"
        if any(b.get("type") == "input" for b in blocks) and not view.get("submit"):
            return "must define submit to use an input block"
    for block in blocks:
        if block.get("type") != "input" and not _block_ok(block):
            return f"invalid block {block.get('type')}"
    return None


def limit_problem(body: Mapping[str, Any]) -> str | None:
    """Slack's message limits; ``invalid_blocks`` when any is broken."""
    blocks = body.get("blocks") or []
    if len(str(body.get("text", ""))) > MAX_TEXT or len(blocks) > MAX_BLOCKS:
        return "invalid_blocks"
    for block in blocks:
        if not _block_ok(block):
            return "invalid_blocks"
    return None


def _block_ok(block: Mapping[str, Any]) -> bool:
    kind = block.get("type")
    text = block.get("text") or {}
    if kind == "header":
        return text.get("type") == "plain_text" and 0 < len(text.get("text", "")) <= MAX_HEADER_TEXT
    if kind == "section":
        fields = block.get("fields") or []
        if not text and not fields:
            return False
        if len(text.get("text", "")) > MAX_SECTION_TEXT or len(fields) > 10:
            return False
        return all(len(f.get("text", "")) <= MAX_FIELD_TEXT for f in fields)
    if kind == "context":
        elements = block.get("elements") or []
        return 0 < len(elements) <= 10
    if kind == "actions":
        return _actions_ok(block)
    return kind in ("divider", "image", "rich_text")


def _actions_ok(block: Mapping[str, Any]) -> bool:
    """Slack's actions block: 1-25 elements; buttons with a label ≤ 75, value ≤ 2000, url ≤ 3000,
    action_ids ≤ 255 and unique within the block, block_id ≤ 255."""
    elements = block.get("elements") or []
    if not 0 < len(elements) <= 25 or len(str(block.get("block_id", ""))) > 255:
        return False
    action_ids = [str(e.get("action_id", "")) for e in elements]
    if len(set(action_ids)) != len(action_ids) or any(len(a) > 255 for a in action_ids):
        return False
    for element in elements:
        label = (element.get("text") or {}).get("text", "")
        if element.get("type") == "button" and not 0 < len(label) <= 75:
            return False
        if len(str(element.get("value", ""))) > 2000 or len(str(element.get("url", ""))) > 3000:
            return False
    return True
