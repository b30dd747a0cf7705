"""Real config/live pairs from gitops-engine, built as Argo CD's managed-resources items, with
hand-written ground truth: Argo CD's differing paths and the class a person would give them.

See test_realdata_argo_diff.py for how they are used and argo_predict.py for how items are
built; ground truth comes from gitops-engine's own verdicts (the data README) and from reading
each pair, never from the classifier.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.core.model import DriftClass
from tests.core import argo_predict as ap
from tests.core.conftest import K8s

DATA = Path(__file__).parents[1] / "data" / "realdata" / "gitops-engine-diff"
A, G, U = DriftClass.SCHEMA_DEFAULTS, DriftClass.INJECTED_FIELDS, DriftClass.UNEXPLAINED


def load(name: str) -> dict[str, Any]:
    text = (DATA / name).read_text()
    loaded = json.loads(text) if name.endswith(".json") else yaml.safe_load(text)
    assert isinstance(loaded, dict)
    return loaded


Pair = tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]
"""(git config, raw live, predicted live, normalized live)."""


def tracked(cfg: dict[str, Any], live: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The pair after Argo CD synced it for app ``demo``: git objects get the destination
    namespace and the tracking id (annotation tracking), live and its last-applied copy too."""
    namespace = (live.get("metadata") or {}).get("namespace")
    if namespace:
        cfg["metadata"].setdefault("namespace", namespace)
    cfg, live = K8s.tracked(cfg), K8s.tracked(live)
    text = live["metadata"]["annotations"].get(ap.LAST_APPLIED)
    if text:
        _set_last_applied(live, K8s.tracked(json.loads(text)))
    return cfg, live


def legacy(config: str, live: str) -> Callable[[], Pair]:
    def build() -> Pair:
        cfg, raw = tracked(load(config), load(live))
        return (cfg, raw, *ap.three_way(cfg, raw))

    return build


def structured(config: str, live: str) -> Callable[[], Pair]:
    def build() -> Pair:
        cfg, raw = tracked(load(config), load(live))
        return (cfg, raw, *ap.structured_merge(cfg, raw))

    return build


def server_side(
    config: str, live: str, dry_run: str, *, include_webhooks: bool = False
) -> Callable[[], Pair]:
    def build() -> Pair:
        cfg, raw = tracked(load(config), load(live))
        predicted = K8s.tracked(load(dry_run))
        return (cfg, raw, *ap.server_side(predicted, raw, include_webhooks=include_webhooks))

    return build


def edited(
    base: Callable[[], Pair], edit: Callable[[dict[str, Any], dict[str, Any]], None]
) -> Callable[[], Pair]:
    """A real pair with one realistic edit to git and/or live, re-predicted in legacy mode."""

    def build() -> Pair:
        cfg, raw, _, _ = base()
        cfg, raw = copy.deepcopy(cfg), copy.deepcopy(raw)
        edit(cfg, raw)
        return (cfg, raw, *ap.three_way(cfg, raw))

    return build


def _image_bumped_in_git(cfg: dict[str, Any], live: dict[str, Any]) -> None:
    cfg["spec"]["template"]["spec"]["containers"][0]["image"] = "elasticsearch:6.8.0"


def _checksum_rotated(cfg: dict[str, Any], live: dict[str, Any]) -> None:
    """The chart re-rendered a ConfigMap: the checksum annotation in git changed."""
    old = {"checksum/config": "0f3e1c8a"}
    doc = json.loads(_last_applied(live))
    for obj in (live, doc):
        obj["spec"]["template"].setdefault("metadata", {})["annotations"] = dict(old)
    _set_last_applied(live, doc)
    cfg["spec"]["template"].setdefault("metadata", {})["annotations"] = {
        "checksum/config": "9b27d4e1"
    }


def _scaled_by(manager: str) -> Callable[[dict[str, Any], dict[str, Any]], None]:
    """Live replicas moved to 5 by ``manager`` (git and last-applied keep theirs)."""

    def edit(cfg: dict[str, Any], live: dict[str, Any]) -> None:
        live["spec"]["replicas"] = 5
        live["metadata"]["managedFields"] = [
            {
                "manager": manager,
                "operation": "Update",
                "apiVersion": "apps/v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:spec": {"f:replicas": {}}},
            }
        ]

    return edit


def _last_applied(live: dict[str, Any]) -> str:
    return str(live["metadata"]["annotations"][ap.LAST_APPLIED])


def _set_last_applied(live: dict[str, Any], doc: dict[str, Any]) -> None:
    live["metadata"]["annotations"][ap.LAST_APPLIED] = json.dumps(doc)


