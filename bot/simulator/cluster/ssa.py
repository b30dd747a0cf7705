"""Server-side apply of a manifest onto a live object, as structured-merge-diff does it.

git's fields win (lists merged by their keys); fields the applying manager owned (its
``Apply`` entry in ``managedFields``) that git no longer sets are removed unless another
manager also owns them; everything else stays. Argo CD's structured-merge diff and the
simulated server-side dry-run both start from this.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.model import RawObject
from bot.simulator.cluster import fieldsets
from bot.simulator.cluster.diff_model import SSA_MANAGER


def apply(config: RawObject, live: RawObject, manager: str = SSA_MANAGER) -> RawObject:
    """Server-side apply of ``config`` by ``manager`` onto ``live`` (forced, as Argo CD does)."""
    merged = _overlay(config, live, ())
    mine = fieldsets.manager_tree(live, manager, "Apply")
    others = fieldsets.others_tree(live, manager)
    released = {
        path
        for path in fieldsets.owned_paths(mine, merged)
        if not fieldsets.present(config, path, merged) and not fieldsets.owns(others, merged, path)
    }
    outermost = [p for p in released if not any(p[:i] in released for i in range(1, len(p)))]
    out: RawObject = json.loads(json.dumps(merged))
    for path in sorted(outermost, key=_sort_key, reverse=True):
        fieldsets.remove(out, path)  # deepest and highest list index first
    return out


def _sort_key(path: tuple[str | int, ...]) -> tuple[tuple[int, str, int], ...]:
    return tuple((1, "", p) if isinstance(p, int) else (0, p, 0) for p in path)


def _overlay(config: Any, live: Any, path: tuple[str, ...]) -> Any:
    if isinstance(config, dict) and isinstance(live, dict):
        out = dict(live)
        for key, value in config.items():
            out[key] = _overlay(value, live.get(key, fieldsets.ABSENT), (*path, key))
        return out
    if isinstance(config, list) and isinstance(live, list):
        key = fieldsets.merge_key(path, [*config, *live])
        if key is not None:
            wanted = {fieldsets.key_of(item, key): item for item in config}
            items = [
                _overlay(wanted[k], i, (*path, "*"))
                if (k := fieldsets.key_of(i, key)) in wanted
                else i
                for i in live
            ]
            present = {fieldsets.key_of(item, key) for item in live}
            return items + [item for item in config if fieldsets.key_of(item, key) not in present]
    return config  # `apply` copies the merged result once
