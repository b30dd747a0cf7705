"""Argo CD's ownership annotation: ``argocd.argoproj.io/tracking-id``.

The id reads ``<app>:<group>/<kind>:<namespace>/<name>``. Three details decide whether a
``kubectl annotate`` we print actually makes Argo CD adopt an object, so they live here once:
the core group is empty (``:/ServiceAccount:``), a cluster-scoped object carries the app's
destination namespace (empty when it has none, as in the seed's CRD example), and an app outside
the control-plane namespace is named ``<appNamespace>_<name>`` (`Application.tracking_name`).

Which metadata says "this app owns it" depends on ``application.resourceTrackingMethod`` in
``argocd-cm`` (`TrackingConfig`): ``annotation`` (the default since Argo CD 3) and
``annotation+label`` decide by the tracking-id annotation, ``label`` by the instance label
(``application.instanceLabelKey``, default ``app.kubernetes.io/instance``). Under annotation
tracking that label is the chart's own (usually the Helm release name) and says nothing about
ownership, so it is never read as a claim.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from bot.core.model import TRACKING_ID_ANNOTATION, Application, RawObject, ResourceKey
from bot.core.raw import TrackingName

DEFAULT_LABEL_KEY: Final = "app.kubernetes.io/instance"


class TrackingMethod(enum.StrEnum):
    """``application.resourceTrackingMethod`` values Argo CD accepts."""

    ANNOTATION = "annotation"
    LABEL = "label"
    ANNOTATION_AND_LABEL = "annotation+label"


@dataclass(frozen=True, slots=True)
class TrackingConfig:
    """How Argo CD marks what it owns (from ``argocd-cm``)."""

    method: TrackingMethod = TrackingMethod.ANNOTATION
    label_key: str = DEFAULT_LABEL_KEY

    @property
    def by_label(self) -> bool:
        """Whether ownership is read from the instance label rather than the annotation."""
        return self.method is TrackingMethod.LABEL

    def pointers(self) -> tuple[tuple[str, ...], ...]:
        """Where Argo CD writes its tracking metadata under this method (as path segments)."""
        out: list[tuple[str, ...]] = []
        if self.method is not TrackingMethod.LABEL:
            out.append(("metadata", "annotations", TRACKING_ID_ANNOTATION))
        if self.method is not TrackingMethod.ANNOTATION:
            out.append(("metadata", "labels", self.label_key))
        return tuple(out)


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


def live_label(live: RawObject | None, label_key: str) -> str | None:
    """The instance label of a live object (label tracking names the app there)."""
    labels = ((live or {}).get("metadata") or {}).get("labels") or {}
    value = labels.get(label_key)
    return value if isinstance(value, str) and value else None


def shared_with(app: Application, key: ResourceKey) -> tuple[TrackingName, ...]:
    """Other apps Argo CD's ``SharedResourceWarning`` conditions name for this object.

    Argo CD writes "<Kind>/<name> is part of applications <a> and <b>", each app either a bare
    name or ``<namespace>/<name>``; names come back as tracking names.
    """
    prefix = f"{key.kind}/{key.name} is part of applications "
    found: dict[TrackingName, None] = {}
    for condition in app.conditions:
        if condition.type != "SharedResourceWarning" or not condition.message.startswith(prefix):
            continue
        for name in condition.message.removeprefix(prefix).split(" and "):
            tracking = _tracking_name(name.strip(), app.control_plane_namespace)
            if tracking and tracking != app.tracking_name:
                found[tracking] = None
    return tuple(found)


def _tracking_name(name: str, control_plane: str) -> TrackingName:
    namespace, slash, bare = name.rpartition("/")
    if not slash or namespace == control_plane:
        return TrackingName(bare)
    return TrackingName(f"{namespace}_{bare}")
