"""Classification of one Application's drift: plan what to fetch, then judge every resource.

Purely computational, like kopf's ``detect_changing_cause``: the service calls `plan` to learn
which CRDs and cluster-wide lists it must fetch, fetches them, and passes them back as `Facts`
to `classify_app`. No I/O, no clock, nothing cached between calls (a caller may share a
`RedactMemo`, which only remembers what pure functions answered).

`classify_app` returns exactly one finding per drifting ``status.resources`` entry, including
entries Argo CD's managed-resources omitted (hooks): a resource that drifts is never dropped,
and it is never reported twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from bot.core import argo_diff, diffs, rules, schema, usage
from bot.core.model import (
    Application,
    DriftClass,
    Finding,
    KindRef,
    ManagedResource,
    RawObject,
    ResourceKey,
    ResourceStatus,
)
from bot.core.raw import RawCRD, TrackingName
from bot.core.redact import RedactMemo, redact_value
from bot.core.rules.context import Context, zombie_candidate
from bot.core.schema import SchemaNode
from bot.core.tracking import TrackingConfig, shared_with

# API groups served by Kubernetes itself: their kinds have no CRD to fetch.
BUILTIN_GROUPS: Final = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)
_PRECEDENCE: Final = {c: i for i, c in enumerate(DriftClass)}


@dataclass(frozen=True, slots=True)
class Needs:
    """What the service must fetch before classifying one app."""

    crds: frozenset[tuple[str, str]]
    """(group, kind) of custom resources among the diffable drifting resources."""
    lookups: frozenset[KindRef]
    """Cluster-wide lists needed to find users of zombie candidates."""


@dataclass(frozen=True, slots=True)
class Facts:
    """What the service fetched for `Needs`, plus the cross-app ownership index."""

    crds: Mapping[tuple[str, str], RawCRD] = field(default_factory=dict)
    """Fetched CRDs; a missing key means not found or not fetched."""
    owners: Mapping[ResourceKey, tuple[TrackingName, ...]] = field(default_factory=dict)
    """Resource → tracking names of every app listing it (see `index_owners`; the service
    builds the same index incrementally while the app list streams in)."""
    inventory: usage.Inventory = field(default_factory=dict)
    """Results of `Needs.lookups`; a missing key means the list could not be read."""
    tracking: TrackingConfig = field(default_factory=TrackingConfig)
    """Argo CD's resource tracking method (``argocd-cm``)."""


def index_owners(apps: Iterable[Application]) -> dict[ResourceKey, tuple[TrackingName, ...]]:
    """Which apps list each resource in their status (for classes C and E)."""
    index: dict[ResourceKey, dict[TrackingName, None]] = {}
    for app in apps:
        for resource in app.resources:
            index.setdefault(resource.key, {})[app.tracking_name] = None
    return {key: tuple(sorted(names)) for key, names in index.items()}


def plan(app: Application, managed: Sequence[ManagedResource]) -> Needs:
    """The CRDs and lists `classify_app` will need for this app."""
    by_key = {m.key: m for m in managed}
    crds: set[tuple[str, str]] = set()
    lookups: set[KindRef] = set()
    for status in app.drifting_resources:
        item = by_key.get(status.key)
        if item is None:
            continue
        if item.target and item.live and status.key.group not in BUILTIN_GROUPS:
            crds.add((status.key.group, status.key.kind))
        if _zombie_candidate(status, item) and app.in_local_cluster:
            lookups |= usage.lookups_for(status.key, item.live)
    return Needs(crds=frozenset(crds), lookups=frozenset(lookups))


