"""A small cluster with one resource per way Argo CD's predicted live state differs from git.

Issue #14 lists them; each is here once, built the way it happens on a real cluster and then
`realize`d (real server defaults, field ownership, Argo CD's diff per mode):

app: resource, how predicted live differs from git → ground-truth class

* shop: Deployment shop-web; server defaults, the chart's ``app.kubernetes.io/instance:
  shop-prod`` (Helm release, not the app name), pod-template ``checksum/config`` changed
  → injected-fields (its Service and ConfigMap are Synced with server defaults only)
* autoscaled: Deployment api; ``/spec/replicas`` written by ``kube-controller-manager`` for
  the HPA → injected-fields
* cert-webhooks: ValidatingWebhookConfiguration; ``caBundle`` injected by
  ``cert-manager-cainjector`` over the chart's empty placeholder → injected-fields
* monitoring-rbac (legacy diff): ClusterRole with ``aggregationRule``; ``rules`` filled by
  ``clusterrole-aggregation-controller`` → injected-fields
* payments (legacy diff): Deployment; image changed by a person (``kubectl-edit``)
  → unexplained
* tenant-a / tenant-b: one Namespace; live tracking-id names tenant-b → contested
* legacy-import: ConfigMap created by ``kubectl``, no tracking-id live → unadopted
* batch: PostSync hook Job kept by ``prune: false`` (not listed by managed-resources)
  → hook-leftover
* missing: Service in git, not in the cluster (``liveState: "null"``) → unexplained
* extraneous: ConfigMap in the cluster, not in git (``targetState: "null"``) → zombie
* broken: whole comparison failed (``"{}"`` states, ComparisonError) → unexplained
* mesh-default / mesh-webhook (``compare-options: ServerSideDiff=true``): a mutating webhook
  now labels pod templates at admission; hidden from the prediction by default (Synced), shown
  with ``IncludeMutationWebhook=true`` → unexplained: no field manager names the writer (the
  label is in neither git nor live), and #14 calls a field benign only for a named writer
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import crds, objects
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.realism import COMPARE_OPTIONS, Realism, realize
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.scenario import Scenario, key_of

LEGACY_SYNC: Final = {"automated": {"selfHeal": True}, "syncOptions": ["CreateNamespace=true"]}
KEEP_SYNC: Final = {
    "automated": {"selfHeal": True, "prune": False},
    "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
}
CA_BUNDLE: Final = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRhZ0F3SUJBZ0lRR3o="
_AGE: Final = timedelta(days=40)


def build(now: datetime) -> Scenario:
    b = ScenarioBuilder(now, seed="argo-diff-cases", verify=False)
    b.unmanaged(crds.crd("applications.argoproj.io"), age=_AGE * 3)
    notes = Notes()
    add_cases(b, notes)
    return finish(b.build(), notes)


@dataclass
class Notes:
    """What the cases need after the build: app annotations and Argo CD's comparison setup."""

    realism: Realism = field(default_factory=Realism)
    app_annotations: dict[str, dict[str, str]] = field(default_factory=dict)


def finish(scenario: Scenario, notes: Notes) -> Scenario:
    """Annotate the cases' Application CRs, then `realize` the scenario."""
    for app in scenario.applications:
        extra = notes.app_annotations.get(str(app["metadata"]["name"]))
        if extra:
            metadata = app["metadata"]
            metadata["annotations"] = {**(metadata.get("annotations") or {}), **extra}
    return realize(scenario, notes.realism)


def add_cases(b: ScenarioBuilder, notes: Notes, suffix: str = "") -> None:
    """Add one copy of every case to ``b`` (names and namespaces end in ``suffix``)."""
    n = _Names(suffix)
    for ns in ("shop", "api", "payments", "tenants", "batch", "edge", "legacy", "mesh"):
        b.unmanaged(m.namespace(n(ns)), age=_AGE * 3, manager="kubectl-create")
    _shop(b, n)
    _autoscaled(b, n)
    _webhooks(b, n)
    _aggregated_role(b, n)
    _kubectl_edit(b, n)
    _contested(b, n)
    _unadopted(b, n)
    _hook_missing_extraneous(b, n)
    _server_side_diff(b, n, notes)
    notes.realism.comparison_errors.add(_broken(b, n))


