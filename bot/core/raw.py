"""The Argo CD and Kubernetes JSON the core reads, as typed shapes (kopf's ``Raw*`` bodies).

Each ``TypedDict`` names the keys the core looks at, ``total=False`` because the APIs omit
empty keys (Argo CD drops ``group`` for the core group, ``namespace`` for cluster-scoped
objects, ``status`` for hooks). They describe what we *expect*; the JSON still arrives
untrusted, so the readers (`bot.core.parse`, `bot.core.health`, `bot.core.schema`) check types
where a wrong one would mislead and treat a type here as a promise only after that check.

Only manifest bodies (git and live states of arbitrary kinds, list items of the usage check)
stay the generic `RawObject`: their shape is whatever the kind says.

The JSON arrives as ``dict[str, Any]`` from the decoders in `bot.adapters`; the one step that
gives it a shape is the ``as_*`` function of that shape below (a `typing.cast`, no copy), called
by the adapter that read it. Each says why the promise is safe to make.

`AppName` and `TrackingName` keep two strings apart that look alike: an Application's name
as Argo CD's API takes it, and the name written into tracking ids (``<namespace>_<name>`` for
apps outside Argo CD's own namespace).
"""

from __future__ import annotations

from typing import Any, NewType, TypeAlias, TypedDict, cast

RawObject: TypeAlias = dict[str, Any]
"""A manifest of any kind exactly as the API returned it (parsed JSON): git and live states,
and the items of cluster-wide usage lists. ``Any`` on purpose: its shape is whatever its kind
says (any built-in or custom kind), and the rules walk it by JSON paths, checking each value."""

AppName = NewType("AppName", str)
"""An Argo CD Application's ``metadata.name`` (what ``/drift app NAME`` names)."""

TrackingName = NewType("TrackingName", str)
"""The app name as written in a tracking id: ``name``, or ``<namespace>_<name>``."""


# --- shared ------------------------------------------------------------------------------------


class RawOwnerReference(TypedDict, total=False):
    apiVersion: str
    kind: str
    name: str


class RawObjectMeta(TypedDict, total=False):
    name: str
    namespace: str
    uid: str
    labels: dict[str, str]
    annotations: dict[str, str]
    creationTimestamp: str
    ownerReferences: list[RawOwnerReference]
    managedFields: list[RawObject]


# --- Argo CD Application (argoproj.io/v1alpha1) ------------------------------------------------


class RawDestination(TypedDict, total=False):
    server: str
    name: str
    namespace: str


class RawAppSpec(TypedDict, total=False):
    project: str
    destination: RawDestination


class RawSyncStatus(TypedDict, total=False):
    status: str


class RawHealthStatus(TypedDict, total=False):
    status: str
    lastTransitionTime: str


class RawResourceStatus(TypedDict, total=False):
    """One ``status.resources`` entry.

    The kube adapter's list view hands these over already decoded as
    `bot.core.model.ResourceStatus` (same fields, types checked by msgspec);
    `bot.core.parse` accepts either.
    """

    group: str
    version: str
    kind: str
    namespace: str
    name: str
    status: str
    requiresPruning: bool
    hook: bool


class RawCondition(TypedDict, total=False):
    type: str
    message: str


class RawAppStatus(TypedDict, total=False):
    sync: RawSyncStatus
    health: RawHealthStatus
    resources: list[RawResourceStatus]
    conditions: list[RawCondition]


