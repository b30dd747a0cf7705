"""The kustomize trees are complete, consistent, and free of values Argo CD would rewrite.

``kubectl apply -k`` and Argo CD render exactly the files a kustomization lists, so a file
left out is silently not deployed. And drift-bot's own app must not show the phantom drift it
reports for others (DESIGN.md §2, phantom-defaults): no empty maps, lists or strings in git.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.deploy.deploy_support import (
    BASE,
    CLUSTER_SCOPED,
    DEPLOY,
    NAMESPACE,
    SPLIT,
    Doc,
    docs,
    kubernetes_yaml_files,
    kustomization,
    one,
    patch_docs,
    resource_docs,
)

TREES = [pytest.param(BASE, id="base"), pytest.param(SPLIT, id="split")]
K8S_FILES = kubernetes_yaml_files()
K8S_FILE_IDS = [str(p.relative_to(DEPLOY)) for p in K8S_FILES]


def _referenced(directory: Path) -> set[Path]:
    body = kustomization(directory)
    entries = list(body.get("resources", [])) + [p["path"] for p in body.get("patches", [])]
    return {(directory / entry).resolve() for entry in entries}


def _stripped_values(node: Any, path: str = "") -> list[str]:
    """Paths of values Argo CD drops from live objects: {}, [], and "" as a map value.

    An empty string inside a list is kept: RBAC's core group is written ``apiGroups: [""]``.
    """
    if node in ({}, []):
        return [path or "/"]
    if isinstance(node, dict):
        return [
            hit
            for key, value in node.items()
            for hit in (
                [f"{path}/{key}"] if value == "" else _stripped_values(value, f"{path}/{key}")
            )
        ]
    if isinstance(node, list):
        return [
            hit for i, value in enumerate(node) for hit in _stripped_values(value, f"{path}/{i}")
        ]
    return []


def test_base_lists_exactly_its_manifests() -> None:
    """Base's kustomization lists every manifest in base/ except the Secret template."""
    listed = kustomization(BASE)["resources"]
    on_disk = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert sorted(listed) == sorted(on_disk)
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("directory", TREES)
def test_every_reference_exists(directory: Path) -> None:
    """Every resource and patch a kustomization names exists on disk."""
    for target in _referenced(directory):
        assert target.exists(), target


def test_split_overlay_references_every_file() -> None:
    """Every YAML file in the split overlay is a resource or a patch of its kustomization."""
    files = {p.resolve() for p in SPLIT.glob("*.yaml")} - {(SPLIT / "kustomization.yaml").resolve()}
    assert files <= _referenced(SPLIT)


def test_secret_template_is_not_deployed() -> None:
    """secret.example.yaml is no resource, and no rendered tree contains a Secret."""
    assert "secret.example.yaml" not in kustomization(BASE)["resources"]
    for directory in (BASE, SPLIT):
        assert not [doc.label for doc in resource_docs(directory) if doc.kind == "Secret"]


@pytest.mark.parametrize("directory", TREES)
def test_objects_are_unique(directory: Path) -> None:
    """No two rendered objects share kind, namespace and name."""
    keys = [(d.kind, d.namespace, d.name) for d in resource_docs(directory)]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("directory", TREES)
def test_objects_are_in_the_bot_namespace(directory: Path) -> None:
    """Namespaced objects sit in the Namespace that base creates; cluster-scoped ones in none."""
    found = resource_docs(directory)
    one(found, "Namespace", NAMESPACE)
    for doc in found:
        assert doc.body["apiVersion"]
        assert doc.name
        expected = None if doc.kind in CLUSTER_SCOPED else NAMESPACE
        assert doc.namespace == expected, doc.label


def test_patches_target_base_objects() -> None:
    """Every patch in the split overlay names an object the base renders."""
    base = {(d.kind, d.namespace, d.name) for d in resource_docs(BASE)}
    for patch in patch_docs(SPLIT):
        assert (patch.kind, patch.namespace, patch.name) in base, patch.label


def test_namespace_enforces_restricted_pod_security() -> None:
    """The bot namespace enforces the restricted Pod Security Standard."""
    namespace = one(resource_docs(BASE), "Namespace", NAMESPACE)
    assert (
        namespace.body["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )


@pytest.mark.parametrize("path", K8S_FILES, ids=K8S_FILE_IDS)
def test_manifests_hold_no_values_argo_cd_strips(path: Path) -> None:
    """No manifest writes an empty map, empty list or empty string that the live object lacks."""
    for doc in docs(path):
        assert _stripped_values(doc.body) == [], doc.label


@pytest.mark.parametrize("path", K8S_FILES, ids=K8S_FILE_IDS)
def test_manifests_parse_as_kubernetes_objects(path: Path) -> None:
    """Each YAML document under deploy/ is a mapping with apiVersion and kind."""
    found: list[Doc] = docs(path)
    assert found
    for doc in found:
        assert isinstance(doc.body, dict)
        assert doc.body["apiVersion"]
        assert doc.kind
