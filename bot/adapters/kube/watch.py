"""A live copy of every Application: list, then watch — the informer of client-go, kopf, Argo CD.

``serve`` answers one-app questions all day; listing 27 MB of Applications for each would make
every distinct question cost a full list. Instead, per app namespace, one thread:

1. lists the Applications (paged) and hands them to the sink with the list's resourceVersion;
2. watches from that resourceVersion with ``allowWatchBookmarks`` through the official
   client's `kubernetes.watch.Watch` (it tracks the resourceVersion of every event and
   bookmark), handing every ADDED/MODIFIED/DELETED to the sink; a BOOKMARK only says "still
   current";
3. when the watch ends (``timeoutSeconds``, a dropped connection) watches again from the last
   resourceVersion seen — no relist;
4. on ``410 Gone`` (the resourceVersion fell out of the server's history; it arrives as an
   ERROR event, which the client raises as ``ApiException(410)``) lists again, as the API
   concepts page prescribes;
5. on any other failure waits with capped exponential backoff (1 s, 2 s, 4 s... 60 s, with
   jitter so that replicas do not stampede), then resumes from step 3 (or 1 if it never listed).

The sink (`bot.ports.ApplicationSink`, the service's fleet model) does the parsing; this module
only moves raw objects. It is the only place besides `bot.adapters.kube` that imports the
``kubernetes`` client.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from typing import Any, Final

import kubernetes.client
import kubernetes.watch
import urllib3.exceptions
from kubernetes.client.exceptions import ApiException

from bot.adapters.kube import decoding
from bot.core.model import RawObject
from bot.errors import InputError, UpstreamError
from bot.ports import ApplicationSink

log = logging.getLogger(__name__)

GROUP: Final = "argoproj.io"
VERSION: Final = "v1alpha1"
PLURAL: Final = "applications"
PAGE: Final = 500


class Backoff:
    """Capped exponential backoff with full jitter: attempt n waits up to min(cap, base·2ⁿ)."""

    def __init__(self, base_s: float = 1.0, cap_s: float = 60.0, rng: random.Random | None = None):
        self._base = base_s
        self._cap = cap_s
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def delay(self, failures: int) -> float:
        ceiling = min(self._cap, self._base * 2 ** max(0, failures - 1))
        return self._rng.uniform(ceiling / 2, ceiling)


class ApplicationInformer:
    """List + watch of the Applications in ``namespaces``, fed to ``sink``; one thread each."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        namespaces: Sequence[str],
        sink: ApplicationSink,
        *,
        watch_timeout_s: int = 300,
        request_timeout_s: float = 10.0,
        backoff: Backoff | None = None,
    ) -> None:
        self._custom: Any = kubernetes.client.CustomObjectsApi(api_client)
        self._namespaces = tuple(namespaces)
        self._sink = sink
        self._watch_timeout = watch_timeout_s
        self._request_timeout = request_timeout_s
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._watches: dict[str, Any] = {}
        """The open `kubernetes.watch.Watch` per namespace (untyped in the client)."""
        self._lock = threading.Lock()
        self.lists = 0
        """Full lists made (first lists and relists after 410): the cost a watch avoids."""

    def start(self) -> None:
        for namespace in self._namespaces:
            thread = threading.Thread(
                target=self._run, args=(namespace,), name=f"informer-{namespace}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop watching; returns once every informer thread has ended."""
        self._stop.set()
        with self._lock:
            watches = list(self._watches.values())
        for watch in watches:
            watch.stop()
        for thread in self._threads:
            thread.join(timeout=15)
        self._threads.clear()

    # --- one namespace ------------------------------------------------------------------------

    def _run(self, namespace: str) -> None:
        version: str | None = None
        failures = 0
        while not self._stop.is_set():
            try:
                if version is None:
                    version = self._relist(namespace)
                version = self._watch(namespace, version)
                failures = 0
            except ApiException as exc:
                if exc.status == 410:
                    log.info("watch of %s expired (410 Gone); listing again", namespace)
                    version = None
                    continue
                failures += 1
                self._pause(namespace, failures, f"HTTP {exc.status} {exc.reason}")
            except (UpstreamError, InputError, urllib3.exceptions.HTTPError, OSError) as exc:
                failures += 1
                self._pause(namespace, failures, str(exc))

    def _pause(self, namespace: str, failures: int, why: str) -> None:
        if self._stop.is_set():
            return  # stopping closed the connection under the watch: not a failure
        delay = self._backoff.delay(failures)
        log.warning("informer %s: %s; retrying in %.1f s", namespace, why, delay)
        self._sink.failed(namespace, why)
        self._stop.wait(delay)

    def _relist(self, namespace: str) -> str:
        items: list[RawObject] = []
        token: str | None = None
        version = ""
        while True:
            response = self._custom.list_namespaced_custom_object(
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                limit=PAGE,
                _continue=token,
                _preload_content=False,
                _request_timeout=self._request_timeout,
            )
            page = _page(response.data, namespace)
            items.extend(page.get("items") or [])
            meta = page.get("metadata") or {}
            version = str(meta.get("resourceVersion") or version)
            token = meta.get("continue") or None
            if token is None:
                break
        self.lists += 1
        self._sink.replace(namespace, items, version)
        return version

    def _watch(self, namespace: str, version: str) -> str:
        watch: Any = _new_watch()
        with self._lock:
            self._watches[namespace] = watch
        try:
            stream: Callable[..., Any] = watch.stream
            for event in stream(
                self._custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                namespace,
                PLURAL,
                resource_version=version,
                allow_watch_bookmarks=True,
                timeout_seconds=self._watch_timeout,
                _request_timeout=(self._request_timeout, self._watch_timeout + 30),
            ):
                kind, obj = event.get("type"), event.get("raw_object")
                if kind == "BOOKMARK" or not isinstance(obj, dict):
                    self._sink.heard(namespace)
                else:
                    self._sink.apply(namespace, str(kind), obj)
                if self._stop.is_set():
                    watch.stop()
        finally:
            with self._lock:
                self._watches.pop(namespace, None)
        self._sink.heard(namespace)
        return str(watch.resource_version or version)


def _new_watch() -> Any:
    factory: Any = kubernetes.watch.Watch
    return factory()


def _page(body: bytes, namespace: str) -> dict[str, Any]:
    try:
        page = decoding.loads(body)
    except ValueError as exc:
        raise InputError(f"list applications in {namespace}: the body is not JSON") from exc
    if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
        raise InputError(f"list applications in {namespace}: the body is not a list")
    return page
