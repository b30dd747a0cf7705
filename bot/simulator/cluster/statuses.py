"""The ``status`` a healthy, settled object of each kind carries on a real cluster.

Argo CD's health checks (and so the resource tree's health) read these fields; the drift
classifier ignores ``status`` entirely. Workloads with pods get their status from
`workloads` instead, computed from the pods actually created.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import workloads
from bot.simulator.cluster.objects import ts

StatusFn = Callable[[RawObject, datetime, datetime], dict[str, Any] | None]
"""(object, created, now) → status, or None for kinds without one."""

STATUS_MANAGERS: Final = {
    "Deployment": "kube-controller-manager",
    "ReplicaSet": "kube-controller-manager",
    "StatefulSet": "kube-controller-manager",
    "Job": "kube-controller-manager",
    "PodDisruptionBudget": "kube-controller-manager",
    "Pod": "kubelet",
    "ExternalSecret": "external-secrets",
    "CustomResourceDefinition": "kube-apiserver",
    "Ingress": "traefik",
    "PipelineRun": "tekton-pipelines-controller",
    "EventListener": "tekton-triggers-controller",
    "PersonaPack": "sympozium-controller",
    "ClusterPolicy": "gpu-operator",
}
"""Who writes ``status`` of each kind (a managedFields entry on the status subresource)."""


def _namespace(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {"phase": "Active"}


def _service(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {"loadBalancer": {}}


def _ingress(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {"loadBalancer": {"ingress": [{"ip": "192.168.10.50"}]}}


def _ready(reason: str, message: str, since: datetime) -> dict[str, Any]:
    return {
        "type": "Ready",
        "status": "True",
        "reason": reason,
        "message": message,
        "lastTransitionTime": ts(since),
    }


def _external_secret(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    target = obj.get("spec", {}).get("target", {}).get("name", obj["metadata"]["name"])
    return {
        "binding": {"name": target},
        "conditions": [_ready("SecretSynced", "secret synced", created + timedelta(seconds=3))],
        "refreshTime": ts(now - timedelta(minutes=17)),
        "syncedResourceVersion": "1-" + obj["metadata"].get("uid", "0").replace("-", "")[:32],
    }


def _job(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    done = created + timedelta(seconds=19)
    return {
        "conditions": [
            {
                "type": "SuccessCriteriaMet",
                "status": "True",
                "reason": "CompletionsReached",
                "message": "Reached expected number of succeeded pods",
                "lastProbeTime": ts(done),
                "lastTransitionTime": ts(done),
            },
            {
                "type": "Complete",
                "status": "True",
                "reason": "CompletionsReached",
                "message": "Reached expected number of succeeded pods",
                "lastProbeTime": ts(done),
                "lastTransitionTime": ts(done),
            },
        ],
        "startTime": ts(created),
        "completionTime": ts(done),
        "succeeded": 1,
        "terminating": 0,
        "uncountedTerminatedPods": {},
        "ready": 0,
    }


def _pdb(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {
        "conditions": [
            {
                "type": "DisruptionAllowed",
                "status": "True",
                "reason": "SufficientPods",
                "message": "",
                "lastTransitionTime": ts(created),
                "observedGeneration": 1,
            }
        ],
        "currentHealthy": 1,
        "desiredHealthy": 0,
        "disruptionsAllowed": 1,
        "expectedPods": 1,
        "observedGeneration": 1,
    }


def _crd(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    spec = obj["spec"]
    storage = [v["name"] for v in spec.get("versions", []) if v.get("storage")]

    def cond(kind: str, reason: str, message: str) -> dict[str, Any]:
        return {
            "type": kind,
            "status": "True",
            "reason": reason,
            "message": message,
            "lastTransitionTime": ts(created),
        }

    return {
        "acceptedNames": spec.get("names", {}),
        "conditions": [
            cond("NamesAccepted", "NoConflicts", "no conflicts found"),
            cond("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        ],
        "storedVersions": storage,
    }


def _pipeline_run(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    done = created + timedelta(minutes=4, seconds=12)
    return {
        "conditions": [
            {
                "type": "Succeeded",
                "status": "True",
                "reason": "Succeeded",
                "message": "Tasks Completed: 3 (Failed: 0, Cancelled 0), Skipped: 0",
                "lastTransitionTime": ts(done),
            }
        ],
        "startTime": ts(created),
        "completionTime": ts(done),
    }


def _event_listener(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    name, ns = obj["metadata"]["name"], obj["metadata"]["namespace"]
    return {
        "address": {"url": f"http://el-{name}.{ns}.svc.cluster.local:8080"},
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "message": "EventListener is ready",
                "lastTransitionTime": ts(created),
            }
        ],
    }


def _persona_pack(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {
        "phase": "Ready",
        "conditions": [_ready("PersonasReconciled", "all personas reconciled", created)],
    }


def _cluster_policy(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    return {"namespace": "gpu-operator", "state": "ready"}


def _deployment(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    """A settled rollout; `ScenarioBuilder.pods_for` replaces it with one computed from pods."""
    replicas = int(obj["spec"].get("replicas", 1))
    rs_name = obj["metadata"]["name"] + "-" + obj["metadata"].get("uid", "0000000000")[:10]
    return workloads.deployment_status(
        replicas=replicas,
        updated=replicas,
        ready=replicas,
        rs_name=rs_name,
        since=created,
        rolling=False,
    )


def _stateful_set(obj: RawObject, created: datetime, now: datetime) -> dict[str, Any]:
    replicas = int(obj["spec"].get("replicas", 1))
    revision = obj["metadata"].get("uid", "0000000000")[:10]
    return workloads.stateful_set_status(
        name=obj["metadata"]["name"], replicas=replicas, ready=replicas, revision=revision
    )


DEFAULT_STATUS: Final[dict[tuple[str, str], StatusFn]] = {
    ("", "Namespace"): _namespace,
    ("apps", "Deployment"): _deployment,
    ("apps", "StatefulSet"): _stateful_set,
    ("", "Service"): _service,
    ("networking.k8s.io", "Ingress"): _ingress,
    ("external-secrets.io", "ExternalSecret"): _external_secret,
    ("batch", "Job"): _job,
    ("policy", "PodDisruptionBudget"): _pdb,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): _crd,
    ("tekton.dev", "PipelineRun"): _pipeline_run,
    ("triggers.tekton.dev", "EventListener"): _event_listener,
    ("sympozium.ai", "PersonaPack"): _persona_pack,
    ("nvidia.com", "ClusterPolicy"): _cluster_policy,
}


def default_status(
    group: str, obj: RawObject, created: datetime, now: datetime
) -> dict[str, Any] | None:
    """The settled status of ``obj``, or None when its kind has no status."""
    fn = DEFAULT_STATUS.get((group, str(obj.get("kind"))))
    return fn(obj, created, now) if fn else None
