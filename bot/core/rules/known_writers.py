"""Who may write a field without it being a change someone made: named writers only.

A field the live object has and git does not set is benign only when a *known* writer put it
there, for a known reason, at a known place. Each writer comes with its narrowest fix:

* the HorizontalPodAutoscaler (``kube-controller-manager``, through the scale subresource) on
  ``/spec/replicas`` of a workload an HPA of the same app targets: ignore that one pointer;
* cert-manager's cainjector and OpenShift's service CA on ``caBundle`` of webhook
  configurations, APIServices and CRD conversion webhooks: ignore those pointers;
* the ClusterRole aggregation controller on ``rules`` of a ClusterRole with an
  ``aggregationRule``: ``resource.compareoptions: ignoreAggregatedRoles: true`` in ``argocd-cm``,
  which is exactly the switch Argo CD's own normalization offers for it;
* operators known to fill in their own custom resources (``gpu-operator``): ignore by
  ``managedFieldsManagers``, which also covers the fields the next release adds.

Any other manager owning a differing field (``kubectl-edit``, ``kubectl-client-side-apply``,
Lens, k9s, ``helm`` run by hand, a script's generic client name) is a person or a tool acting
for one: the change is real, whatever the field looks like (`unknown_managers`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

from bot.core.diffs import Change
from bot.core.model import ABSENT, DiffOp, RawObject, ResourceKey
from bot.core.rules import managed_fields
from bot.core.rules.context import Context, annotations_of


class FixStyle(enum.Enum):
    """Which narrow fix a writer's fields take."""

    POINTERS = "pointers"
    """``ignoreDifferences`` with the exact JSON pointers."""
    MANAGERS = "managers"
    """``ignoreDifferences`` with ``managedFieldsManagers``."""
    AGGREGATED_ROLES = "aggregated-roles"
    """``resource.compareoptions: ignoreAggregatedRoles: true``."""


@dataclass(frozen=True, slots=True)
class Writer:
    """A benign writer recognised on one field."""

    reason: str
    """Shown in the summary (what wrote it)."""
    style: FixStyle
    manager: str = ""
    """The managedFields manager, for `FixStyle.MANAGERS`."""


HPA_MANAGER: Final = "kube-controller-manager"
CA_INJECTORS: Final = frozenset(
    {"cert-manager-cainjector", "cainjector", "service-ca-operator", "service-ca"}
)
CA_INJECT_ANNOTATIONS: Final = (
    "cert-manager.io/inject-ca-from",
    "cert-manager.io/inject-ca-from-secret",
    "cert-manager.io/inject-apiserver-ca",
    "service.beta.openshift.io/inject-cabundle",
)
AGGREGATOR: Final = "clusterrole-aggregation-controller"
KNOWN_OPERATORS: Final = frozenset({"gpu-operator"})
"""Operators that fill in fields of their own custom resources (extend with care: a name here
turns its fields benign)."""
# Managers that are the API server or a built-in controller doing bookkeeping, plus Argo CD.
_SYSTEM: Final = frozenset(
    {HPA_MANAGER, "kube-scheduler", "kubelet", "kube-apiserver", AGGREGATOR, "before-first-apply"}
)


def writer_of(ctx: Context, change: Change) -> Writer | None:
    """The known writer of one differing field, or ``None``."""
    if ctx.live is None or change.live is ABSENT or change.op is DiffOp.REMOVED:
        return None
    managers = managed_fields.managers_of(ctx.live, change.path)
    last = change.path[-1] if change.path else ""
    if change.pointer == "/spec/replicas" and ctx.autoscaled and _only(managers, HPA_MANAGER):
        return Writer("the HorizontalPodAutoscaler targeting it", FixStyle.POINTERS)
    if last == "caBundle" and _ca_injected(ctx.live, managers):
        return Writer("the CA injector (caBundle)", FixStyle.POINTERS)
    rules = change.path[:1] == ("rules",)
    if rules and _aggregated(ctx.key, ctx.live) and _only(managers, AGGREGATOR):
        return Writer("the ClusterRole aggregation controller", FixStyle.AGGREGATED_ROLES)
    if change.op is DiffOp.ADDED:
        for manager in managers:
            if manager in KNOWN_OPERATORS:
                return Writer(f"owned by {manager}", FixStyle.MANAGERS, manager)
    return None


def unknown_managers(ctx: Context, change: Change) -> tuple[str, ...]:
    """Managers owning the live value that are neither Argo CD nor a known writer."""
    if ctx.live is None or change.live is ABSENT:
        return ()
    return tuple(
        m
        for m in managed_fields.managers_of(ctx.live, change.path)
        if not m.startswith("argocd")
        and m not in _SYSTEM
        and m not in CA_INJECTORS
        and m not in KNOWN_OPERATORS
    )


def _only(managers: tuple[str, ...], expected: str) -> bool:
    """No managedFields entry at all (older objects), or only the expected writer besides
    Argo CD."""
    others = [m for m in managers if not m.startswith("argocd")]
    return all(m == expected for m in others)


def _ca_injected(live: RawObject, managers: tuple[str, ...]) -> bool:
    if any(m in CA_INJECTORS for m in managers):
        return True
    notes = annotations_of(live)
    return any(a in notes for a in CA_INJECT_ANNOTATIONS) and not any(
        m for m in managers if not m.startswith("argocd")
    )


def _aggregated(key: ResourceKey, live: RawObject) -> bool:
    return (key.group, key.kind) == ("rbac.authorization.k8s.io", "ClusterRole") and isinstance(
        live.get("aggregationRule"), dict
    )
