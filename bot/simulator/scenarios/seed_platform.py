"""The seed's platform apps: Argo CD itself, Argo Rollouts, the GPU operator, monitoring and
the vcluster experiment (docs/seed-scenario.md, one function per app; Tekton is in seed_tekton).

Every drift is written as the pointers where live differs from git, next to the class the
classifier must conclude; `ScenarioBuilder.build` proves no other path differs.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import crds, objects
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.objects import ts
from bot.simulator.cluster.pointers import DELETE, join
from bot.simulator.cluster.workloads import crash_loop, running
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.seed_common import DOMAIN, chart_workload

_DAY: Final = timedelta(days=1)
_ROLLOUTS_IMAGE: Final = "quay.io/argoproj/argo-rollouts:v1.8.4"
_PLUGIN_URL: Final = (
    "https://github.com/argoproj-labs/rollouts-plugin-trafficrouter-cilium/releases/download/"
    "v0.4.1/rollouts-plugin-trafficrouter-cilium-linux-amd64"
)


def bootstrapped(b: ScenarioBuilder, body: RawObject, manager: str, age: timedelta) -> Any:
    """managedFields of an object installed before Argo CD existed (helm or kubectl)."""
    operation = "Apply" if manager == "kubectl" else "Update"
    return [
        objects.managed_entry(
            manager,
            str(body["apiVersion"]),
            b.now - age,
            objects.applied_fields(body),
            operation=operation,
        )
    ]


def argocd(b: ScenarioBuilder) -> AppBuilder:
    """Synced/Healthy, yet three helm pre-install hooks linger (hook-leftover)."""
    app = b.app("argocd", destination_namespace="argocd", age=210 * _DAY, health_age=9 * _DAY)
    app.synced(crds.crd("applications.argoproj.io"), age=210 * _DAY)
    app.synced(crds.crd("appprojects.argoproj.io"), age=210 * _DAY)
    image = "quay.io/argoproj/argocd:v3.5.1"
    chart_workload(b, app, "argocd-server", "argocd", image, host="argocd", age=9 * _DAY)
    chart_workload(b, app, "argocd-repo-server", "argocd", image, port=8081, age=9 * _DAY)
    chart_workload(b, app, "argocd-redis", "argocd", "redis:7.2.8-alpine", port=6379)
    hook = {
        "helm.sh/hook": "pre-install,pre-upgrade",
        "helm.sh/hook-delete-policy": "before-hook-creation",
    }
    name = "argocd-redis-secret-init"
    secrets = m.rule([""], ["secrets"], ["get", "create"])
    app.hook(m.annotated(m.service_account(name, "argocd"), hook))
    app.hook(m.annotated(m.role(name, "argocd", [secrets]), hook))
    app.hook(m.annotated(m.role_binding(name, "argocd", name, [("argocd", name)]), hook))
    return app


def argo_rollouts(b: ScenarioBuilder) -> AppBuilder:
    """Five CRDs from a pre-Argo bootstrap (unadopted) and a controller crash-looping 21 days."""
    app = b.app(
        "argo-rollouts",
        destination_namespace=None,
        health="Progressing",
        health_age=21 * _DAY,
        age=200 * _DAY,
    )
    labels = m.chart_labels("argo-rollouts", "argo-rollouts", "rollouts-controller")
    crd_annotations = {
        "controller-gen.kubebuilder.io/version": "v0.14.0",
        "helm.sh/resource-policy": "keep",
    }
    for plural in ("analysisruns", "analysistemplates", "clusteranalysistemplates"):
        _unlabelled_crd(b, app, f"{plural}.argoproj.io", labels, crd_annotations)
    for plural in ("experiments", "rollouts"):
        _unlabelled_crd(b, app, f"{plural}.argoproj.io", labels, crd_annotations)
    ns = "argo-rollouts"
    app.synced(m.service_account("argo-rollouts", ns, labels=labels), age=200 * _DAY)
    rules = [m.rule(["argoproj.io"], ["rollouts", "experiments", "analysisruns"], ["*"])]
    app.synced(m.role("argo-rollouts", None, rules, labels=labels), age=200 * _DAY)
    binding = m.role_binding("argo-rollouts", None, "argo-rollouts", [(ns, "argo-rollouts")])
    app.synced(binding, age=200 * _DAY)
    plugins = f'- name: "argoproj-labs/cilium"\n  location: "{_PLUGIN_URL}"\n'
    config = m.config_map("argo-rollouts-config", ns, {"trafficRouterPlugins": plugins})
    app.synced(config, age=21 * _DAY)
    selector = m.selector_labels("argo-rollouts", "argo-rollouts")
    container = m.container(
        "argo-rollouts", _ROLLOUTS_IMAGE, ports=[("metrics", 8090), ("healthz", 8080)]
    )
    deployment = app.synced(
        m.deployment(
            "argo-rollouts",
            ns,
            [container],
            labels=labels,
            selector=selector,
            service_account_name="argo-rollouts",
        ),
        age=200 * _DAY,
    )
    b.pods_for(
        deployment,
        [crash_loop(1154, age=21 * _DAY, last_finished=timedelta(minutes=2, seconds=18))],
        names=["argo-rollouts-6b4c4dfbd9-ghl9c"],
        template_hash="6b4c4dfbd9",
        revision=4,
    )
    metrics = m.service("argo-rollouts-metrics", ns, selector, [("metrics", 8090, 8090)])
    app.synced(metrics, age=200 * _DAY)
    _rollouts_logs(b)
    b.stuck("argo-rollouts")
    return app


def _unlabelled_crd(
    b: ScenarioBuilder,
    app: AppBuilder,
    name: str,
    labels: dict[str, str],
    annotations: dict[str, str],
) -> None:
    """The chart renders labels; the bootstrap-installed live CRD has none (and no tracking id)."""
    git = m.relabeled(crds.crd(name), labels, annotations=annotations)
    live_shape = m.relabeled(git, None, annotations=annotations)
    managers = bootstrapped(b, live_shape, "helm", 230 * _DAY)
    app.drifted(git, {"/metadata/labels": DELETE}, "unadopted", age=230 * _DAY, managers=managers)


def _rollouts_logs(b: ScenarioBuilder) -> None:
    """The seed's fatal plugin download, plus two secrets a redactor must catch."""
    pod, ns = "argo-rollouts-6b4c4dfbd9-ghl9c", "argo-rollouts"
    started = b.now - timedelta(minutes=2, seconds=19)
    previous_start = ts(started)
    current_start = ts(b.now - timedelta(seconds=6))
    token = (
        "eyJhbGciOiJSUzI1NiIsImtpZCI6InNpbXVsYXRlZCJ9."
        "eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YXJnby1yb2xsb3V0czphcmdvLXJvbGxvdXRzIn0."
        "c2ltdWxhdGVkLXNpZ25hdHVyZS1ub3QtYS1yZWFsLWtleQ"
    )
    previous = [
        f'time="{previous_start}" level=info msg="Argo Rollouts starting" version=v1.8.4',
        f'time="{previous_start}" level=info msg="Creating event broadcaster"',
        f'time="{previous_start}" level=info msg="Loading notification database" '
        'dsn="postgres://rollouts:Sup3rS3cr3tPassw0rd@postgres.argo-rollouts.svc:5432/'
        'notifications?sslmode=disable"',
        f'time="{previous_start}" level=debug msg="GitHub request headers" '
        f'authorization="Bearer {token}"',
        f'time="{previous_start}" level=info msg="Downloading plugin argoproj-labs/cilium '
        f'from: {_PLUGIN_URL}"',
        f'time="{previous_start}" level=fatal msg="Failed to download plugins: failed to '
        f"download plugin argoproj-labs/cilium: failed to download file from {_PLUGIN_URL}, "
        'response code Not Found"',
    ]
    b.log(ns, pod, "argo-rollouts", "\n".join(previous) + "\n", previous=True)
    startup = f'time="{current_start}" level=info msg="Argo Rollouts starting" version=v1.8.4\n'
    b.log(ns, pod, "argo-rollouts", startup)


