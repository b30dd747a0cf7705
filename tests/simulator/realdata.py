"""Loading Argo CD's real diff-engine test objects (``tests/data/realdata/gitops-engine-diff``).

They come from argoproj/gitops-engine ``pkg/diff/testdata`` (Apache-2.0, see the README next to
them): git configs and live objects exactly as real API servers returned them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

DIR = Path(__file__).resolve().parents[1] / "data" / "realdata" / "gitops-engine-diff"

LIST_KEYS = ("name", "containerPort", "port", "mountPath", "ip", "secretKey")
"""Fields that identify a list item, in the order tried (merge keys of the built-in types)."""


def load(name: str) -> dict[str, Any]:
    text = (DIR / name).read_text()
    data = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    assert isinstance(data, dict), name
    return data


def keyed_leaves(value: Any, at: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) of every leaf; list items are named by their merge key when they have one,
    so a live list in another order (or with a default item inserted) lines up with git's."""
    if isinstance(value, dict):
        if not value:
            yield at, {}
        for key, item in value.items():
            yield from keyed_leaves(item, f"{at}/{key}")
    elif isinstance(value, list):
        if not value:
            yield at, []
        for index, item in enumerate(value):
            yield from keyed_leaves(item, f"{at}/{_item_key(item, index)}")
    else:
        yield at, value


def _item_key(item: Any, index: int) -> str:
    if isinstance(item, dict):
        for field in LIST_KEYS:
            if field in item and not isinstance(item[field], dict | list):
                return f"[{field}={item[field]}]"
    return str(index)
