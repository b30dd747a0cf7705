"""The domain model: what the classifier reads and what it concludes.

Everything here is a frozen, slotted dataclass or an enum; ``bot.core.model`` is the public
name of all of it, split by concept into `classes` (drift classes, diff ops, fix kinds),
`resources` (identities, the Application, managed resources), `report` (findings, stuck apps,
reports and their JSON) and `acks`. Raw Kubernetes/Argo CD JSON is typed in `bot.core.raw`.

No I/O, no clock: timestamps are values handed in by the caller.
"""

from bot.core.model.acks import Ack, AckScope
from bot.core.model.classes import DiffOp, DriftClass, FixKind
from bot.core.model.report import (
    EVERY_APP,
    AppReport,
    Evidence,
    Finding,
    Fix,
    PodDiagnosis,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)
from bot.core.model.resources import (
    ABSENT,
    HELM_HOOK_ANNOTATION,
    HOOK_ANNOTATION,
    LOCAL_SERVERS,
    TRACKING_ID_ANNOTATION,
    Application,
    Condition,
    KindRef,
    ManagedResource,
    ResourceKey,
    ResourceStatus,
)
from bot.core.raw import AppName, RawObject, TrackingName

__all__ = [
    "ABSENT",
    "EVERY_APP",
    "HELM_HOOK_ANNOTATION",
    "HOOK_ANNOTATION",
    "LOCAL_SERVERS",
    "TRACKING_ID_ANNOTATION",
    "Ack",
    "AckScope",
    "AppName",
    "AppReport",
    "Application",
    "Condition",
    "DiffOp",
    "DriftClass",
    "Evidence",
    "Finding",
    "Fix",
    "FixKind",
    "KindRef",
    "ManagedResource",
    "PodDiagnosis",
    "RawObject",
    "ResourceKey",
    "ResourceStatus",
    "ScanError",
    "ScanReport",
    "StuckApp",
    "Totals",
    "TrackingName",
]
