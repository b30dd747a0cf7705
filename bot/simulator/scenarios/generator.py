"""Large synthetic clusters for benchmarks and scale tests: N apps, M of them drifting.

Drifting apps cycle through every drift class (zombies alternate between "still used by a
pod" and "unused"), a slice of apps lives in a second app namespace (``team-apps``) so
``<namespace>_<name>`` tracking ids are exercised, and a few apps are Progressing: most young,
at least one stuck in a crash loop for days. Selection is seeded, so a (apps, drifting, seed)
triple always yields the same cluster.

Speed matters (10,000 apps in well under two seconds): live objects share subtrees with their
targets, managedFields are computed once per template, declared drifts are not re-verified
(the seed scenario is), and only the workloads a test looks at get ReplicaSets and pods.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from bot.core.model import TRACKING_ID_ANNOTATION, RawObject
from bot.simulator.cluster import crds, objects
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.pointers import DELETE, join
from bot.simulator.cluster.workloads import crash_loop, running
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.argo_diff_cases import Notes, add_cases, finish
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.scenario import Scenario

if TYPE_CHECKING:
    from bot.simulator.scenarios.fleet import Shape

CLASSES: Final = (
    "schema-defaults",
    "phantom-defaults",
    "unadopted",
    "zombie",
    "contested",
    "hook-leftover",
    "injected-fields",
    "unexplained",
)
SECOND_NAMESPACE: Final = "team-apps"
_AGE: Final = timedelta(days=90)
_TRACKING: Final = join("metadata", "annotations", TRACKING_ID_ANNOTATION)


class _Cluster:
    """The state shared while generating: builder, app list, templates' managedFields."""

    def __init__(self, b: ScenarioBuilder, apps: list[AppBuilder]) -> None:
        self.b = b
        self.apps = apps
        self.children_taken: set[int] = set()
        self._managers: dict[str, list[dict[str, Any]]] = {}

    def managers(self, template: str, app: AppBuilder, manifest: RawObject) -> list[dict[str, Any]]:
        """One shared managedFields list per template (same fields, same time)."""
        found = self._managers.get(template)
        if found is None:
            target = app.tracked(manifest)
            entry = objects.managed_entry(
                objects.ARGOCD_MANAGER,
                str(target["apiVersion"]),
                self.b.now - _AGE,
                objects.applied_fields(target),
                operation="Apply",
            )
            found = self._managers[template] = [entry]
        return found


def generated(
    apps: int,
    drifting: int,
    now: datetime,
    seed: int = 0,
    resources_per_app: int = 5,
    *,
    argo_diff: bool = False,
    shape: Shape | None = None,
) -> Scenario:
    """A cluster of ``apps`` Applications, ``drifting`` of them OutOfSync across all classes.

    ``argo_diff`` realizes it (`bot.simulator.cluster.realism`) and adds one copy of the
    `argo_diff_cases` apps per 40 drifting apps (HPA replicas, caBundle, aggregated roles, a
    person's edit, Helm instance labels, missing, ComparisonError...). ``shape`` replaces the
    few base resources per app by a realistic workload (`bot.simulator.scenarios.fleet`); the
    drifts, namespaces and unhealthy apps stay the same.

    Raises:
        ValueError: counts out of range (``0 <= drifting <= apps``, ``apps >= 1``,
            ``resources_per_app >= 1``).
    """
    if apps < 1 or not 0 <= drifting <= apps or resources_per_app < 1:
        msg = (
            "need apps >= 1, 0 <= drifting <= apps and resources_per_app >= 1, "
            f"got {apps}, {drifting}, {resources_per_app}"
        )
        raise ValueError(msg)
    with objects.gc_paused():
        return _generate(apps, drifting, now, seed, resources_per_app, argo_diff, shape)


