"""Who still uses a zombie, and in which order zombies can be deleted.

A zombie (class D) is an object git no longer has but the cluster still runs, kept alive by
``prune: false``. Deleting one is only safe when nothing references it: an IngressClass still
named by an Ingress, a ServiceAccount a running pod runs as, a ConfigMap mounted somewhere.
Calling something safe that is not is the worst mistake this product can make, so the rules
here are one-sided: any list we needed but could not read makes the answer "not safe", and the
only users we discount are zombies of the same app that are themselves safe (they go first).

`lookups_for` says which cluster-wide lists the service must fetch; `find_users` reads them;
`assess` decides safety for all zombies of an app at once and orders the deletes so users go
before what they use (bindings before roles, namespaced before cluster-scoped, webhooks first).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core.model import KindRef, RawObject, ResourceKey
from bot.core.reference_index import IndexBuilder, Indexer, Match, ReferenceIndex, Referrer

PODS: Final = KindRef("", "v1", "Pod", "pods")
PVCS: Final = KindRef("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims")
INGRESSES: Final = KindRef("networking.k8s.io", "v1", "Ingress", "ingresses")
ROLE_BINDINGS: Final = KindRef("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings")
CLUSTER_ROLE_BINDINGS: Final = KindRef(
    "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", False
)
API_SERVICES: Final = KindRef("apiregistration.k8s.io", "v1", "APIService", "apiservices", False)
VALIDATING_WEBHOOKS: Final = KindRef(
    "admissionregistration.k8s.io",
    "v1",
    "ValidatingWebhookConfiguration",
    "validatingwebhookconfigurations",
    False,
)
MUTATING_WEBHOOKS: Final = KindRef(
    "admissionregistration.k8s.io",
    "v1",
    "MutatingWebhookConfiguration",
    "mutatingwebhookconfigurations",
    False,
)

_DEFAULT_CLASS_ANNOTATION: Final = "ingressclass.kubernetes.io/is-default-class"
_LEGACY_CLASS_ANNOTATION: Final = "kubernetes.io/ingress.class"


@dataclass(frozen=True, slots=True)
class User:
    """One object that references the zombie, and through which field."""

    key: ResourceKey
    via: str

    def __str__(self) -> str:
        scope = f"{self.key.namespace}/" if self.key.namespace else ""
        return f"{self.key.kind} {scope}{self.key.name} ({self.via})"


@dataclass(frozen=True, slots=True)
class Usage:
    """What `find_users` saw: the users, and the lists it needed but did not get."""

    users: tuple[User, ...]
    missing: tuple[KindRef, ...] = ()
    unknown: str = ""
    """Why the needed lists could not even be determined (e.g. a CRD without ``spec.names``)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether one zombie may be deleted, why not, and where it sits in the delete order."""

    safe: bool
    blockers: tuple[str, ...] = ()
    """Human reasons it is not safe: users still there, lists that could not be read."""
    users: tuple[str, ...] = ()
    """Who still uses it (``Pod ns/name (serviceAccountName)``), other than safe zombies."""
    first: tuple[ResourceKey, ...] = ()
    """Zombies of the same app that use it; they must be deleted before it."""
    checked: tuple[KindRef, ...] = ()
    """The lists that were searched for users."""
    step: int = 0
    """1-based position in the app's delete order (0 when not safe)."""
    total: int = 0


# --- what to list ----------------------------------------------------------------------------


def crd_served_kind(crd: RawObject) -> KindRef | None:
    """The custom resources a live CRD serves (storage version), or ``None`` if unreadable."""
    spec = crd.get("spec")
    names = spec.get("names") if isinstance(spec, dict) else None
    if not isinstance(spec, dict) or not isinstance(names, dict):
        return None
    listed = spec.get("versions")
    versions = (
        [v for v in listed if isinstance(v, dict) and v.get("name")]
        if isinstance(listed, list)
        else []
    )
    chosen = next((v for v in versions if v.get("storage")), versions[0] if versions else None)
    group, kind, plural = spec.get("group"), names.get("kind"), names.get("plural")
    if chosen is None or not (isinstance(group, str) and group and kind and plural):
        return None
    return KindRef(
        group, str(chosen["name"]), str(kind), str(plural), spec.get("scope") != "Cluster"
    )


