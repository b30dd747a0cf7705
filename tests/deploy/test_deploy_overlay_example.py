"""deploy/overlays/example: what a cluster changes, without editing base/ (issue #17).

The image from your registry (kustomize ``images:``), the digest channel (a configMapGenerator
merging into base's ``drift-bot-settings``), Argo CD's CA mounted and named by ARGOCD_CA_FILE,
and an Ingress exposing only Slack's request path. Read from the files as kustomize reads them
(tests/deploy/deploy_support.py); `kubectl kustomize` + kubernetes-validate run in .ci/run.
"""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from tests.deploy.deploy_support import (
    BASE,
    BOT_CONTAINER,
    BOT_IMAGE,
    DEPLOY,
    containers,
    kustomization,
    one,
    patch_docs,
    pod_spec,
    resource_docs,
)

EXAMPLE = DEPLOY / "overlays" / "example"
SETTINGS = "drift-bot-settings"


def _generator(directory: Any) -> dict[str, Any]:
    (generator,) = (
        g for g in kustomization(directory)["configMapGenerator"] if g["name"] == SETTINGS
    )
    return generator


def _literals(generator: dict[str, Any]) -> dict[str, str]:
    return dict(item.split("=", 1) for item in generator["literals"])


def _env(doc: Any) -> dict[str, Any]:
    (container,) = (c for c in containers(doc) if c["name"] == BOT_CONTAINER)
    return {entry["name"]: entry for entry in container["env"]}


def test_base_reads_the_channel_from_a_generated_configmap() -> None:
    """DRIFT_CHANNEL comes from drift-bot-settings, which base generates with that key."""
    deployment = one(resource_docs(BASE), "Deployment", "drift-bot")
    ref = _env(deployment)["DRIFT_CHANNEL"]["valueFrom"]["configMapKeyRef"]
    assert ref == {"name": SETTINGS, "key": "DRIFT_CHANNEL"}
    generator = _generator(BASE)
    assert "DRIFT_CHANNEL" in _literals(generator)
    # No hash suffix: with it, Argo CD would keep each old ConfigMap as a leftover.
    assert generator["options"]["disableNameSuffixHash"] is True


def test_every_generated_setting_is_a_setting() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    for directory in (BASE, EXAMPLE):
        assert set(_literals(_generator(directory))) <= fields


def test_the_overlay_merges_its_channel_without_editing_base() -> None:
    kust = kustomization(EXAMPLE)
    assert kust["resources"][0] == "../../base"
    generator = _generator(EXAMPLE)
    assert generator["behavior"] == "merge"
    assert _literals(generator)["DRIFT_CHANNEL"] != _literals(_generator(BASE))["DRIFT_CHANNEL"]


def test_the_overlay_points_the_bot_image_at_your_registry() -> None:
    (image,) = kustomization(EXAMPLE)["images"]
    assert image["name"] == BOT_IMAGE
    assert image["newName"] != BOT_IMAGE
    assert image["newTag"]


def test_the_ca_patch_mounts_the_file_argocd_ca_file_names() -> None:
    (patch,) = patch_docs(EXAMPLE)
    spec = pod_spec(patch)
    (container,) = spec["containers"]
    ca_file = _env(patch)["ARGOCD_CA_FILE"]["value"]
    (mount,) = container["volumeMounts"]
    assert ca_file.startswith(mount["mountPath"] + "/")
    assert mount["readOnly"] is True
    (volume,) = spec["volumes"]
    assert volume["name"] == mount["name"]
    assert ca_file.rsplit("/", 1)[1] == "ca.crt"
    assert volume["configMap"]["name"] == "argocd-ca"


def test_the_ingress_exposes_only_slacks_request_path() -> None:
    ingress = one(resource_docs(EXAMPLE), "Ingress", "drift-bot")
    (rule,) = ingress.body["spec"]["rules"]
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/slack/events", "Exact")
    assert path["backend"]["service"] == {"name": "drift-bot", "port": {"name": "http"}}
    service = one(resource_docs(BASE), "Service", "drift-bot")
    assert "http" in {p["name"] for p in service.body["spec"]["ports"]}
