"""Who owns a field, read from the live object's ``metadata.managedFields``.

Server-side apply records, per manager, the set of fields it last wrote (``fieldsV1``): ``f:``
for a map key, ``k:{...}`` for a keyed list item, ``v:...`` for a set item, ``i:N`` by index,
and an empty ``{}`` or a ``.`` entry for "this whole value". A field added live and owned by an
operator (``gpu-operator``) rather than by Argo CD or a person is injected, which is how the
seed's ClusterPolicy drift is recognised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.core.model import ABSENT, RawObject
from bot.core.paths import Segment, json_equal


def managers_of(live: RawObject, path: Sequence[Segment]) -> tuple[str, ...]:
    """Every manager whose field set covers ``path`` in ``live``, in managedFields order."""
    entries = (live.get("metadata") or {}).get("managedFields") or []
    owners = [
        str(entry.get("manager", ""))
        for entry in entries
        if isinstance(entry, dict) and _covers(entry.get("fieldsV1") or {}, path, live)
    ]
    return tuple(dict.fromkeys(owners))


def _covers(fields: Any, path: Sequence[Segment], live: Any) -> bool:
    node, doc = fields, live
    for segment in path:
        if not isinstance(node, dict):
            return False
        if not node or (len(node) == 1 and "." in node):
            return True  # the manager owns this whole value, including what is below
        if isinstance(segment, str):
            node = node.get(f"f:{segment}")
            doc = doc.get(segment, ABSENT) if isinstance(doc, dict) else ABSENT
        else:
            item = doc[segment] if isinstance(doc, list) and segment < len(doc) else ABSENT
            node = _item_fields(node, item, segment)
            doc = item
    return isinstance(node, dict)


def _item_fields(node: dict[str, Any], item: Any, index: int) -> Any:
    for key, sub in node.items():
        kind, _, raw = key.partition(":")
        if kind == "i" and raw == str(index):
            return sub
        if kind not in {"k", "v"}:
            continue
        try:
            wanted = json.loads(raw)
        except ValueError:
            continue
        if kind == "v" and json_equal(wanted, item):
            return sub
        if kind == "k" and _has_key(item, wanted):
            return sub
    return None


def _has_key(item: Any, wanted: Any) -> bool:
    """Whether a list item carries the key fields of a ``k:{...}`` entry."""
    if not isinstance(wanted, dict) or not isinstance(item, dict):
        return False
    return all(json_equal(item.get(f, ABSENT), v) for f, v in wanted.items())