def lookups_for(key: ResourceKey, live: RawObject | None) -> frozenset[KindRef]:
    """The cluster-wide lists needed to find users of ``key`` (empty for kinds nothing uses)."""
    if key.kind == "CustomResourceDefinition":
        served = crd_served_kind(live or {})
        return frozenset({served}) if served else frozenset()
    return frozenset(_LISTS.get((key.group, key.kind), ()))


# --- who uses it -----------------------------------------------------------------------------
#
# Every user is found through an index (`bot.core.reference_index`) rather than by asking each
# listed object about each zombie: each needed list is walked once per scan, every reference an
# object makes is bucketed under the object it names, and each zombie is then looked up. 200
# apps with zombies in a cluster of 7,600 pods cost 7,600 pod walks, not 1.5 million.
#
# A Match is what a reference names: (kind, namespace, name). The namespace is ``None`` for
# references by name alone (a ClusterRole, a PriorityClass, the namespace itself); values are
# read as-is from the listed object, so a wrong-typed one simply names nothing.

Inventory = Mapping[KindRef, Sequence[RawObject] | ReferenceIndex]
"""The lists a classification may search: raw (tests, one-off callers) or indexed once per
scan by the service; a missing entry means the list could not be read."""

_DEFAULT_CLASS: Final[Match] = ("default IngressClass", None, None)
"""What an Ingress without any class names: whichever IngressClass is the cluster default."""

_BY_NAME: Final = frozenset(
    {
        "IngressClass",
        "ClusterRole",
        "PriorityClass",
        "StorageClass",
        "PersistentVolume",
        "Namespace",
    }
)
"""Kinds referenced by name alone, whatever namespace the referring object lives in."""


def find_users(
    key: ResourceKey,
    live: RawObject | None,
    inventory: Inventory,
    *,
    zombies: frozenset[ResourceKey] = frozenset(),
) -> Usage:
    """Every listed object that references ``key``.

    Args:
        key: The zombie.
        live: Its live object (a CRD's names, an IngressClass's default flag live there).
        inventory: The lists the service fetched (raw or already indexed); a missing entry
            means the list failed.
        zombies: Other zombies of the same app; a pod owned by one of them is reported as that
            workload, so deleting the workload first frees the object.

    Returns:
        The users and the lists that were needed but missing.
    """
    return _usage(key, live, indexed(inventory), zombies)


def index_builder(ref: KindRef) -> IndexBuilder:
    """A builder of the `ReferenceIndex` of list ``ref`` (feed it the listed objects)."""
    return IndexBuilder(ref, _INDEXERS.get(ref, _no_refs), _pod_owners if ref == PODS else None)


def indexed(inventory: Inventory) -> dict[KindRef, ReferenceIndex]:
    """The readable lists of ``inventory`` as indexes (raw lists are indexed here, once).

    A list holding anything not shaped like a Kubernetes object cannot be searched reliably,
    so it counts as not read: the zombies that need it are reported "could not verify".
    """
    found: dict[KindRef, ReferenceIndex] = {}
    for ref, items in inventory.items():
        if not isinstance(items, ReferenceIndex):
            builder = index_builder(ref)
            for item in items:
                builder.add(item)
            items = builder.finish()
        if items.readable:
            found[ref] = items
    return found


def _no_refs(_: RawObject) -> Iterator[tuple[Match, str]]:
    """Lists nothing references through (a CRD's instances): only their identities count."""
    return iter(())


def _matches(key: ResourceKey, live: RawObject | None) -> tuple[Match, ...]:
    """How references to ``key`` are bucketed (a default IngressClass also has classless ones)."""
    own = (key.kind, None if key.kind in _BY_NAME else key.namespace, key.name)
    if key.kind == "IngressClass" and _is_default_class(live or {}):
        return own, _DEFAULT_CLASS
    return (own,)


def _is_default_class(live: RawObject) -> bool:
    return (_meta(live).get("annotations") or {}).get(_DEFAULT_CLASS_ANNOTATION) == "true"


def _usage(
    key: ResourceKey,
    live: RawObject | None,
    indexes: Mapping[KindRef, ReferenceIndex],
    zombies: frozenset[ResourceKey],
) -> Usage:
    """The users of ``key``: list by list in `_LISTS` order, each list in its own order."""
    if key.kind == "CustomResourceDefinition":
        return _crd_users(key, live or {}, indexes)
    users: list[User] = []
    missing: list[KindRef] = []
    for ref in _LISTS.get((key.group, key.kind), ()):
        index = indexes.get(ref)
        if index is None:
            missing.append(ref)
            continue
        found = [index.references_to(match) for match in _matches(key, live)]
        for _, referrer, via in heapq.merge(*found, key=lambda entry: entry[0]):
            users.append(User(_user_key(referrer, zombies), via))
    return Usage(users=tuple(dict.fromkeys(users)), missing=tuple(missing))


