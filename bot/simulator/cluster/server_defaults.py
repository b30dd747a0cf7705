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
Values the server *allocates* (a Service's ``clusterIP``, a Job's ``controller-uid``) are
derived from the object's identity so builds stay deterministic.

Fields that controllers (not the API server) write after the fact, such as ``caBundle`` from
cert-manager's cainjector or ``rules`` of an aggregated ClusterRole, are not defaults; the
scenario writes those with a named field manager (see `bot.simulator.cluster.writers`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, Final

from bot.core.model import RawObject

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


def _set(node: dict[str, Any], key: str, value: Any) -> None:
    if key not in node:
        node[key] = value


def _items(node: Any, key: str) -> list[dict[str, Any]]:
    value = node.get(key) if isinstance(node, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _child(node: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = node.get(key)
    return value if isinstance(value, dict) else None


# --- pods (core/v1 defaults.go: SetDefaults_PodSpec, _Container, _Probe, _Volume...) ----------


def _image_pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image, else ``IfNotPresent``."""
    name = image.rsplit("/", 1)[-1]
    if "@" in name:
        return "IfNotPresent"
    tag = name.partition(":")[2]
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _probe(probe: dict[str, Any]) -> None:
    for key, value in (
        ("failureThreshold", 3),
        ("periodSeconds", 10),
        ("successThreshold", 1),
        ("timeoutSeconds", 1),
    ):
        _set(probe, key, value)
    http = _child(probe, "httpGet")
    if http is not None:
        _set(http, "scheme", "HTTP")


def _container(container: dict[str, Any]) -> None:
    _set(container, "terminationMessagePath", "/dev/termination-log")
    _set(container, "terminationMessagePolicy", "File")
    _set(container, "imagePullPolicy", _image_pull_policy(str(container.get("image", ""))))
    _set(container, "resources", {})
    for port in _items(container, "ports"):
        _set(port, "protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = _child(container, name)
        if probe is not None:
            _probe(probe)
    for env in _items(container, "env"):
        source = _child(env, "valueFrom") or {}
        field_ref = _child(source, "fieldRef")
        if field_ref is not None:
            _set(field_ref, "apiVersion", "v1")
        resource_ref = _child(source, "resourceFieldRef")
        if resource_ref is not None:
            _set(resource_ref, "divisor", "0")


def _volume(volume: dict[str, Any]) -> None:
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        node = _child(volume, source)
        if node is not None:
            _set(node, "defaultMode", 420)
    host = _child(volume, "hostPath")
    if host is not None:
        _set(host, "type", "")


def pod_spec(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec plus the containers, volumes and the deprecated serviceAccount."""
    _set(spec, "dnsPolicy", "ClusterFirst")
    _set(spec, "restartPolicy", "Always")
    _set(spec, "schedulerName", "default-scheduler")
    _set(spec, "securityContext", {})
    _set(spec, "terminationGracePeriodSeconds", 30)
    if "serviceAccountName" in spec:
        # The v1 conversion mirrors the name into the deprecated field.
        _set(spec, "serviceAccount", spec["serviceAccountName"])
    for key in ("containers", "initContainers"):
        for container in _items(spec, key):
            _container(container)
    for volume in _items(spec, "volumes"):
        _volume(volume)


def _template(workload_spec: dict[str, Any]) -> None:
    template = _child(workload_spec, "template")
    if template is None:
        return
    metadata = template.setdefault("metadata", {})
    if isinstance(metadata, dict):
        # Go's ObjectMeta serializes a zero creationTimestamp as null inside templates.
        _set(metadata, "creationTimestamp", None)
    spec = _child(template, "spec")
    if spec is not None:
        pod_spec(spec)


# --- workloads (apps/v1 and batch/v1 defaults.go) ---------------------------------------------


def _deployment(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)
    _set(spec, "progressDeadlineSeconds", 600)
    _set(spec, "revisionHistoryLimit", 10)
    strategy = spec.setdefault("strategy", {})
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        _set(rolling, "maxSurge", "25%")
        _set(rolling, "maxUnavailable", "25%")
    _template(spec)


def _stateful_set(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "replicas", 1)
    _set(spec, "podManagementPolicy", "OrderedReady")
    _set(spec, "revisionHistoryLimit", 10)
    if str(obj.get("apiVersion")) == "apps/v1":
        strategy = spec.setdefault("updateStrategy", {})
        _set(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            _set(strategy, "rollingUpdate", {"partition": 0})
        if version >= (1, 27):
            _set(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                {"whenDeleted": "Retain", "whenScaled": "Retain"},
            )
    for claim in _items(spec, "volumeClaimTemplates"):
        metadata = claim.setdefault("metadata", {})
        if isinstance(metadata, dict) and version < (1, 27):
            # Old servers wrote a null timestamp into each claim template; the seed's real
            # 1.32 cluster does not (git's ``creationTimestamp: null`` there was drift).
            _set(metadata, "creationTimestamp", None)
        _set(claim, "status", {"phase": "Pending"})
        if version >= (1, 18):
            # Newer servers write the embedded claim out in full (type meta, volumeMode).
            _set(claim, "apiVersion", "v1")
            _set(claim, "kind", "PersistentVolumeClaim")
            claim_spec = claim.setdefault("spec", {})
            if isinstance(claim_spec, dict):
                _set(claim_spec, "volumeMode", "Filesystem")
    _template(spec)


def _daemon_set(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {})
    _set(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        _set(strategy, "rollingUpdate", {"maxSurge": 0, "maxUnavailable": 1})
    _template(spec)


def _job(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (
        ("backoffLimit", 6),
        ("completionMode", "NonIndexed"),
        ("completions", 1),
        ("parallelism", 1),
        ("suspend", False),
    ):
        _set(spec, key, value)
    if version >= (1, 29):
        _set(spec, "podReplacementPolicy", "TerminatingOrFailed")
    uid = _allocated(obj, "job-uid", 32)
    controller_uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
    labels = {"batch.kubernetes.io/controller-uid": controller_uid}
    _set(spec, "selector", {"matchLabels": dict(labels)})
    template = spec.get("template")
    if isinstance(template, dict):
        metadata = template.setdefault("metadata", {})
        if isinstance(metadata, dict):
            metadata["labels"] = {
                **labels,
                "batch.kubernetes.io/job-name": obj["metadata"]["name"],
                "controller-uid": controller_uid,
                "job-name": obj["metadata"]["name"],
                **(metadata.get("labels") or {}),
            }
    _template(spec)


def _cron_job(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (
        ("concurrencyPolicy", "Allow"),
        ("failedJobsHistoryLimit", 1),
        ("successfulJobsHistoryLimit", 3),
        ("suspend", False),
    ):
        _set(spec, key, value)
    job_template = _child(spec, "jobTemplate")
    job_spec = _child(job_template, "spec") if job_template else None
    if job_spec is not None:
        _template(job_spec)


# --- networking and the rest -----------------------------------------------------------------


def _allocated(obj: RawObject, purpose: str, length: int) -> str:
    meta = obj.get("metadata") or {}
    blob = f"{purpose}|{meta.get('namespace', '')}|{meta.get('name', '')}".encode()
    return hashlib.sha1(blob, usedforsecurity=False).hexdigest()[:length]


def _service(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "type", "ClusterIP")
    kind = spec["type"]
    if kind != "ExternalName":
        number = int(_allocated(obj, "cluster-ip", 6), 16)
        ip = spec.get("clusterIP") or f"10.43.{number % 256}.{number // 256 % 254 + 1}"
        _set(spec, "clusterIP", ip)
        _set(spec, "clusterIPs", [ip] if ip != "None" else ["None"])
        _set(spec, "ipFamilies", ["IPv4"])
        _set(spec, "ipFamilyPolicy", "SingleStack")
        if version >= (1, 22):
            _set(spec, "internalTrafficPolicy", "Cluster")
    _set(spec, "sessionAffinity", "None")
    if kind in ("NodePort", "LoadBalancer"):
        _set(spec, "externalTrafficPolicy", "Cluster")
    if kind == "LoadBalancer":
        _set(spec, "allocateLoadBalancerNodePorts", True)
    for index, port in enumerate(_items(spec, "ports")):
        _set(port, "protocol", "TCP")
        if kind != "ExternalName":
            _set(port, "targetPort", port.get("port"))
        if kind in ("NodePort", "LoadBalancer"):
            _set(port, "nodePort", 30000 + (int(_allocated(obj, f"np{index}", 4), 16) % 2768))


def _namespace(obj: dict[str, Any], version: tuple[int, int]) -> None:
    metadata = obj.setdefault("metadata", {})
    labels = metadata.setdefault("labels", {})
    labels["kubernetes.io/metadata.name"] = metadata.get("name", "")
    spec = obj.setdefault("spec", {})
    _set(spec, "finalizers", ["kubernetes"])


def _webhooks(obj: dict[str, Any], version: tuple[int, int]) -> None:
    legacy = str(obj.get("apiVersion", "")).endswith("/v1beta1")
    mutating = obj.get("kind") == "MutatingWebhookConfiguration"
    for hook in _items(obj, "webhooks"):
        config = hook.setdefault("clientConfig", {})
        service = _child(config, "service")
        if service is not None:
            _set(service, "port", 443)
        _set(hook, "matchPolicy", "Exact" if legacy else "Equivalent")
        _set(hook, "namespaceSelector", {})
        _set(hook, "objectSelector", {})
        _set(hook, "timeoutSeconds", 30 if legacy else 10)
        _set(hook, "failurePolicy", "Ignore" if legacy else "Fail")
        if mutating:
            _set(hook, "reinvocationPolicy", "Never")
        if legacy:
            _set(hook, "sideEffects", "Unknown")
            _set(hook, "admissionReviewVersions", ["v1beta1"])
        for rule in _items(hook, "rules"):
            _set(rule, "scope", "*")


def _endpoints(obj: dict[str, Any], version: tuple[int, int]) -> None:
    for subset in _items(obj, "subsets"):
        for port in _items(subset, "ports"):
            _set(port, "protocol", "TCP")


def _secret(obj: dict[str, Any], version: tuple[int, int]) -> None:
    _set(obj, "type", "Opaque")


def _pvc(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    _set(spec, "volumeMode", "Filesystem")


def _pod(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    pod_spec(spec)
    _set(spec, "enableServiceLinks", True)
    _set(spec, "preemptionPolicy", "PreemptLowerPriority")
    _set(spec, "priority", 0)


_BY_KIND: Final[dict[tuple[str, str], Defaulter]] = {
    ("apps", "Deployment"): _deployment,
    ("apps", "StatefulSet"): _stateful_set,
    ("apps", "DaemonSet"): _daemon_set,
    ("batch", "Job"): _job,
    ("batch", "CronJob"): _cron_job,
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
        _set(metadata, "namespace", namespace)
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
