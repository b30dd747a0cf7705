"""Server-side apply field sets (``managedFields[].fieldsV1``) read against real objects.

A fieldsV1 tree names fields with ``f:<name>``, associative list items with ``k:<json of the
key fields>``, set items with ``v:<json value>`` and ``.`` for "this item exists". Argo CD's
structured-merge diff and its removal of webhook mutations both ask the same two questions of
such a tree, answered here: which leaves of an object a manager owns, and which object fields a
manager owns that a new manifest no longer sets (so applying it removes them).

Only what the simulator's objects use is implemented (maps, keyed lists, set lists); an
unknown token owns nothing, which errs towards showing a field in the diff.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

Token = str
FieldPath = tuple[Token, ...]

MERGE_KEYS: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    "containers": (("name",),),
    "initContainers": (("name",),),
    "ephemeralContainers": (("name",),),
    "env": (("name",),),
    "volumes": (("name",),),
    "volumeMounts": (("mountPath",),),
    "volumeDevices": (("devicePath",),),
    "imagePullSecrets": (("name",),),
    "webhooks": (("name",),),
    "hostAliases": (("ip",),),
    "ownerReferences": (("uid",),),
    # container ports and Service ports are keyed by number and protocol (TCP when unset)
    "ports": (("containerPort", "protocol"), ("port", "protocol")),
}
"""``patchMergeKey`` of the built-in types' strategic lists (the first field must be present)."""

_KEY_DEFAULTS: Final = {"protocol": "TCP"}

MergeKey = tuple[str, ...]


def key_of(item: Mapping[str, Any], key: MergeKey) -> tuple[Any, ...]:
    return tuple(item.get(f, _KEY_DEFAULTS.get(f)) for f in key)


def merge_key(path: tuple[str, ...], items: Sequence[Any]) -> MergeKey | None:
    if not path or path[-1] == "*":
        return None
    for key in MERGE_KEYS.get(path[-1], ()):
        if items and all(isinstance(item, dict) and key[0] in item for item in items):
            return key
    return None


