"""Argo CD's ownership annotation: ``argocd.argoproj.io/tracking-id``.

The id reads ``<app>:<group>/<kind>:<namespace>/<name>``. Three details decide whether a
``kubectl annotate`` we print actually makes Argo CD adopt an object, so they live here once:
the core group is empty (``:/ServiceAccount:``), a cluster-scoped object carries the app's
destination namespace (empty when it has none, as in the seed's CRD example), and an app outside
the control-plane namespace is named ``<appNamespace>_<name>`` (`Application.tracking_name`).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import TRACKING_ID_ANNOTATION, Application, RawObject, ResourceKey
from bot.core.raw import TrackingName


@dataclass(frozen=True, slots=True)
class TrackingId:
    """A parsed tracking id: which app claims the object, and which object it claims."""

    app: TrackingName
    group: str
    kind: str
    namespace: str
    name: str

    def names(self, key: ResourceKey) -> bool:
        """Whether the id describes this object.

        The namespace is not compared: for cluster-scoped objects it is the app's destination
        namespace, which says nothing about the object itself.
        """
        return (self.group, self.kind, self.name) == (key.group, key.kind, key.name)


def format_id(app: Application, key: ResourceKey) -> str:
    """The tracking id Argo CD expects on ``key`` when ``app`` owns it."""
    namespace = key.namespace or app.destination_namespace
    return f"{app.tracking_name}:{key.group}/{key.kind}:{namespace}/{key.name}"


def parse_id(text: str) -> TrackingId | None:
    """Parse a tracking id; ``None`` when it is not in the ``app:group/kind:ns/name`` shape."""
    parts = text.split(":")
    if len(parts) != 3 or not parts[0]:
        return None
    app, group_kind, ns_name = parts
    group, slash, kind = group_kind.rpartition("/")
    namespace, slash2, name = ns_name.rpartition("/")
    if not (slash and slash2 and kind and name):
        return None
    return TrackingId(app=TrackingName(app), group=group, kind=kind, namespace=namespace, name=name)


def live_id(live: RawObject | None) -> str | None:
    """The raw tracking-id annotation of a live object, if it has one."""
    if not live:
        return None
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(TRACKING_ID_ANNOTATION)
    return value if isinstance(value, str) and value else None
