"""Manifests as git renders them (no server-side fields): the building blocks of scenarios.

Each function returns one plain dict shaped like ``helm template`` output, so scenarios read
like the charts they imitate and the same manifest can become both a target and, with the
bookkeeping of `objects.bookkeep`, a live object.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.model import RawObject


def meta(
    name: str,
    namespace: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if namespace:
        out["namespace"] = namespace
    if labels:
        out["labels"] = dict(labels)
    if annotations:
        out["annotations"] = dict(annotations)
    return out


def chart_labels(name: str, instance: str, component: str | None = None) -> dict[str, str]:
    """The recommended labels a Helm chart stamps on everything it renders."""
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": instance,
    }
    if component:
        labels["app.kubernetes.io/component"] = component
    labels["app.kubernetes.io/managed-by"] = "Helm"
    return labels


def selector_labels(name: str, instance: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": instance}


def namespace(name: str, *, labels: Mapping[str, str] | None = None) -> RawObject:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(name, labels=labels)}


def config_map(
    name: str, ns: str, data: Mapping[str, str], *, labels: Mapping[str, str] | None = None
) -> RawObject:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta(name, ns, labels=labels),
        "data": dict(data),
    }


def service_account(name: str, ns: str, *, labels: Mapping[str, str] | None = None) -> RawObject:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(name, ns, labels=labels)}


def service(
    name: str,
    ns: str,
    selector: Mapping[str, str],
    ports: Sequence[tuple[str, int, int | str]],
    *,
    labels: Mapping[str, str] | None = None,
) -> RawObject:
    """A ClusterIP Service; ``ports`` are (name, port, targetPort)."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(name, ns, labels=labels),
        "spec": {
            "type": "ClusterIP",
            "ports": [
                {"name": p, "port": port, "targetPort": target, "protocol": "TCP"}
                for p, port, target in ports
            ],
            "selector": dict(selector),
        },
    }


def container(
    name: str,
    image: str,
    *,
    ports: Sequence[tuple[str, int]] = (),
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "image": image}
    if args:
        out["args"] = list(args)
    if env:
        out["env"] = [{"name": k, "value": v} for k, v in env.items()]
    if ports:
        out["ports"] = [{"name": p, "containerPort": port, "protocol": "TCP"} for p, port in ports]
    return out


def _pod_template(
    labels: Mapping[str, str],
    containers: Sequence[Mapping[str, Any]],
    annotations: Mapping[str, str] | None,
    service_account_name: str | None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [dict(c) for c in containers]}
    if service_account_name:
        spec["serviceAccountName"] = service_account_name
    return {"metadata": meta_without_name(labels, annotations), "spec": spec}


def meta_without_name(
    labels: Mapping[str, str], annotations: Mapping[str, str] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {"labels": dict(labels)}
    if annotations:
        out["annotations"] = dict(annotations)
    return out


def deployment(
    name: str,
    ns: str,
    containers: Sequence[Mapping[str, Any]],
    *,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    replicas: int = 1,
    pod_annotations: Mapping[str, str] | None = None,
    service_account_name: str | None = None,
) -> RawObject:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": meta(name, ns, labels=labels),
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": dict(selector)},
            "template": _pod_template(selector, containers, pod_annotations, service_account_name),
        },
    }


def stateful_set(
    name: str,
    ns: str,
    containers: Sequence[Mapping[str, Any]],
    *,
    labels: Mapping[str, str],
    selector: Mapping[str, str],
    service_name: str,
    replicas: int = 1,
    pod_annotations: Mapping[str, str] | None = None,
    service_account_name: str | None = None,
    volume_claim_templates: Sequence[Mapping[str, Any]] = (),
) -> RawObject:
    spec: dict[str, Any] = {
        "replicas": replicas,
        "serviceName": service_name,
        "selector": {"matchLabels": dict(selector)},
        "template": _pod_template(selector, containers, pod_annotations, service_account_name),
    }
    if volume_claim_templates:
        spec["volumeClaimTemplates"] = [dict(t) for t in volume_claim_templates]
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": meta(name, ns, labels=labels),
        "spec": spec,
    }


def ingress(
    name: str, ns: str, host: str, service_name: str, port: int, *, class_name: str = "traefik"
) -> RawObject:
    backend = {"service": {"name": service_name, "port": {"number": port}}}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, ns),
        "spec": {
            "ingressClassName": class_name,
            "rules": [
                {
                    "host": host,
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
                }
            ],
            "tls": [{"hosts": [host], "secretName": f"{name}-tls"}],
        },
    }


