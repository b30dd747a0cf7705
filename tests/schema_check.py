"""Strict validation of emitted report JSON against `bot.core.report_schema` (tests only).

`bot.core.codec.validate` checks types, required keys and enums but, like any tolerant reader,
lets unknown keys through; an emitter must not write keys the schema does not declare, so this
also walks the document and fails on any undeclared key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.codec import validate
from bot.core.report_schema import REF_PREFIX, SCHEMAS


def assert_matches_schema(doc: Any, name: str) -> None:
    """``doc`` validates against ``SCHEMAS[name]`` and has no key the schema does not declare."""
    validate(doc, name)
    _no_undeclared(doc, SCHEMAS[name], "$")


def _no_undeclared(value: Any, schema: Mapping[str, Any], path: str) -> None:
    if "$ref" in schema:
        _no_undeclared(value, SCHEMAS[schema["$ref"].removeprefix(REF_PREFIX)], path)
    elif "oneOf" in schema and value is not None:
        _no_undeclared(value, schema["oneOf"][0], path)
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _no_undeclared(item, schema["items"], f"{path}[{i}]")
    elif isinstance(value, dict) and "properties" in schema:
        undeclared = set(value) - set(schema["properties"])
        assert not undeclared, f"{path}: keys not in the schema: {sorted(undeclared)}"
        for key, sub in schema["properties"].items():
            if key in value:
                _no_undeclared(value[key], sub, f"{path}.{key}")