def gpu_operator(b: ScenarioBuilder) -> AppBuilder:
    """The NVIDIA operator fills dozens of ClusterPolicy sub-fields it owns (injected-fields)."""
    app = b.app(
        "gpu-operator",
        destination_namespace="gpu-operator",
        age=170 * _DAY,
        ignore_differences=[
            {"kind": "ConfigMap", "name": "default-mig-parted-config", "jsonPointers": ["/data"]}
        ],
    )
    app.synced(crds.crd("clusterpolicies.nvidia.com"), age=170 * _DAY)
    policy = {
        "apiVersion": "nvidia.com/v1",
        "kind": "ClusterPolicy",
        "metadata": m.meta("cluster-policy"),
        "spec": {
            "operator": {"defaultRuntime": "containerd"},
            "driver": {"enabled": False},
            "toolkit": {"enabled": False},
            "cdi": {"enabled": False},
            "devicePlugin": {"enabled": True},
            "dcgmExporter": {"enabled": True},
            "gfd": {"enabled": True},
            "migManager": {"enabled": False},
        },
    }
    injector = objects.managed_entry(
        "gpu-operator", "nvidia.com/v1", b.now - 160 * _DAY, objects.fields_at(_GPU_INJECTED)
    )
    app.drifted(policy, _GPU_INJECTED, "injected-fields", age=170 * _DAY, extra_managers=[injector])
    image = "nvcr.io/nvidia/gpu-operator:v25.3.0"
    chart_workload(b, app, "gpu-operator", "gpu-operator", image, port=8080)
    return app


