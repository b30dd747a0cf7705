"""The diff Argo CD itself computes for one managed resource: normalized vs predicted live.

Argo CD's UI diff (``application-resources-diff``) compares ``normalizedLiveState`` with
``predictedLiveState`` and nothing else. The prediction is live *after applying git*: a 3-way
merge on ``last-applied`` (legacy client-side diff), a structured merge (``ServerSideApply``) or a
server-side dry run (``ServerSideDiff``, webhook mutations removed unless
``IncludeMutationWebhook``). Both sides went through the same normalization
(``ignoreDifferences``, ``knownTypes``, ``creationTimestamp`` removal; managedFields removed by a
server-side diff), so a field only the API server or a controller wrote is on both sides and
is not drift. The differing paths are therefore Argo CD's; git values (evidence, every fix) are
still read from ``targetState``, the only side that says what git wrote.

Two things are taken out of the field diff on purpose:

* ``metadata.managedFields`` is bookkeeping (a server-side diff drops it from both sides, a
  3-way merge carries it unchanged); the rules still read ownership from the raw live state;
* the tracking metadata of the active tracking method: a prediction carries the id git would
  stamp, normalized live the id it has. A difference there is the ownership signal the
  unadopted and contested rules judge (`TrackingChange`), not a field anyone edits.

When Argo CD sent no usable prediction the bot falls back to comparing git with live, with its
own normalization (`bot.core.diffs.diff`); the result is marked ``approximate`` so every finding
built on it says its paths are an approximation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core import diffs
from bot.core.diffs import Change
from bot.core.model import ABSENT, ManagedResource, RawObject
from bot.core.paths import Path, resolve
from bot.core.schema import SchemaNode
from bot.core.tracking import TrackingConfig


@dataclass(frozen=True, slots=True)
class TrackingChange:
    """Argo CD's predicted tracking metadata differs from the live one."""

    pointer: Path
    """Where (the tracking-id annotation, or the instance label under label tracking)."""
    expected: str | None
    """What applying git would write (this app's id); ``None`` when git writes none."""
    live: str | None
    """What the live object carries; ``None`` when it has none."""


@dataclass(frozen=True, slots=True)
class ArgoDiff:
    """The differing fields of one resource and how they were obtained."""

    changes: tuple[Change, ...] = ()
    approximate: bool = False
    """True when Argo CD sent no prediction and the paths come from git vs live."""
    tracking: tuple[TrackingChange, ...] = ()


def compute(
    item: ManagedResource, tracking: TrackingConfig, crd_schema: SchemaNode | None = None
) -> ArgoDiff:
    """Argo CD's diff of ``item`` (see the module notes); empty when a side is missing."""
    target, live, predicted = item.target, item.live, item.predicted
    if target is None or live is None or item.diff_failed:
        return ArgoDiff()  # nothing to compare, or Argo CD itself has no diff to show
    if predicted is None or item.normalized is None:
        return ArgoDiff(diffs.diff(target, live, crd_schema=crd_schema), approximate=True)
    expected = _strip(predicted)
    actual = _strip(item.normalized)
    moved = tuple(_tracking_change(expected, actual, p) for p in tracking.pointers())
    raw = diffs.walk(expected, actual, crd_schema=crd_schema)
    changes = tuple(_from_git(c, target, expected, crd_schema) for c in raw)
    return ArgoDiff(changes, tracking=tuple(m for m in moved if m is not None))


def _strip(obj: RawObject) -> RawObject:
    """``obj`` without ``managedFields``, with its own copies of the maps `_pop` edits.

    The object, its metadata, labels and annotations are copied; everything else is shared
    with ``obj`` (the managed resource's state), which nothing in a diff writes to.
    """
    out = dict(obj)
    metadata = out.get("metadata")
    if isinstance(metadata, dict):
        metadata = out["metadata"] = dict(metadata)
        metadata.pop("managedFields", None)
        for field in ("labels", "annotations"):
            if isinstance(metadata.get(field), dict):
                metadata[field] = dict(metadata[field])
    return out


def _tracking_change(expected: RawObject, actual: RawObject, path: Path) -> TrackingChange | None:
    """Pop the tracking entry at ``path`` from both sides; report it when they differ."""
    mine, theirs = _pop(expected, path), _pop(actual, path)
    if mine == theirs:
        return None
    return TrackingChange(
        pointer=path,
        expected=mine if isinstance(mine, str) else None,
        live=theirs if isinstance(theirs, str) else None,
    )


def _pop(obj: RawObject, path: Path) -> Any:
    parent = resolve(obj, path[:-1])
    if not isinstance(parent, dict) or path[-1] not in parent:
        return ABSENT
    value = parent.pop(path[-1])
    if not parent:
        # An empty map left behind was only our bookkeeping: git never wrote it.
        resolve(obj, path[:-2]).pop(path[-2], None)
    return value


def _from_git(
    change: Change, target: RawObject, predicted: RawObject, node: SchemaNode | None
) -> Change:
    """Re-anchor a predicted-vs-live change on git: its git path and git's own value."""
    if change.git is ABSENT:
        return change  # only live has it: git has nothing to say there
    where = diffs.locate(target, predicted, change.git_path, node)
    if where is None:
        # Applying git produces it, but git does not spell it (a default filled into an item
        # git added): the prediction is the only source of the value.
        return Change(
            change.op,
            change.path,
            change.git_path,
            git=change.git,
            live=change.live,
            git_from_prediction=True,
        )
    return Change(change.op, change.path, where, git=resolve(target, where), live=change.live)
