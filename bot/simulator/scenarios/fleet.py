"""Realistic fleets: the generated scenario with the shape of a real cluster.

`generated` alone gives each app five small resources and almost no pods, which hides the
costs that grow with the cluster rather than with the drift: the pod list a zombie's users are
searched in, the size of the Application list. A real app runs a workload, so here every app
has a ServiceAccount, a ConfigMap, a Service and a Deployment whose ReplicaSet runs 3–5 pods
(each pod names the ServiceAccount and the ConfigMap, and an optional ``<app>-env`` ConfigMap
the way charts wire optional settings), plus more ConfigMaps and Services up to 5–40
``status.resources`` entries (a triangular spread peaking near 10). The Application CRs carry
what Argo CD keeps there in real life: ten ``history`` entries and an ``operationState`` whose
``syncResult`` lists every synced resource (see
/work/shared/realdata/argocd-testdata-application-with-status.yaml): about 10–15 kB of JSON
per app, as in real fleets.

Zombies are spread over many apps: besides the drift class each drifting app was given, every
third drifting app also keeps a leftover ConfigMap, alternately unused (safe to delete) and the
``<app>-env`` ConfigMap its own pods still read (not safe). The drift selection, namespaces and
unhealthy apps are `generated`'s, so the ground truth stays exact.

Only the shape lives here (counts, workloads, pods, sizes); what each object holds comes from
the shared builders (`manifests`, `workloads`, `AppBuilder`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from bot.core.model import RawObject
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.objects import ts
from bot.simulator.cluster.workloads import running
from bot.simulator.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from bot.simulator.scenarios.apps import AppBuilder
    from bot.simulator.scenarios.generator import _Cluster

_AGE: Final = timedelta(days=90)
_HISTORY: Final = 10
"""Argo CD keeps ``status.history`` to ``revisionHistoryLimit`` entries, 10 by default."""
_MIN_RESOURCES: Final = 5
_MAX_RESOURCES: Final = 40
_MODE_RESOURCES: Final = 10
_ZOMBIE_CLASS, _HOOK_CLASS = 3, 5
"""Positions in `generated.CLASSES` of the classes that get no extra leftover: zombie (has one)
and hook-leftover (its app is Synced; a leftover would make it OutOfSync)."""


class Shape(Protocol):
    """How `generated` lays out each app, what a drifting app gets extra, the final touch."""

    def base(self, cluster: _Cluster, app: AppBuilder, index: int) -> None: ...
    def drifted(self, cluster: _Cluster, index: int, order: int) -> None: ...
    def finish(self, scenario: Scenario) -> Scenario: ...


@dataclass(frozen=True, slots=True)
class Realistic:
    """The realistic `Shape`: workloads with pods, realistic sizes, zombies on many apps."""

    seed: int = 0

    def base(self, cluster: _Cluster, app: AppBuilder, index: int) -> None:
        rng = random.Random(self.seed * 1_000_003 + index)
        ns, name = app.destination_namespace, app.name
        labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name}
        sync = cluster.managers
        account = m.service_account(name, ns, labels=labels)
        app.synced(account, age=_AGE, managers=sync("fleet-sa", app, account))
        config = m.config_map(f"{name}-config", ns, {"LOG_LEVEL": "info", "PORT": "8080"})
        app.synced(config, age=_AGE, managers=sync("fleet-cm", app, config))
        service = m.service(name, ns, labels, [("http", 80, "http")])
        app.synced(service, age=_AGE, managers=sync("fleet-svc", app, service))
        workload = _workload(name, ns, labels, rng.randint(3, 5))
        live = app.synced(workload, age=_AGE, managers=sync("fleet-deploy", app, workload))
        replicas = workload["spec"]["replicas"]
        cluster.b.pods_for(live, [running(age=timedelta(days=rng.randint(1, 30)))] * replicas)
        size = round(rng.triangular(_MIN_RESOURCES, _MAX_RESOURCES, _MODE_RESOURCES))
        for extra in range(size - 4):
            if extra % 3 == 2:
                svc = m.service(f"{name}-x{extra}", ns, labels, [("metrics", 9090, "metrics")])
                app.synced(svc, age=_AGE, managers=sync("fleet-svc-x", app, svc))
            else:
                cm = m.config_map(f"{name}-x{extra}", ns, {"settings.yaml": "level: info\n"})
                app.synced(cm, age=_AGE, managers=sync("fleet-cm-x", app, cm))

    def drifted(self, cluster: _Cluster, index: int, order: int) -> None:
        if order % 3 or order % 8 in (_ZOMBIE_CLASS, _HOOK_CLASS):
            return
        app = cluster.apps[index]
        ns = app.destination_namespace
        if (order // 3) % 2 == 0:
            app.zombie(m.config_map(f"{app.name}-leftover", ns, {"mode": "old"}), safe=True)
        else:
            # The optional envFrom of every pod of the app names it: still in use.
            app.zombie(m.config_map(f"{app.name}-env", ns, {"FEATURE": "on"}), safe=False)

    def finish(self, scenario: Scenario) -> Scenario:
        for application in scenario.applications:
            _real_sized_status(application)
        return scenario


def _workload(name: str, ns: str, labels: dict[str, str], replicas: int) -> RawObject:
    container = m.container(
        "app", "ghcr.io/example/web:1.4.2", ports=[("http", 8080)], env={"MODE": "production"}
    )
    container["envFrom"] = [
        {"configMapRef": {"name": f"{name}-config"}},
        {"configMapRef": {"name": f"{name}-env", "optional": True}},
    ]
    return m.deployment(
        name,
        ns,
        [container],
        labels=labels,
        selector=labels,
        replicas=replicas,
        service_account_name=name,
    )


def _real_sized_status(application: RawObject) -> None:
    """Ten history entries and a ``syncResult`` listing every resource, as Argo CD keeps them."""
    status = application.get("status")
    if not isinstance(status, dict) or not status.get("history"):
        return
    last = status["history"][-1]
    deployed = datetime.fromisoformat(str(last["deployedAt"]).replace("Z", "+00:00"))
    history: list[dict[str, Any]] = []
    for n in range(_HISTORY):
        when = deployed - timedelta(days=3 * (_HISTORY - 1 - n))
        history.append(
            {
                **last,
                "id": n + 1,
                "deployedAt": ts(when),
                "deployStartedAt": ts(when - timedelta(seconds=2)),
            }
        )
    status["history"] = history
    operation = status.get("operationState")
    if isinstance(operation, dict):
        result = dict(operation.get("syncResult") or {})
        result["resources"] = [_synced_result(entry) for entry in status.get("resources") or []]
        status["operationState"] = {**operation, "syncResult": result}


def _synced_result(entry: dict[str, Any]) -> dict[str, Any]:
    kind, name = entry.get("kind", ""), entry.get("name", "")
    return {
        "group": entry.get("group", ""),
        "version": entry.get("version", "v1"),
        "kind": kind,
        "namespace": entry.get("namespace", ""),
        "name": name,
        "status": "Synced",
        "message": f"{kind.lower()}/{name} serverside-applied",
        "hookPhase": "Running",
        "syncPhase": "Sync",
    }
