"""The live model of the fleet ``serve`` keeps: every Application, parsed, as last seen.

An informer (`bot.adapters.kube.watch`) lists each app namespace once and then watches it; this
model is its sink (`bot.ports.ApplicationSink`). Questions then start from the model instead
of a fresh list: a one-app answer reads only that app's managed-resources (and its pods when it
is unhealthy), never the 27 MB Application list of a 2,000-app fleet; a scan (the digest, the
escalation check) skips its list the same way. The ownership index (which apps list each
resource: classes C and E) is kept in step with every event, so an app's answer still sees
every other app.

Freshness: `as_of` is the last moment every watched namespace was confirmed current (a list, an
event or a bookmark). Until every namespace has been listed once the model is not `ready` and
the service lists as before, so nothing is answered from a half-filled model.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.model import Application, RawObject, ResourceKey, ScanError
from bot.core.parse import parse_application
from bot.core.raw import TrackingName, as_application
from bot.errors import InputError, UnknownAppError

AppId = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The apps a question needs, as the model holds them right now."""

    apps: tuple[Application, ...]
    errors: tuple[ScanError, ...]
    """Applications the model could not parse (each named, as a listed scan reports them)."""
    as_of: datetime | None


class FleetModel:
    """Applications by (namespace, name) plus the resource → owning apps index; thread-safe."""

    def __init__(
        self,
        control_plane_namespace: str,
        namespaces: Sequence[str],
        clock: Callable[[], datetime],
    ) -> None:
        self._control_plane = control_plane_namespace
        self._namespaces = frozenset(namespaces)
        self._clock = clock
        self._lock = threading.Lock()
        self._apps: dict[AppId, Application] = {}
        self._broken: dict[AppId, ScanError] = {}
        self._owners: dict[ResourceKey, dict[TrackingName, None]] = {}
        self._heard: dict[str, datetime] = {}
        self._versions: dict[str, str] = {}
        """resourceVersion by app name and tracking name: what `version` reports."""
        self._ready = threading.Event()
        self.changes = 0
        """Events applied since the first list (a change counter for tests and metrics)."""

    # --- the informer's side (bot.ports.ApplicationSink) ----------------------------------

    def replace(self, namespace: str, items: list[RawObject], resource_version: str) -> None:
        parsed = [self._parse(namespace, raw) for raw in items]
        with self._lock:
            for key in [k for k in self._apps if k[0] == namespace]:
                self._drop(key)
            for key in [k for k in self._broken if k[0] == namespace]:
                del self._broken[key]
            for (key, app, error), raw in zip(parsed, items, strict=True):
                self._put(key, app, error, _resource_version(raw))
            self._heard[namespace] = self._clock()
            self.changes += 1
            if self._namespaces <= self._heard.keys():
                self._ready.set()

    def apply(self, namespace: str, event_type: str, obj: RawObject) -> None:
        key, app, error = self._parse(namespace, obj)
        with self._lock:
            self._drop(key)
            self._broken.pop(key, None)
            if event_type != "DELETED":
                self._put(key, app, error, _resource_version(obj))
            self._heard[namespace] = self._clock()
            self.changes += 1

    def heard(self, namespace: str) -> None:
        with self._lock:
            if namespace in self._heard:
                self._heard[namespace] = self._clock()

    def failed(self, namespace: str, why: str) -> None:
        """Nothing to change: the model keeps what it had and `as_of` stops advancing."""

    # --- the service's side -----------------------------------------------------------------

    def ready(self) -> bool:
        """Every namespace has been listed at least once."""
        return self._ready.is_set()

    def wait_ready(self, timeout_s: float) -> bool:
        return self._ready.wait(timeout_s)

    def snapshot(self, only: Sequence[str] = ()) -> Snapshot:
        """Every app (or those named, by name or tracking name; `UnknownAppError` otherwise)."""
        with self._lock:
            apps = list(self._apps.values())
            broken = list(self._broken.values())
            as_of = min(self._heard.values()) if self._heard else None
        if not only:
            return Snapshot(tuple(apps), tuple(broken), as_of)
        by_name: dict[str, Application] = {}
        for app in sorted(apps, key=lambda a: (a.name, a.namespace)):
            by_name.setdefault(app.name, app)
            by_name.setdefault(app.tracking_name, app)
        chosen: dict[AppId, Application] = {}
        for name in only:
            found = by_name.get(name)
            if found is None:
                close = difflib.get_close_matches(name, by_name, n=3)
                raise UnknownAppError(name, close)
            chosen[(found.namespace, found.name)] = found
        named = {e for e in broken if e.app in only}
        return Snapshot(tuple(chosen.values()), tuple(named), as_of)

    def version(self, names: Sequence[str]) -> tuple[object, ...]:
        """What answers about ``names`` depend on: their resourceVersions (any change for all).

        Before the model is ready there is nothing to version: answers then come from lists.
        """
        with self._lock:
            if not self._ready.is_set():
                return ()
            if not names:
                return (self.changes,)
            return tuple(self._versions.get(name) for name in names)

    def of(self, keys: Iterable[ResourceKey]) -> dict[ResourceKey, tuple[TrackingName, ...]]:
        """The ownership index restricted to ``keys`` (as `bot.service.run.Owners.of`)."""
        with self._lock:
            return {key: tuple(sorted(self._owners[key])) for key in keys if key in self._owners}

    # --- inside the lock ----------------------------------------------------------------------

    def _parse(
        self, namespace: str, raw: RawObject
    ) -> tuple[AppId, Application | None, ScanError | None]:
        name = str((raw.get("metadata") or {}).get("name", "?"))
        try:
            app = parse_application(as_application(raw), self._control_plane)
        except InputError as exc:
            error = ScanError(app=name, source="kubernetes", message=str(exc))
            return (namespace, name), None, error
        return (app.namespace, app.name), app, None

    def _put(
        self, key: AppId, app: Application | None, error: ScanError | None, version: str
    ) -> None:
        if app is None:
            if error is not None:
                self._broken[key] = error
            return
        self._apps[key] = app
        self._versions[app.name] = self._versions[app.tracking_name] = version
        for resource in app.resources:
            self._owners.setdefault(resource.key, {})[app.tracking_name] = None

    def _drop(self, key: AppId) -> None:
        old = self._apps.pop(key, None)
        if old is None:
            return
        self._versions.pop(old.name, None)
        self._versions.pop(old.tracking_name, None)
        for resource in old.resources:
            owners = self._owners.get(resource.key)
            if owners is not None:
                owners.pop(old.tracking_name, None)
                if not owners:
                    del self._owners[resource.key]


def _resource_version(raw: RawObject) -> str:
    return str((raw.get("metadata") or {}).get("resourceVersion", ""))