def ingress_class(
    name: str, controller: str, *, labels: Mapping[str, str] | None = None
) -> RawObject:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": meta(name, labels=labels),
        "spec": {"controller": controller},
    }


def _rbac(kind: str, name: str, ns: str | None, labels: Mapping[str, str] | None) -> RawObject:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": meta(name, ns, labels=labels),
    }


def role(
    name: str,
    ns: str | None,
    rules: Sequence[Mapping[str, Any]],
    *,
    labels: Mapping[str, str] | None = None,
) -> RawObject:
    """A Role (``ns`` given) or ClusterRole (``ns`` None)."""
    obj = _rbac("Role" if ns else "ClusterRole", name, ns, labels)
    obj["rules"] = [dict(r) for r in rules]
    return obj


def role_binding(
    name: str,
    ns: str | None,
    role_name: str,
    subjects: Sequence[tuple[str, str]],
    *,
    labels: Mapping[str, str] | None = None,
) -> RawObject:
    """A (Cluster)RoleBinding to ServiceAccount ``subjects`` given as (namespace, name)."""
    obj = _rbac("RoleBinding" if ns else "ClusterRoleBinding", name, ns, labels)
    obj["roleRef"] = {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role" if ns else "ClusterRole",
        "name": role_name,
    }
    obj["subjects"] = [
        {"kind": "ServiceAccount", "name": sa, "namespace": sa_ns} for sa_ns, sa in subjects
    ]
    return obj


def rule(groups: Sequence[str], resources: Sequence[str], verbs: Sequence[str]) -> dict[str, Any]:
    return {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}


def validating_webhook(name: str, service_ns: str, service_name: str) -> RawObject:
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": meta(name),
        "webhooks": [
            {
                "name": "validate.nginx.ingress.kubernetes.io",
                "admissionReviewVersions": ["v1"],
                "clientConfig": {
                    "service": {
                        "name": service_name,
                        "namespace": service_ns,
                        "path": "/networking/v1/ingresses",
                        "port": 443,
                    }
                },
                "failurePolicy": "Fail",
                "matchPolicy": "Equivalent",
                "rules": [
                    {
                        "apiGroups": ["networking.k8s.io"],
                        "apiVersions": ["v1"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": ["ingresses"],
                    }
                ],
                "sideEffects": "None",
            }
        ],
    }


def pod_disruption_budget(
    name: str, ns: str, selector: Mapping[str, str], **limits: Any
) -> RawObject:
    spec: dict[str, Any] = dict(limits)
    spec["selector"] = {"matchLabels": dict(selector)}
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta(name, ns),
        "spec": spec,
    }


def external_secret(
    name: str, ns: str, keys: Sequence[str], *, store: str = "infisical"
) -> RawObject:
    """An ESO ``v1`` ExternalSecret as the seed's git has it (no schema defaults written)."""
    return {
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": meta(name, ns),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": {"kind": "ClusterSecretStore", "name": store},
            "target": {"name": name, "creationPolicy": "Owner"},
            "data": [{"secretKey": key, "remoteRef": {"key": key}} for key in keys],
        },
    }


def job(
    name: str,
    ns: str,
    image: str,
    command: Sequence[str],
    *,
    annotations: Mapping[str, str] | None = None,
) -> RawObject:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta(name, ns, annotations=annotations),
        "spec": {
            "backoffLimit": 3,
            "template": {
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{"name": "init", "image": image, "command": list(command)}],
                }
            },
        },
    }


def annotated(obj: RawObject, annotations: Mapping[str, str]) -> RawObject:
    """A copy of ``obj`` (metadata copied) with ``annotations`` added."""
    metadata = dict(obj["metadata"])
    metadata["annotations"] = {**metadata.get("annotations", {}), **annotations}
    return {**obj, "metadata": metadata}


def relabeled(obj: RawObject, labels: Mapping[str, str] | None, **meta: Any) -> RawObject:
    """A copy of ``obj`` whose metadata is just its name plus ``labels`` and ``meta``."""
    metadata: dict[str, Any] = {"name": obj["metadata"]["name"]}
    if labels:
        metadata["labels"] = dict(labels)
    metadata.update(meta)
    return {**obj, "metadata": metadata}
