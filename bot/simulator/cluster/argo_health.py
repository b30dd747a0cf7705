"""Argo CD's built-in health checks and pod info items, re-implemented for the resource tree.

Only kinds the scenarios use are covered; others get no health, as in Argo CD for kinds
without a check (ConfigMaps, RBAC...). The logic follows gitops-engine's checks closely:
a crash-looping pod is Degraded, while its Deployment stays Progressing ("0 of 1 updated
replicas are available"), which is exactly how the seed's stuck app hid for 21 days.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from bot.core.model import RawObject

Health = dict[str, str]


def _health(status: str, message: str = "") -> Health:
    return {"status": status, "message": message} if message else {"status": status}


def _pod(obj: RawObject) -> Health:
    status = obj.get("status") or {}
    for entry in status.get("containerStatuses") or []:
        waiting = (entry.get("state") or {}).get("waiting") or {}
        reason = str(waiting.get("reason", ""))
        if reason.startswith("Err") or reason.endswith(("Error", "BackOff")):
            return _health("Degraded", str(waiting.get("message", reason)))
    phase = status.get("phase")
    if phase == "Succeeded":
        return _health("Healthy", str(status.get("message", "")))
    if phase == "Failed":
        return _health("Degraded", str(status.get("message", "")))
    if phase == "Running":
        ready = all(e.get("ready") for e in status.get("containerStatuses") or [])
        return _health("Healthy" if ready else "Progressing", str(status.get("message", "")))
    return _health("Progressing", str(status.get("message", "")))


def _deployment(obj: RawObject) -> Health:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0))
    replicas = int(status.get("replicas", 0))
    available = int(status.get("availableReplicas", 0))
    name = obj["metadata"]["name"]
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Progressing" and cond.get("reason") == "ProgressDeadlineExceeded":
            return _health("Degraded", f'Deployment "{name}" exceeded its progress deadline')
    wait = "Waiting for rollout to finish:"
    if updated < wanted:
        msg = f"{wait} {updated} out of {wanted} new replicas have been updated..."
        return _health("Progressing", msg)
    if replicas > updated:
        msg = f"{wait} {replicas - updated} old replicas are pending termination..."
        return _health("Progressing", msg)
    if available < updated:
        msg = f"{wait} {available} of {updated} updated replicas are available..."
        return _health("Progressing", msg)
    return _health("Healthy")


def _replica_set(obj: RawObject) -> Health:
    wanted = int((obj.get("spec") or {}).get("replicas", 1))
    available = int((obj.get("status") or {}).get("availableReplicas", 0))
    if available < wanted:
        msg = (
            f"Waiting for rollout to finish: {available} out of {wanted} replicas are available..."
        )
        return _health("Progressing", msg)
    return _health("Healthy")


def _stateful_set(obj: RawObject) -> Health:
    wanted = int((obj.get("spec") or {}).get("replicas", 1))
    status = obj.get("status") or {}
    ready = int(status.get("readyReplicas", 0))
    if ready < wanted:
        return _health("Progressing", f"Waiting for {wanted - ready} pods to be ready...")
    revision = status.get("currentRevision", "")
    return _health(
        "Healthy",
        f"statefulset rolling update complete {wanted} pods at revision {revision}...",
    )


def _job(obj: RawObject) -> Health:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("status") != "True":
            continue
        if cond.get("type") == "Complete":
            return _health("Healthy", str(cond.get("message", "")))
        if cond.get("type") == "Failed":
            return _health("Degraded", str(cond.get("message", "")))
    return _health("Progressing", "job is running")


def _ingress(obj: RawObject) -> Health:
    balancer = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress")
    return _health("Healthy") if balancer else _health("Progressing")


def _ready_condition(kind: str) -> Callable[[RawObject], Health]:
    def check(obj: RawObject) -> Health:
        for cond in (obj.get("status") or {}).get("conditions") or []:
            if cond.get("type") == kind:
                ok = cond.get("status") == "True"
                return _health("Healthy" if ok else "Degraded", str(cond.get("message", "")))
        return _health("Progressing", "Waiting for status to be reported")

    return check


def _always_healthy(obj: RawObject) -> Health:
    return _health("Healthy")


CHECKS: Final[dict[tuple[str, str], Callable[[RawObject], Health]]] = {
    ("", "Pod"): _pod,
    ("", "Service"): _always_healthy,
    ("", "PersistentVolumeClaim"): _always_healthy,
    ("apps", "Deployment"): _deployment,
    ("apps", "ReplicaSet"): _replica_set,
    ("apps", "StatefulSet"): _stateful_set,
    ("batch", "Job"): _job,
    ("networking.k8s.io", "Ingress"): _ingress,
    ("policy", "PodDisruptionBudget"): _always_healthy,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _ready_condition("Established"),
    ("external-secrets.io", "ExternalSecret"): _ready_condition("Ready"),
    ("tekton.dev", "PipelineRun"): _ready_condition("Succeeded"),
}


def health_of(group: str, obj: RawObject) -> Health | None:
    """Argo CD's health of one object, or None when Argo CD has no check for its kind."""
    check = CHECKS.get((group, str(obj.get("kind"))))
    return check(obj) if check else None


def pod_info(obj: RawObject) -> list[dict[str, str]]:
    """The ``info`` items Argo CD attaches to a Pod node (reason, node, readiness, restarts)."""
    status = obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    reason = str(status.get("reason") or status.get("phase") or "")
    restarts = 0
    ready = 0
    for entry in reversed(statuses):
        restarts += int(entry.get("restartCount", 0))
        state = entry.get("state") or {}
        if (state.get("waiting") or {}).get("reason"):
            reason = state["waiting"]["reason"]
        elif state.get("terminated"):
            reason = state["terminated"].get("reason") or "Completed"
        elif entry.get("ready"):
            ready += 1
    info = [{"name": "Status Reason", "value": reason}]
    node = (obj.get("spec") or {}).get("nodeName")
    if node:
        info.append({"name": "Node", "value": str(node)})
    info.append({"name": "Containers", "value": f"{ready}/{len(statuses)}"})
    if restarts:
        info.append({"name": "Restart Count", "value": str(restarts)})
    return info


def revision_info(obj: Mapping[str, Any]) -> list[dict[str, str]]:
    """``Rev:N`` for Deployments and ReplicaSets that carry the revision annotation."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    revision = annotations.get("deployment.kubernetes.io/revision")
    return [{"name": "Revision", "value": f"Rev:{revision}"}] if revision else []