def _crd_users(
    key: ResourceKey, live: RawObject, indexes: Mapping[KindRef, ReferenceIndex]
) -> Usage:
    served = crd_served_kind(live)
    if served is None:
        return Usage((), unknown=f"the live CRD {key.name} does not say which resources it serves")
    index = indexes.get(served)
    if index is None:
        return Usage((), missing=(served,))
    return Usage(tuple(User(referrer.key, "instance") for referrer in index.referrers))


def _user_key(referrer: Referrer, zombies: frozenset[ResourceKey]) -> ResourceKey:
    """A pod owned by a same-app zombie workload is reported as that workload."""
    return next((owner for owner in referrer.owners if owner in zombies), referrer.key)


def _pod_owners(pod: ResourceKey, meta: Mapping[str, Any]) -> tuple[ResourceKey, ...]:
    """The workloads that own a pod, nearest first.

    A Deployment owns its pods through a ReplicaSet named ``<deployment>-<pod-template-hash>``;
    the pod carries that hash as a label, so the Deployment is found without listing ReplicaSets.
    """
    template_hash = (meta.get("labels") or {}).get("pod-template-hash")
    owners: list[ResourceKey] = []
    for ref in meta.get("ownerReferences") or []:
        kind, name = ref.get("kind"), str(ref.get("name"))
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        owners.append(ResourceKey(group, str(kind), pod.namespace, name))
        if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
            deployment = name.removesuffix(f"-{template_hash}")
            owners.append(ResourceKey("apps", "Deployment", pod.namespace, deployment))
    return tuple(owners)


def _meta(obj: RawObject) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def _ingress_refs(ing: RawObject) -> Iterator[tuple[Match, str]]:
    """An Ingress names its class, its TLS Secrets and its backend Services."""
    meta, spec = _meta(ing), ing.get("spec") or {}
    namespace = meta.get("namespace")
    class_name = spec.get("ingressClassName")
    legacy = (meta.get("annotations") or {}).get(_LEGACY_CLASS_ANNOTATION)
    yield ("IngressClass", None, class_name), "spec.ingressClassName"
    yield ("IngressClass", None, legacy), f"{_LEGACY_CLASS_ANNOTATION} annotation"
    if not class_name and not legacy:
        yield _DEFAULT_CLASS, "no class set, and this is the default IngressClass"
    for tls in spec.get("tls") or []:
        yield ("Secret", namespace, tls.get("secretName")), "spec.tls"
    backends = [spec.get("defaultBackend") or spec.get("backend") or {}]
    for rule in spec.get("rules") or []:
        backends += [p.get("backend") or {} for p in (rule.get("http") or {}).get("paths") or []]
    for backend in backends:
        yield ("Service", namespace, _backend_service(backend)), "backend"


def _binding_refs(binding: RawObject) -> Iterator[tuple[Match, str]]:
    """A (Cluster)RoleBinding names its role and its ServiceAccount subjects."""
    ref = binding.get("roleRef") or {}
    if ref.get("kind") == "ClusterRole":
        yield ("ClusterRole", None, ref.get("name")), "roleRef"
    elif ref.get("kind") == "Role":
        yield ("Role", _meta(binding).get("namespace"), ref.get("name")), "roleRef"
    for subject in binding.get("subjects") or []:
        if subject.get("kind") == "ServiceAccount":
            yield ("ServiceAccount", subject.get("namespace"), subject.get("name")), "subjects"


def _pod_refs(pod: RawObject) -> Iterator[tuple[Match, str]]:
    """A pod names its namespace and whatever its spec names (see `pod_references`)."""
    namespace = _meta(pod).get("namespace")
    yield ("Namespace", None, namespace), "runs in it"
    for kind, name, via in pod_references(pod):
        yield (kind, None if kind in _BY_NAME else namespace, name), via


