"""One cluster-wide list reduced to who references what: built once per scan, read by every app.

Finding the users of a zombie means searching a cluster-wide list (every pod, every
RoleBinding...). Searching it again for every app with a zombie made a scan
O(apps × cluster objects): 200 drifting apps × 7,600 pods was 1.5 million pod walks at 2,000
apps. Instead each list is walked once, as its pages arrive, and kept only as this index:
every object's identity (and, for pods, the workloads that own it) plus every reference it
makes, bucketed under the object it names. A zombie's users are then a dictionary lookup, and
the raw list can be dropped page by page, so memory follows the references, not the JSON.

What counts as a reference, and how a listed object names what it uses, is the business of
`bot.core.references` (`bot.core.usage` passes the indexer in); this module only stores and
answers. An index built from a list holding anything not shaped like a Kubernetes object is not
``readable``: the zombies that need it are then "could not verify", never "safe" (the
one-sided rule of `usage`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

import msgspec

from bot.core.model import KindRef, ResourceKey
from bot.core.references import Indexer, Match

Owners = Callable[[ResourceKey, Mapping[str, Any]], tuple[ResourceKey, ...]]
"""A listed object's key and metadata → the objects that own it, nearest first."""


class Referrer(msgspec.Struct, frozen=True, gc=False):
    """One listed object, as far as usage needs it: who it is, and who owns it.

    A struct out of the collector's walks (it holds only keys): an index keeps one per pod,
    and every reference to it is a tuple the collector untracks once it sees it holds no
    tracked object.
    """

    key: ResourceKey
    owners: tuple[ResourceKey, ...] = ()


Reference = tuple[int, Referrer, str]
"""(position in the walk, the referring object, through which field)."""


class ReferenceIndex:
    """The references of one list (`IndexBuilder` makes it); read-only once built."""

    __slots__ = ("_buckets", "readable", "ref", "referrers")

    def __init__(
        self,
        ref: KindRef,
        referrers: tuple[Referrer, ...],
        buckets: dict[Match, list[Reference]],
        *,
        readable: bool,
    ) -> None:
        self.ref = ref
        self.referrers = referrers
        """Every listed object, in list order."""
        self._buckets = buckets
        self.readable = readable

    def references_to(self, match: Match) -> list[Reference]:
        """Every reference naming ``match``, in walk order (empty when nothing names it)."""
        try:
            return self._buckets.get(match, [])
        except TypeError:  # an unhashable name (a list where a name belongs) names nothing
            return []

    def __len__(self) -> int:
        return len(self.referrers)


class IndexBuilder:
    """Feeds one list's objects, page by page, into a `ReferenceIndex`."""

    def __init__(self, ref: KindRef, indexer: Indexer, owners: Owners | None = None) -> None:
        self._ref = ref
        self._indexer = indexer
        self._owners = owners
        self._referrers: list[Referrer] = []
        self._buckets: dict[Match, list[Reference]] = {}
        self._vias: dict[str, str] = {}
        """One copy of each field description ("volume config", ...), however many objects."""
        self._position = 0
        self._readable = True

    def add(self, obj: object) -> None:
        """Index one listed object (a malformed one makes the whole list unreadable)."""
        if not self._readable:
            return
        if not well_formed(obj):
            self._readable = False
            self._referrers.clear()
            self._buckets.clear()
            return
        meta = obj.get("metadata") or {}
        key = ResourceKey(
            self._ref.group,
            self._ref.kind,
            str(meta.get("namespace") or ""),
            str(meta.get("name")),
        )
        referrer = Referrer(key, self._owners(key, meta) if self._owners else ())
        self._referrers.append(referrer)
        # Every pod of the cluster passes here: the loop works on locals, creates a bucket
        # only when it is new, and leaves the position right even if the indexer raises.
        buckets, vias, position = self._buckets, self._vias, self._position
        try:
            for match, via in self._indexer(obj):
                try:
                    bucket = buckets.get(match)
                except TypeError:  # a list or mapping where a name belongs names nothing
                    continue
                if bucket is None:
                    bucket = buckets[match] = []
                bucket.append((position, referrer, vias.setdefault(via, via)))
                position += 1
        finally:
            self._position = position

    def finish(self) -> ReferenceIndex:
        return ReferenceIndex(
            self._ref, tuple(self._referrers), self._buckets, readable=self._readable
        )


def well_formed(item: object) -> TypeGuard[dict[str, Any]]:
    """Shaped like a Kubernetes object: a mapping whose metadata and spec are mappings."""
    return (
        isinstance(item, dict)
        and isinstance(item.get("metadata") or {}, dict)
        and isinstance(item.get("spec") or {}, dict)
    )
