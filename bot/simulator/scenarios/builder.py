"""Builds a `Scenario` from app-level statements ("gitea has this ExternalSecret, drifted here").

The builder owns everything that must agree across the scenario: one registry of live objects
(so two apps listing one Namespace share it), deterministic ids, pods created from their
owners, and the ground truth. `build` renders the Application CRs and, when ``verify`` is on,
proves every declared drift: each git/live pair must differ in exactly the declared pointers
and each Synced pair in none. A scenario typo fails loudly at build time instead of making a
classifier test pass or fail for the wrong reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Final

from bot.core.model import RawObject, ResourceKey
from bot.simulator.cluster import objects, pointers, statuses, workloads
from bot.simulator.cluster.objects import ts
from bot.simulator.cluster.workloads import PodPlan, Run
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.scenario import Scenario, key_of

_NODES: Final = ("talos-w1", "talos-w2", "talos-w3")


class ScenarioError(ValueError):
    """The scenario contradicts itself (a declared drift does not match git and live)."""


class ScenarioBuilder:
    """Collects apps, live objects and ground truth; `build` returns the finished `Scenario`.

    Args:
        now: the instant every relative age is measured from.
        seed: makes uids and hashes deterministic (two builds are equal).
        control_plane: Argo CD's namespace.
        verify: check every declared drift at `build` (turn off only for large generated ones).
        share: let live objects share unchanged subtrees with their targets (fast, but then
            objects must only be changed through the `Scenario` helpers).
    """

    def __init__(
        self,
        now: datetime,
        *,
        seed: str = "seed",
        control_plane: str = "argocd",
        verify: bool = True,
        share: bool = False,
    ) -> None:
        self.now = now
        self.ids = objects.Ids(seed)
        self.control_plane = control_plane
        self._verify = verify
        self._share = share
        self._live: dict[ResourceKey, RawObject] = {}
        self._apps: list[AppBuilder] = []
        self._checks: list[tuple[str, ResourceKey, RawObject, tuple[str, ...]]] = []
        self._stuck: set[str] = set()
        self.logs: dict[tuple[str, str, str, bool], str] = {}
        self.expected: dict[tuple[str, ResourceKey], str] = {}
        self.expected_safe: dict[tuple[str, ResourceKey], bool] = {}
        self._status_fields: dict[str, dict[str, Any]] = {}
        """Sharing mode reuses one status fieldsV1 per kind (generated scenarios)."""
        self._shape_fields: dict[tuple[object, ...], dict[str, Any]] = {}

    # --- apps and ground truth ----------------------------------------------------------------

    def app(
        self,
        name: str,
        *,
        destination_namespace: str | None,
        namespace: str | None = None,
        project: str = "default",
        health: str = "Healthy",
        health_age: timedelta = timedelta(days=20),
        age: timedelta = timedelta(days=180),
        repo_url: str = "https://gitea.homelab.example/platform/gitops.git",
        path: str | None = None,
        sync_policy: Mapping[str, Any] | None = None,
        ignore_differences: Sequence[Mapping[str, Any]] = (),
    ) -> AppBuilder:
        """Start an Application; its sync status follows from the resources added to it."""
        destination: dict[str, Any] = {"server": "https://kubernetes.default.svc"}
        if destination_namespace:
            destination["namespace"] = destination_namespace
        spec: dict[str, Any] = {
            "project": project,
            "source": {
                "repoURL": repo_url,
                "path": path or f"apps/{name}",
                "targetRevision": "main",
            },
            "destination": destination,
            "syncPolicy": pointers.clone(dict(sync_policy or _DEFAULT_SYNC_POLICY)),
        }
        if ignore_differences:
            spec["ignoreDifferences"] = [dict(item) for item in ignore_differences]
        app = AppBuilder(
            self,
            name,
            namespace=namespace or self.control_plane,
            spec=spec,
            health=health,
            health_since=self.now - health_age,
            created=self.now - age,
        )
        self._apps.append(app)
        return app

    def check(self, app: str, key: ResourceKey, target: RawObject, paths: tuple[str, ...]) -> None:
        """Declare that ``target`` and the live object differ exactly at ``paths``."""
        self._checks.append((app, key, target, paths))

    def expect(
        self, app: str, key: ResourceKey, drift_class: str, *, safe_to_delete: bool | None = None
    ) -> None:
        self.expected[(app, key)] = drift_class
        if safe_to_delete is not None:
            self.expected_safe[(app, key)] = safe_to_delete

    def stuck(self, app: str) -> None:
        self._stuck.add(app)

    def log(
        self, namespace: str, pod: str, container: str, text: str, *, previous: bool = False
    ) -> None:
        self.logs[(namespace, pod, container, previous)] = text

    # --- live objects -------------------------------------------------------------------------

    def live_copy(self, target: RawObject) -> RawObject:
        """The body a live object starts from: the target itself when sharing, else a copy."""
        if self._share:
            return target
        copied: RawObject = pointers.clone(target)
        return copied

    def bookkeep(
        self, body: RawObject, *, created: datetime, managers: Sequence[dict[str, Any]]
    ) -> RawObject:
        return objects.bookkeep(body, ids=self.ids, created=created, managers=managers)

    def add_live(
        self,
        body: RawObject,
        *,
        age: timedelta,
        status: Any = objects.UNSET,
        applied: RawObject | None = None,
        managers: Sequence[dict[str, Any]] | None = None,
        extra_managers: Sequence[dict[str, Any]] = (),
        manager: str = objects.ARGOCD_MANAGER,
        key: ResourceKey | None = None,
    ) -> RawObject:
        """Store a live object: bookkeeping, managedFields and (default or given) status."""
        created = self.now - age
        api_version = str(body["apiVersion"])
        if managers is None:
            source = body if applied is None else applied
            operation = "Apply" if manager == objects.ARGOCD_MANAGER else "Update"
            managers = [
                objects.managed_entry(
                    manager,
                    api_version,
                    created,
                    objects.applied_fields(source),
                    operation=operation,
                )
            ]
        obj = self.bookkeep(body, created=created, managers=[*managers, *extra_managers])
        key = key or key_of(obj)
        value = (
            statuses.default_status(key.group, obj, created, self.now)
            if status is objects.UNSET
            else status
        )
        if value is not None:
            self.set_status(obj, value, when=created + timedelta(seconds=5))
        if key in self._live:
            raise ScenarioError(f"two live objects with identity {key}")
        self._live[key] = obj
        return obj

    def set_status(self, obj: RawObject, status: dict[str, Any], *, when: datetime) -> None:
        """Write ``status`` as its controller would (with its managedFields entry)."""
        obj["status"] = status
        kind = str(obj["kind"])
        owner = statuses.STATUS_MANAGERS.get(kind)
        if owner:
            fields = self._status_fields.get(kind) if self._share else None
            if fields is None:
                fields = self._status_fields[kind] = {"f:status": objects.fields_v1(status)}
            entry = objects.managed_entry(
                owner, str(obj["apiVersion"]), when, fields, subresource="status"
            )
            kept = [
                m
                for m in obj["metadata"].get("managedFields", [])
                if (m["manager"], m.get("subresource")) != (owner, "status")
            ]
            obj["metadata"]["managedFields"] = [*kept, entry]

    def shape_fields(self, body: RawObject, shape: tuple[object, ...]) -> dict[str, Any]:
        """``applied_fields(body)``, computed once per ``shape`` when sharing (generated mode)."""
        if not self._share:
            return objects.applied_fields(body)
        fields = self._shape_fields.get(shape)
        if fields is None:
            fields = self._shape_fields[shape] = objects.applied_fields(body)
        return fields

    def unmanaged(
        self,
        manifest: RawObject,
        *,
        age: timedelta,
        manager: str = "helm",
        status: Any = objects.UNSET,
    ) -> RawObject:
        """A live object no Application lists (a namespace, a leftover of a manual install)."""
        return self.add_live(self.live_copy(manifest), age=age, status=status, manager=manager)

    def pods_for(
        self,
        workload: RawObject,
        runs: Sequence[Run],
        *,
        names: Sequence[str] = (),
        template_hash: str | None = None,
        revision: int = 3,
        old_runs: Sequence[Run] = (),
        old_image: str | None = None,
    ) -> list[RawObject]:
        """Create the pods of a Deployment (via its ReplicaSets) or StatefulSet; update its status.

        ``old_runs`` are pods of the previous ReplicaSet still running during a rollout, with
        ``old_image`` as their container image.
        """
        if workload["kind"] == "StatefulSet":
            return self._stateful_pods(workload, runs)
        meta = workload["metadata"]
        template_hash = template_hash or self.ids.pod_template_hash(meta["namespace"], meta["name"])
        pods = self._replica_set_pods(workload, runs, template_hash, revision, names)
        if old_runs:
            image = old_image or "unknown"
            old = pointers.patched(workload, {"/spec/template/spec/containers/0/image": image})
            old_hash = self.ids.pod_template_hash(meta["namespace"], meta["name"], "old")
            pods += self._replica_set_pods(old, old_runs, old_hash, revision - 1, ())
        ready = sum(1 for run in [*runs, *old_runs] if run.ready)
        status = workloads.deployment_status(
            replicas=len(runs) + len(old_runs),
            updated=len(runs),
            ready=ready,
            rs_name=f"{meta['name']}-{template_hash}",
            since=self.now - max(run.age for run in runs),
            rolling=bool(old_runs),
        )
        self.set_status(workload, status, when=self.now - min(run.age for run in runs))
        return pods

    def _replica_set_pods(
        self,
        deployment: RawObject,
        runs: Sequence[Run],
        template_hash: str,
        revision: int,
        names: Sequence[str],
    ) -> list[RawObject]:
        body = workloads.replica_set(
            deployment,
            template_hash,
            replicas=len(runs),
            ready=sum(1 for run in runs if run.ready),
            revision=revision,
        )
        status = body.pop("status")
        age = max(run.age for run in runs)
        rs = self.add_live(body, age=age, status=status, manager="kube-controller-manager")
        rs_name = rs["metadata"]["name"]
        pod_names = list(names) or [
            f"{rs_name}-{self.ids.pod_suffix(rs_name, str(i))}" for i in range(len(runs))
        ]
        return [
            self._pod(rs, rs["spec"]["template"], pod_names[i], run) for i, run in enumerate(runs)
        ]

    def _stateful_pods(self, sts: RawObject, runs: Sequence[Run]) -> list[RawObject]:
        meta = sts["metadata"]
        revision = self.ids.pod_template_hash(meta["namespace"], meta["name"])
        pods = []
        for index, run in enumerate(runs):
            name = f"{meta['name']}-{index}"
            labels = {
                **sts["spec"]["template"]["metadata"]["labels"],
                "apps.kubernetes.io/pod-index": str(index),
                "controller-revision-hash": f"{meta['name']}-{revision}",
                "statefulset.kubernetes.io/pod-name": name,
            }
            template = pointers.patched(sts["spec"]["template"], {"/metadata/labels": labels})
            pods.append(self._pod(sts, template, name, run))
        status = workloads.stateful_set_status(
            name=meta["name"],
            replicas=len(runs),
            ready=sum(1 for run in runs if run.ready),
            revision=revision,
        )
        self.set_status(sts, status, when=self.now - min(run.age for run in runs))
        return pods

    def _pod(self, owner: RawObject, template: Mapping[str, Any], name: str, run: Run) -> RawObject:
        namespace = owner["metadata"]["namespace"]
        digest = int(self.ids.hexdigest(8, "pod", namespace, name), 16)
        plan = PodPlan(
            name=name,
            namespace=namespace,
            owner=owner,
            template=template,
            run=run,
            node=_NODES[digest % len(_NODES)],
            ip=f"10.244.{digest % 3 + 1}.{digest % 250 + 2}",
        )
        body = workloads.pod(plan, ids=self.ids, now=self.now)
        status = body.pop("status")
        pod = self.add_live(body, age=run.age, status=status, manager="kube-controller-manager")
        if run.state == "running":
            for container in body["spec"]["containers"]:
                started = self.now - run.age + timedelta(seconds=4)
                line = (
                    f"{ts(started)} INFO starting {container['name']} image={container['image']}\n"
                )
                self.logs.setdefault((namespace, name, container["name"], False), line)
        return pod

    # --- the result ---------------------------------------------------------------------------

    def build(self) -> Scenario:
        """Render the Application CRs, verify the declared drifts, return the `Scenario`."""
        applications = {
            app.key: app.render(self.ids.hexdigest(40, "revision", app.name)) for app in self._apps
        }
        expected_paths = self._verified_paths(applications)
        totals = {
            "total": len(self._apps),
            "out_of_sync": sum(1 for app in self._apps if app.sync_status == "OutOfSync"),
            "progressing": sum(1 for app in self._apps if app.health == "Progressing"),
            "stuck": len(self._stuck),
        }
        return Scenario(
            applications=list(applications.values()),
            objects=list(self._live.values()),
            targets={app.name: app.targets for app in self._apps},
            logs=self.logs,
            expected=self.expected,
            expected_safe_to_delete=self.expected_safe,
            expected_stuck=set(self._stuck),
            expected_totals=totals,
            expected_paths=expected_paths,
            now=self.now,
            control_plane_namespace=self.control_plane,
        )

    def _verified_paths(
        self, applications: Mapping[ResourceKey, RawObject]
    ) -> dict[tuple[str, ResourceKey], tuple[str, ...]]:
        found: dict[tuple[str, ResourceKey], tuple[str, ...]] = {}
        for app, key, target, paths in self._checks:
            if self._verify:
                live = applications.get(key) or self._live.get(key)
                if live is None:
                    raise ScenarioError(f"{app}: {key} is in git but has no live object")
                actual = pointers.semantic_diff(target, live)
                if set(actual) != set(paths):
                    msg = f"{app}: {key} differs at {actual}, the scenario declares {list(paths)}"
                    raise ScenarioError(msg)
            if paths:
                found[(app, key)] = paths
        return found


_DEFAULT_SYNC_POLICY: Final = {
    "automated": {"selfHeal": True},
    "syncOptions": ["CreateNamespace=true", "ServerSideApply=true"],
}