def pod_references(pod: RawObject) -> Iterator[tuple[str, Any, str]]:
    """Every object a pod spec names: (kind, name, through which field)."""
    spec = pod.get("spec") or {}
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    if account:
        yield "ServiceAccount", account, "serviceAccountName"
    if spec.get("priorityClassName"):
        yield "PriorityClass", spec["priorityClassName"], "priorityClassName"
    for secret in spec.get("imagePullSecrets") or []:
        yield "Secret", secret.get("name"), "imagePullSecrets"
    for volume in spec.get("volumes") or []:
        yield from _volume_references(volume)
    for group in ("initContainers", "containers", "ephemeralContainers"):
        for container in spec.get(group) or []:
            yield from _container_references(container)


def _volume_references(volume: Mapping[str, Any]) -> Iterator[tuple[str, Any, str]]:
    via = f"volume {volume.get('name')}"
    if "configMap" in volume:
        yield "ConfigMap", (volume["configMap"] or {}).get("name"), via
    if "secret" in volume:
        yield "Secret", (volume["secret"] or {}).get("secretName"), via
    if "persistentVolumeClaim" in volume:
        yield "PersistentVolumeClaim", (volume["persistentVolumeClaim"] or {}).get("claimName"), via
    for source in (volume.get("projected") or {}).get("sources") or []:
        if "configMap" in source:
            yield "ConfigMap", (source["configMap"] or {}).get("name"), f"projected {via}"
        if "secret" in source:
            yield "Secret", (source["secret"] or {}).get("name"), f"projected {via}"


def _container_references(container: Mapping[str, Any]) -> Iterator[tuple[str, Any, str]]:
    name = container.get("name")
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        if "configMapKeyRef" in source:
            yield "ConfigMap", source["configMapKeyRef"].get("name"), f"env of container {name}"
        if "secretKeyRef" in source:
            yield "Secret", source["secretKeyRef"].get("name"), f"env of container {name}"
    for env_from in container.get("envFrom") or []:
        if "configMapRef" in env_from:
            yield "ConfigMap", env_from["configMapRef"].get("name"), f"envFrom of container {name}"
        if "secretRef" in env_from:
            yield "Secret", env_from["secretRef"].get("name"), f"envFrom of container {name}"


def _backend_service(backend: Mapping[str, Any]) -> Any:
    return (backend.get("service") or {}).get("name") or backend.get("serviceName")


def _service_ref(ref: Any) -> Match:
    ref = ref if isinstance(ref, dict) else {}
    return "Service", ref.get("namespace"), ref.get("name")


def _api_service_refs(api: RawObject) -> Iterator[tuple[Match, str]]:
    """An APIService is served by the Service its spec names."""
    yield _service_ref((api.get("spec") or {}).get("service")), "spec.service"


def _webhook_refs(config: RawObject) -> Iterator[tuple[Match, str]]:
    """Each webhook of a configuration calls the Service its client config names."""
    for hook in config.get("webhooks") or []:
        yield (
            _service_ref((hook.get("clientConfig") or {}).get("service")),
            (f"webhook {hook.get('name')}"),
        )


def _claim_refs(pvc: RawObject) -> Iterator[tuple[Match, str]]:
    """A claim names its StorageClass, its bound volume and the namespace it is stored in."""
    spec = pvc.get("spec") or {}
    yield ("StorageClass", None, spec.get("storageClassName")), "spec.storageClassName"
    yield ("PersistentVolume", None, spec.get("volumeName")), "spec.volumeName"
    yield ("Namespace", None, _meta(pvc).get("namespace")), "stored in it"


_INDEXERS: Final[dict[KindRef, Indexer]] = {
    PODS: _pod_refs,
    PVCS: _claim_refs,
    INGRESSES: _ingress_refs,
    ROLE_BINDINGS: _binding_refs,
    CLUSTER_ROLE_BINDINGS: _binding_refs,
    API_SERVICES: _api_service_refs,
    VALIDATING_WEBHOOKS: _webhook_refs,
    MUTATING_WEBHOOKS: _webhook_refs,
}

_LISTS: Final[dict[tuple[str, str], tuple[KindRef, ...]]] = {
    ("networking.k8s.io", "IngressClass"): (INGRESSES,),
    ("rbac.authorization.k8s.io", "Role"): (ROLE_BINDINGS,),
    ("rbac.authorization.k8s.io", "ClusterRole"): (ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS),
    ("", "ServiceAccount"): (PODS, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS),
    ("", "ConfigMap"): (PODS,),
    ("", "Secret"): (PODS, INGRESSES),
    ("", "Service"): (INGRESSES, API_SERVICES, VALIDATING_WEBHOOKS, MUTATING_WEBHOOKS),
    ("", "PersistentVolumeClaim"): (PODS,),
    ("", "PersistentVolume"): (PVCS,),
    ("scheduling.k8s.io", "PriorityClass"): (PODS,),
    ("storage.k8s.io", "StorageClass"): (PVCS,),
    ("", "Namespace"): (PODS, PVCS),
}
"""The lists searched for users of each kind, in the order users are reported."""