_WEBHOOK_LABEL: Final = "/spec/template/metadata/labels/policy.example~1audited"


def _server_side_diff(b: ScenarioBuilder, n: _Names, notes: Notes) -> None:
    """Two apps compared by server-side dry-run; a mutating webhook installed after their last
    sync would now label the pod template. Argo CD hides that unless IncludeMutationWebhook."""
    ns = n("mesh")
    for name, include, drifting in (("mesh-default", False, False), ("mesh-webhook", True, True)):
        app = b.app(n(name), destination_namespace=ns)
        options = "ServerSideDiff=true" + (",IncludeMutationWebhook=true" if include else "")
        notes.app_annotations[app.name] = {COMPARE_OPTIONS: options}
        deployment = _web(name, ns, app.name)
        live = app.synced(deployment, age=_AGE)
        notes.realism.webhook_writes[key_of(live)] = {_WEBHOOK_LABEL: "true"}
        if drifting:
            # Only Argo CD's diff sees it: git and live agree, the dry-run adds the label.
            app.entries[-1].status = "OutOfSync"
            b.expect(app.name, key_of(live), "unexplained")


class _Names:
    def __init__(self, suffix: str) -> None:
        self.suffix = suffix

    def __call__(self, name: str) -> str:
        return f"{name}{self.suffix}"


def _web(name: str, ns: str, instance: str, **kwargs: Any) -> RawObject:
    return m.deployment(
        name,
        ns,
        [m.container(name, f"registry.example/{name}:1.4.2", ports=[("http", 8080)])],
        labels=m.chart_labels(name, instance),
        selector=m.selector_labels(name, instance),
        **kwargs,
    )


def _shop(b: ScenarioBuilder, n: _Names) -> None:
    ns = n("shop")
    app = b.app(n("shop"), destination_namespace=ns)
    labels = m.chart_labels("shop-web", "shop-prod")  # Helm release name, not the app name
    app.synced(m.config_map("shop-web-config", ns, {"MODE": "prod"}, labels=labels), age=_AGE)
    selector = m.selector_labels("shop-web", "shop-prod")
    service = m.service("shop-web", ns, selector, [("http", 8080, "http")], labels=labels)
    app.synced(service, age=_AGE)
    web = _web("shop-web", ns, "shop-prod", pod_annotations={"checksum/config": "9f2c1a"})
    path = "/spec/template/metadata/annotations/checksum~1config"
    app.drifted(web, {path: "41be07"}, "injected-fields", age=_AGE)


def _autoscaled(b: ScenarioBuilder, n: _Names) -> None:
    ns = n("api")
    app = b.app(n("autoscaled"), destination_namespace=ns)
    api = _web("api", ns, "autoscaled", replicas=2)
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": m.meta("api", ns),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
            "minReplicas": 2,
            "maxReplicas": 8,
        },
    }
    app.synced(hpa, age=_AGE, status=None)
    scaler = objects.managed_entry(
        "kube-controller-manager",
        "apps/v1",
        b.now - timedelta(minutes=7),
        objects.fields_at({"/spec/replicas": 5}),
    )
    app.drifted(api, {"/spec/replicas": 5}, "injected-fields", age=_AGE, extra_managers=[scaler])


def _webhooks(b: ScenarioBuilder, n: _Names) -> None:
    app = b.app(n("cert-webhooks"), destination_namespace=n("edge"))
    hook = m.validating_webhook(n("edge-admission"), n("edge"), "edge-admission")
    hook["webhooks"][0]["clientConfig"]["caBundle"] = ""  # the chart's placeholder
    injector = objects.managed_entry(
        "cert-manager-cainjector",
        "admissionregistration.k8s.io/v1",
        b.now - timedelta(days=2),
        {
            "f:webhooks": {
                'k:{"name":"validate.nginx.ingress.kubernetes.io"}': {
                    ".": {},
                    "f:clientConfig": {"f:caBundle": {}},
                }
            }
        },
    )
    path = "/webhooks/0/clientConfig/caBundle"
    app.drifted(hook, {path: CA_BUNDLE}, "injected-fields", age=_AGE, extra_managers=[injector])


