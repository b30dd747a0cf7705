"""``?watch=true`` for the simulated Kubernetes API: the stream informers are built on.

What a real API server does, and so what this does (checked against the Kubernetes API
concepts page and KEP-956 "Watch bookmark"):

- A watch is a list request with ``watch=true`` and usually the ``resourceVersion`` a list
  returned. The answer is ``200`` with ``Transfer-Encoding: chunked`` and one JSON event per
  line: ``{"type": "ADDED"|"MODIFIED"|"DELETED", "object": {...}}``, every change after that
  resourceVersion, in order, then whatever happens next until ``timeoutSeconds``.
- ``allowWatchBookmarks=true`` lets the server send ``{"type": "BOOKMARK", "object": {"kind":
  ..., "apiVersion": ..., "metadata": {"resourceVersion": "N"}}}``: nothing changed for you up
  to N, so a restarted watch can start there (here: every ``bookmark_s``).
- A resourceVersion older than the history the server keeps is answered ``200`` with one
  ``ERROR`` event whose object is a ``Status`` with ``code: 410``, ``reason: Expired`` and
  "too old resource version: X (Y)"; the client must list again. `Simulator.expire_watch_history`
  compacts the history the way etcd does (another write moves the cluster's resourceVersion,
  every older one becomes too old), to test exactly that.

Changes come from tests through `Simulator.change` (an Application edited, added or deleted);
each gets the next resourceVersion and is published here after the index is reloaded, so a
list that follows sees it too.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from bot.core.model import RawObject
from bot.simulator.scenarios.scenario import Scenario, key_of

_HISTORY: Final = 1000
"""Events kept for watches that resume from an older resourceVersion."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change: its type, resourceVersion, where it happened and the object after it."""

    type: str
    resource_version: int
    api_version: str
    group: str
    kind: str
    plural: str
    namespace: str
    obj: RawObject

    def placed(self, plural: str) -> Event:
        return dataclasses.replace(self, plural=plural)


COMPACTION_MARKER: Final[RawObject] = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "simulator-compaction", "namespace": "kube-system"},
}
"""The unrelated write `Simulator.expire_watch_history` makes to move the resourceVersion on."""


def apply_change(scenario: Scenario, obj: RawObject, rv: int, *, deleted: bool) -> Event:
    """Put ``obj`` (with resourceVersion ``rv``) into ``scenario``, or take it out; the event."""
    key = key_of(obj)
    changed = {**obj, "metadata": {**obj.get("metadata", {}), "resourceVersion": str(rv)}}
    is_app = (key.group, key.kind) == ("argoproj.io", "Application")
    pool = scenario.applications if is_app else scenario.objects
    position = next((i for i, o in enumerate(pool) if key_of(o) == key), None)
    if deleted:
        if position is not None:
            pool.pop(position)
        kind = "DELETED"
    elif position is None:
        pool.append(changed)
        kind = "ADDED"
    else:
        pool[position] = changed
        kind = "MODIFIED"
    return Event(
        type=kind,
        resource_version=rv,
        api_version=str(changed.get("apiVersion", "")),
        group=key.group,
        kind=key.kind,
        plural="",
        namespace=key.namespace,
        obj=changed,
    )


class _Handler(Protocol):
    protocol_version: str

    def date_time_string(self) -> str: ...


class _Out(Protocol):
    def write(self, data: bytes, /) -> object: ...
    def flush(self) -> object: ...


class ChunkedBody:
    """A chunked 200 answer written as it is produced (what a watch is on the wire)."""

    def __init__(self, handler: _Handler, out: _Out) -> None:
        self._out = out
        head = (
            f"{handler.protocol_version} 200 OK\r\nDate: {handler.date_time_string()}\r\n"
            "Content-Type: application/json\r\nCache-Control: no-cache, private\r\n"
            "Transfer-Encoding: chunked\r\n\r\n"
        )
        out.write(head.encode("latin-1"))

    def write(self, data: bytes) -> None:
        self._out.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self._out.flush()

    def finish(self) -> None:
        self._out.write(b"0\r\n\r\n")


def stream_safely(body: ChunkedBody, produce: Callable[[], None]) -> None:
    """Run ``produce`` (which writes chunks), then the last chunk; a gone client ends it."""
    try:
        produce()
        body.finish()
    except OSError:  # BrokenPipeError, ConnectionResetError: the watcher went away
        return


