"""Pods, ReplicaSets and workload statuses as the kubelet and controllers write them.

Stuck-app detection reads exactly these fields (container states, restart counts, the
``lastState.terminated`` of a crash loop, owner references from Pod to ReplicaSet to
Deployment), so they follow the real shapes closely, including server defaults in pod specs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from bot.core.model import RawObject
from bot.simulator.cluster.objects import Ids, ts

State = Literal["running", "crashloop", "creating", "completed"]


@dataclass(frozen=True, slots=True)
class Run:
    """How every container of one simulated pod is doing."""

    state: State = "running"
    ready: bool = True
    restarts: int = 0
    age: timedelta = timedelta(days=12)
    """How long ago the pod was created."""
    last_finished: timedelta = timedelta(minutes=2, seconds=18)
    """Crash loops: how long ago the last instance exited."""
    ran_for: timedelta = timedelta(seconds=1)
    """Crash loops: how long the last instance ran."""


def running(*, age: timedelta = timedelta(days=12), ready: bool = True) -> Run:
    return Run("running", ready=ready, age=age)


def crash_loop(restarts: int, *, age: timedelta, last_finished: timedelta) -> Run:
    return Run("crashloop", ready=False, restarts=restarts, age=age, last_finished=last_finished)


def creating(*, age: timedelta) -> Run:
    return Run("creating", ready=False, age=age)


def completed(*, age: timedelta) -> Run:
    return Run("completed", ready=False, age=age)


def owner_ref(owner: RawObject) -> dict[str, Any]:
    return {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": True,
        "blockOwnerDeletion": True,
    }


def replica_set(
    deployment: RawObject, template_hash: str, *, replicas: int, ready: int, revision: int
) -> RawObject:
    """The ReplicaSet a Deployment rolled out (its pod template copied, hash label added)."""
    meta = deployment["metadata"]
    template = deployment["spec"]["template"]
    labels = {**template["metadata"]["labels"], "pod-template-hash": template_hash}
    max_surge = replicas + max(1, replicas // 4)
    status: dict[str, Any] = {"replicas": replicas, "fullyLabeledReplicas": replicas}
    if ready:
        status.update(readyReplicas=ready, availableReplicas=ready)
    status["observedGeneration"] = 1
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": f"{meta['name']}-{template_hash}",
            "namespace": meta["namespace"],
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": str(replicas),
                "deployment.kubernetes.io/max-replicas": str(max_surge),
                "deployment.kubernetes.io/revision": str(revision),
            },
            "ownerReferences": [owner_ref(deployment)],
        },
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {**template["metadata"], "labels": labels},
                "spec": template["spec"],
            },
        },
        "status": status,
    }


@dataclass(frozen=True, slots=True)
class PodPlan:
    """Where a pod comes from and where it runs."""

    name: str
    namespace: str
    owner: RawObject
    template: Mapping[str, Any]
    run: Run
    node: str
    ip: str


def pod(plan: PodPlan, *, ids: Ids, now: datetime) -> RawObject:
    """A full Pod object (spec defaults, status, owner reference) following ``plan``."""
    created = now - plan.run.age
    spec = _pod_spec(plan, ids)
    meta: dict[str, Any] = {
        "name": plan.name,
        "generateName": plan.name[: plan.name.rfind("-") + 1],
        "namespace": plan.namespace,
        "labels": dict(plan.template["metadata"]["labels"]),
        "ownerReferences": [owner_ref(plan.owner)],
    }
    annotations = plan.template["metadata"].get("annotations")
    if annotations:
        meta["annotations"] = dict(annotations)
    status = _pod_status(plan, spec, ids=ids, now=now, created=created)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _pod_spec(plan: PodPlan, ids: Ids) -> dict[str, Any]:
    source = plan.template["spec"]
    volume = "kube-api-access-" + ids.pod_suffix("vol", plan.namespace, plan.name)
    mount = {
        "name": volume,
        "readOnly": True,
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
    }
    containers = [
        {
            **c,
            "imagePullPolicy": c.get("imagePullPolicy", "IfNotPresent"),
            "resources": c.get("resources", {}),
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "volumeMounts": [*c.get("volumeMounts", []), mount],
        }
        for c in source["containers"]
    ]
    account = source.get("serviceAccountName", "default")
    return {
        "containers": containers,
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": True,
        "nodeName": plan.node,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": source.get("restartPolicy", "Always"),
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": account,
        "serviceAccountName": account,
        "terminationGracePeriodSeconds": 30,
        "tolerations": [
            _toleration("node.kubernetes.io/not-ready"),
            _toleration("node.kubernetes.io/unreachable"),
        ],
        "volumes": [{"name": volume, "projected": _service_account_projection()}],
    }


def _toleration(key: str) -> dict[str, Any]:
    return {"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}


def _service_account_projection() -> dict[str, Any]:
    return {
        "defaultMode": 420,
        "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {
                "configMap": {
                    "name": "kube-root-ca.crt",
                    "items": [{"key": "ca.crt", "path": "ca.crt"}],
                }
            },
            {
                "downwardAPI": {
                    "items": [
                        {
                            "path": "namespace",
                            "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                        }
                    ]
                }
            },
        ],
    }


def _pod_status(
    plan: PodPlan, spec: Mapping[str, Any], *, ids: Ids, now: datetime, created: datetime
) -> dict[str, Any]:
    run = plan.run
    statuses = [
        _container_status(plan, c["name"], c["image"], ids=ids, now=now, created=created)
        for c in spec["containers"]
    ]
    phase = {"creating": "Pending", "completed": "Succeeded"}.get(run.state, "Running")
    ready = run.ready and run.state == "running"
    not_ready = [s["name"] for s in statuses if not ready]
    status: dict[str, Any] = {
        "conditions": _pod_conditions(run, created, not_ready),
        "containerStatuses": statuses,
        "hostIP": "10.0.10.21",
        "hostIPs": [{"ip": "10.0.10.21"}],
        "phase": phase,
    }
    if run.state != "creating":
        status["podIP"] = plan.ip
        status["podIPs"] = [{"ip": plan.ip}]
    status["qosClass"] = "BestEffort"
    status["startTime"] = ts(created)
    return status


def _pod_conditions(run: Run, created: datetime, not_ready: Sequence[str]) -> list[dict[str, Any]]:
    def cond(kind: str, ok: bool, **extra: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": kind,
            "status": "True" if ok else "False",
            "lastProbeTime": None,
            "lastTransitionTime": ts(created),
        }
        out.update(extra)
        return out

    unready = {}
    if not_ready:
        names = " ".join(not_ready)
        unready = {
            "reason": "PodCompleted" if run.state == "completed" else "ContainersNotReady",
            "message": f"containers with unready status: [{names}]",
        }
    started = run.state != "creating"
    return [
        cond("PodReadyToStartContainers", started),
        cond("Initialized", True),
        cond("Ready", not not_ready, **unready),
        cond("ContainersReady", not not_ready, **unready),
        cond("PodScheduled", True),
    ]


def _container_status(
    plan: PodPlan, name: str, image: str, *, ids: Ids, now: datetime, created: datetime
) -> dict[str, Any]:
    run = plan.run
    container_id = "containerd://" + ids.hexdigest(64, "ctr", plan.namespace, plan.name, name)
    image_id = image.split(":")[0] + "@sha256:" + ids.hexdigest(64, "img", image)
    out: dict[str, Any] = {
        "containerID": container_id,
        "image": image,
        "imageID": image_id,
        "lastState": {},
        "name": name,
        "ready": run.ready and run.state == "running",
        "restartCount": run.restarts,
        "started": run.state == "running",
        "state": {"running": {"startedAt": ts(created + timedelta(seconds=4))}},
    }
    if run.state == "creating":
        del out["containerID"]
        out["imageID"] = ""
        out["state"] = {"waiting": {"reason": "ContainerCreating"}}
    elif run.state == "completed":
        out["state"] = {"terminated": _terminated(container_id, 0, "Completed", created, run)}
    elif run.state == "crashloop":
        finished = now - run.last_finished
        out["lastState"] = {
            "terminated": {
                "containerID": container_id,
                "exitCode": 1,
                "finishedAt": ts(finished),
                "reason": "Error",
                "startedAt": ts(finished - run.ran_for),
            }
        }
        uid = ids.uid("v1", "Pod", plan.namespace, plan.name)
        message = (
            f"back-off 5m0s restarting failed container={name} "
            f"pod={plan.name}_{plan.namespace}({uid})"
        )
        out["state"] = {"waiting": {"message": message, "reason": "CrashLoopBackOff"}}
    return out


def _terminated(
    container_id: str, code: int, reason: str, created: datetime, run: Run
) -> dict[str, Any]:
    return {
        "containerID": container_id,
        "exitCode": code,
        "finishedAt": ts(created + timedelta(seconds=4) + run.ran_for),
        "reason": reason,
        "startedAt": ts(created + timedelta(seconds=4)),
    }


def deployment_status(
    *, replicas: int, updated: int, ready: int, rs_name: str, since: datetime, rolling: bool
) -> dict[str, Any]:
    """``status`` of a Deployment whose pods are in the given state."""
    available = ready
    ok = available >= updated and not rolling
    conditions = [
        _cond(
            "Available",
            available > 0,
            "MinimumReplicasAvailable" if available else "MinimumReplicasUnavailable",
            "Deployment has minimum availability."
            if available
            else "Deployment does not have minimum availability.",
            since,
        ),
        _cond(
            "Progressing",
            True,
            "NewReplicaSetAvailable" if ok or not rolling else "ReplicaSetUpdated",
            f'ReplicaSet "{rs_name}" has successfully progressed.'
            if ok or not rolling
            else f'ReplicaSet "{rs_name}" is progressing.',
            since,
        ),
    ]
    status: dict[str, Any] = {}
    if available:
        status["availableReplicas"] = available
    status["conditions"] = conditions
    status["observedGeneration"] = 1
    if ready:
        status["readyReplicas"] = ready
    status["replicas"] = replicas
    if replicas - available > 0:
        status["unavailableReplicas"] = replicas - available
    status["updatedReplicas"] = updated
    return status


def stateful_set_status(*, name: str, replicas: int, ready: int, revision: str) -> dict[str, Any]:
    status: dict[str, Any] = {"availableReplicas": ready, "collisionCount": 0}
    status.update(currentReplicas=replicas, currentRevision=f"{name}-{revision}")
    status["observedGeneration"] = 1
    if ready:
        status["readyReplicas"] = ready
    status.update(replicas=replicas, updateRevision=f"{name}-{revision}", updatedReplicas=replicas)
    return status


def _cond(kind: str, ok: bool, reason: str, message: str, since: datetime) -> dict[str, Any]:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "lastUpdateTime": ts(since),
        "lastTransitionTime": ts(since),
        "reason": reason,
        "message": message,
    }