class RawApplication(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: RawObjectMeta
    spec: RawAppSpec
    status: RawAppStatus


# --- Argo CD managed-resources ----------------------------------------------------------------


class RawManagedResource(TypedDict, total=False):
    """One item of ``GET /api/v1/applications/{name}/managed-resources``: states are JSON text."""

    group: str
    kind: str
    namespace: str
    name: str
    targetState: str
    liveState: str
    normalizedLiveState: str
    predictedLiveState: str
    modified: bool


class RawManagedResources(TypedDict, total=False):
    items: list[RawManagedResource]


# --- Pods --------------------------------------------------------------------------------------


class RawStateWaiting(TypedDict, total=False):
    reason: str
    message: str


class RawStateTerminated(TypedDict, total=False):
    reason: str
    message: str
    exitCode: int


class RawStateRunning(TypedDict, total=False):
    startedAt: str


class RawContainerState(TypedDict, total=False):
    waiting: RawStateWaiting
    terminated: RawStateTerminated
    running: RawStateRunning


class RawContainerStatus(TypedDict, total=False):
    name: str
    ready: bool
    restartCount: int
    state: RawContainerState
    lastState: RawContainerState


class RawPodCondition(TypedDict, total=False):
    type: str
    status: str
    reason: str
    message: str


class RawPodStatus(TypedDict, total=False):
    phase: str
    reason: str
    message: str
    conditions: list[RawPodCondition]
    initContainerStatuses: list[RawContainerStatus]
    containerStatuses: list[RawContainerStatus]


class RawPod(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: RawObjectMeta
    spec: RawObject
    status: RawPodStatus


# --- CustomResourceDefinition (apiextensions.k8s.io/v1) ---------------------------------------

RawSchemaNode = TypedDict(
    "RawSchemaNode",
    {
        "type": str,
        "default": Any,
        "properties": "dict[str, RawSchemaNode]",
        "items": "RawSchemaNode",
        "additionalProperties": "bool | RawSchemaNode",
        "x-kubernetes-preserve-unknown-fields": bool,
        "x-kubernetes-int-or-string": bool,
        "x-kubernetes-list-type": str,
        "x-kubernetes-list-map-keys": list[str],
        "x-drift-computed": str,
    },
    total=False,
)
"""One node of a CRD's ``openAPIV3Schema`` (only the keys defaulting and descent read).

``x-drift-computed`` is drift-bot's own: only the built-in tables of `bot.core.builtin_defaults`
(same node shape) carry it, for defaults the API server computes from other fields."""


class RawCRDValidation(TypedDict, total=False):
    openAPIV3Schema: RawSchemaNode


class RawCRDVersion(TypedDict, total=False):
    name: str
    served: bool
    storage: bool
    schema: RawCRDValidation


class RawCRDNames(TypedDict, total=False):
    kind: str
    plural: str


class RawCRDSpec(TypedDict, total=False):
    group: str
    names: RawCRDNames
    scope: str
    versions: list[RawCRDVersion]


class RawCRD(TypedDict, total=False):
    apiVersion: str
    kind: str
    metadata: RawObjectMeta
    spec: RawCRDSpec


# --- giving decoded JSON its shape ------------------------------------------------------------


def as_application(obj: RawObject) -> RawApplication:
    """An Application list item, as the shape `bot.core.parse.parse_application` reads.

    Safe: the parser checks the type of every field it reads and raises `InputError` naming
    the app and the JSON path, so a wrong shape is reported, never trusted.
    """
    return cast(RawApplication, obj)


def as_managed_resources(obj: RawObject) -> RawManagedResources:
    """A ``managed-resources`` body, as the shape `bot.core.parse.parse_managed_resources` reads.

    Safe: the parser checks ``items`` and every field of each item it reads, and raises
    `InputError` naming the item's JSON path.
    """
    return cast(RawManagedResources, obj)


def as_pod(obj: RawObject) -> RawPod:
    """A Pod read from the API server.

    Safe: the API server validates every Pod against its built-in schema before storing it,
    and `bot.core.health` still defaults every key it reads that may be absent.
    """
    return cast(RawPod, obj)


def as_crd(obj: RawObject) -> RawCRD:
    """A CustomResourceDefinition: one read from the API server, or a live manifest of that kind.

    Safe: its readers (`bot.core.schema`, `bot.core.references.crd_served_kind`) check the type
    of every value before using it, because schema nodes are cluster data and may be malformed.
    """
    return cast(RawCRD, obj)