def _aggregated_role(b: ScenarioBuilder, n: _Names) -> None:
    app = b.app(n("monitoring-rbac"), destination_namespace=None, sync_policy=LEGACY_SYNC)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": m.meta(n("monitoring-view")),
        "aggregationRule": {
            "clusterRoleSelectors": [
                {"matchLabels": {"rbac.example/aggregate-to-monitoring": "true"}}
            ]
        },
        "rules": [],
    }
    filled = [m.rule([""], ["pods", "services", "endpoints"], ["get", "list", "watch"])]
    aggregator = objects.managed_entry(
        "clusterrole-aggregation-controller",
        "rbac.authorization.k8s.io/v1",
        b.now - timedelta(hours=3),
        {"f:rules": {}},
    )
    app.drifted(role, {"/rules": filled}, "injected-fields", age=_AGE, extra_managers=[aggregator])


def _kubectl_edit(b: ScenarioBuilder, n: _Names) -> None:
    ns = n("payments")
    app = b.app(n("payments"), destination_namespace=ns, sync_policy=LEGACY_SYNC)
    app.synced(m.config_map("payments-config", ns, {"CURRENCY": "EUR"}), age=_AGE)
    deployment = _web("payments", ns, app.name)
    path = "/spec/template/spec/containers/0/image"
    editor = objects.managed_entry(
        "kubectl-edit",
        "apps/v1",
        b.now - timedelta(hours=5),
        {
            "f:spec": {
                "f:template": {
                    "f:spec": {"f:containers": {'k:{"name":"payments"}': {"f:image": {}}}}
                }
            }
        },
    )
    change = {path: "registry.example/payments:1.4.3-hotfix"}
    app.drifted(deployment, change, "unexplained", age=_AGE, extra_managers=[editor])


def _contested(b: ScenarioBuilder, n: _Names) -> None:
    shared = m.namespace(n("tenant-shared"), labels={"team": "tenants"})
    winner = b.app(n("tenant-b"), destination_namespace=n("tenants"))
    winner.synced(shared, age=_AGE, status=None)
    loser = b.app(n("tenant-a"), destination_namespace=n("tenants"))
    loser.claims(shared, ("/metadata/annotations/argocd.argoproj.io~1tracking-id",), "contested")
    loser.condition(
        "SharedResourceWarning",
        f"Namespace/{n('tenant-shared')} is part of applications argocd/{loser.name} and "
        f"{winner.name}",
    )


def _unadopted(b: ScenarioBuilder, n: _Names) -> None:
    config = m.config_map("legacy-settings", n("legacy"), {"FEATURE_X": "on"})
    b.unmanaged(config, age=_AGE * 2, manager="kubectl-client-side-apply")
    app = b.app(n("legacy-import"), destination_namespace=n("legacy"))
    app.claims(config, ("/metadata/annotations/argocd.argoproj.io~1tracking-id",), "unadopted")


def _hook_missing_extraneous(b: ScenarioBuilder, n: _Names) -> None:
    batch: AppBuilder = b.app(n("batch"), destination_namespace=n("batch"), sync_policy=KEEP_SYNC)
    migrate = m.job(
        "db-migrate",
        n("batch"),
        "registry.example/migrate:7",
        ["migrate", "up"],
        annotations={"argocd.argoproj.io/hook": "PostSync"},
    )
    batch.hook(migrate)
    edge = n("edge")
    missing = b.app(n("missing"), destination_namespace=edge)
    service = m.service("edge-gateway", edge, {"app": "edge-gateway"}, [("https", 443, 8443)])
    missing.claims(service, (), "unexplained")
    extraneous = b.app(n("extraneous"), destination_namespace=edge, sync_policy=KEEP_SYNC)
    extraneous.zombie(m.config_map("edge-old-routes", edge, {"routes": "[]"}), safe=True)


def _broken(b: ScenarioBuilder, n: _Names) -> str:
    app = b.app(n("broken"), destination_namespace=n("edge"))
    proxy = _web("edge-proxy", n("edge"), app.name)
    app.drifted(proxy, {"/spec/replicas": 3}, "unexplained", age=_AGE)
    app.condition(
        "ComparisonError",
        "Failed to compare desired state to live state: failed to calculate diff: error "
        "calculating structured merge diff: .spec.template.spec.containers: duplicate entries",
    )
    return app.name