def fields_of(value: Any, path: tuple[str, ...] = ()) -> dict[str, Any]:
    """The fieldsV1 set an applier of ``value`` owns (keyed list items, other lists atomic)."""
    if isinstance(value, dict):
        return {f"f:{k}": fields_of(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, list) and value:
        key = merge_key(path, value)
        if key is not None:
            out: dict[str, Any] = {}
            for item in value:
                identity = dict(zip(key, key_of(item, key), strict=True))
                token = "k:" + json.dumps(identity, separators=(",", ":"))
                # The key fields are owned with the item, defaulted ones included.
                keys: dict[str, Any] = {f"f:{field}": {} for field in identity}
                out[token] = {".": {}, **keys, **fields_of(item, (*path, "*"))}
            return out
    return {}


def _matches(token: Token, item: Any, index: int) -> bool:
    if token.startswith("k:") and isinstance(item, dict):
        key = json.loads(token[2:])
        return isinstance(key, dict) and all(item.get(f) == v for f, v in key.items())
    if token.startswith("v:"):
        return bool(json.loads(token[2:]) == item)
    if token.startswith("i:"):
        return token[2:] == str(index)
    return False


def children(node: Any, token: Token) -> Iterator[tuple[str | int, Any]]:
    """The (key or index, value) pairs of ``node`` that ``token`` names."""
    if token.startswith("f:") and isinstance(node, dict):
        name = token[2:]
        if name in node:
            yield name, node[name]
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if _matches(token, item, index):
                yield index, item


def token_for(node: Any, key: str | int, tree: Mapping[str, Any]) -> Token | None:
    """The fieldsV1 token of ``node[key]`` among the tokens of ``tree`` (None when unowned)."""
    if isinstance(node, dict) or node is None:
        return f"f:{key}"
    if not isinstance(node, list) or not isinstance(key, int) or key >= len(node):
        return None
    item = node[key]
    for token in tree:
        if token != "." and _matches(token, item, int(key)):
            return token
    return None


def owns(tree: Mapping[str, Any], obj: Any, path: Sequence[str | int]) -> bool:
    """Whether the field set ``tree`` covers ``path`` of ``obj`` (itself or an atomic parent)."""
    node, here = obj, tree
    for key in path:
        token = token_for(node, key, here)
        if token is None or token not in here:
            return False
        here = here[token]
        node = node.get(key) if isinstance(node, dict) else node[key]
        if not here:
            return True  # a leaf: the manager owns this whole value, children included
    return bool(path)


def leaves(value: Any, at: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    """Every leaf path of a JSON value (an empty map or list counts as a leaf)."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from leaves(item, (*at, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*at, index))
    else:
        yield at


def owned_paths(tree: Mapping[str, Any], obj: Any) -> Iterator[tuple[str | int, ...]]:
    """The object paths ``tree`` owns as values or as list items (``.``), deepest first."""
    for token, sub in tree.items():
        if token == ".":
            continue
        for key, child in children(obj, token):
            if isinstance(sub, dict) and set(sub) - {"."}:
                for path in owned_paths(sub, child):
                    yield (key, *path)
            yield (key,)


def present(obj: Any, path: Sequence[str | int], like: Any) -> bool:
    """Whether ``obj`` has the field at ``path`` (list items matched by their key in ``like``)."""
    node, other = obj, like
    for key in path:
        if isinstance(node, dict) and isinstance(key, str):
            if key not in node:
                return False
            node, other = node[key], other[key]
        elif isinstance(node, list) and isinstance(key, int):
            item = other[key]
            found = _same_item(node, item)
            if found is None:
                return False
            node, other = found, item
        else:
            return False
    return True


_ITEM_KEYS = ("name", "containerPort", "port", "mountPath", "devicePath", "ip", "uid", "type")


def _same_item(items: list[Any], wanted: Any) -> Any:
    if isinstance(wanted, dict):
        for field in _ITEM_KEYS:
            if field in wanted:
                for item in items:
                    if isinstance(item, dict) and _same_key(item, wanted, field):
                        return item
                return None
    for item in items:
        if item == wanted:
            return item
    return None


def _same_key(item: Mapping[str, Any], wanted: Mapping[str, Any], field: str) -> bool:
    if item.get(field) != wanted[field]:
        return False
    if field in ("containerPort", "port"):  # ports are keyed by number and protocol
        return bool(item.get("protocol", "TCP") == wanted.get("protocol", "TCP"))
    return True


def remove(obj: Any, path: Sequence[str | int]) -> None:
    """Delete the field or list item at ``path`` (in place; missing parents are ignored)."""
    node = obj
    for key in path[:-1]:
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        del node[last]


def manager_tree(
    obj: Mapping[str, Any], manager: str, operation: str | None = None
) -> dict[str, Any]:
    """The union of ``manager``'s fieldsV1 on ``obj`` (not its status subresource entries)."""
    out: dict[str, Any] = {}
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager or entry.get("subresource"):
            continue
        if operation and entry.get("operation") != operation:
            continue
        _union(out, entry.get("fieldsV1") or {})
    return out


def others_tree(obj: Mapping[str, Any], manager: str) -> dict[str, Any]:
    """The union of every other manager's fieldsV1 (status subresource entries included)."""
    out: dict[str, Any] = {}
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        if entry.get("manager") != manager:
            _union(out, entry.get("fieldsV1") or {})
    return out


def all_tree(obj: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in (obj.get("metadata") or {}).get("managedFields") or []:
        _union(out, entry.get("fieldsV1") or {})
    return out


def _union(into: dict[str, Any], tree: Mapping[str, Any]) -> None:
    for token, sub in tree.items():
        if token not in into:
            into[token] = json.loads(json.dumps(sub))
        elif isinstance(sub, dict):
            _union(into[token], sub)


# --- JSON values by path -----------------------------------------------------------------------


class _Absent:
    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final[Any] = _Absent()


def equal(a: Any, b: Any) -> bool:
    if a is ABSENT or b is ABSENT:
        return a is b
    # Plain equality is JSON equality for decoded JSON, except that Python equates True with 1;
    # no field here is a bool on one side and a number on the other.
    return bool(a == b)


def at(obj: Any, path: Sequence[str | int]) -> Any:
    node = obj
    for key in path:
        in_map = isinstance(node, dict) and isinstance(key, str) and key in node
        in_list = isinstance(node, list) and isinstance(key, int) and key < len(node)
        if not (in_map or in_list):
            return ABSENT
        node = node[key]
    return node


def put(obj: Any, path: Sequence[str | int], value: Any) -> None:
    node = obj
    for key in path[:-1]:
        if isinstance(node, dict) and isinstance(key, str):
            node = node.setdefault(key, {})
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
        else:
            return
    last = path[-1]
    if isinstance(node, dict) and isinstance(last, str):
        node[last] = value
    elif isinstance(node, list) and isinstance(last, int):
        if last < len(node):
            node[last] = value
        else:
            node.append(value)


def tokens(pointer: str) -> list[str | int]:
    raw = [t.replace("~1", "/").replace("~0", "~") for t in pointer.lstrip("/").split("/")]
    return [int(t) if t.isdigit() else t for t in raw]


def remove_pointer(obj: Any, pointer: str) -> None:
    remove(obj, tokens(pointer))


def set_pointer(obj: Any, pointer: str, value: Any) -> None:
    put(obj, tokens(pointer), value)
