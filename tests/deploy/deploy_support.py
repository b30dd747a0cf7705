"""Loading and reading the manifests under ``deploy/`` for the deployment tests.

The tests check properties of the YAML people apply (least privilege, probes, settings
names), so they read the files exactly as kustomize would: a kustomization's ``resources``
(followed into bases) are the objects the cluster gets, its ``patches`` are partial objects.
No kubectl is needed; ``kubectl kustomize`` is a separate CI check.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
BASE = DEPLOY / "base"
SPLIT = DEPLOY / "overlays" / "split"
BOT_IMAGE = "ghcr.io/drift-bot/drift-bot"
BOT_CONTAINER = "drift-bot"
NAMESPACE = "drift-bot"
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job"})
# Kinds in deploy/ that live outside a namespace.
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding"})
# Not a Kubernetes manifest: Slack's app manifest, owned by the Slack side.
SLACK_APP = DEPLOY / "slack-app.yaml"

Obj = dict[str, Any]


@dataclass(frozen=True)
class Doc:
    """One YAML document and the file it came from."""

    path: Path
    body: Obj

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))

    @property
    def name(self) -> str:
        return str(self.body.get("metadata", {}).get("name", ""))

    @property
    def namespace(self) -> str | None:
        value = self.body.get("metadata", {}).get("namespace")
        return None if value is None else str(value)

    @property
    def label(self) -> str:
        """A readable test id: ``base/deployment.yaml:Deployment/drift-bot``."""
        return f"{self.path.relative_to(DEPLOY)}:{self.kind}/{self.name}"


@functools.cache
def load(path: Path) -> tuple[Obj, ...]:
    """Every non-empty document of a (multi-document) YAML file."""
    with path.open(encoding="utf-8") as handle:
        return tuple(doc for doc in yaml.safe_load_all(handle) if doc is not None)


def docs(path: Path) -> list[Doc]:
    """The documents of one file, each tagged with its path."""
    return [Doc(path, body) for body in load(path)]


def yaml_files() -> list[Path]:
    """Every YAML file under deploy/, in a stable order."""
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in {".yaml", ".yml"})


def kubernetes_yaml_files() -> list[Path]:
    """YAML files under deploy/ that hold Kubernetes objects (all but Slack's manifest)."""
    return [p for p in yaml_files() if p != SLACK_APP]


def kustomization(directory: Path) -> Obj:
    """The kustomization.yaml of a directory."""
    (body,) = load(directory / "kustomization.yaml")
    return body


def resource_docs(directory: Path) -> list[Doc]:
    """The complete objects a kustomization renders (before patches), bases followed."""
    found: list[Doc] = []
    for entry in kustomization(directory).get("resources", []):
        target = (directory / entry).resolve()
        found.extend(resource_docs(target) if target.is_dir() else docs(target))
    return found


def patch_docs(directory: Path) -> list[Doc]:
    """The partial objects a kustomization applies as patches."""
    return [
        doc
        for entry in kustomization(directory).get("patches", [])
        for doc in docs(directory / entry["path"])
    ]


def all_resources() -> list[Doc]:
    """Every complete object of the base and the split overlay, each file once."""
    seen: dict[tuple[Path, str, str], Doc] = {}
    for doc in resource_docs(BASE) + resource_docs(SPLIT):
        seen.setdefault((doc.path, doc.kind, doc.name), doc)
    return list(seen.values())


def of_kind(found: list[Doc], *kinds: str) -> list[Doc]:
    """The documents of the given kinds."""
    return [doc for doc in found if doc.kind in kinds]


def one(found: list[Doc], kind: str, name: str) -> Doc:
    """The single document of that kind and name."""
    matches = [doc for doc in found if doc.kind == kind and doc.name == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, found {len(matches)}"
    return matches[0]


def pod_spec(workload: Doc) -> Obj:
    """The pod template's spec of a workload."""
    spec: Obj = workload.body["spec"]["template"]["spec"]
    return spec


def pod_labels(workload: Doc) -> dict[str, str]:
    """The labels the workload's pods carry."""
    labels: dict[str, str] = workload.body["spec"]["template"]["metadata"]["labels"]
    return labels


def containers(workload: Doc) -> list[Obj]:
    """The regular containers of a workload's pod template."""
    found: list[Obj] = pod_spec(workload).get("containers", [])
    return found


def is_bot(container: Mapping[str, Any]) -> bool:
    """Whether a container (or a patch of one) runs drift-bot itself."""
    return container.get("name") == BOT_CONTAINER


def bot_workloads() -> list[Doc]:
    """Complete workloads whose pods run drift-bot."""
    return [
        doc
        for doc in of_kind(all_resources(), *WORKLOAD_KINDS)
        if any(is_bot(c) for c in containers(doc))
    ]


def redis_statefulset() -> Doc:
    """The Redis StatefulSet of the base."""
    return one(resource_docs(BASE), "StatefulSet", "drift-bot-redis")


def selector_matches(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions", []):
        key, operator, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def walk(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every (JSON-pointer-ish path, value) pair of a parsed YAML tree, parents first."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{path}/{index}")


def env_of(container: Mapping[str, Any]) -> dict[str, Obj]:
    """A container's env entries by name."""
    return {entry["name"]: entry for entry in container.get("env", [])}


def secret_ref(entry: Mapping[str, Any]) -> Obj | None:
    """The secretKeyRef of an env entry, if it has one."""
    ref: Obj | None = entry.get("valueFrom", {}).get("secretKeyRef")
    return ref
