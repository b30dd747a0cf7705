"""The CustomResourceDefinitions shipped in ``data/`` (see its README for where each came from).

Files are parsed once per process with libyaml when available (the Argo CD and Rollouts CRDs
are 600 kB of YAML) and handed out as fresh copies, so a scenario may change a CRD without
affecting the next scenario built in the same process.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Final

import yaml

from bot.core.model import RawObject
from bot.simulator.cluster.pointers import clone

_FILES: Final = (
    "eso-v2.8.0-externalsecrets-crd.yaml",
    "argo-rollouts-v1.9.1-rollout-crd.yaml",
    "tekton-v0.68.0-task-crd.yaml",
    "tekton-v1.15.0-pipeline-crd.yaml",
    "argocd-v3.5.1-application-crd.yaml",
    "personapacks-crd.yaml",
    "minimal-crds.yaml",
)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def _catalogue() -> dict[str, RawObject]:
    found: dict[str, RawObject] = {}
    data = resources.files("bot.simulator") / "data"
    for name in _FILES:
        text = (data / name).read_text(encoding="utf-8")
        for doc in yaml.load_all(text, Loader=_Loader):
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition":
                found[doc["metadata"]["name"]] = doc
    return found


def names() -> list[str]:
    """Every CRD name available, e.g. ``externalsecrets.external-secrets.io``."""
    return sorted(_catalogue())


def crd(name: str) -> RawObject:
    """A fresh copy of the shipped CRD called ``name``.

    Raises:
        KeyError: no such CRD in ``data/``.
    """
    return clone(_catalogue()[name])  # type: ignore[no-any-return]