# --- safety and order ------------------------------------------------------------------------


def assess(
    zombies: Mapping[ResourceKey, RawObject | None], inventory: Inventory
) -> dict[ResourceKey, Verdict]:
    """Decide, for every zombie of one app, whether it can be deleted and in which order.

    A zombie is safe when every list it needs was read and each of its users is another zombie
    of the same app that is itself safe. Cycles count as unsafe: no order would work.
    """
    keys = frozenset(zombies)
    indexes = indexed(inventory)
    usages = {k: _usage(k, zombies[k], indexes, keys) for k in zombies}
    safe: dict[ResourceKey, bool] = {}

    def is_safe(key: ResourceKey, visiting: frozenset[ResourceKey]) -> bool:
        if key not in safe:
            usage = usages[key]
            ok = not usage.missing and not usage.unknown
            for user in usage.users:
                seen = visiting | {key}
                ok = ok and user.key in keys and user.key not in seen and is_safe(user.key, seen)
            safe[key] = ok
        return safe[key]

    for key in zombies:
        is_safe(key, frozenset())
    order = delete_order({k: _first(usages[k], keys) for k in zombies if safe[k]})
    return {k: _verdict(k, usages[k], safe, keys, order, zombies[k]) for k in zombies}


def _first(usage: Usage, keys: frozenset[ResourceKey]) -> tuple[ResourceKey, ...]:
    return tuple(dict.fromkeys(u.key for u in usage.users if u.key in keys))


def _verdict(
    key: ResourceKey,
    usage: Usage,
    safe: Mapping[ResourceKey, bool],
    keys: frozenset[ResourceKey],
    order: Sequence[ResourceKey],
    live: RawObject | None,
) -> Verdict:
    checked = tuple(sorted(lookups_for(key, live)))
    if safe[key]:
        return Verdict(
            safe=True,
            first=_first(usage, keys),
            checked=checked,
            step=order.index(key) + 1,
            total=len(order),
        )
    blockers = [f"could not verify: listing {ref.plural} failed" for ref in usage.missing]
    if usage.unknown:
        blockers.append(f"could not verify: {usage.unknown}")
    users: list[str] = []
    for user in usage.users:
        if user.key not in keys:
            blockers.append(f"still used by {user}")
            users.append(str(user))
        elif not safe[user.key] or user.key == key:
            blockers.append(f"used by {user}, a leftover of this app that is not safe to delete")
            users.append(str(user))
    return Verdict(
        safe=False,
        blockers=tuple(dict.fromkeys(blockers)),
        users=tuple(dict.fromkeys(users)),
        checked=checked,
    )


def delete_order(first: Mapping[ResourceKey, Sequence[ResourceKey]]) -> list[ResourceKey]:
    """Order deletes so each object's users go before it, then by kind phase, then by key."""
    remaining = set(first)
    order: list[ResourceKey] = []
    while remaining:
        ready = [k for k in remaining if not (set(first[k]) & remaining)] or list(remaining)
        chosen = min(ready, key=lambda k: (phase(k), k))
        order.append(chosen)
        remaining.remove(chosen)
    return order


_PHASES: Final = {
    "ValidatingWebhookConfiguration": 0,
    "MutatingWebhookConfiguration": 0,
    "APIService": 0,
    "RoleBinding": 1,
    "ClusterRoleBinding": 2,
    "Role": 3,
    "Deployment": 4,
    "StatefulSet": 4,
    "DaemonSet": 4,
    "ReplicaSet": 4,
    "Job": 4,
    "CronJob": 4,
    "Pod": 4,
    "Ingress": 4,
    "Service": 5,
    "ConfigMap": 6,
    "Secret": 6,
    "ServiceAccount": 6,
    "PersistentVolumeClaim": 6,
    "ClusterRole": 7,
    "CustomResourceDefinition": 9,
    "Namespace": 10,
}


def phase(key: ResourceKey) -> int:
    """Delete phase: webhooks first, bindings before roles, namespaced before cluster-scoped."""
    if key.kind in _PHASES:
        return _PHASES[key.kind]
    return 5 if key.namespace else 8
