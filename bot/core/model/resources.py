"""What the classifier reads: resource identities, the Application and its managed resources.

Raw Kubernetes/Argo CD JSON is typed at the edges (`bot.core.raw`); `bot.core.parse` turns the
parts we reason about into these types once, so the rules never dig through dicts for identity
or status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Final

import msgspec

from bot.core.raw import AppName, RawObject, TrackingName

TRACKING_ID_ANNOTATION: Final = "argocd.argoproj.io/tracking-id"
HOOK_ANNOTATION: Final = "argocd.argoproj.io/hook"
HELM_HOOK_ANNOTATION: Final = "helm.sh/hook"
LOCAL_SERVERS: Final = frozenset(
    {"https://kubernetes.default.svc", "https://kubernetes.default.svc/"}
)
"""How Applications name the cluster Argo CD itself runs in (``in-cluster``)."""


class _Absent:
    """Marks a side of a diff where the field does not exist (distinct from JSON ``null``)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT: Final = _Absent()


class ResourceKey(msgspec.Struct, frozen=True, order=True, gc=False):
    """Identity of one Kubernetes object. Core group and cluster scope are empty strings.

    A struct, not a dataclass, like `ResourceStatus`: a scan makes one per ``status.resources``
    entry of every app (~185,000 at 10,000 apps) and hashes each into the owner index. A frozen
    dataclass costs ~0.65 µs to build (one ``object.__setattr__`` per field) and hashes in
    Python; this is ~0.05 µs, hashes in C, and stays out of the cyclic collector's walks
    (``gc=False``: it holds only strings). Equality, ordering and ``repr`` are a dataclass's.
    """

    group: str
    kind: str
    namespace: str
    name: str

    def __str__(self) -> str:
        scope = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind}/{self.name}{scope}"


class Condition(msgspec.Struct, frozen=True, gc=False):
    """One ``status.conditions`` entry of an Application."""

    type: str
    message: str


class ResourceStatus(
    msgspec.Struct,
    frozen=True,
    gc=False,
    rename={"requires_pruning": "requiresPruning"},
):
    """One ``status.resources`` entry of an Application, field for field as Argo CD sends it.

    Flat, like the JSON, so the kube adapter decodes a page's entries straight into these
    (msgspec checks every type in C; `bot.core.parse` still checks anything handed to it as
    a dict). Argo CD omits empty keys: the defaults are what an omitted key means; an empty
    ``kind``, ``name`` or ``status`` does not fit and goes to `bot.core.parse`'s checks.
    At 10,000 apps a scan reads ~185,000 entries: decoded as dicts, checked and rebuilt in
    Python they cost ~0.3 s; decoded as these, a few milliseconds.
    """

    kind: Annotated[str, msgspec.Meta(min_length=1)]
    name: Annotated[str, msgspec.Meta(min_length=1)]
    group: str = ""
    version: str = ""
    namespace: str = ""
    status: Annotated[str, msgspec.Meta(min_length=1)] | None = None
    """``Synced``/``OutOfSync``/``Unknown``; ``None`` for hooks, which never get a sync status."""
    requires_pruning: bool = False
    hook: bool = False

    @classmethod
    def of(
        cls,
        key: ResourceKey,
        version: str,
        status: str | None,
        *,
        requires_pruning: bool = False,
        hook: bool = False,
    ) -> ResourceStatus:
        """The entry of the object ``key`` (what tests and the checked parser build)."""
        return cls(
            key.kind,
            key.name,
            key.group,
            version,
            key.namespace,
            status,
            requires_pruning,
            hook,
        )

    @property
    def key(self) -> ResourceKey:
        """The object's identity (built on each read: most entries are read once)."""
        return ResourceKey(self.group, self.kind, self.namespace, self.name)

    @property
    def drifting(self) -> bool:
        """Whether this entry is something to explain.

        Anything not Synced drifts, except a status-less hook that nothing would prune: Argo CD
        lists running hooks too, and those are not leftovers.
        """
        if self.status is None:
            return self.requires_pruning
        return self.status != "Synced"


class Application(msgspec.Struct, frozen=True, gc=False):
    """The parts of an ``argoproj.io/v1alpha1`` Application the bot reasons about.

    A struct like `ResourceStatus`: a scan builds one per app and a second, resource-less one
    for each app that needs nothing more (`msgspec.structs.replace` is ~20× cheaper than
    `dataclasses.replace` on twelve fields).
    """

    name: AppName
    namespace: str
    """Where the Application CR lives."""
    control_plane_namespace: str
    """Argo CD's own namespace; apps elsewhere are tracked as ``<namespace>_<name>``."""
    project: str
    sync_status: str
    health_status: str
    health_since: datetime | None
    """``status.health.lastTransitionTime`` when Argo CD reports it."""
    destination_namespace: str
    resources: tuple[ResourceStatus, ...] = ()
    conditions: tuple[Condition, ...] = ()
    destination_server: str = ""
    destination_name: str = ""

    @property
    def in_local_cluster(self) -> bool:
        """Whether the app deploys into the cluster the bot reads (Argo CD's own).

        The usage checks behind ``safe_to_delete`` only see that cluster; for any other
        destination they would find no users and wrongly say "safe".
        """
        return self.destination_server in LOCAL_SERVERS or (
            not self.destination_server and self.destination_name in ("", "in-cluster")
        )

    @property
    def tracking_name(self) -> TrackingName:
        """The app name as written into tracking ids."""
        if self.namespace == self.control_plane_namespace:
            return TrackingName(self.name)
        return TrackingName(f"{self.namespace}_{self.name}")

    @property
    def drifting_resources(self) -> tuple[ResourceStatus, ...]:
        return tuple(r for r in self.resources if r.drifting)


@dataclass(frozen=True, slots=True)
class ManagedResource:
    """One item of Argo CD's ``managed-resources`` with its JSON-string states parsed.

    ``target`` is ``None`` when the object is not in git; ``live`` is ``None`` when it is missing
    from the cluster. ``live`` is the normalized live state when Argo CD sent one.
    """

    key: ResourceKey
    target: RawObject | None
    live: RawObject | None
    modified: bool = False
    normalized: RawObject | None = None
    """``normalizedLiveState`` exactly as sent (what Argo CD compared with its prediction);
    ``live`` adds back what normalization removed and the rules still read (managedFields,
    a custom resource's status)."""
    predicted: RawObject | None = None
    """``predictedLiveState``: live after applying git, as Argo CD computed it; ``None`` when
    Argo CD sent none (then the bot can only approximate the diff from git and live)."""
    diff_failed: bool = False
    """Argo CD sent ``{}`` for both normalized and predicted live: its diff of this item failed
    (the app then carries a ``ComparisonError`` condition)."""


@dataclass(frozen=True, slots=True, order=True)
class KindRef:
    """A listable resource type: what the zombie check asks the cluster for ("who uses it?")."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version
