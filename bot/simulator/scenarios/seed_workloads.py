"""The seed's application apps: gitea, infisical, sympozium, vk-remote and the ExternalSecret
apps (docs/seed-scenario.md, one function per app).

Drifts are declared as the pointers where live differs from git; `ScenarioBuilder.build` proves
nothing else differs. Zombies carry the ground truth of whether anything still uses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import crds
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.objects import ts
from bot.simulator.cluster.pointers import DELETE, join
from bot.simulator.cluster.workloads import creating, running
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.seed_common import DOMAIN, chart_workload

_DAY: Final = timedelta(days=1)
_NGINX: Final = "infisical-ingress-nginx"


def external_secret(app: AppBuilder, name: str, ns: str, keys: Sequence[str]) -> RawObject:
    """An ESO v1 ExternalSecret the v2.8.0 CRD filled with its four defaults (schema-defaults)."""
    changes: dict[str, Any] = {"/spec/target/deletionPolicy": "Retain"}
    for index in range(len(keys)):
        ref = f"/spec/data/{index}/remoteRef"
        changes[f"{ref}/conversionStrategy"] = "Default"
        changes[f"{ref}/decodingStrategy"] = "None"
        changes[f"{ref}/metadataPolicy"] = "None"
    return app.drifted(m.external_secret(name, ns, keys), changes, "schema-defaults", age=90 * _DAY)


def gitea(b: ScenarioBuilder) -> AppBuilder:
    """Mid-rollout (Progressing 3 min, new pod creating), two ExternalSecrets, redis zombies."""
    app = b.app(
        "gitea",
        destination_namespace="gitea",
        health="Progressing",
        health_age=timedelta(minutes=3),
    )
    ns = "gitea"
    labels = m.chart_labels("gitea", "gitea")
    selector = m.selector_labels("gitea", "gitea")
    app.synced(m.service_account("gitea", ns, labels=labels))
    app.synced(m.config_map("gitea-config", ns, {"DOMAIN": f"gitea.{DOMAIN}"}, labels=labels))
    container = m.container(
        "gitea", "gitea/gitea:1.23.7-rootless", ports=[("http", 3000), ("ssh", 2222)]
    )
    deployment = app.synced(
        m.deployment(
            "gitea", ns, [container], labels=labels, selector=selector, service_account_name="gitea"
        ),
        age=200 * _DAY,
    )
    b.pods_for(
        deployment,
        [creating(age=timedelta(minutes=2))],
        old_runs=[running(age=20 * _DAY)],
        old_image="gitea/gitea:1.23.6-rootless",
        revision=7,
    )
    app.synced(m.service("gitea-http", ns, selector, [("http", 3000, "http")], labels=labels))
    app.synced(m.service("gitea-ssh", ns, selector, [("ssh", 22, "ssh")], labels=labels))
    app.synced(m.ingress("gitea", ns, f"gitea.{DOMAIN}", "gitea-http", 3000))
    external_secret(app, "gitea-admin", ns, ["GITEA_ADMIN_USERNAME", "GITEA_ADMIN_PASSWORD"])
    external_secret(app, "gitea-runner", ns, ["RUNNER_REGISTRATION_TOKEN"])
    redis = m.chart_labels("redis-cluster", "gitea")
    redis_selector = m.selector_labels("redis-cluster", "gitea")
    ports = [("tcp-redis", 6379, "tcp-redis")]
    app.zombie(m.service("gitea-redis-cluster", ns, redis_selector, ports, labels=redis), safe=True)
    conf = {"redis-default.conf": "bind 127.0.0.1\ncluster-enabled yes\n"}
    app.zombie(m.config_map("gitea-redis-cluster-default", ns, conf, labels=redis), safe=True)
    app.zombie(m.service_account("gitea-redis-cluster", ns, labels=redis), safe=True)
    return app


def infisical(b: ScenarioBuilder) -> AppBuilder:
    """Defaults, two injected fields and eleven zombies, one still used by a running pod."""
    app = b.app(
        "infisical",
        destination_namespace="infisical",
        ignore_differences=[
            {"kind": "Secret", "name": "infisical-secrets", "jsonPointers": ["/data"]}
        ],
    )
    ns = "infisical"
    external_secret(
        app, "infisical-secrets", ns, ["ENCRYPTION_KEY", "AUTH_SECRET", "DB_CONNECTION_URI"]
    )
    external_secret(app, "infisical-smtp", ns, ["SMTP_PASSWORD"])
    labels = m.chart_labels("infisical", "infisical")
    selector = m.selector_labels("infisical", "infisical")
    rendered_at = (b.now - timedelta(minutes=40)).strftime("%Y-%m-%d UTC %H:%M:%S")
    deployed_at = (b.now - 13 * _DAY).strftime("%Y-%m-%d UTC %H:%M:%S")
    server = m.deployment(
        "infisical",
        ns,
        [m.container("infisical", "infisical/infisical:v0.131.0-postgres", ports=[("http", 8080)])],
        labels=labels,
        selector=selector,
        pod_annotations={"updatedAt": rendered_at},
        service_account_name="infisical",
    )
    changed = {join("spec", "template", "metadata", "annotations", "updatedAt"): deployed_at}
    live = app.drifted(server, changed, "injected-fields", age=150 * _DAY)
    b.pods_for(live, [running(age=13 * _DAY)])
    app.synced(m.service_account("infisical", ns, labels=labels))
    app.synced(m.service("infisical", ns, selector, [("http", 8080, "http")], labels=labels))
    app.synced(m.ingress("infisical", ns, f"secrets.{DOMAIN}", "infisical", 8080))
    _infisical_postgres(b, app, ns)
    _infisical_zombies(app, ns)
    _redis_leftover(b, ns)
    return app


def _infisical_postgres(b: ScenarioBuilder, app: AppBuilder, ns: str) -> None:
    labels = m.chart_labels("postgresql", "infisical", "primary")
    selector = m.selector_labels("postgresql", "infisical")
    image = "docker.io/bitnami/postgresql:16.4.0-debian-12-r9"
    sts = m.stateful_set(
        "infisical-postgresql",
        ns,
        [m.container("postgresql", image, ports=[("tcp-postgresql", 5432)])],
        labels=labels,
        selector=selector,
        service_name="infisical-postgresql-hl",
    )
    b.pods_for(app.synced(sts, age=150 * _DAY), [running(age=40 * _DAY)])
    ports = [("tcp-postgresql", 5432, "tcp-postgresql")]
    app.synced(m.service("infisical-postgresql", ns, selector, ports, labels=labels))
    pdb = m.pod_disruption_budget("infisical-postgresql", ns, selector, maxUnavailable="")
    app.drifted(pdb, {"/spec/maxUnavailable": DELETE}, "injected-fields", age=150 * _DAY)


def _infisical_zombies(app: AppBuilder, ns: str) -> None:
    """The disabled ingress-nginx, mongodb and redis sub-charts, kept alive by prune: false."""
    labels = m.chart_labels("ingress-nginx", "infisical", "controller")
    rules = [
        m.rule(["networking.k8s.io"], ["ingresses", "ingressclasses"], ["get", "list", "watch"])
    ]
    app.zombie(m.role(_NGINX, None, rules, labels=labels), safe=True)
    binding = m.role_binding(_NGINX, None, _NGINX, [(ns, _NGINX)], labels=labels)
    app.zombie(binding, safe=True)
    local = [m.rule([""], ["configmaps", "pods", "secrets"], ["get", "list", "watch"])]
    app.zombie(m.role(_NGINX, ns, local, labels=labels), safe=True)
    app.zombie(m.role_binding(_NGINX, ns, _NGINX, [(ns, _NGINX)], labels=labels), safe=True)
    webhook = m.validating_webhook(f"{_NGINX}-admission", ns, f"{_NGINX}-controller-admission")
    app.zombie(webhook, safe=True)
    app.zombie(m.ingress_class("nginx", "k8s.io/ingress-nginx", labels=labels), safe=True)
    controller = {"allow-snippet-annotations": "false", "use-forwarded-headers": "true"}
    app.zombie(m.config_map(f"{_NGINX}-controller", ns, controller, labels=labels), safe=True)
    scripts = {"ping-mongodb.sh": "#!/bin/bash\nmongosh --eval 'db.adminCommand(\"ping\")'\n"}
    mongo = m.chart_labels("mongodb", "infisical")
    app.zombie(m.config_map("mongodb-common-scripts", ns, scripts, labels=mongo), safe=True)
    app.zombie(m.service_account(_NGINX, ns, labels=labels), safe=True)
    app.zombie(m.service_account("mongodb", ns, labels=mongo), safe=True)
    redis = m.chart_labels("redis", "infisical")
    app.zombie(m.service_account("redis", ns, labels=redis), safe=False)


def _redis_leftover(b: ScenarioBuilder, ns: str) -> None:
    """A helm-installed redis no app lists, whose pod still runs as ServiceAccount ``redis``."""
    selector = m.selector_labels("redis", "infisical")
    sts = m.stateful_set(
        "infisical-redis-master",
        ns,
        [
            m.container(
                "redis", "docker.io/bitnami/redis:7.2.5-debian-12-r0", ports=[("redis", 6379)]
            )
        ],
        labels=m.chart_labels("redis", "infisical", "master"),
        selector=selector,
        service_name="infisical-redis-headless",
        service_account_name="redis",
    )
    live = b.unmanaged(sts, age=140 * _DAY)
    b.pods_for(live, [running(age=33 * _DAY)])


def sympozium_extras(b: ScenarioBuilder) -> AppBuilder:
    """Owns the sympozium-system Namespace live (contested) and three defaulted PersonaPacks."""
    app = b.app("sympozium-extras", destination_namespace="default", age=70 * _DAY)
    security = {
        f"pod-security.kubernetes.io/{mode}": "privileged" for mode in ("enforce", "audit", "warn")
    }
    chart_label = {join("metadata", "labels", "app.kubernetes.io/part-of"): "sympozium"}
    app.drifted(m.namespace("sympozium-system", labels=security), chart_label, "contested")
    for name, personas in _PERSONA_PACKS.items():
        pack = {
            "apiVersion": "sympozium.ai/v1alpha1",
            "kind": "PersonaPack",
            "metadata": m.meta(name, "default"),
            "spec": {
                "description": f"{name.replace('-', ' ')} personas",
                "personas": [
                    {"name": p, "role": role, "systemPrompt": f"You are the team's {role}."}
                    for p, role in personas
                ],
            },
        }
        defaults: dict[str, Any] = {"/spec/enabled": True, "/spec/modelProvider": "anthropic"}
        for index in range(len(personas)):
            defaults[f"/spec/personas/{index}/maxConcurrentRuns"] = 1
            defaults[f"/spec/personas/{index}/approvalPolicy"] = "RequireApproval"
        app.drifted(pack, defaults, "schema-defaults", age=60 * _DAY)
    return app


_PERSONA_PACKS: Final = {
    "developer-team": (("architect", "software architect"), ("reviewer", "code reviewer")),
    "devops-essentials": (("sre", "site reliability engineer"),),
    "platform-team": (("platform", "platform engineer"), ("security", "security engineer")),
}


def sympozium(b: ScenarioBuilder) -> AppBuilder:
    """Its chart renders the Namespace that sympozium-extras also lists (contested)."""
    app = b.app(
        "sympozium",
        destination_namespace="sympozium-system",
        health="Progressing",
        health_age=timedelta(minutes=8),
        age=70 * _DAY,
    )
    ns = "sympozium-system"
    app.synced(crds.crd("personapacks.sympozium.ai"), age=70 * _DAY)
    chart = m.namespace(ns, labels={"app.kubernetes.io/part-of": "sympozium"})
    paths = [join("metadata", "annotations", "argocd.argoproj.io/tracking-id")] + [
        join("metadata", "labels", f"pod-security.kubernetes.io/{mode}")
        for mode in ("enforce", "audit", "warn")
    ]
    app.claims(chart, paths, "contested")
    app.condition(
        "SharedResourceWarning",
        f"Namespace/{ns} is part of applications argocd/sympozium and sympozium-extras",
    )
    run = running(age=timedelta(minutes=8), ready=False)
    image = "ghcr.io/sympozium-ai/sympozium:v0.9.2"
    chart_workload(b, app, "sympozium-controller", ns, image, port=8080, run=run, age=70 * _DAY)
    return app


def vk_remote(b: ScenarioBuilder) -> AppBuilder:
    """One defaulted ExternalSecret and a completed PostSync Job hook kept by prune: false."""
    app = b.app("vk-remote", destination_namespace="agents", age=80 * _DAY)
    ns = "agents"
    external_secret(app, "vk-remote-db", ns, ["DATABASE_URL", "POSTGRES_PASSWORD"])
    hook = m.job(
        "postgres-vk-init-electric",
        ns,
        "postgres:17.4-alpine",
        ["psql", "-c", "CREATE ROLE electric WITH LOGIN REPLICATION"],
        annotations={
            "argocd.argoproj.io/hook": "PostSync",
            "argocd.argoproj.io/hook-delete-policy": "BeforeHookCreation",
        },
    )
    app.hook(hook, age=timedelta(days=3))
    image = "ghcr.io/bloopai/vibe-kanban-remote:v0.0.55"
    chart_workload(b, app, "vk-remote", ns, image, port=3000, host="kanban")
    return app


_SECRET_APPS: Final = (
    (
        "gitea-extras",
        "gitea",
        (("gitea-oauth", ("CLIENT_ID", "CLIENT_SECRET")), ("gitea-smtp", ("SMTP_PASSWORD",))),
    ),
    ("grafana-alerting", "monitoring", (("grafana-alerting-slack", ("SLACK_WEBHOOK_URL",)),)),
    (
        "paperclip",
        "paperclip",
        (
            ("paperclip-anthropic", ("ANTHROPIC_API_KEY",)),
            ("paperclip-db", ("DATABASE_URL",)),
            ("paperclip-github", ("GITHUB_TOKEN",)),
        ),
    ),
    ("n8n", "n8n", (("n8n-secrets", ("N8N_ENCRYPTION_KEY", "DB_POSTGRESDB_PASSWORD")),)),
    (
        "immich",
        "immich",
        (("immich-db", ("DB_PASSWORD",)), ("immich-oauth", ("OAUTH_CLIENT_SECRET",))),
    ),
    ("outline", "outline", (("outline-secrets", ("SECRET_KEY", "UTILS_SECRET")),)),
    ("paperless", "paperless", (("paperless-secrets", ("PAPERLESS_SECRET_KEY",)),)),
)

_WORKLOADS: Final = {
    "paperclip": ("paperclip", "ghcr.io/paperclipai/paperclip:v0.6.1", 3100, "paperclip"),
    "n8n": ("n8n", "docker.n8n.io/n8nio/n8n:1.88.0", 5678, "n8n"),
    "immich": ("immich-server", "ghcr.io/immich-app/immich-server:v1.131.3", 2283, "photos"),
    "outline": ("outline", "docker.getoutline.com/outlinewiki/outline:0.83.0", 3000, "wiki"),
    "paperless": ("paperless", "ghcr.io/paperless-ngx/paperless-ngx:2.15.2", 8000, "docs"),
}


def secret_apps(b: ScenarioBuilder) -> list[AppBuilder]:
    """The apps whose only drift is defaulted ExternalSecrets (schema-defaults)."""
    apps = []
    for name, ns, secrets in _SECRET_APPS:
        app = b.app(name, destination_namespace=ns, age=100 * _DAY)
        for secret, keys in secrets:
            external_secret(app, secret, ns, keys)
        if name in _WORKLOADS:
            component, image, port, host = _WORKLOADS[name]
            chart_workload(b, app, component, ns, image, port=port, host=host)
        else:
            extra = {"rules.yaml": f"# {name} managed by {ts(b.now - 100 * _DAY)}\n"}
            app.synced(m.config_map(f"{name}-config", ns, extra))
        apps.append(app)
    return apps