def _generate(
    apps: int,
    drifting: int,
    now: datetime,
    seed: int,
    per_app: int,
    argo_diff: bool,
    shape: Shape | None = None,
) -> Scenario:
    rng = random.Random(seed)
    b = ScenarioBuilder(now, seed=f"generated-{seed}", verify=False, share=True)
    b.unmanaged(crds.crd("externalsecrets.external-secrets.io"), age=_AGE * 3)
    b.unmanaged(crds.crd("applications.argoproj.io"), age=_AGE * 3)
    width = len(str(apps - 1))
    namespaces = ["argocd", SECOND_NAMESPACE, *(f"apps-{i:03d}" for i in range(apps // 200 + 1))]
    for ns in namespaces:
        b.unmanaged(m.namespace(ns, labels={"kubernetes.io/metadata.name": ns}), age=_AGE * 3)
    cluster = _Cluster(b, [_app(b, i, width) for i in range(apps)])
    for index, app in enumerate(cluster.apps):
        if shape is not None:
            shape.base(cluster, app, index)
            continue
        for r in range(per_app):
            _BASE[r % len(_BASE)](cluster, app, r)
    for order, index in enumerate(sorted(rng.sample(range(apps), drifting))):
        _DRIFTS[order % len(CLASSES)](cluster, index, order // len(CLASSES))
        if shape is not None:
            shape.drifted(cluster, index, order)
    unhealthy = rng.sample(range(apps), min(apps, 2 * max(1, apps // 1000)))
    for position, index in enumerate(unhealthy):
        (_stuck if position % 2 == 0 else _young)(cluster, index)
    if not argo_diff:
        return b.build() if shape is None else shape.finish(b.build())
    notes = Notes()
    for copy in range(max(1, drifting // 40)):
        add_cases(b, notes, f"-{copy}")
    return finish(b.build() if shape is None else shape.finish(b.build()), notes)


def _app(b: ScenarioBuilder, index: int, width: int) -> AppBuilder:
    namespace = SECOND_NAMESPACE if index % 40 == 7 else None
    return b.app(
        f"app-{index:0{width}d}",
        namespace=namespace,
        destination_namespace=f"apps-{index // 200:03d}",
        project="tenants" if namespace else "default",
        age=_AGE,
    )


# --- the Synced base resources --------------------------------------------------------------


def _labels(app: AppBuilder) -> dict[str, str]:
    return {"app.kubernetes.io/name": app.name, "app.kubernetes.io/instance": app.name}


def _config_map(cluster: _Cluster, app: AppBuilder, r: int) -> None:
    cm = m.config_map(f"{app.name}-config-{r}", app.destination_namespace, {"LOG_LEVEL": "info"})
    _synced(cluster, app, "cm", cm)


def _service_account(cluster: _Cluster, app: AppBuilder, r: int) -> None:
    _synced(cluster, app, "sa", m.service_account(f"{app.name}-{r}", app.destination_namespace))


def _service(cluster: _Cluster, app: AppBuilder, r: int) -> None:
    svc = m.service(
        f"{app.name}-{r}", app.destination_namespace, _labels(app), [("http", 80, "http")]
    )
    _synced(cluster, app, "svc", svc)


def _deployment(cluster: _Cluster, app: AppBuilder, r: int) -> None:
    _synced(cluster, app, "deploy", _web(app, f"{app.name}-{r}"))


def _external_secret(cluster: _Cluster, app: AppBuilder, r: int) -> None:
    es = m.external_secret(f"{app.name}-{r}", app.destination_namespace, ["PASSWORD"])
    _synced(cluster, app, "es", _defaulted(es))


_BASE: Final[tuple[Callable[[_Cluster, AppBuilder, int], None], ...]] = (
    _config_map,
    _service_account,
    _service,
    _deployment,
    _external_secret,
)


def _synced(cluster: _Cluster, app: AppBuilder, template: str, manifest: RawObject) -> RawObject:
    return app.synced(manifest, age=_AGE, managers=cluster.managers(template, app, manifest))


def _web(app: AppBuilder, name: str, annotations: dict[str, str] | None = None) -> RawObject:
    return m.deployment(
        name,
        app.destination_namespace,
        [m.container("app", "ghcr.io/example/web:1.4.2", ports=[("http", 8080)])],
        labels=_labels(app),
        selector={**_labels(app), "app.kubernetes.io/component": name},
        pod_annotations=annotations,
    )


def _defaulted(es: RawObject) -> RawObject:
    """An ExternalSecret whose git already pins the CRD defaults (so it stays Synced)."""
    spec = dict(es["spec"])
    spec["target"] = {**spec["target"], "deletionPolicy": "Retain"}
    spec["data"] = [
        {**item, "remoteRef": {**item["remoteRef"], **_REMOTE_DEFAULTS}} for item in spec["data"]
    ]
    return {**es, "spec": spec}


_REMOTE_DEFAULTS: Final = {
    "conversionStrategy": "Default",
    "decodingStrategy": "None",
    "metadataPolicy": "None",
}


# --- one drift per drifting app, by class ------------------------------------------------------


def _schema_defaults(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    es = m.external_secret(f"{app.name}-db", app.destination_namespace, ["DB_PASSWORD"])
    changes = {"/spec/target/deletionPolicy": "Retain"}
    changes.update({f"/spec/data/0/remoteRef/{k}": v for k, v in _REMOTE_DEFAULTS.items()})
    managers = cluster.managers("es-git", app, es)
    app.drifted(es, changes, "schema-defaults", age=_AGE, managers=managers)


def _phantom_defaults(cluster: _Cluster, index: int, nth: int) -> None:
    parent = cluster.apps[index]
    count = len(cluster.apps)
    for step in range(1, count):
        candidate = (index + step) % count
        if candidate not in cluster.children_taken:
            cluster.children_taken.add(candidate)
            child = cluster.apps[candidate]
            git = {"/spec/syncPolicy/automated/prune": False}
            parent.child_app(child, git, "phantom-defaults")
            return
    raise ValueError("no Application left to list as a child of an app of apps")


def _unadopted(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    cm = m.config_map(f"{app.name}-legacy", app.destination_namespace, {"mode": "legacy"})
    changes: dict[str, Any] = {
        _TRACKING: DELETE,
        join("metadata", "annotations", "meta.helm.sh/release-name"): app.name,
        join(
            "metadata", "annotations", "meta.helm.sh/release-namespace"
        ): app.destination_namespace,
    }
    app.drifted(cm, changes, "unadopted", age=_AGE * 2)


def _zombie(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    ns = app.destination_namespace
    if nth % 2 == 0:
        app.zombie(m.config_map(f"{app.name}-old-config", ns, {"mode": "old"}), safe=True)
        return
    account = f"{app.name}-legacy-worker"
    app.zombie(m.service_account(account, ns), safe=False)
    worker = m.deployment(
        account,
        ns,
        [m.container("worker", "ghcr.io/example/worker:0.9.0")],
        labels=_labels(app),
        selector={"app.kubernetes.io/name": account},
        service_account_name=account,
    )
    cluster.b.pods_for(cluster.b.unmanaged(worker, age=_AGE), [running(age=_AGE)])


def _contested(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    partner = cluster.apps[(index + 1) % len(cluster.apps)]
    shared = m.config_map(f"{app.name}-shared", app.destination_namespace, {"owner": "both"})
    partner.synced(shared, age=_AGE)
    app.claims(shared, [_TRACKING], "contested")
    message = (
        f"ConfigMap/{app.name}-shared is part of applications "
        f"{app.namespace}/{app.name} and {partner.tracking_name}"
    )
    app.condition("SharedResourceWarning", message)


def _hook_leftover(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    job = m.job(
        f"{app.name}-migrate-1", app.destination_namespace, "ghcr.io/example/migrate:2", ["migrate"]
    )
    app.zombie(job, drift_class="hook-leftover", age=timedelta(days=6))


def _injected_fields(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    checksum = {"checksum/config": cluster.b.ids.hexdigest(64, app.name, "git")}
    git = _web(app, f"{app.name}-web", checksum)
    pointer = join("spec", "template", "metadata", "annotations", "checksum/config")
    rotated = {pointer: cluster.b.ids.hexdigest(64, app.name, "live")}
    app.drifted(git, rotated, "injected-fields", age=_AGE)


def _unexplained(cluster: _Cluster, index: int, nth: int) -> None:
    app = cluster.apps[index]
    cm = m.config_map(f"{app.name}-settings", app.destination_namespace, {"LOG_LEVEL": "info"})
    app.drifted(cm, {"/data/LOG_LEVEL": "debug"}, "unexplained", age=_AGE)


_DRIFTS: Final[tuple[Callable[[_Cluster, int, int], None], ...]] = (
    _schema_defaults,
    _phantom_defaults,
    _unadopted,
    _zombie,
    _contested,
    _hook_leftover,
    _injected_fields,
    _unexplained,
)


# --- health ----------------------------------------------------------------------------------


def _stuck(cluster: _Cluster, index: int) -> None:
    """A worker crash-looping for five days: Progressing long past any stuck threshold."""
    app = cluster.apps[index]
    b = cluster.b
    app.health, app.health_since = "Progressing", b.now - timedelta(days=5)
    live = app.synced(_web(app, f"{app.name}-worker"), age=_AGE)
    pods = b.pods_for(
        live, [crash_loop(611, age=timedelta(days=5), last_finished=timedelta(minutes=3))]
    )
    name, ns = pods[0]["metadata"]["name"], pods[0]["metadata"]["namespace"]
    fatal = (
        'level=fatal msg="cannot connect to database" '
        'error="dial tcp 10.96.0.40:5432: connect: connection refused"\n'
    )
    b.log(ns, name, "app", 'level=info msg="starting worker"\n' + fatal, previous=True)
    b.stuck(app.name)


def _young(cluster: _Cluster, index: int) -> None:
    """A rollout started four minutes ago: Progressing, but not stuck."""
    app = cluster.apps[index]
    app.health, app.health_since = "Progressing", cluster.b.now - timedelta(minutes=4)
    live = app.synced(_web(app, f"{app.name}-api"), age=_AGE)
    cluster.b.pods_for(live, [running(age=timedelta(minutes=4), ready=False)])
