"""Read-only Kubernetes access: the one module that imports the official ``kubernetes`` client.

Every read returns plain JSON (``RawObject``), never the client's typed models: those rename
fields to snake_case and drop the fields of custom resources they do not know, while the core
reads objects exactly as the API server (and Argo CD's diff) spells them.

Discovery (``/apis/{group}``) and the cluster-wide list of an arbitrary type have no generated
method, so `_get` builds those GETs with ``ApiClient.param_serialize`` + ``call_api``: they still
share the client's auth, TLS settings and connection pool. That pair is the request API of the
client's current generator (kubernetes >= 37).

Every failure leaves this module as a `bot.errors` type (`api_error`, `_translate`), so callers
never handle an ``ApiException`` or a urllib3 error. Text quoted from an answer into an error
message is redacted first, and a malformed JSON body is described, never quoted: a pod list
cut short still carries environment variables, Secrets' values among them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Final
from urllib.parse import quote

import kubernetes.client
import kubernetes.config
import urllib3.exceptions
import yaml
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from bot.adapters import decoding
from bot.core.model import KindRef, RawObject, ResourceKey
from bot.core.redact import redact
from bot.errors import (
    ConfigError,
    InputError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
    truncate_body,
)
from bot.settings import Settings

logger = logging.getLogger(__name__)

SOURCE: Final = "kubernetes"
SETTING: Final = "KUBECONFIG"
_CREDENTIALS_HINT: Final = "check KUBECONFIG or the pod's service account"

_APP_GROUP, _APP_VERSION, _APP_PLURAL = "argoproj.io", "v1alpha1", "applications"

# Client-side connection failures; urllib3 wraps most of them in MaxRetryError once its own
# (connect-only) retries are spent.
_CONNECTION_ERRORS: Final = (
    urllib3.exceptions.MaxRetryError,
    urllib3.exceptions.NewConnectionError,
    urllib3.exceptions.TimeoutError,
    urllib3.exceptions.ProtocolError,
)

# A 400 with one of these means "there is no such log (yet)", not a failure: the container never
# terminated (no previous instance) or has not started.
_NO_LOG_MARKERS: Final = ("previous terminated container", "is waiting to start")


@dataclass(frozen=True, slots=True)
class _Workload:
    """How to reach a workload's pods: its API version, plural, and whether via ReplicaSets."""

    version: str
    plural: str
    via_replicasets: bool = False


_WORKLOADS: Final[Mapping[tuple[str, str], _Workload]] = {
    ("apps", "Deployment"): _Workload("v1", "deployments", via_replicasets=True),
    ("argoproj.io", "Rollout"): _Workload("v1alpha1", "rollouts", via_replicasets=True),
    ("apps", "StatefulSet"): _Workload("v1", "statefulsets"),
    ("apps", "DaemonSet"): _Workload("v1", "daemonsets"),
    ("apps", "ReplicaSet"): _Workload("v1", "replicasets"),
    ("batch", "Job"): _Workload("v1", "jobs"),
}