DEPLOYMENT = legacy("deployment-config.json", "deployment-live.json")
ES = legacy("elasticsearch-config.json", "elasticsearch-live.json")

# name -> (how Argo CD builds the item, Argo CD's differing paths, class; None = no finding)
EXPECTED: dict[str, tuple[Callable[[], Pair], frozenset[str], DriftClass | None]] = {
    "deployment": (DEPLOYMENT, frozenset(), None),
    "elasticsearch": (ES, frozenset(), None),
    "mutatingwebhookconfig": (
        legacy("mutatingwebhookconfig-config.json", "mutatingwebhookconfig-live.json"),
        frozenset(),
        None,
    ),
    "spinnaker-sa": (
        legacy("spinnaker-sa-config.json", "spinnaker-sa-live.json"),
        frozenset(),
        None,
    ),
    "grafana-clusterrole": (
        legacy("grafana-clusterrole-config.json", "grafana-clusterrole-live.json"),
        frozenset(),
        None,
    ),
    "sealedsecret": (
        legacy("sealedsecret-config.json", "sealedsecret-live.json"),
        frozenset(),
        None,
    ),
    "endpoints": (legacy("endpoints-config.json", "endpoints-live.json"), frozenset(), None),
    "wordpress": (legacy("wordpress-config.json", "wordpress-live.json"), frozenset(), None),
    "aggr-clusterrole": (
        legacy("aggr-clusterrole-config.json", "aggr-clusterrole-live.json"),
        frozenset({"/rules"}),
        G,
    ),
    "smd-service": (
        structured("smd-service-config.yaml", "smd-service-live.yaml"),
        frozenset({"/spec/ports/1/targetPort"}),
        U,
    ),
    "smd-service-2-ports": (
        structured("smd-service-config-2-ports.yaml", "smd-service-live.yaml"),
        frozenset(),
        None,
    ),
    "smd-service-ports": (
        structured("smd-service-config-ports.yaml", "smd-service-live-with-type.yaml"),
        frozenset({"/spec/ports/3", "/spec/ports/4", "/spec/type"}),
        U,
    ),
    "smd-deploy": (structured("smd-deploy-config.yaml", "smd-deploy-live.yaml"), frozenset(), None),
    "ssd-deploy-nested": (
        server_side(
            "ssd-deploy-nested-config.yaml",
            "ssd-deploy-nested-live.yaml",
            "ssd-deploy-nested-predicted-live.json",
        ),
        frozenset(
            {"/spec/template/spec/containers/0/env/1", "/spec/template/spec/containers/0/ports/1"}
        ),
        U,
    ),
    "ssd-deploy-with-manual-apply": (
        server_side(
            "ssd-deploy-with-manual-apply-config.yaml",
            "ssd-deploy-with-manual-apply-live.yaml",
            "ssd-deploy-with-manual-apply-predicted-live.json",
        ),
        frozenset({"/spec/template/spec/containers/0/ports/1"}),
        U,
    ),
    "ssd-deploy-composite-key": (
        server_side(
            "ssd-deploy-composite-key-config.yaml",
            "ssd-deploy-composite-key-live.yaml",
            "ssd-deploy-composite-key-predicted-live.json",
        ),
        frozenset({"/spec/template/spec/containers/0/ports/2"}),
        U,
    ),
    # The webhook-added label is hidden by default: no drift at all.
    "ssd-service": (
        server_side(
            "ssd-service-config.yaml", "ssd-service-live.yaml", "ssd-service-predicted-live.json"
        ),
        frozenset(),
        None,
    ),
    # With IncludeMutationWebhook=true the dry run is the prediction: git dropped a label.
    "ssd-svc-label-removed": (
        server_side(
            "ssd-svc-no-label-config.yaml",
            "ssd-svc-label-live.yaml",
            "ssd-svc-no-label-predicted-live.json",
            include_webhooks=True,
        ),
        frozenset({"/metadata/labels/delete-me"}),
        U,
    ),
    "elasticsearch-image-bumped": (
        edited(ES, _image_bumped_in_git),
        frozenset({"/spec/template/spec/containers/0/image"}),
        U,
    ),
    "deployment-checksum-rotated": (
        edited(DEPLOYMENT, _checksum_rotated),
        frozenset({"/spec/template/metadata/annotations/checksum~1config"}),
        G,
    ),
    "deployment-scaled-by-hpa": (
        edited(DEPLOYMENT, _scaled_by("kube-controller-manager")),
        frozenset({"/spec/replicas"}),
        G,
    ),
    "deployment-scaled-in-lens": (
        edited(DEPLOYMENT, _scaled_by("lens")),
        frozenset({"/spec/replicas"}),
        U,
    ),
}
