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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core import references
from bot.core.model import KindRef, RawObject, ResourceKey
from bot.core.raw import as_crd
from bot.core.reference_index import IndexBuilder, ReferenceIndex, Referrer
from bot.core.references import PODS, Match, crd_served_kind


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


def lookups_for(key: ResourceKey, live: RawObject | None) -> frozenset[KindRef]:
    """The cluster-wide lists needed to find users of ``key`` (empty for kinds nothing uses)."""
    if key.kind == "CustomResourceDefinition":
        served = crd_served_kind(as_crd(live or {}))
        return frozenset({served}) if served else frozenset()
    return frozenset(references.LISTS.get((key.group, key.kind), ()))


_OWN_NAMESPACE: Final = frozenset({PODS, references.PVCS, references.INGRESSES})
"""Lists whose objects name namespaced objects of their own namespace only (a pod's
ServiceAccount, ConfigMaps, Secrets and claims; an Ingress's Services and TLS Secrets)."""


def lookup_namespaces(zombies: Iterable[ResourceKey]) -> dict[KindRef, tuple[str, ...]]:
    """Per list the users of ``zombies`` can be in: the namespaces to read, ``()`` for all.

    A one-app question with a leftover ConfigMap in ``shop`` needs the pods of ``shop``, not
    the 40,000 pods of the cluster; anything named cluster-wide (a PriorityClass, a
    ClusterRole, a ServiceAccount a RoleBinding elsewhere may name) needs the whole list.
    """
    found: dict[KindRef, set[str] | None] = {}
    for key in zombies:
        for ref in references.LISTS.get((key.group, key.kind), ()):
            if key.kind == "Namespace" and ref in (PODS, references.PVCS):
                where: str | None = key.name
            elif ref in _OWN_NAMESPACE and key.namespace:
                where = key.namespace
            else:
                where = None
            known = found.setdefault(ref, set())
            if where is None or known is None:
                found[ref] = None
            else:
                known.add(where)
    return {ref: tuple(sorted(spaces)) if spaces else () for ref, spaces in found.items()}


# --- who uses it ----------------------------------------------------------------------------
#
# Every user is found through an index (`bot.core.reference_index`) rather than by asking each
# listed object about each zombie: each needed list is walked once per scan (the service builds
# the index as the pages arrive and shares it between apps), every reference an object makes is
# bucketed under the object it names, and each zombie is then looked up. 200 apps with zombies
# in a cluster of 7,600 pods cost 7,600 pod walks, not 1.5 million.

Inventory = Mapping[KindRef, Sequence[RawObject] | ReferenceIndex]
"""The lists a classification may search: raw (tests, one-off callers) or indexed once per
scan by the service; a missing entry means the list could not be read."""


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
    indexer = references.INDEXERS.get(ref, _no_refs)
    return IndexBuilder(ref, indexer, _pod_owners if ref == PODS else None)


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


def _usage(
    key: ResourceKey,
    live: RawObject | None,
    indexes: Mapping[KindRef, ReferenceIndex],
    zombies: frozenset[ResourceKey],
) -> Usage:
    """The users of ``key``: list by list in `LISTS` order, each list in its own order."""
    if key.kind == "CustomResourceDefinition":
        return _crd_users(key, live or {}, indexes)
    users: list[User] = []
    missing: list[KindRef] = []
    for ref in references.LISTS.get((key.group, key.kind), ()):
        index = indexes.get(ref)
        if index is None:
            missing.append(ref)
            continue
        found = [index.references_to(match) for match in references.matches(key, live)]
        for _, referrer, via in heapq.merge(*found, key=lambda entry: entry[0]):
            users.append(User(_user_key(referrer, zombies), via))
    return Usage(users=tuple(dict.fromkeys(users)), missing=tuple(missing))


def _crd_users(
    key: ResourceKey, live: RawObject, indexes: Mapping[KindRef, ReferenceIndex]
) -> Usage:
    served = crd_served_kind(as_crd(live))
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