class _ExpiredListError(UpstreamUnavailableError):
    """HTTP 410: the continue token of a paged list expired (the list restarts once)."""


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
        self._plurals = _Memo()

    @classmethod
    def from_settings(cls, settings: Settings, *, pool_size: int | None = None) -> KubeReader:
        """Connect with ``KUBECONFIG`` when set, else with the pod's service account.

        The urllib3 pool holds at least ``pool_size`` (default ``DRIFT_CONCURRENCY``) connections:
        a smaller pool would make the scan's parallel requests open and drop connections.

        Raises:
            ConfigError: the kubeconfig cannot be loaded, or there is no in-cluster account.
        """
        configuration = kubernetes.client.Configuration()
        wanted = pool_size if pool_size is not None else settings.drift_concurrency
        configuration.connection_pool_maxsize = max(configuration.connection_pool_maxsize, wanted)
        api_client = _load_client(settings.kubeconfig, configuration)
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

    def list_applications(self) -> Iterator[RawObject]:
        """Every Application in the configured namespaces, paged with ``limit``/``continue``."""
        for namespace in self._app_namespaces:
            action = f"list {_APP_PLURAL}.{_APP_GROUP} in namespace {namespace}"
            yield from self._paged(partial(self._application_page, namespace), action)

    def get_crd(self, group: str, kind: str) -> RawObject | None:
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
        return _json_object(body, f"customresourcedefinition {name}")

    def list_objects(self, ref: KindRef) -> list[RawObject]:
        """Every object of one type, cluster-wide (paged).

        Raises:
            ValueError: ``ref`` names Secrets, which the bot never reads (its role cannot).
        """
        return list(self.iter_objects(ref))

    def iter_objects(self, ref: KindRef) -> Iterator[RawObject]:
        """`list_objects`, a page at a time: a caller that reduces each object as it comes
        (the usage index) never holds more than one page of a 40,000-pod list.

        Raises:
            ValueError: ``ref`` names Secrets, which the bot never reads (its role cannot).
        """
        if ref.group == "" and ref.plural == "secrets":
            msg = "drift-bot never reads Secrets; its ClusterRole does not grant them"
            raise ValueError(msg)
        path = _collection_path(ref.group, ref.version, ref.plural)
        return self._list(path, f"list {ref.plural}{_group_suffix(ref.group)}")

    def pods_of(self, workload: ResourceKey) -> list[RawObject]:
        """Pods owned by a workload, verified through ``ownerReferences``.

        Label selectors of different workloads overlap in real clusters, so the selector only
        narrows the list; ownership decides. A workload that does not exist, or a kind that
        owns no pods, has none.
        """
        if (workload.group, workload.kind) == ("", "Pod"):
            pod = self._read_or_none(_object_path("", "v1", "pods", workload), workload)
            return [pod] if pod is not None else []
        spec = _WORKLOADS.get((workload.group, workload.kind))
        if spec is None:
            return []
        path = _object_path(workload.group, spec.version, spec.plural, workload)
        obj = self._read_or_none(path, workload)
        if obj is None:
            return []
        selector = label_selector((obj.get("spec") or {}).get("selector") or {})
        owners = {str(obj.get("metadata", {}).get("uid", ""))}
        if spec.via_replicasets:
            replicasets = self._in_namespace("apps", "replicasets", workload.namespace, selector)
            owners = {_uid(rs) for rs in replicasets if owned_by(rs, owners)}
        if not owners:
            return []
        pods = self._in_namespace("", "pods", workload.namespace, selector)
        return [pod for pod in pods if owned_by(pod, owners)]

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
        # Raw bytes, decoded here with the collector paused (`decoding`): the client's own
        # deserializer would decode 6 MB pages with it running.
        response = self._custom.list_namespaced_custom_object(
            _APP_GROUP,
            _APP_VERSION,
            namespace,
            _APP_PLURAL,
            limit=self._page_size,
            _continue=token,
            _request_timeout=self._timeout,
            _preload_content=False,
        )
        return _json_value(response.data, f"list {_APP_PLURAL}.{_APP_GROUP} in {namespace}")

    def _list(self, path: str, action: str, *, selector: str = "") -> Iterator[RawObject]:
        def fetch(token: str | None) -> Any:
            query: list[tuple[str, str | int]] = [("limit", self._page_size)]
            if selector:
                query.append(("labelSelector", selector))
            if token:
                query.append(("continue", token))
            return self._get(path, query)

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
            except _ExpiredListError:
                if token is None or restarts_left == 0:
                    raise
                restarts_left -= 1
                token = None
                logger.info("continue token expired; restarting: %s", action)
                continue
            if not isinstance(page, dict) or not isinstance(page.get("items", []), list):
                msg = f"Kubernetes answered '{action}' with a body that is not a list"
                raise InputError(msg)
            yield from _unseen(page.get("items") or [], seen)
            token = (page.get("metadata") or {}).get("continue") or None
            if token is None:
                return

    def _in_namespace(
        self, group: str, plural: str, namespace: str, selector: str
    ) -> Iterator[RawObject]:
        path = _collection_path(group, "v1", plural, namespace)
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

    def _get(self, path: str, query: Iterable[tuple[str, str | int]]) -> Any:
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
        return _json_value(body, path)

    @contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        """Turn client exceptions raised inside the block into `bot.errors` types."""
        try:
            yield
        except ApiException as exc:
            raise api_error(exc, action=action, host=self._host) from exc
        except _CONNECTION_ERRORS as exc:
            msg = (
                f"cannot reach the Kubernetes API at {self._host} to {action} "
                f"({type(exc).__name__}: {_excerpt(str(exc))}); "
                f"{_CREDENTIALS_HINT} points at a live cluster"
            )
            raise UpstreamUnavailableError(msg, source=SOURCE, setting=SETTING) from exc


