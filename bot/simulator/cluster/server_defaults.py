"""What a real API server adds to a manifest it stores: the defaults of each built-in kind.

Transcribed from real API-server output, not from what the bot expects: every default here is
visible in a live object of Argo CD's diff-engine test data (``tests/data/realdata/
gitops-engine-diff/*-live.*``, checked by ``tests/simulator/test_server_defaults_realdata.py``,
which reports the coverage), or, for kinds those files lack, in Kubernetes' own
``pkg/apis/*/v1/defaults.go`` (named per entry). The bot keeps its own, independent table in
``bot/core/builtin_defaults.py``; sharing one would let the simulator and the classifier make the
same mistake and agree on it.

Defaults depend on the API version where Kubernetes changed them (admission webhooks: ``v1beta1``
defaults ``matchPolicy: Exact`` and ``timeoutSeconds: 30``, ``v1`` ``Equivalent`` and ``10``).
Pods and the workloads that template them are in `workload_defaults`; this module has the
other kinds and dispatches by kind. Values the server *allocates* (a Service's ``clusterIP``,
a Job's ``controller-uid``) are derived from the object's identity so builds stay
deterministic.

Fields that controllers (not the API server) write after the fact, such as ``caBundle`` from
cert-manager's cainjector or ``rules`` of an aggregated ClusterRole, are not defaults; the
scenario writes those with a named field manager (see `bot.simulator.cluster.writers`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster.default_tools import allocated, child, items, put
from bot.simulator.cluster.workload_defaults import (
    cron_job,
    daemon_set,
    deployment,
    job,
    pod_spec,
    stateful_set,
)

Defaulter = Callable[[dict[str, Any], tuple[int, int]], None]

KUBE_VERSION: Final = (1, 32)
"""The server version simulated clusters run (the seed's Talos nodes report v1.32.4)."""

CLUSTER_SCOPED: Final = frozenset(
    {
        "Namespace",
        "Node",
        "PersistentVolume",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
        "IngressClass",
        "StorageClass",
        "PriorityClass",
        "APIService",
    }
)


# --- networking and the rest -----------------------------------------------------------------


def _service(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    put(spec, "type", "ClusterIP")
    kind = spec["type"]
    if kind != "ExternalName":
        number = int(allocated(obj, "cluster-ip", 6), 16)
        ip = spec.get("clusterIP") or f"10.43.{number % 256}.{number // 256 % 254 + 1}"
        put(spec, "clusterIP", ip)
        put(spec, "clusterIPs", [ip] if ip != "None" else ["None"])
        put(spec, "ipFamilies", ["IPv4"])
        put(spec, "ipFamilyPolicy", "SingleStack")
        if version >= (1, 22):
            put(spec, "internalTrafficPolicy", "Cluster")
    put(spec, "sessionAffinity", "None")
    if kind in ("NodePort", "LoadBalancer"):
        put(spec, "externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        put(spec, "allocateLoadBalancerNodePorts", True)
    for index, port in enumerate(items(spec, "ports")):
        put(port, "protocol", "TCP")
        if kind != "ExternalName":
            put(port, "targetPort", port.get("port"))
        if kind in ("NodePort", "LoadBalancer"):
            put(port, "nodePort", 30000 + (int(allocated(obj, f"np{index}", 4), 16) % 2768))


def _namespace(obj: dict[str, Any], version: tuple[int, int]) -> None:
    metadata = obj.setdefault("metadata", {})
    labels = metadata.setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = metadata.get("name", "")
    spec = obj.setdefault("spec", {})
    put(spec, "finalizers", ["kubernetes"])


def _webhooks(obj: dict[str, Any], version: tuple[int, int]) -> None:
    legacy = str(obj.get("apiVersion", "")).endswith("/v1beta1")
    mutating = obj.get("kind") == "MutatingWebhookConfiguration"
    for hook in items(obj, "webhooks"):
        config = hook.setdefault("clientConfig", {})
        service = child(config, "service")
        if service is not None:
            put(service, "port", 443)
        put(hook, "matchPolicy", "Exact" if legacy else "Equivalent")
        put(hook, "namespaceSelector", {})
        put(hook, "objectSelector", {})
        put(hook, "timeoutSeconds", 30 if legacy else 10)
        put(hook, "failurePolicy", "Ignore" if legacy else "Fail")
        if mutating:
            put(hook, "reinvocationPolicy", "Never")
        if legacy:
            put(hook, "sideEffects", "Unknown")
            put(hook, "admissionReviewVersions", ["v1beta1"])
        for rule in items(hook, "rules"):
            put(rule, "scope", "*")


def _endpoints(obj: dict[str, Any], version: tuple[int, int]) -> None:
    for subset in items(obj, "subsets"):
        for port in items(subset, "ports"):
            put(port, "protocol", "TCP")


def _secret(obj: dict[str, Any], version: tuple[int, int]) -> None:
    put(obj, "type", "Opaque")


def _pvc(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    put(spec, "volumeMode", "Filesystem")


def _pod(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    pod_spec(spec)
    put(spec, "enableServiceLinks", True)
    put(spec, "preemptionPolicy", "PreemptLowerPriority")
    put(spec, "priority", 0)


_BY_KIND: Final[dict[tuple[str, str], Defaulter]] = {
    ("apps", "Deployment"): deployment,
    ("apps", "StatefulSet"): stateful_set,
    ("apps", "DaemonSet"): daemon_set,
    ("batch", "Job"): job,
    ("batch", "CronJob"): cron_job,
    ("", "Service"): _service,
    ("", "Namespace"): _namespace,
    ("", "Endpoints"): _endpoints,
    ("", "Secret"): _secret,
    ("", "PersistentVolumeClaim"): _pvc,
    ("", "Pod"): _pod,
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): _webhooks,
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): _webhooks,
}


def defaulted_kinds() -> frozenset[tuple[str, str]]:
    """(group, kind) pairs this module knows defaults for."""
    return frozenset(_BY_KIND)


def group_of(obj: RawObject) -> str:
    return str(obj.get("apiVersion", "")).rpartition("/")[0]


def with_defaults(
    obj: RawObject,
    *,
    namespace: str = "default",
    version: tuple[int, int] = KUBE_VERSION,
    in_place: bool = False,
) -> RawObject:
    """A deep copy of ``obj`` as the API server would store it (existing values always win).

    ``namespace`` is where a namespaced manifest without ``metadata.namespace`` lands (the
    namespace Argo CD applies it to; ``""`` leaves it alone); ``version`` is the server's
    (major, minor): defaults that newer servers added are left out on older ones.
    ``in_place`` fills ``obj`` itself (for a caller that already owns a private copy).
    """
    out: dict[str, Any] = obj if in_place else _deep_copy(obj)
    kind = str(out.get("kind", ""))
    metadata = out.setdefault("metadata", {})
    if namespace and kind not in CLUSTER_SCOPED and group_of(out) != "apiextensions.k8s.io":
        put(metadata, "namespace", namespace)
    defaulter = _BY_KIND.get((group_of(out), kind))
    if defaulter is not None:
        defaulter(out, version)
    return out


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value
