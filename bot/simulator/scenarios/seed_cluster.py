"""The seed scenario: the 52-app cluster of the write-up, exactly as docs/seed-scenario.md says.

20 apps OutOfSync, 4 Progressing, one stuck (argo-rollouts, 1154 restarts in 21 days), and a
Synced ``argocd`` app that still has hook leftovers. The app-of-apps ``root`` lists the other
51; twelve of its child templates still say ``prune: false`` (and three an empty ``group``),
which Argo CD strips from the live CRs. Apps live in ``seed_platform`` and ``seed_workloads``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final

from bot.simulator.cluster import crds
from bot.simulator.cluster import manifests as m
from bot.simulator.scenarios import seed_platform, seed_tekton, seed_workloads
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.scenario import Scenario
from bot.simulator.scenarios.seed_common import chart_workload, namespaces

_PHANTOM_CHILDREN: Final = (
    "gpu-operator",
    "sympozium",
    "victoria-metrics",
    "gitea",
    "infisical",
    "tekton-pipelines",
    "tekton-dashboard",
    "argo-rollouts",
    "vk-remote",
    "paperclip",
    "n8n",
    "immich",
)
_EMPTY_GROUP_CHILDREN: Final = ("victoria-metrics", "gpu-operator", "infisical")

_QUIET_APPS: Final = (
    # (app, namespace, image, port, ingress host)
    (
        "cert-manager",
        "cert-manager",
        "quay.io/jetstack/cert-manager-controller:v1.17.2",
        9402,
        None,
    ),
    ("traefik", "traefik", "docker.io/traefik:v3.3.6", 8000, "traefik"),
    (
        "external-secrets",
        "external-secrets",
        "ghcr.io/external-secrets/external-secrets:v0.17.0",
        8080,
        None,
    ),
    ("cilium", "kube-system", "quay.io/cilium/operator-generic:v1.17.3", 9963, None),
    ("longhorn", "longhorn-system", "longhornio/longhorn-manager:v1.8.1", 9500, "longhorn"),
    (
        "metrics-server",
        "kube-system",
        "registry.k8s.io/metrics-server/metrics-server:v0.7.2",
        10250,
        None,
    ),
    ("reloader", "reloader", "ghcr.io/stakater/reloader:v1.4.2", 9090, None),
    ("kyverno", "kyverno", "reg.kyverno.io/kyverno/kyverno:v1.14.1", 9443, None),
    ("velero", "velero", "velero/velero:v1.16.0", 8085, None),
    ("loki", "monitoring", "grafana/loki:3.5.0", 3100, None),
    ("alloy", "monitoring", "grafana/alloy:v1.8.2", 12345, None),
    ("tempo", "monitoring", "grafana/tempo:2.7.2", 3200, None),
    ("minio", "minio", "quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z", 9000, "s3"),
    ("cloudnative-pg", "cnpg-system", "ghcr.io/cloudnative-pg/cloudnative-pg:1.26.0", 9443, None),
    (
        "external-dns",
        "external-dns",
        "registry.k8s.io/external-dns/external-dns:v0.16.1",
        7979,
        None,
    ),
    ("descheduler", "kube-system", "registry.k8s.io/descheduler/descheduler:v0.32.2", 10258, None),
    (
        "node-feature-discovery",
        "node-feature-discovery",
        "registry.k8s.io/nfd/node-feature-discovery:v0.17.3",
        8080,
        None,
    ),
    (
        "snapshot-controller",
        "kube-system",
        "registry.k8s.io/sig-storage/snapshot-controller:v8.2.1",
        8080,
        None,
    ),
    ("csi-driver-nfs", "kube-system", "registry.k8s.io/sig-storage/nfsplugin:v4.11.0", 29653, None),
    ("homepage", "homepage", "ghcr.io/gethomepage/homepage:v1.2.0", 3000, "home"),
    ("uptime-kuma", "uptime-kuma", "louislam/uptime-kuma:1.23.16", 3001, "status"),
    ("vaultwarden", "vaultwarden", "vaultwarden/server:1.33.2", 80, "vault"),
    ("nextcloud", "nextcloud", "nextcloud:31.0.4-apache", 80, "cloud"),
    ("jellyfin", "jellyfin", "jellyfin/jellyfin:10.10.7", 8096, "media"),
    (
        "home-assistant",
        "home-assistant",
        "ghcr.io/home-assistant/home-assistant:2025.4.4",
        8123,
        "ha",
    ),
    ("mealie", "mealie", "ghcr.io/mealie-recipes/mealie:v2.8.0", 9000, "recipes"),
    ("linkding", "linkding", "sissbruecker/linkding:1.39.1", 9090, "links"),
    ("miniflux", "miniflux", "miniflux/miniflux:2.2.8", 8080, "rss"),
    ("cloudflared", "cloudflared", "cloudflare/cloudflared:2025.4.2", 2000, None),
    ("headlamp", "headlamp", "ghcr.io/headlamp-k8s/headlamp:v0.30.1", 4466, "headlamp"),
)


def build_seed(now: datetime) -> Scenario:
    """The seed cluster with every timestamp relative to ``now``."""
    b = ScenarioBuilder(now, seed="seed")
    namespaces(b, _namespaces())
    children: list[AppBuilder] = [
        seed_platform.argocd(b),
        seed_platform.argo_rollouts(b),
        seed_tekton.tekton_pipelines(b),
        seed_tekton.tekton_dashboard(b),
        seed_tekton.tekton_extras(b),
        seed_workloads.gitea(b),
        seed_workloads.infisical(b),
        seed_workloads.sympozium_extras(b),
        seed_workloads.sympozium(b),
        seed_workloads.vk_remote(b),
        seed_platform.vcluster_experiments(b),
        seed_platform.victoria_metrics(b),
        seed_platform.gpu_operator(b),
        *seed_workloads.secret_apps(b),
        seed_tekton.tekton_triggers(b),
        *_quiet_apps(b),
    ]
    _root(b, children)
    return b.build()


def _namespaces() -> list[str]:
    fixed = [
        "argocd",
        "argo-rollouts",
        "tekton-pipelines",
        "gitea",
        "infisical",
        "agents",
        "monitoring",
        "gpu-operator",
        "vcluster-experiments",
        "paperclip",
        "n8n",
        "immich",
        "outline",
        "paperless",
        "default",
        "kube-system",
    ]
    return fixed + [ns for _, ns, _, _, _ in _QUIET_APPS]


def _quiet_apps(b: ScenarioBuilder) -> list[AppBuilder]:
    """The 30 Synced/Healthy apps with a few ordinary resources each (plus tekton-triggers)."""
    apps = []
    for name, ns, image, port, host in _QUIET_APPS:
        app = b.app(name, destination_namespace=ns, age=timedelta(days=200))
        if name == "traefik":
            app.synced(m.ingress_class("traefik", "traefik.io/ingress-controller"))
        if name == "external-secrets":
            app.synced(crds.crd("externalsecrets.external-secrets.io"), age=timedelta(days=120))
        chart_workload(b, app, name, ns, image, port=port, host=host)
        apps.append(app)
    return apps


def _root(b: ScenarioBuilder, children: list[AppBuilder]) -> None:
    """The app of apps: lists all 51 others; 12 templates keep zero values Argo CD strips."""
    root = b.app("root", destination_namespace="argocd", path="apps/root", age=timedelta(days=210))
    for child in sorted(children, key=lambda app: app.name):
        if child.name not in _PHANTOM_CHILDREN:
            root.child_app(child)
            continue
        git: dict[str, object] = {"/spec/syncPolicy/automated/prune": False}
        if child.name in _EMPTY_GROUP_CHILDREN:
            git["/spec/ignoreDifferences/0/group"] = ""
        root.child_app(child, git, "phantom-defaults")
