"""`KubeReader`: the `bot.ports.ClusterReader` over the official client (paged lists, CRDs,
workload pods, logs, discovery).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any, Final

import kubernetes.client
import kubernetes.config
from kubernetes.client.exceptions import ApiException

from bot.adapters.kube import decoding
from bot.adapters.kube.answers import (
    CONNECTION_ERRORS,
    CREDENTIALS_HINT,
    SETTING,
    SOURCE,
    ExpiredListError,
    api_error,
    excerpt,
    json_object,
    json_value,
)
from bot.adapters.kube.credentials import load_client
from bot.adapters.kube.objects import (
    APP_GROUP,
    APP_PLURAL,
    APP_VERSION,
    WORKLOADS,
    Memo,
    collection_path,
    group_suffix,
    label_selector,
    object_path,
    owned_by,
    uid_of,
    unseen,
)
from bot.core import raw
from bot.core.model import KindRef, RawObject, ResourceKey
from bot.errors import (
    InputError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
)
from bot.settings import Settings

logger = logging.getLogger(__package__)

# A 400 with one of these means "there is no such log (yet)", not a failure: the container never
# terminated (no previous instance) or has not started.
_NO_LOG_MARKERS: Final = ("previous terminated container", "is waiting to start")


class KubeReader:
    """`bot.ports.ClusterReader` over the official client; safe to share between threads."""

    def __init__(
        self,
        api_client: kubernetes.client.ApiClient,
        *,
        app_namespaces: Sequence[str],
        page_size: int = 500,
        timeout_s: float = 10.0,
    ) -> None:
        # The client's annotations are partial (untyped methods) and wrong for the raw reads we
        # make (``_preload_content=False`` returns a urllib3 response, not the model), so its
        # objects are held as Any and every value read back is checked here.
        self._api: Any = api_client
        self._custom: Any = kubernetes.client.CustomObjectsApi(api_client)
        self._apiext: Any = kubernetes.client.ApiextensionsV1Api(api_client)
        self._core: Any = kubernetes.client.CoreV1Api(api_client)
        self._app_namespaces = tuple(app_namespaces)
        self._page_size = page_size
        self._timeout = timeout_s
        self._host = str(api_client.configuration.host)
        self._plurals = Memo()

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int | None = None) -> KubeReader:
        """Connect with the credentials `credentials.load_client` finds (KUBECONFIG, pod, ~/.kube).

        The urllib3 pool holds at least ``pool_size`` (default ``DRIFT_CONCURRENCY``) connections:
        a smaller pool would make the scan's parallel requests open and drop connections.

        Raises:
            ConfigError: the kubeconfig cannot be loaded, or there is no in-cluster account.
        """
        configuration = kubernetes.client.Configuration()
        wanted = pool_size if pool_size is not None else settings.drift_concurrency
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, wanted)
        api_client = load_client(settings.kubeconfig, settings.drift_kube_context, configuration)
        return cls(
            api_client,
            app_namespaces=settings.app_namespaces,
            timeout_s=settings.drift_http_timeout.total_seconds(),
        )

    @property
    def api_client(self) -> kubernetes.client.ApiClient:
        """The underlying client (its configuration tells the server URL and pool size)."""
        client: kubernetes.client.ApiClient = self._api
        return client

    def close(self) -> None:
        """Release the connection pool."""
        self._api.close()

    # --- ClusterReader --------------------------------------------------------------------

    def list_applications(self) -> Iterator[raw.RawApplication]:
        """Every Application in the configured namespaces, paged with ``limit``/``continue``."""
        for namespace in self._app_namespaces:
            action = f"list {APP_PLURAL}.{APP_GROUP} in namespace {namespace}"
            page = self._paged(partial(self._application_page, namespace), action)
            yield from map(raw.as_application, page)

    def get_crd(self, group: str, kind: str) -> raw.RawCRD | None:
        """The CustomResourceDefinition serving ``kind`` in ``group``; ``None`` if there is none."""
        if "." not in group:
            # The API server requires a dot in every CRD group, so core, apps, batch... never
            # have one; skipping them saves two round trips per built-in kind.
            return None
        plural = self._plurals.get((group, kind), partial(self._discover_plural, group, kind))
        if plural is None:
            return None
        name = f"{plural}.{group}"
        try:
            with self._translate(f"get customresourcedefinition {name}"):
                response = self._apiext.read_custom_resource_definition(
                    name, _preload_content=False, _request_timeout=self._timeout
                )
                body = response.data
        except UpstreamNotFoundError:
            return None
        return raw.as_crd(json_object(body, f"customresourcedefinition {name}"))

    def list_objects(self, ref: KindRef) -> list[RawObject]:
        """Every object of one type, cluster-wide (paged); pods only as far as the usage
        index reads them (see `iter_objects`).

        Raises:
            ValueError: ``ref`` names Secrets, which the bot never reads (its role cannot).
        """
        return list(self.iter_objects(ref))

    def iter_objects(self, ref: KindRef, namespace: str = "") -> Iterator[RawObject]:
        """`list_objects` (of one ``namespace`` if given), a page at a time: a caller that
        reduces each object as it comes (the usage index) never holds more than one page.

        Raises:
            ValueError: ``ref`` names Secrets, which the bot never reads (its role cannot).
        """
        if ref.group == "" and ref.plural == "secrets":
            msg = "drift-bot never reads Secrets; its ClusterRole does not grant them"
            raise ValueError(msg)
        path = collection_path(ref.group, ref.version, ref.plural, namespace)
        where = f" in namespace {namespace}" if namespace else ""
        # Pods reduced to whom they name (`decoding.POD_LIST`): every user of these lists is
        # the usage index, which reads nothing else of a pod.
        view = decoding.POD_LIST if (ref.group, ref.plural) == ("", "pods") else None
        return self._list(path, f"list {ref.plural}{group_suffix(ref.group)}{where}", view=view)

    def pods_of(self, workload: ResourceKey) -> list[raw.RawPod]:
        """Pods owned by a workload, verified through ``ownerReferences``.

        Label selectors of different workloads overlap in real clusters, so the selector only
        narrows the list; ownership decides. A workload that does not exist, or a kind that
        owns no pods, has none.
        """
        if (workload.group, workload.kind) == ("", "Pod"):
            pod = self._read_or_none(object_path("", "v1", "pods", workload), workload)
            return [raw.as_pod(pod)] if pod is not None else []
        spec = WORKLOADS.get((workload.group, workload.kind))
        if spec is None:
            return []
        path = object_path(workload.group, spec.version, spec.plural, workload)
        obj = self._read_or_none(path, workload)
        if obj is None:
            return []
        selector = label_selector((obj.get("spec") or {}).get("selector") or {})
        owners = {str(obj.get("metadata", {}).get("uid", ""))}
        if spec.via_replicasets:
            replicasets = self._in_namespace("apps", "replicasets", workload.namespace, selector)
            owners = {uid_of(rs) for rs in replicasets if owned_by(rs, owners)}
        if not owners:
            return []
        pods = self._in_namespace("", "pods", workload.namespace, selector)
        return [raw.as_pod(pod) for pod in pods if owned_by(pod, owners)]

    def read_log(
        self, namespace: str, pod: str, container: str, *, previous: bool, tail_lines: int
    ) -> str:
        """A container's log; ``previous=True`` reads the last terminated instance.

        Returns ``""`` when there is no such log: no previous instance, or not started yet.
        """
        which = "previous log" if previous else "log"
        with self._translate(f"read the {which} of {namespace}/{pod} container {container}"):
            try:
                response = self._core.read_namespaced_pod_log(
                    pod,
                    namespace,
                    container=container,
                    previous=previous,
                    tail_lines=tail_lines,
                    # Raw bytes: the generated deserializer may reinterpret JSON-looking logs.
                    _preload_content=False,
                    _request_timeout=self._timeout,
                )
            except ApiException as exc:
                if exc.status == 400 and any(m in (exc.body or "") for m in _NO_LOG_MARKERS):
                    return ""
                raise
            return bytes(response.data).decode("utf-8", "replace")

    def check(self) -> None:
        """Raise an `UpstreamError` unless the API server answers ``/version``."""
        with self._translate("read /version"):
            self._get("/version", ())

    # --- paging ---------------------------------------------------------------------------

    def _application_page(self, namespace: str, token: str | None) -> Any:
        # Raw bytes, decoded by `json_value` with the collector paused (`decoding`): the
        # client's own deserializer would decode 6 MB pages with it running.
        response = self._custom.list_namespaced_custom_object(
            APP_GROUP,
            APP_VERSION,
            namespace,
            APP_PLURAL,
            limit=self._page_size,
            _continue=token,
            _request_timeout=self._timeout,
            _preload_content=False,
        )
        what = f"list {APP_PLURAL}.{APP_GROUP} in {namespace}"
        return json_value(response.data, what, decoding.APPLICATION_LIST)

    def _list(
        self, path: str, action: str, *, selector: str = "", view: decoding.View | None = None
    ) -> Iterator[RawObject]:
        def fetch(token: str | None) -> Any:
            query: list[tuple[str, str | int]] = [("limit", self._page_size)]
            if selector:
                query.append(("labelSelector", selector))
            if token:
                query.append(("continue", token))
            return self._get(path, query, view)

        return self._paged(fetch, action)

    def _paged(self, fetch: Callable[[str | None], Any], action: str) -> Iterator[RawObject]:
        """Yield every item of a paged list.

        An expired continue token (410) restarts the listing from scratch once; items already
        yielded are skipped by uid, so callers see each object once.
        """
        seen: set[str] = set()
        restarts_left = 1
        token: str | None = None
        while True:
            try:
                with self._translate(action):
                    page = fetch(token)
            except ExpiredListError:
                if token is None or restarts_left == 0:
                    raise
                restarts_left -= 1
                token = None
                logger.info("continue token expired; restarting: %s", action)
                continue
            if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
                msg = f"Kubernetes answered '{action}' with a body that is not a list"
                raise InputError(msg)
            yield from unseen(page.get("items") or [], seen)
            token = (page.get("metadata") or {}).get("continue") or None
            if token is None:
                return

    def _in_namespace(
        self, group: str, plural: str, namespace: str, selector: str
    ) -> Iterator[RawObject]:
        path = collection_path(group, "v1", plural, namespace)
        return self._list(path, f"list {plural} in namespace {namespace}", selector=selector)

    # --- single reads and discovery --------------------------------------------------------

    def _read_or_none(self, path: str, key: ResourceKey) -> RawObject | None:
        try:
            with self._translate(f"get {key.kind} {key.namespace}/{key.name}"):
                obj = self._get(path, ())
        except UpstreamNotFoundError:
            return None
        if not isinstance(obj, dict):
            msg = f"Kubernetes answered 'get {key}' with a body that is not an object"
            raise InputError(msg)
        return obj

    def _discover_plural(self, group: str, kind: str) -> str | None:
        """The resource name serving ``kind``, looking at the preferred version first."""
        for version in self._group_versions(group):
            for resource in self._discovery(f"/apis/{group}/{version}").get("resources") or []:
                name = str(resource.get("name", ""))
                if resource.get("kind") == kind and "/" not in name:  # skip subresources
                    return name
        return None

    def _group_versions(self, group: str) -> list[str]:
        doc = self._discovery(f"/apis/{group}")
        preferred = (doc.get("preferredVersion") or {}).get("version")
        versions = [str(v.get("version")) for v in doc.get("versions") or []]
        return list(dict.fromkeys([preferred, *versions] if preferred else versions))

    def _discovery(self, path: str) -> RawObject:
        try:
            with self._translate(f"discover {path}"):
                doc = self._get(path, ())
        except UpstreamNotFoundError:
            return {}
        return doc if isinstance(doc, dict) else {}

    def _get(
        self,
        path: str,
        query: Iterable[tuple[str, str | int]],
        view: decoding.View | None = None,
    ) -> Any:
        """GET ``path`` through the client's auth and pool; parsed JSON, ApiException if not 2xx."""
        request = self._api.param_serialize(
            method="GET",
            resource_path=path,
            query_params=list(query),
            header_params={"Accept": "application/json"},
            auth_settings=["BearerToken"],
        )
        response = self._api.call_api(*request, _request_timeout=self._timeout)
        body = response.read()
        if not 200 <= response.status <= 299:
            raise ApiException(http_resp=response)
        return json_value(body, path, view)

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn client exceptions raised inside the block into `bot.errors` types."""
        try:
            yield
        except ApiException as exc:
            raise api_error(exc, action=action, host=self._host) from exc
        except CONNECTION_ERRORS as exc:
            msg = (
                f"cannot reach the Kubernetes API at {self._host} to {action} "
                f"({type(exc).__name__}: {excerpt(str(exc))}); "
                f"{CREDENTIALS_HINT} points at a live cluster"
            )
            raise UpstreamUnavailableError(msg, source=SOURCE, setting=SETTING) from exc
