"""Which resource types the simulated Kubernetes API serves, and how discovery describes them.

Built-in kinds are a fixed table (the subset a drift bot ever lists); custom kinds come from the
CustomResourceDefinition objects of the scenario, exactly as a real API server derives them, so
adding a CRD to a scenario makes its kind listable and discoverable.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from bot.core.model import RawObject

_VERBS: Final = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")


@dataclass(frozen=True, slots=True)
class KindInfo:
    """One served resource type at one version."""

    group: str
    version: str
    kind: str
    plural: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    status: bool = False
    """Whether the type has a ``/status`` subresource."""
    builtin: bool = True
    """Built-in list items omit ``kind``/``apiVersion``; custom resources keep them."""

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return self.kind + "List"

    def api_resources(self) -> list[dict[str, Any]]:
        """The APIResourceList entries for this type (and its subresources)."""
        main: dict[str, Any] = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(_VERBS),
        }
        if self.short_names:
            main["shortNames"] = list(self.short_names)
        if self.categories:
            main["categories"] = list(self.categories)
        subresources = [main]
        if self.status:
            subresources.append(self._sub("status", ["get", "patch", "update"]))
        if (self.group, self.kind) == ("", "Pod"):
            subresources.append(self._sub("log", ["get"]))
        return subresources

    def _sub(self, name: str, verbs: list[str]) -> dict[str, Any]:
        return {
            "name": f"{self.plural}/{name}",
            "singularName": "",
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": verbs,
        }


def _b(
    gv: str, kind: str, plural: str, namespaced: bool = True, *short: str, status: bool = False
) -> KindInfo:
    group, _, version = gv.rpartition("/")
    categories = ("all",) if kind in _ALL_CATEGORY else ()
    return KindInfo(group, version, kind, plural, namespaced, "", short, categories, status)


_ALL_CATEGORY: Final = {
    "Pod",
    "Service",
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
}

BUILTIN_KINDS: Final[tuple[KindInfo, ...]] = (
    _b("v1", "Namespace", "namespaces", False, "ns", status=True),
    _b("v1", "Pod", "pods", True, "po", status=True),
    _b("v1", "Service", "services", True, "svc", status=True),
    _b("v1", "ConfigMap", "configmaps", True, "cm"),
    _b("v1", "Secret", "secrets", True),
    _b("v1", "ServiceAccount", "serviceaccounts", True, "sa"),
    _b("v1", "Endpoints", "endpoints", True, "ep"),
    _b("v1", "Event", "events", True, "ev"),
    _b("v1", "Node", "nodes", False, "no", status=True),
    _b("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, "pvc", status=True),
    _b("v1", "PersistentVolume", "persistentvolumes", False, "pv", status=True),
    _b("apps/v1", "Deployment", "deployments", True, "deploy", status=True),
    _b("apps/v1", "ReplicaSet", "replicasets", True, "rs", status=True),
    _b("apps/v1", "StatefulSet", "statefulsets", True, "sts", status=True),
    _b("apps/v1", "DaemonSet", "daemonsets", True, "ds", status=True),
    _b("apps/v1", "ControllerRevision", "controllerrevisions", True),
    _b("batch/v1", "Job", "jobs", True, status=True),
    _b("batch/v1", "CronJob", "cronjobs", True, "cj", status=True),
    _b("rbac.authorization.k8s.io/v1", "Role", "roles"),
    _b("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings"),
    _b("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _b("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _b("networking.k8s.io/v1", "Ingress", "ingresses", True, "ing", status=True),
    _b("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _b("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, "netpol"),
    _b("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, "pdb", status=True),
    _b("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, "hpa"),
    _b(
        "admissionregistration.k8s.io/v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        False,
    ),
    _b(
        "admissionregistration.k8s.io/v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        False,
    ),
    _b(
        "apiextensions.k8s.io/v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        False,
        "crd",
        "crds",
        status=True,
    ),
    _b("storage.k8s.io/v1", "StorageClass", "storageclasses", False, "sc"),
    _b("scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", False, "pc"),
    _b("apiregistration.k8s.io/v1", "APIService", "apiservices", False, status=True),
)


def kinds_of_crd(crd: RawObject) -> list[KindInfo]:
    """The served versions of one CRD as `KindInfo` entries, preferred version first."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    served = [v for v in spec.get("versions") or [] if v.get("served", True)]
    served.sort(key=lambda v: version_priority(str(v.get("name", ""))))
    return [
        KindInfo(
            group=str(spec.get("group", "")),
            version=str(version["name"]),
            kind=str(names.get("kind", "")),
            plural=str(names.get("plural", "")),
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            singular=str(names.get("singular", "")),
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            status="status" in (version.get("subresources") or {}),
            builtin=False,
        )
        for version in served
    ]


_VERSION: Final = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key giving Kubernetes' version preference: GA > beta > alpha, newer first."""
    match = _VERSION.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = match.groups()
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -int(major), -int(minor or 0), version)


def preferred_versions(kinds: Iterable[KindInfo]) -> dict[str, list[str]]:
    """Group name → its versions, preferred first (the APIGroupList order)."""
    by_group: dict[str, set[str]] = {}
    for info in kinds:
        by_group.setdefault(info.group, set()).add(info.version)
    return {group: sorted(vs, key=version_priority) for group, vs in by_group.items()}
