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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.core import references
from bot.core.model import KindRef, RawObject, ResourceKey
from bot.core.raw import as_crd
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


# --- who uses it ----------------------------------------------------------------------------
#
# Every user is found through an index rather than by asking each listed object about each
# zombie: each needed list is walked once, every reference an object makes is bucketed under
# the object it names, and each zombie is then looked up. An app with 500 leftovers in a cluster
# of 50,000 pods costs 50,000 reference walks, not 25 million comparisons.

_Buckets = dict[tuple[KindRef, Match], list[tuple[int, User]]]
"""(list, referenced object) → its users in that list, each with its position in the walk."""


def find_users(
    key: ResourceKey,
    live: RawObject | None,
    inventory: Mapping[KindRef, Sequence[RawObject]],
    *,
    zombies: frozenset[ResourceKey] = frozenset(),
) -> Usage:
    """Every listed object that references ``key``.

    Args:
        key: The zombie.
        live: Its live object (a CRD's names, an IngressClass's default flag live there).
        inventory: The lists the service fetched; a missing entry means the list failed.
        zombies: Other zombies of the same app; a pod owned by one of them is reported as that
            workload, so deleting the workload first frees the object.

    Returns:
        The users and the lists that were needed but missing.
    """
    inventory = readable(inventory)
    buckets = _index({key: live}, inventory, zombies)
    return _usage(key, live, inventory, buckets, {})


def _index(
    lives: Mapping[ResourceKey, RawObject | None],
    inventory: Mapping[KindRef, Sequence[RawObject]],
    zombies: frozenset[ResourceKey],
) -> _Buckets:
    """Walk each list some zombie needs once, keeping only references to those zombies."""
    wanted: dict[KindRef, set[Match]] = {}
    for key, live in lives.items():
        for ref in references.LISTS.get((key.group, key.kind), ()):
            wanted.setdefault(ref, set()).update(references.matches(key, live))
    buckets: _Buckets = {}
    position = 0
    for ref, matches in wanted.items():
        if ref not in inventory:
            continue
        indexer = references.INDEXERS[ref]
        for candidate in inventory[ref]:
            for match, via in indexer(candidate):
                if _named(match, matches):
                    user = User(_user_key(ref, candidate, zombies), via)
                    buckets.setdefault((ref, match), []).append((position, user))
                    position += 1
    return buckets


def _named(match: Match, matches: set[Match]) -> bool:
    try:
        return match in matches
    except TypeError:  # a list or mapping where a name belongs names nothing
        return False


def _usage(
    key: ResourceKey,
    live: RawObject | None,
    inventory: Mapping[KindRef, Sequence[RawObject]],
    buckets: _Buckets,
    instances: dict[KindRef, tuple[User, ...]],
) -> Usage:
    """The users of ``key``: list by list in `LISTS` order, each list in its own order."""
    if key.kind == "CustomResourceDefinition":
        return _crd_users(key, live or {}, inventory, instances)
    users: list[User] = []
    missing: list[KindRef] = []
    for ref in references.LISTS.get((key.group, key.kind), ()):
        if ref not in inventory:
            missing.append(ref)
            continue
        found = [buckets.get((ref, match), []) for match in references.matches(key, live)]
        users += [user for _, user in heapq.merge(*found, key=lambda entry: entry[0])]
    return Usage(users=tuple(dict.fromkeys(users)), missing=tuple(missing))


def _crd_users(
    key: ResourceKey,
    live: RawObject,
    inventory: Mapping[KindRef, Sequence[RawObject]],
    instances: dict[KindRef, tuple[User, ...]],
) -> Usage:
    served = crd_served_kind(as_crd(live))
    if served is None:
        return Usage((), unknown=f"the live CRD {key.name} does not say which resources it serves")
    if served not in inventory:
        return Usage((), missing=(served,))
    if served not in instances:
        instances[served] = tuple(
            User(_user_key(served, obj, frozenset()), "instance") for obj in inventory[served]
        )
    return Usage(instances[served])


def _user_key(ref: KindRef, obj: RawObject, zombies: frozenset[ResourceKey]) -> ResourceKey:
    meta = obj.get("metadata") or {}
    own = ResourceKey(ref.group, ref.kind, str(meta.get("namespace") or ""), str(meta.get("name")))
    if ref != PODS:
        return own
    return _zombie_owner(own, meta, zombies) or own


def _zombie_owner(
    pod: ResourceKey, meta: Mapping[str, Any], zombies: frozenset[ResourceKey]
) -> ResourceKey | None:
    """The same-app zombie workload that owns a pod, when there is one.

    A Deployment owns its pods through a ReplicaSet named ``<deployment>-<pod-template-hash>``;
    the pod carries that hash as a label, so the Deployment is found without listing ReplicaSets.
    """
    template_hash = (meta.get("labels") or {}).get("pod-template-hash")
    for ref in meta.get("ownerReferences") or []:
        kind, name = ref.get("kind"), str(ref.get("name"))
        group = str(ref.get("apiVersion", "")).rpartition("/")[0]
        candidates = [ResourceKey(group, str(kind), pod.namespace, name)]
        if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
            deployment = name.removesuffix(f"-{template_hash}")
            candidates.append(ResourceKey("apps", "Deployment", pod.namespace, deployment))
        for candidate in candidates:
            if candidate in zombies:
                return candidate
    return None


# --- safety and order ------------------------------------------------------------------------


def readable(
    inventory: Mapping[KindRef, Sequence[RawObject]],
) -> dict[KindRef, Sequence[RawObject]]:
    """The lists whose every item is shaped like a Kubernetes object.

    A list holding anything else cannot be searched reliably, so it counts as not read:
    the zombies that need it are reported "could not verify", never "safe".
    """
    usable: dict[KindRef, Sequence[RawObject]] = {}
    for ref, items in inventory.items():
        copied = list(items)  # the one walk of the caller's sequence
        if all(map(_well_formed, copied)):
            usable[ref] = copied
    return usable


def _well_formed(item: object) -> bool:
    return isinstance(item, dict) and all(
        isinstance(item.get(part) or {}, dict) for part in ("metadata", "spec")
    )


def assess(
    zombies: Mapping[ResourceKey, RawObject | None],
    inventory: Mapping[KindRef, Sequence[RawObject]],
) -> dict[ResourceKey, Verdict]:
    """Decide, for every zombie of one app, whether it can be deleted and in which order.

    A zombie is safe when every list it needs was read and each of its users is another zombie
    of the same app that is itself safe. Cycles count as unsafe: no order would work.
    """
    keys = frozenset(zombies)
    inventory = readable(inventory)
    buckets = _index(zombies, inventory, keys)
    instances: dict[KindRef, tuple[User, ...]] = {}
    usages = {k: _usage(k, zombies[k], inventory, buckets, instances) for k in zombies}
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
