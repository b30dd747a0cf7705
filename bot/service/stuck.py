"""Which unhealthy apps are stuck, and why: pods, restarts, decisive log lines.

Part of a `bot.service.scan.DriftService` run: each unhealthy app's check runs on the run's
pool, reads the pods of all its workloads side by side (`Run.pods`, fetched once per run), and
reads the log of each crashed container. A failed read becomes an `errors` entry of that app;
the verdicts themselves are the pure core's (`bot.core.health`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.core import health
from bot.core.model import Application, PodDiagnosis, ScanError, StuckApp
from bot.core.raw import AppName, RawPod
from bot.errors import InputError, UpstreamError
from bot.ports import ClusterReader
from bot.service.run import HealthOutcome, Run, app_id, scan_error

LOG_TAIL_LINES = 400
"""Lines of a crashed container's log we read: enough to reach the fatal line of a Go or Java
start-up failure, small enough to stay cheap for a pod restarting every few minutes."""


class StuckFinder:
    """The health half of a run over one cluster reader."""

    def __init__(self, cluster: ClusterReader, stuck_after: timedelta) -> None:
        self._cluster = cluster
        self._stuck_after = stuck_after

    def stuck(self, run: Run, apps: Sequence[Application]) -> dict[AppName, StuckApp]:
        found: dict[AppName, StuckApp] = {}
        for app in apps:
            future = run.health.get(app_id(app))
            if future is None:
                continue
            try:
                outcome = future.result()
            except (UpstreamError, InputError) as exc:
                run.errors.append(scan_error(app.name, exc, source="kubernetes"))
                asked = StuckApp(app=app.name, health=app.health_status, since=None)
                outcome = HealthOutcome(asked if run.force else None)
            run.errors.extend(outcome.errors)
            if outcome.stuck is not None:
                found[app.name] = outcome.stuck
        return found

    def check(self, run: Run, app: Application) -> HealthOutcome:
        """(Worker) whether the app is stuck and, if so (or if asked), why."""
        errors: list[ScanError] = []
        # Without lastTransitionTime the pods' ages decide, so they are needed first.
        pods = None if app.health_since else self._pods(run, app, errors)
        since = health.stuck_since(app, pods or [], run.now, self._stuck_after)
        if since is None and not run.force:
            return HealthOutcome(None, tuple(errors))
        try:
            stuck = self._diagnose(run, app, since, pods, errors)
        except (UpstreamError, InputError) as exc:
            errors.append(scan_error(app.name, exc, source="kubernetes"))
            stuck = StuckApp(app=app.name, health=app.health_status, since=since)
        return HealthOutcome(stuck, tuple(errors))

    def _pods(self, run: Run, app: Application, errors: list[ScanError]) -> list[RawPod]:
        """The pods of all the app's workloads (each workload's chain of reads in parallel)."""
        workloads = health.workloads(app)
        for workload in workloads[1:]:
            run.pods.prefetch(workload, run.pool)
        pods: dict[str, RawPod] = {}
        for workload in workloads:
            found = run.pods.get(workload, app.name)
            failure = run.pods.failure(workload)
            if failure is not None:
                errors.append(scan_error(app.name, failure, f"pods of {workload}"))
            for pod in found or ():
                pods[str(pod.get("metadata", {}).get("uid", id(pod)))] = pod
        return list(pods.values())

    def _diagnose(
        self,
        run: Run,
        app: Application,
        since: datetime | None,
        pods: list[RawPod] | None,
        errors: list[ScanError],
    ) -> StuckApp:
        problems: list[PodDiagnosis] = []
        by_name = {}
        for pod in self._pods(run, app, errors) if pods is None else pods:
            meta = pod.get("metadata", {})
            by_name[(meta.get("namespace", ""), meta.get("name", ""))] = pod
            problems.extend(health.pod_problems(pod, run.now))
        logs: dict[tuple[str, str, str], str] = {}
        for problem in problems:
            pod = by_name[(problem.namespace, problem.name)]
            if not health.has_log(problem, pod):
                continue  # never ran (image pull, pod-level problem): no log to read
            try:
                logs[(problem.namespace, problem.name, problem.container)] = self._cluster.read_log(
                    problem.namespace,
                    problem.name,
                    problem.container,
                    previous=health.wants_previous_log(problem, pod),
                    tail_lines=LOG_TAIL_LINES,
                )
            except UpstreamError as exc:
                errors.append(scan_error(app.name, exc, f"log of {problem.name}"))
        return health.diagnose(app, since, problems, logs)