class _Memo:
    """Compute each key once, even when many scan threads ask for it at the same moment.

    ``None`` results are not kept: a CRD installed later must still be found by a long-running
    ``serve`` process. Failures are not kept either, so the next call tries again.
    """

    def __init__(self) -> None:
        self._values: dict[tuple[str, str], str] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: tuple[str, str], compute: Callable[[], str | None]) -> str | None:
        with self._guard:
            if key in self._values:
                return self._values[key]
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            with self._guard:
                if key in self._values:  # filled while we waited for the key's lock
                    return self._values[key]
            value = compute()
            if value is not None:
                with self._guard:
                    self._values[key] = value
            return value


def _load_client(
    kubeconfig: str | None, configuration: kubernetes.client.Configuration
) -> kubernetes.client.ApiClient:
    try:
        if kubeconfig:
            # The config loaders carry no annotations, hence the ignores.
            kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=kubeconfig, client_configuration=configuration, persist_config=False
            )
        else:
            kubernetes.config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=configuration
            )
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
        where = f"KUBECONFIG={kubeconfig}" if kubeconfig else "in-cluster config (KUBECONFIG unset)"
        msg = (
            f"cannot load Kubernetes credentials from {where}: {_excerpt(str(exc))}. "
            "Set KUBECONFIG to a kubeconfig file, or run the bot as a pod with a service account."
        )
        raise ConfigError(msg) from exc
    return kubernetes.client.ApiClient(configuration)


def api_error(exc: ApiException, *, action: str, host: str) -> UpstreamError:
    """Map an API answer to the error tree (kopf ``check_response`` style)."""
    status = int(exc.status or 0)
    detail = _status_message(exc.body, fallback=str(exc.reason or ""))
    kwargs: dict[str, Any] = {"source": SOURCE, "setting": SETTING}
    if status == 0:  # the client's own TLS failure, no HTTP answer at all
        return UpstreamUnavailableError(
            f"cannot reach the Kubernetes API at {host} to {action}: {detail}", **kwargs
        )
    if status == 401:
        return UpstreamAuthError(
            f"Kubernetes rejected the credentials; {_CREDENTIALS_HINT} ({detail})", **kwargs
        )
    if status == 403:
        return UpstreamAuthError(
            f"Kubernetes forbids the bot to {action}: {detail}. "
            "Its ClusterRole needs get/list on that resource.",
            **kwargs,
        )
    if status == 404:
        return UpstreamNotFoundError(f"Kubernetes found nothing to {action}: {detail}", **kwargs)
    if status == 410:
        return _ExpiredListError(
            f"Kubernetes kept expiring the paging token to {action} (HTTP 410); "
            "the API server is under heavy churn, try again later",
            **kwargs,
        )
    if status == 429 or status >= 500:
        return UpstreamUnavailableError(
            f"the Kubernetes API at {host} failed to {action}: HTTP {status} {detail}", **kwargs
        )
    return UpstreamError(f"Kubernetes refused to {action}: HTTP {status} {detail}", **kwargs)


