"""API-server defaults of pods and the workloads that template them (apps/v1, batch/v1).

Kubernetes' ``pkg/apis/core/v1/defaults.go`` (``SetDefaults_PodSpec``, ``_Container``,
``_Probe``, ``_Volume``), ``pkg/apis/apps/v1/defaults.go`` and ``pkg/apis/batch/v1/defaults.go``,
as the real live objects in ``tests/data/realdata/gitops-engine-diff`` show them. Part of
`bot.simulator.cluster.server_defaults`, which dispatches by kind.
"""

from __future__ import annotations

from typing import Any

from bot.simulator.cluster.default_tools import allocated, child, items, put

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
        put(probe, key, value)
    http = child(probe, "httpGet")
    if http is not None:
        put(http, "scheme", "HTTP")


def _container(container: dict[str, Any]) -> None:
    put(container, "terminationMessagePath", "/dev/termination-log")
    put(container, "terminationMessagePolicy", "File")
    put(container, "imagePullPolicy", _image_pull_policy(str(container.get("image", ""))))
    put(container, "resources", {})
    for port in items(container, "ports"):
        put(port, "protocol", "TCP")
    for name in ("livenessProbe", "readinessProbe", "startupProbe"):
        probe = child(container, name)
        if probe is not None:
            _probe(probe)
    for env in items(container, "env"):
        source = child(env, "valueFrom") or {}
        field_ref = child(source, "fieldRef")
        if field_ref is not None:
            put(field_ref, "apiVersion", "v1")
        resource_ref = child(source, "resourceFieldRef")
        if resource_ref is not None:
            put(resource_ref, "divisor", "0")


def _volume(volume: dict[str, Any]) -> None:
    for source in ("configMap", "secret", "downwardAPI", "projected"):
        node = child(volume, source)
        if node is not None:
            put(node, "defaultMode", 420)
    host = child(volume, "hostPath")
    if host is not None:
        put(host, "type", "")


def pod_spec(spec: dict[str, Any]) -> None:
    """SetDefaults_PodSpec plus the containers, volumes and the deprecated serviceAccount."""
    put(spec, "dnsPolicy", "ClusterFirst")
    put(spec, "restartPolicy", "Always")
    put(spec, "schedulerName", "default-scheduler")
    put(spec, "securityContext", {})
    put(spec, "terminationGracePeriodSeconds", 30)
    if "serviceAccountName" in spec:
        # The v1 conversion mirrors the name into the deprecated field.
        put(spec, "serviceAccount", spec["serviceAccountName"])
    for key in ("containers", "initContainers"):
        for container in items(spec, key):
            _container(container)
    for volume in items(spec, "volumes"):
        _volume(volume)


def _template(workload_spec: dict[str, Any]) -> None:
    template = child(workload_spec, "template")
    if template is None:
        return
    metadata = template.setdefault("metadata", {})
    if isinstance(metadata, dict):
        # Go's ObjectMeta serializes a zero creationTimestamp as null inside templates.
        put(metadata, "creationTimestamp", None)
    spec = child(template, "spec")
    if spec is not None:
        pod_spec(spec)


# --- workloads (apps/v1 and batch/v1 defaults.go) ---------------------------------------------


def deployment(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    put(spec, "replicas", 1)
    put(spec, "progressDeadlineSeconds", 600)
    put(spec, "revisionHistoryLimit", 10)
    strategy = spec.setdefault("strategy", {})
    put(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        put(rolling, "maxSurge", "25%")
        put(rolling, "maxUnavailable", "25%")
    _template(spec)


def stateful_set(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    put(spec, "replicas", 1)
    put(spec, "podManagementPolicy", "OrderedReady")
    put(spec, "revisionHistoryLimit", 10)
    if str(obj.get("apiVersion")) == "apps/v1":
        strategy = spec.setdefault("updateStrategy", {})
        put(strategy, "type", "RollingUpdate")
        if strategy["type"] == "RollingUpdate":
            put(strategy, "rollingUpdate", {"partition": 0})
        if version >= (1, 27):
            put(
                spec,
                "persistentVolumeClaimRetentionPolicy",
                {"whenDeleted": "Retain", "whenScaled": "Retain"},
            )
    for claim in items(spec, "volumeClaimTemplates"):
        metadata = claim.setdefault("metadata", {})
        if isinstance(metadata, dict) and version < (1, 27):
            # Old servers wrote a null timestamp into each claim template; the seed's real
            # 1.32 cluster does not (git's ``creationTimestamp: null`` there was drift).
            put(metadata, "creationTimestamp", None)
        put(claim, "status", {"phase": "Pending"})
        if version >= (1, 18):
            # Newer servers write the embedded claim out in full (type meta, volumeMode).
            put(claim, "apiVersion", "v1")
            put(claim, "kind", "PersistentVolumeClaim")
            claim_spec = claim.setdefault("spec", {})
            if isinstance(claim_spec, dict):
                put(claim_spec, "volumeMode", "Filesystem")
    _template(spec)


def daemon_set(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    put(spec, "revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {})
    put(strategy, "type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        put(strategy, "rollingUpdate", {"maxSurge": 0, "maxUnavailable": 1})
    _template(spec)


def job(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (
        ("backoffLimit", 6),
        ("completionMode", "NonIndexed"),
        ("completions", 1),
        ("parallelism", 1),
        ("suspend", False),
    ):
        put(spec, key, value)
    if version >= (1, 29):
        put(spec, "podReplacementPolicy", "TerminatingOrFailed")
    uid = allocated(obj, "job-uid", 32)
    controller_uid = f"{uid[:8]}-{uid[8:12]}-{uid[12:16]}-{uid[16:20]}-{uid[20:32]}"
    labels = {"batch.kubernetes.io/controller-uid": controller_uid}
    put(spec, "selector", {"matchLabels": dict(labels)})
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


def cron_job(obj: dict[str, Any], version: tuple[int, int]) -> None:
    spec = obj.setdefault("spec", {})
    for key, value in (
        ("concurrencyPolicy", "Allow"),
        ("failedJobsHistoryLimit", 1),
        ("successfulJobsHistoryLimit", 3),
        ("suspend", False),
    ):
        put(spec, key, value)
    job_template = child(spec, "jobTemplate")
    job_spec = child(job_template, "spec") if job_template else None
    if job_spec is not None:
        _template(job_spec)
