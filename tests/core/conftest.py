"""Builders for the classifier tests: small dicts shaped like the real Kubernetes/Argo CD JSON.

Tests import `K8s` (``from tests.core.conftest import K8s``; pytest's importlib mode loads this
module once under that name) and build what they need with ``K8s.obj(...)``, ``K8s.app(...)``,
``K8s.classify_one(...)``, so every test states its inputs in a few lines. Real upstream CRDs
are session fixtures loaded from the shared ``realdata`` folder next to the checkout.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import classify, parse
from bot.core.model import (
    TRACKING_ID_ANNOTATION,
    Application,
    Finding,
    KindRef,
    ManagedResource,
    ResourceKey,
)

# Verbatim upstream files (copied from the team's shared/realdata; origins in its README.md),
# vendored so a fresh clone tests without anything beside it.
REALDATA = Path(__file__).resolve().parents[1] / "data" / "realdata"
CONTROL_PLANE = "argocd"


def _api_version(group: str, version: str) -> str:
    return f"{group}/{version}" if group else version


class K8s:
    """Builders for objects, apps and managed resources, plus a one-call classifier."""

    @staticmethod
    def obj(
        kind: str,
        name: str,
        namespace: str = "",
        *,
        group: str = "",
        version: str = "v1",
        annotations: Mapping[str, str] | None = None,
        labels: Mapping[str, str] | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """A Kubernetes object; extra keyword arguments become top-level fields (spec=...)."""
        metadata: dict[str, Any] = {"name": name}
        if namespace:
            metadata["namespace"] = namespace
        if annotations:
            metadata["annotations"] = dict(annotations)
        if labels:
            metadata["labels"] = dict(labels)
        return {
            "apiVersion": _api_version(group, version),
            "kind": kind,
            "metadata": metadata,
            **fields,
        }

    @staticmethod
    def key(obj: Mapping[str, Any]) -> ResourceKey:
        group = str(obj["apiVersion"]).rpartition("/")[0]
        meta = obj["metadata"]
        return ResourceKey(group, obj["kind"], meta.get("namespace", ""), meta["name"])

    @staticmethod
    def tracked(obj: dict[str, Any], app: str = "demo", dest: str = "demo") -> dict[str, Any]:
        """A copy carrying the tracking id ``app`` would stamp on it."""
        out = copy.deepcopy(obj)
        key = K8s.key(obj)
        tid = f"{app}:{key.group}/{key.kind}:{key.namespace or dest}/{key.name}"
        out["metadata"].setdefault("annotations", {})[TRACKING_ID_ANNOTATION] = tid
        return out

    @staticmethod
    def status_entry(
        key: ResourceKey,
        status: str | None = "OutOfSync",
        *,
        requires_pruning: bool = False,
        hook: bool = False,
    ) -> dict[str, Any]:
        """A ``status.resources`` entry the way Argo CD writes it (empty keys omitted)."""
        entry: dict[str, Any] = {"kind": key.kind, "name": key.name, "version": "v1"}
        if key.group:
            entry["group"] = key.group
        if key.namespace:
            entry["namespace"] = key.namespace
        if status is not None:
            entry["status"] = status
        if requires_pruning:
            entry["requiresPruning"] = True
        if hook:
            entry["hook"] = True
        return entry

    @staticmethod
    def app(
        name: str = "demo",
        entries: Sequence[Mapping[str, Any]] = (),
        *,
        namespace: str = CONTROL_PLANE,
        dest: str = "demo",
    ) -> Application:
        raw = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"project": "default", "destination": {"namespace": dest} if dest else {}},
            "status": {
                "sync": {"status": "OutOfSync"},
                "health": {"status": "Healthy"},
                "resources": list(entries),
            },
        }
        return parse.parse_application(raw, CONTROL_PLANE)

    @staticmethod
    def managed(
        target: Mapping[str, Any] | None, live: Mapping[str, Any] | None
    ) -> ManagedResource:
        """A managed-resources item, round-tripped through the real parser."""
        source = target or live
        assert source is not None
        key = K8s.key(source)
        item: dict[str, Any] = {"kind": key.kind, "name": key.name}
        if key.group:
            item["group"] = key.group
        if key.namespace:
            item["namespace"] = key.namespace
        item["targetState"] = json.dumps(target) if target is not None else "null"
        item["liveState"] = json.dumps(live) if live is not None else "null"
        item["normalizedLiveState"] = item["liveState"]
        return parse.parse_managed_resources({"items": [item]})[0]

    @staticmethod
    def classify_one(
        target: Mapping[str, Any] | None,
        live: Mapping[str, Any] | None,
        *,
        status: str | None = "OutOfSync",
        requires_pruning: bool = False,
        hook: bool = False,
        app: str = "demo",
        app_namespace: str = CONTROL_PLANE,
        dest: str = "demo",
        crds: Mapping[tuple[str, str], dict[str, Any]] | None = None,
        owners: Mapping[ResourceKey, tuple[str, ...]] | None = None,
        inventory: Mapping[KindRef, Sequence[dict[str, Any]]] | None = None,
        listed: bool = True,
    ) -> Finding:
        """Classify one resource of one app and return its single finding."""
        source = target or live
        assert source is not None
        key = K8s.key(source)
        entry = K8s.status_entry(key, status, requires_pruning=requires_pruning, hook=hook)
        application = K8s.app(app, [entry], namespace=app_namespace, dest=dest)
        managed = [K8s.managed(target, live)] if listed else []
        facts = classify.Facts(crds=crds or {}, owners=owners or {}, inventory=inventory or {})
        findings = classify.classify_app(application, managed, facts)
        assert len(findings) == 1
        return findings[0]


def load_yaml(name: str) -> dict[str, Any]:
    # The C loader when PyYAML has it: the Rollout CRD alone is 4,000 lines.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with (REALDATA / name).open() as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506  # a safe loader
    return loaded


@pytest.fixture(scope="session")
def eso_v280() -> dict[str, Any]:
    """The real External Secrets v2.8.0 ExternalSecret CRD (with strategy defaults)."""
    return load_yaml("eso-v2.8.0-externalsecrets-crd.yaml")


@pytest.fixture(scope="session")
def eso_v290() -> dict[str, Any]:
    """The real External Secrets v2.9.0 ExternalSecret CRD (strategy defaults removed)."""
    return load_yaml("eso-v2.9.0-externalsecrets-crd.yaml")


@pytest.fixture(scope="session")
def rollout_crd() -> dict[str, Any]:
    """The real Argo Rollouts v1.9.1 Rollout CRD (list-map keys, pod-template defaults)."""
    return load_yaml("argo-rollouts-v1.9.1-rollout-crd.yaml")


@pytest.fixture(scope="session")
def tekton_task_crd() -> dict[str, Any]:
    """The real Tekton v0.68.0 Task CRD (schemaless: root preserve-unknown-fields)."""
    return load_yaml("tekton-v0.68.0-task-crd.yaml")


@pytest.fixture(scope="session")
def tekton_pipeline_crd() -> dict[str, Any]:
    """The real Tekton v1.15.0 Pipeline CRD (full schema, no defaults)."""
    return load_yaml("tekton-v1.15.0-pipeline-crd.yaml")