def _status_message(body: str | None, *, fallback: str) -> str:
    """The ``message`` of a ``Status`` body, else the (truncated) body itself."""
    if not body:
        return fallback
    try:
        parsed = json.loads(body)
    except ValueError:
        return _excerpt(body)
    if isinstance(parsed, dict) and parsed.get("message"):
        return _excerpt(str(parsed["message"]))
    return _excerpt(body)


def label_selector(selector: Mapping[str, Any]) -> str:
    """A ``LabelSelector`` object as the ``labelSelector`` query string the API expects.

    Raises:
        InputError: a ``matchExpressions`` operator Kubernetes does not define.
    """
    parts = [f"{key}={value}" for key, value in sorted((selector.get("matchLabels") or {}).items())]
    for expr in selector.get("matchExpressions") or []:
        key, operator = expr.get("key", ""), expr.get("operator", "")
        values = ",".join(str(v) for v in expr.get("values") or [])
        if operator == "In":
            parts.append(f"{key} in ({values})")
        elif operator == "NotIn":
            parts.append(f"{key} notin ({values})")
        elif operator == "Exists":
            parts.append(key)
        elif operator == "DoesNotExist":
            parts.append(f"!{key}")
        else:
            msg = f"unknown label selector operator {operator!r} on key {key!r}"
            raise InputError(msg)
    return ",".join(parts)


def owned_by(obj: Mapping[str, Any], owner_uids: set[str]) -> bool:
    """Whether one of ``obj``'s ``ownerReferences`` points at one of ``owner_uids``."""
    refs = (obj.get("metadata") or {}).get("ownerReferences") or []
    return any(ref.get("uid") in owner_uids for ref in refs)


def _uid(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("uid", ""))


def _unseen(items: Iterable[RawObject], seen: set[str]) -> Iterator[RawObject]:
    for item in items:
        uid = _uid(item)
        if uid and uid in seen:
            continue
        seen.add(uid)
        yield item


def _group_suffix(group: str) -> str:
    return f".{group}" if group else ""


def _collection_path(group: str, version: str, plural: str, namespace: str = "") -> str:
    """``/api/v1/pods``, ``/apis/apps/v1/namespaces/x/replicasets``... (namespace optional)."""
    base = f"/apis/{group}/{version}" if group else f"/api/{version}"
    scope = f"/namespaces/{quote(namespace, safe='')}" if namespace else ""
    return f"{base}{scope}/{plural}"


def _object_path(group: str, version: str, plural: str, key: ResourceKey) -> str:
    return f"{_collection_path(group, version, plural, key.namespace)}/{quote(key.name, safe='')}"


def _json_value(body: bytes | str, what: str) -> Any:
    try:
        return decoding.loads(body)
    except ValueError as exc:
        msg = f"Kubernetes answered {what} with a body that is not JSON: {_described(body, exc)}"
        raise InputError(msg) from exc


def _json_object(body: bytes | str, what: str) -> RawObject:
    value = _json_value(body, what)
    if not isinstance(value, dict):
        kind = type(value).__name__
        msg = f"Kubernetes answered {what} with JSON that is not an object (a {kind})"
        raise InputError(msg)
    return value


def _described(body: bytes | str, exc: ValueError) -> str:
    """What a malformed body looks like, without quoting data it may hold.

    Broken JSON (cut short, mangled by a proxy) still carries live objects, so only its size
    and the parser's complaint are given; anything else (an HTML error page) is quoted, redacted.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if text.lstrip()[:1] in ("{", "["):
        return f"broken JSON of {len(text)} characters ({exc})"
    return _excerpt(text)


def _excerpt(text: str) -> str:
    """Upstream text for an error message: redacted first, so no cut can split a secret."""
    return truncate_body(redact(text))
