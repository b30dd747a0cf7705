"""Pieces every part of the seed scenario uses: a typical chart's resources, namespaces.

Most apps of the seed cluster are an ordinary chart (ServiceAccount, ConfigMap, Deployment,
Service, maybe an Ingress through Traefik); `chart_workload` renders that set once so the
drift-specific modules only spell out what is special about their app.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Final

from bot.core.model import RawObject
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.workloads import Run, running
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder

DOMAIN: Final = "homelab.example"


def chart_workload(
    b: ScenarioBuilder,
    app: AppBuilder,
    name: str,
    namespace: str,
    image: str,
    *,
    port: int = 8080,
    host: str | None = None,
    config: Mapping[str, str] | None = None,
    run: Run | None = None,
    age: timedelta = timedelta(days=63),
) -> RawObject:
    """The usual chart resources of one component, all Synced; returns the live Deployment."""
    labels = m.chart_labels(name, app.name)
    selector = m.selector_labels(name, app.name)
    app.synced(m.service_account(name, namespace, labels=labels), age=age)
    app.synced(
        m.config_map(f"{name}-config", namespace, config or {"LOG_LEVEL": "info"}, labels=labels),
        age=age,
    )
    deployment = app.synced(
        m.deployment(
            name,
            namespace,
            [m.container(name, image, ports=[("http", port)])],
            labels=labels,
            selector=selector,
            service_account_name=name,
        ),
        age=age,
    )
    b.pods_for(deployment, [run or running(age=age - timedelta(days=2))])
    app.synced(
        m.service(name, namespace, selector, [("http", port, "http")], labels=labels), age=age
    )
    if host:
        app.synced(m.ingress(name, namespace, f"{host}.{DOMAIN}", name, port), age=age)
    return deployment


def namespaces(b: ScenarioBuilder, names: list[str]) -> None:
    """Namespaces Argo CD created (``CreateNamespace=true``): live, listed by no app."""
    for name in dict.fromkeys(names):
        b.unmanaged(
            m.namespace(name, labels={"kubernetes.io/metadata.name": name}),
            age=timedelta(days=210),
            manager="argocd-controller",
        )