def _nvcr(image: str, version: str) -> dict[str, Any]:
    return {"repository": "nvcr.io/nvidia", "image": image, "version": version}


_GPU_INJECTED: Final[dict[str, Any]] = {
    "/spec/daemonsets": {
        "priorityClassName": "system-node-critical",
        "rollingUpdate": {"maxUnavailable": "1"},
        "tolerations": [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
        "updateStrategy": "RollingUpdate",
    },
    "/spec/operator/runtimeClass": "nvidia",
    "/spec/operator/initContainer": _nvcr("cuda", "12.8.1-base-ubi9"),
    "/spec/driver/useOpenKernelModules": False,
    "/spec/driver/rdma": {"enabled": False, "useHostMofed": False},
    "/spec/toolkit/installDir": "/usr/local/nvidia",
    "/spec/cdi/default": False,
    "/spec/devicePlugin/repository": "nvcr.io/nvidia",
    "/spec/devicePlugin/image": "k8s-device-plugin",
    "/spec/devicePlugin/version": "v0.17.1",
    "/spec/devicePlugin/imagePullPolicy": "IfNotPresent",
    "/spec/dcgmExporter/repository": "nvcr.io/nvidia/k8s",
    "/spec/dcgmExporter/image": "dcgm-exporter",
    "/spec/dcgmExporter/version": "4.1.1-4.0.4-ubuntu22.04",
    "/spec/dcgmExporter/serviceMonitor": {"enabled": False},
    "/spec/gfd/repository": "nvcr.io/nvidia",
    "/spec/gfd/image": "k8s-device-plugin",
    "/spec/gfd/version": "v0.17.1",
    "/spec/validator": _nvcr("gpu-operator-validator", "v25.3.0"),
}


def victoria_metrics(b: ScenarioBuilder) -> AppBuilder:
    """Grafana's chart rotates checksum annotations on the pod template (injected-fields)."""
    app = b.app(
        "victoria-metrics",
        destination_namespace="monitoring",
        age=160 * _DAY,
        ignore_differences=[
            {
                "kind": "ConfigMap",
                "name": "victoria-metrics-grafana-dashboards",
                "jsonPointers": ["/data"],
            }
        ],
    )
    ns = "monitoring"
    single = "victoriametrics/victoria-metrics:v1.115.0"
    chart_workload(b, app, "victoria-metrics-single-server", ns, single, port=8428)
    labels = m.chart_labels("grafana", "victoria-metrics")
    selector = m.selector_labels("grafana", "victoria-metrics")
    checksums = {
        name: b.ids.hexdigest(64, "checksum", name, "git")
        for name in ("checksum/config", "checksum/sc-dashboard-provider-config", "checksum/secret")
    }
    grafana = m.deployment(
        "victoria-metrics-grafana",
        ns,
        [m.container("grafana", "grafana/grafana:11.5.2", ports=[("grafana", 3000)])],
        labels=labels,
        selector=selector,
        pod_annotations=checksums,
        service_account_name="victoria-metrics-grafana",
    )
    rotated = {
        join("spec", "template", "metadata", "annotations", name): b.ids.hexdigest(64, name, "live")
        for name in checksums
    }
    live = app.drifted(grafana, rotated, "injected-fields", age=160 * _DAY)
    b.pods_for(live, [running(age=6 * _DAY)])
    app.synced(m.service_account("victoria-metrics-grafana", ns, labels=labels))
    service = m.service("victoria-metrics-grafana", ns, selector, [("service", 80, 3000)])
    app.synced(service)
    app.synced(
        m.ingress(
            "victoria-metrics-grafana", ns, f"grafana.{DOMAIN}", "victoria-metrics-grafana", 80
        )
    )
    dashboards = {"node-exporter.json": '{"title": "Node Exporter"}'}
    app.synced(m.config_map("victoria-metrics-grafana-dashboards", ns, dashboards, labels=labels))
    return app


def vcluster_experiments(b: ScenarioBuilder) -> AppBuilder:
    """A StatefulSet whose drift mixes a hash, API defaults and a git-only null (unexplained)."""
    app = b.app(
        "vcluster-experiments",
        destination_namespace="vcluster-experiments",
        health="Progressing",
        health_age=timedelta(minutes=12),
        age=45 * _DAY,
    )
    ns = "vcluster-experiments"
    labels = {"app": "vcluster", "release": "experiments"}
    app.synced(m.service_account("vc-experiments", ns, labels=labels), age=45 * _DAY)
    app.synced(m.service("experiments", ns, labels, [("https", 443, 8443)], labels=labels))
    sts = m.stateful_set(
        "experiments",
        ns,
        [m.container("syncer", "ghcr.io/loft-sh/vcluster-pro:0.24.1", ports=[("https", 8443)])],
        labels=labels,
        selector=labels,
        service_name="experiments-headless",
        pod_annotations={"vClusterConfigHash": b.ids.hexdigest(64, "vcluster", "git")},
        service_account_name="vc-experiments",
        volume_claim_templates=[
            {
                "metadata": {"name": "data", "creationTimestamp": None},
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "5Gi"}},
                },
            }
        ],
    )
    changes: dict[str, Any] = {
        "/spec/template/metadata/annotations/vClusterConfigHash": b.ids.hexdigest(
            64, "vcluster", "live"
        ),
        "/spec/persistentVolumeClaimRetentionPolicy": {
            "whenDeleted": "Retain",
            "whenScaled": "Retain",
        },
        "/spec/revisionHistoryLimit": 10,
        "/spec/updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "/spec/volumeClaimTemplates/0/metadata/creationTimestamp": DELETE,
    }
    live = app.drifted(sts, changes, "unexplained", age=45 * _DAY)
    b.pods_for(live, [running(age=timedelta(minutes=12), ready=False)])
    started = ts(b.now - timedelta(minutes=11, seconds=50))
    lines = [
        f"{started} INFO setup vcluster starting version=0.24.1",
        f"{started} INFO setup waiting for the embedded etcd to become ready",
    ]
    b.log(ns, "experiments-0", "syncer", "\n".join(lines) + "\n")
    return app