@dataclass(frozen=True, slots=True)
class WatchRequest:
    """What a ``?watch=true`` list asks for."""

    group_version: str
    plural: str
    namespace: str | None
    resource_version: int | None
    bookmarks: bool
    timeout_s: float


class WatchHub:
    """The change history of the simulated cluster and the watches streaming it."""

    def __init__(self, *, bookmark_s: float = 1.0, history: int = _HISTORY) -> None:
        self._cond = threading.Condition()
        self._events: deque[Event] = deque(maxlen=history)
        self._too_old_below = 0
        """Watches from a resourceVersion below this get 410 (history dropped or expired)."""
        self._bookmark_s = bookmark_s
        self._closed = False

    def publish(self, event: Event) -> None:
        with self._cond:
            if len(self._events) == self._events.maxlen:
                self._too_old_below = self._events[0].resource_version
            self._events.append(event)
            self._cond.notify_all()

    def expire(self, current: int) -> None:
        """Forget the history: a watch from any resourceVersion before ``current`` gets 410."""
        with self._cond:
            self._events.clear()
            self._too_old_below = current
            self._cond.notify_all()

    def close(self) -> None:
        """End every open watch (the simulator is stopping)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def stream(
        self, request: WatchRequest, current: Callable[[], int], write: Callable[[bytes], None]
    ) -> None:
        """Write ``request``'s events as JSON lines until its timeout (``write`` sends a chunk)."""
        start = request.resource_version if request.resource_version is not None else current()
        with self._cond:
            too_old = start < self._too_old_below
        if too_old:
            write(_line(_gone(start, current())))
            return
        deadline = time.monotonic() + request.timeout_s
        sent_up_to = start
        next_bookmark = time.monotonic() + self._bookmark_s
        while True:
            with self._cond:
                pending = [
                    e
                    for e in self._events
                    if e.resource_version > sent_up_to and _matches(e, request)
                ]
                if not pending and not self._closed:
                    wait = min(deadline, next_bookmark) - time.monotonic()
                    if wait > 0:
                        self._cond.wait(wait)
                    continue_watch = not self._closed
                else:
                    continue_watch = not self._closed
            for event in pending:
                write(_line({"type": event.type, "object": event.obj}))
                sent_up_to = event.resource_version
            now = time.monotonic()
            if not continue_watch or now >= deadline:
                return
            if request.bookmarks and now >= next_bookmark:
                write(_line(_bookmark(request, max(sent_up_to, current()))))
                next_bookmark = now + self._bookmark_s


def watch_request(parts: Sequence[str], query: Mapping[str, Sequence[str]]) -> WatchRequest | None:
    """The watch a request path asks for, or ``None`` if it is not a watch of a collection.

    ``parts`` is the path split on ``/``: ``apis/<group>/<version>[/namespaces/<ns>]/<plural>``
    or ``api/v1[/namespaces/<ns>]/<plural>``.
    """
    if (query.get("watch") or [""])[0] not in ("true", "1"):
        return None
    if parts[:1] == ["api"] and len(parts) >= 3:
        group_version, rest = parts[1], list(parts[2:])
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group_version, rest = f"{parts[1]}/{parts[2]}", list(parts[3:])
    else:
        return None
    namespace = None
    if len(rest) == 3 and rest[0] == "namespaces":
        namespace, rest = rest[1], rest[2:]
    if len(rest) != 1:
        return None
    version = (query.get("resourceVersion") or [""])[0]
    timeout = (query.get("timeoutSeconds") or [""])[0]
    return WatchRequest(
        group_version=group_version,
        plural=rest[0],
        namespace=namespace,
        resource_version=int(version) if version.isdigit() and version != "0" else None,
        bookmarks=(query.get("allowWatchBookmarks") or [""])[0] in ("true", "1"),
        timeout_s=float(timeout) if timeout.isdigit() else 1800.0,
    )


def _matches(event: Event, request: WatchRequest) -> bool:
    return (
        event.api_version == request.group_version
        and event.plural == request.plural
        and (request.namespace is None or event.namespace == request.namespace)
    )


def _line(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode() + b"\n"


def _bookmark(request: WatchRequest, resource_version: int) -> dict[str, Any]:
    return {
        "type": "BOOKMARK",
        "object": {
            "apiVersion": request.group_version,
            "metadata": {"resourceVersion": str(resource_version)},
        },
    }


def _gone(asked: int, current: int) -> dict[str, Any]:
    return {
        "type": "ERROR",
        "object": {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": f"too old resource version: {asked} ({current})",
            "reason": "Expired",
            "code": 410,
        },
    }