def classify_app(
    app: Application,
    managed: Sequence[ManagedResource],
    facts: Facts,
    *,
    memo: RedactMemo | None = None,
) -> tuple[Finding, ...]:
    """One finding per drifting resource, sorted by class precedence, then resource.

    Args:
        app: The Application (its ``status.resources`` say what drifts).
        managed: Its managed-resources (git and live states).
        facts: CRDs, the ownership index and the lists `plan` asked for.
        memo: Redaction answers to share with other calls (a scan's apps); the views of this
            app share a fresh one otherwise. Never changes the findings.
    """
    by_key = {m.key: m for m in managed}
    zombies = {
        s.key: by_key[s.key].live
        for s in app.drifting_resources
        if _zombie_candidate(s, by_key.get(s.key))
    }
    if app.in_local_cluster:
        verdicts = usage.assess(zombies, facts.inventory)
    else:
        # Users of these objects live in a cluster the bot does not read: never say "safe".
        where = app.destination_server or app.destination_name
        blocker = (
            f"could not verify: it lives in destination cluster {where}, "
            "which drift-bot does not read"
        )
        verdicts = {key: usage.Verdict(safe=False, blockers=(blocker,)) for key in zombies}
    scaled = autoscaled(managed)
    if memo is None:
        memo = RedactMemo()  # the app's resources repeat keys, images and labels
    findings = [
        judge(
            _context(
                app, status, by_key.get(status.key), facts, verdicts.get(status.key), scaled, memo
            )
        )
        for status in app.drifting_resources
    ]
    return tuple(sorted(findings, key=lambda f: (_PRECEDENCE[f.drift_class], f.key)))


def judge(ctx: Context) -> Finding:
    """The decision ladder: the first rule that recognises the drift names its class."""
    for rule in rules.RULES:
        finding = rule(ctx)
        if finding is not None:
            return finding
    # Nothing benign explains it: name it with its fields, never hide it.
    return rules.FALLBACK(ctx)


def _zombie_candidate(status: ResourceStatus, item: ManagedResource | None) -> bool:
    return item is not None and zombie_candidate(status, item.live)


def _context(
    app: Application,
    status: ResourceStatus,
    item: ManagedResource | None,
    facts: Facts,
    verdict: usage.Verdict | None,
    scaled: frozenset[ResourceKey] = frozenset(),
    memo: RedactMemo | None = None,
) -> Context:
    key = status.key
    target = item.target if item else None
    live = item.live if item else None
    crd_schema = _crd_schema(key, target, live, facts)
    found = argo_diff.compute(item, facts.tracking, crd_schema) if item else argo_diff.ArgoDiff()
    changes = found.changes
    target_view = redact_value(target, kind=key.kind, memo=memo) if target else None
    live_view = redact_value(live, kind=key.kind, memo=memo) if live else None
    predicted = item.predicted if item else None
    predicted_view = redact_value(predicted, kind=key.kind, memo=memo) if predicted else None
    evidence = tuple(
        diffs.to_evidence(
            c, git_view=target_view or {}, live_view=live_view or {}, predicted_view=predicted_view
        )
        for c in changes
    )
    return Context(
        app=app,
        status=status,
        found=item is not None,
        target=target,
        live=live,
        changes=changes,
        evidence=evidence,
        target_view=target_view,
        live_view=live_view,
        crd_schema=crd_schema,
        owners=facts.owners.get(key, ()),
        verdict=verdict,
        approximate=found.approximate,
        tracking_changes=found.tracking,
        tracking=facts.tracking,
        predicted_view=predicted_view,
        shared_with=shared_with(app, key),
        autoscaled=key in scaled,
        diff_failed=bool(item and item.diff_failed),
    )


_SCALABLE: Final = frozenset(
    {("apps", "Deployment"), ("apps", "StatefulSet"), ("apps", "ReplicaSet")}
)


def autoscaled(managed: Sequence[ManagedResource]) -> frozenset[ResourceKey]:
    """Workloads a HorizontalPodAutoscaler of the same app scales (it writes their replicas)."""
    out: set[ResourceKey] = set()
    for item in managed:
        if (item.key.group, item.key.kind) != ("autoscaling", "HorizontalPodAutoscaler"):
            continue
        spec = (item.live or item.target or {}).get("spec")
        ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
        if not isinstance(ref, dict):
            continue
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        kind, name = str(ref.get("kind", "")), str(ref.get("name", ""))
        if (group, kind) in _SCALABLE:
            out.add(ResourceKey(group, kind, item.key.namespace, name))
    return frozenset(out)


def _crd_schema(
    key: ResourceKey, target: RawObject | None, live: RawObject | None, facts: Facts
) -> SchemaNode | None:
    if key.group in BUILTIN_GROUPS:
        return None
    crd = facts.crds.get((key.group, key.kind))
    api_version = str((live or target or {}).get("apiVersion", ""))
    return schema.version_schema(crd, api_version) if crd else None
