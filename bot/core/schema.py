"""Reading OpenAPI v3 schemas the way the API server applies them.

The API server defaults a custom resource from its CRD's ``openAPIV3Schema`` (class A drift:
git omits a field, live holds its ``default:``), merges lists by ``x-kubernetes-list-map-keys``
and keeps whatever ``x-kubernetes-preserve-unknown-fields`` allows. These helpers walk a schema
node by the same path segments the diff produces, so a rule can ask "what would the server have
written here?" without knowing the schema's layout. `bot.core.builtin_defaults` describes
built-in kinds in this same node shape, so one set of helpers serves both.

A CRD is cluster data, not ours: any node may hold the wrong type (``properties: []``,
``openAPIV3Schema: "garbage"``). Every helper treats a malformed node as "the schema says
nothing here", so a broken CRD makes drift unexplained instead of crashing the scan. That check
of every value is what lets nodes be typed as `bot.core.raw.RawSchemaNode` (what we expect).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from bot.core.model import RawObject
from bot.core.paths import Segment, json_equal
from bot.core.raw import RawCRD, RawSchemaNode

SchemaNode = RawSchemaNode
"""One node of an OpenAPI v3 schema (``properties``, ``items``, ``additionalProperties``...)."""


def version_schema(crd: RawCRD, api_version: str) -> SchemaNode | None:
    """The ``openAPIV3Schema`` of the CRD version named in ``api_version`` (``group/v1``)."""
    version = api_version.rpartition("/")[2]
    spec = crd.get("spec")
    versions = spec.get("versions") if isinstance(spec, dict) else None
    for entry in versions if isinstance(versions, list) else ():
        if isinstance(entry, dict) and entry.get("name") == version:
            validation = entry.get("schema")
            found = validation.get("openAPIV3Schema") if isinstance(validation, dict) else None
            return found if isinstance(found, dict) else None
    return None


def child(node: SchemaNode | None, segment: Segment) -> SchemaNode | None:
    """The schema one step down: list ``items``, a named property, or ``additionalProperties``."""
    if node is None:
        return None
    if isinstance(segment, int):
        items = node.get("items")
        return items if isinstance(items, dict) else None
    properties = node.get("properties")
    prop = properties.get(segment) if isinstance(properties, dict) else None
    if isinstance(prop, dict):
        return prop
    extra = node.get("additionalProperties")
    return extra if isinstance(extra, dict) else None


def node_at(node: SchemaNode | None, segments: Sequence[Segment]) -> SchemaNode | None:
    """The schema node at a path, or ``None`` when the schema does not describe it."""
    for segment in segments:
        node = child(node, segment)
    return node


def apply_defaults(node: SchemaNode | None, value: Any) -> Any:
    """A copy of ``value`` with every missing defaulted field filled, recursively.

    This mirrors the API server's structural defaulting: a field's default is applied, then
    the defaults of its own children are applied inside it.
    """
    value = copy.deepcopy(value)
    if node is None:
        return value
    if isinstance(value, dict):
        for key, prop in _dict(node.get("properties")).items():
            if key not in value and isinstance(prop, dict) and "default" in prop:
                value[key] = copy.deepcopy(prop["default"])
        return {k: apply_defaults(child(node, k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [apply_defaults(child(node, i), v) for i, v in enumerate(value)]
    return value


def is_default(node: SchemaNode | None, value: Any) -> bool:
    """Whether an added ``value`` is exactly what defaulting writes at ``node``.

    Either the node's own ``default:`` (with nested defaults applied) equals it, or it is a
    non-empty object every field of which is itself a default (the defaults-materialised
    object, e.g. ``rollingUpdate: {partition: 0}`` under a schema that defaults only the leaf).
    """
    if node is None:
        return False
    if "default" in node and json_equal(value, apply_defaults(node, node["default"])):
        return True
    if isinstance(value, dict) and value:
        return all(is_default(child(node, k), v) for k, v in value.items())
    return False


def list_map_keys(node: SchemaNode | None) -> tuple[str, ...]:
    """The merge keys of a ``x-kubernetes-list-type: map`` list node (empty otherwise)."""
    if node is None or node.get("x-kubernetes-list-type") != "map":
        return ()
    return tuple(k for k in _list(node.get("x-kubernetes-list-map-keys")) if isinstance(k, str))


def preserves_unknown(node: SchemaNode | None, segments: Sequence[Segment]) -> bool:
    """Whether the schema lets arbitrary fields live at ``segments`` (schemaless subtree).

    True when the node at the path, or any node above it, allows unknown fields: a schemaless
    CRD (old Tekton) cannot explain anything below that point, so neither can we.
    """
    for segment in segments:
        if node is None:
            return False
        if node.get("x-kubernetes-preserve-unknown-fields") is True:
            return True
        node = child(node, segment)
    return node is not None and node.get("x-kubernetes-preserve-unknown-fields") is True


def _dict(value: object) -> RawObject:
    """``value`` when it is an object, else ``{}`` (a malformed schema node says nothing)."""
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    """``value`` when it is a list, else ``[]``."""
    return value if isinstance(value, list) else []
