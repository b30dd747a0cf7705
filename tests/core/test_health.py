"""Stuck apps, broken pods and decisive log lines, on pod JSON shaped like the Kubernetes API's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core import health, loglines
from bot.core.model import Application, PodDiagnosis, ResourceKey, ResourceStatus

NOW = datetime(2026, 5, 7, 21, 12, tzinfo=UTC)
STUCK_AFTER = timedelta(minutes=30)

SEED_POD = "argo-rollouts-6b4c4dfbd9-ghl9c"
SEED_LOG = (
    'time="2026-04-16T21:10:14Z" level=info msg="Argo Rollouts starting" version=v1.8.4\n'
    'time="2026-04-16T21:10:14Z" level=info msg="Downloading plugin argoproj-labs/cilium '
    "from: https://github.com/argoproj-labs/rollouts-plugin-trafficrouter-cilium/releases"
    '/download/v0.4.1/rollouts-plugin-trafficrouter-cilium-linux-amd64"\n'
    'time="2026-04-16T21:10:14Z" level=fatal msg="Failed to download plugins: failed to '
    'download plugin argoproj-labs/cilium: response code Not Found"\n'
)
SEED_FATAL = SEED_LOG.splitlines()[-1]


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _app(
    health_status: str = "Progressing",
    since: datetime | None = None,
    resources: tuple[ResourceStatus, ...] = (),
) -> Application:
    return Application(
        name="argo-rollouts",
        namespace="argocd",
        control_plane_namespace="argocd",
        project="default",
        sync_status="OutOfSync",
        health_status=health_status,
        health_since=since,
        destination_namespace="argo-rollouts",
        resources=resources,
    )


def _container(
    name: str = "app",
    *,
    waiting: str | None = None,
    message: str | None = None,
    terminated: str | None = None,
    exit_code: int = 1,
    running_for: timedelta | None = None,
    ready: bool = False,
    restarts: int = 0,
    last: str | None = None,
    last_exit: int = 1,
    last_message: str | None = None,
) -> dict[str, Any]:
    """A containerStatuses entry; exactly one of waiting/terminated/running_for sets the state."""
    state: dict[str, Any] = {}
    if waiting is not None:
        state["waiting"] = {"reason": waiting} if waiting else {}
        if message:
            state["waiting"]["message"] = message
    elif terminated is not None:
        state["terminated"] = {"exitCode": exit_code, "finishedAt": _iso(NOW)}
        if terminated:
            state["terminated"]["reason"] = terminated
        if message:
            state["terminated"]["message"] = message
    elif running_for is not None:
        state["running"] = {"startedAt": _iso(NOW - running_for)}
    else:
        state["running"] = {}
    status: dict[str, Any] = {
        "name": name,
        "image": f"ghcr.io/example/{name}:v1",
        "ready": ready,
        "restartCount": restarts,
        "started": ready,
        "state": state,
        "lastState": {},
    }
    if last is not None:
        status["lastState"] = {
            "terminated": {
                "exitCode": last_exit,
                "reason": last,
                "startedAt": _iso(NOW - timedelta(minutes=3)),
                "finishedAt": _iso(NOW - timedelta(minutes=2)),
            }
        }
        if last_message:
            status["lastState"]["terminated"]["message"] = last_message
    return status


def _pod(
    name: str = "web-7d4b9c-x2x9k",
    *,
    age: timedelta | None = timedelta(days=1),
    phase: str = "Running",
    containers: tuple[dict[str, Any], ...] = (),
    init: tuple[dict[str, Any], ...] = (),
    conditions: tuple[dict[str, Any], ...] | None = None,
) -> dict[str, Any]:
    """A Pod as the API returns it; conditions default to what the containers imply."""
    ready = bool(containers) and all(c["ready"] for c in containers)
    if conditions is None:
        conditions = (
            {"type": "Initialized", "status": "True"},
            {"type": "Ready", "status": str(ready)}
            | ({} if ready else {"reason": "ContainersNotReady"})
            | ({} if ready else {"message": "containers with unready status: [app]"}),
            {"type": "PodScheduled", "status": "True"},
        )
    metadata: dict[str, Any] = {"name": name, "namespace": "apps", "uid": f"uid-{name}"}
    if age is not None:
        metadata["creationTimestamp"] = _iso(NOW - age)
    body: dict[str, Any] = {"phase": phase, "conditions": list(conditions)}
    if containers:
        body["containerStatuses"] = list(containers)
    if init:
        body["initContainerStatuses"] = list(init)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "status": body}


def _seed_pod() -> dict[str, Any]:
    crashing = _container(
        "argo-rollouts",
        waiting="CrashLoopBackOff",
        message=f"back-off 5m0s restarting failed container=argo-rollouts pod={SEED_POD}",
        restarts=1154,
        last="Error",
    )
    pod = _pod(SEED_POD, age=timedelta(days=21), containers=(crashing,))
    pod["metadata"]["namespace"] = "argo-rollouts"
    return pod


# --- stuck_since: app health × age × where the age comes from --------------------------------

_HEALTH = [
    pytest.param("Progressing", True, id="progressing"),
    pytest.param("Degraded", True, id="degraded"),
    pytest.param("Healthy", False, id="healthy"),
    pytest.param("Missing", False, id="missing"),
    pytest.param("Suspended", False, id="suspended"),
    pytest.param("Unknown", False, id="unknown"),
]
_AGE = [
    pytest.param(timedelta(minutes=2), False, id="2m"),
    pytest.param(timedelta(minutes=31), True, id="31m"),
    pytest.param(timedelta(days=21), True, id="21d"),
]


@pytest.mark.parametrize("source", ["health-since", "pod-age"])
@pytest.mark.parametrize(("age", "old_enough"), _AGE)
@pytest.mark.parametrize(("health_status", "unhealthy"), _HEALTH)
def test_stuck_since_matrix(
    health_status: str, unhealthy: bool, age: timedelta, old_enough: bool, source: str
) -> None:
    """An app is stuck exactly when it is Progressing/Degraded for longer than stuck_after."""
    began = NOW - age
    crashing = _container(waiting="CrashLoopBackOff", restarts=4)
    if source == "health-since":
        app, pods = _app(health_status, since=began), []
    else:
        app, pods = _app(health_status), [_pod(age=age, containers=(crashing,))]
    expected = began if unhealthy and old_enough else None
    assert health.stuck_since(app, pods, NOW, STUCK_AFTER) == expected


def test_stuck_since_exactly_at_threshold_is_not_stuck() -> None:
    """Unhealthy for exactly stuck_after is not yet "longer than" it."""
    app = _app(since=NOW - STUCK_AFTER)
    assert health.stuck_since(app, [], NOW, STUCK_AFTER) is None


def test_health_since_wins_over_pod_ages() -> None:
    """Argo CD's lastTransitionTime decides even when an older unready pod exists."""
    old_pod = _pod(age=timedelta(days=9), containers=(_container(waiting="CrashLoopBackOff"),))
    app = _app(since=NOW - timedelta(minutes=3))
    assert health.stuck_since(app, [old_pod], NOW, STUCK_AFTER) is None


def test_oldest_unready_pod_dates_the_problem() -> None:
    """Without lastTransitionTime the oldest pod that is not Ready gives the start."""
    pods = [
        _pod("ready", age=timedelta(days=30), containers=(_container(ready=True),)),
        _pod("done", age=timedelta(days=20), phase="Succeeded", containers=(_container(),)),
        _pod("newer", age=timedelta(hours=2), containers=(_container(),)),
        _pod("older", age=timedelta(hours=5), containers=(_container(),)),
        _pod("undated", age=None, containers=(_container(),)),
    ]
    assert health.stuck_since(_app(), pods, NOW, STUCK_AFTER) == NOW - timedelta(hours=5)


def test_undatable_unhealthy_app_is_not_stuck() -> None:
    """No lastTransitionTime and no unready pod: nothing says how long, so not stuck."""
    pods = [_pod(containers=(_container(ready=True),))]
    assert health.stuck_since(_app("Degraded"), pods, NOW, STUCK_AFTER) is None


def test_gitea_container_creating_for_two_minutes_is_not_stuck() -> None:
    """The seed's gitea: Progressing 3 min with a pod ContainerCreating for 2 min is fine."""
    pod = _pod(age=timedelta(minutes=2), containers=(_container(waiting="ContainerCreating"),))
    app = _app(since=NOW - timedelta(minutes=3))
    assert health.stuck_since(app, [pod], NOW, STUCK_AFTER) is None
    assert health.pod_problems(pod, NOW) == ()


# --- workloads ------------------------------------------------------------------------------


def _status(group: str, kind: str, name: str) -> ResourceStatus:
    return ResourceStatus.of(ResourceKey(group, kind, "apps", name), "v1", "Synced")


def test_workloads_are_the_pod_owning_kinds_in_app_order() -> None:
    """Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, Rollouts and Pods, once each."""
    resources = (
        _status("", "Service", "web"),
        _status("apps", "Deployment", "web"),
        _status("argoproj.io", "Rollout", "canary"),
        _status("batch", "CronJob", "nightly"),
        _status("batch", "Job", "migrate"),
        _status("apps", "StatefulSet", "db"),
        _status("apps", "DaemonSet", "agent"),
        _status("apps", "ReplicaSet", "web-6b4c"),
        _status("", "Pod", "debug"),
        _status("example.com", "Deployment", "lookalike"),
        _status("apps", "Deployment", "web"),
    )
    names = [key.name for key in health.workloads(_app(resources=resources))]
    assert names == ["web", "canary", "migrate", "db", "agent", "web-6b4c", "debug"]


# --- pod_problems ---------------------------------------------------------------------------


def test_seed_crashloop_is_diagnosed() -> None:
    """The seed's argo-rollouts pod: CrashLoopBackOff, 1154 restarts, created 21 days ago."""
    (problem,) = health.pod_problems(_seed_pod(), NOW)
    assert problem == PodDiagnosis(
        namespace="argo-rollouts",
        name=SEED_POD,
        container="argo-rollouts",
        reason="CrashLoopBackOff",
        restarts=1154,
        started_at=NOW - timedelta(days=21),
        message=(
            f"back-off 5m0s restarting failed container=argo-rollouts pod={SEED_POD}; "
            "last exit: Error (exit code 1)"
        ),
    )


_YOUNG = timedelta(minutes=2)
_OLD = timedelta(hours=1)


@pytest.mark.parametrize(
    ("container", "age", "reason", "restarts"),
    [
        pytest.param(
            _container(waiting="ImagePullBackOff"), _OLD, "ImagePullBackOff", 0, id="ipbo"
        ),
        pytest.param(_container(waiting="ErrImagePull"), _YOUNG, "ErrImagePull", 0, id="pull-err"),
        pytest.param(
            _container(waiting="CreateContainerConfigError"),
            _OLD,
            "CreateContainerConfigError",
            0,
            id="config-error",
        ),
        pytest.param(_container(waiting=""), _OLD, "Waiting", 0, id="waiting-no-reason"),
        pytest.param(_container(waiting="ContainerCreating"), _YOUNG, None, 0, id="creating-2m"),
        pytest.param(
            _container(waiting="ContainerCreating"), _OLD, "ContainerCreating", 0, id="creating-1h"
        ),
        pytest.param(
            _container(waiting="ContainerCreating"), None, "ContainerCreating", 0, id="creating-?"
        ),
        pytest.param(_container(waiting="PodInitializing"), _YOUNG, None, 0, id="initializing-2m"),
        pytest.param(
            _container(terminated="OOMKilled", exit_code=137, restarts=3),
            _OLD,
            "OOMKilled",
            3,
            id="oom-now",
        ),
        pytest.param(_container(terminated="", exit_code=2), _OLD, "Error", 0, id="exit-2"),
        pytest.param(
            _container(terminated="Completed", exit_code=0), _OLD, None, 0, id="completed"
        ),
        pytest.param(_container(ready=True, restarts=3, last="OOMKilled"), _OLD, None, 3, id="ok"),
        pytest.param(
            _container(restarts=2, last="OOMKilled", last_exit=137),
            _OLD,
            "OOMKilled",
            2,
            id="oom-last",
        ),
        pytest.param(_container(restarts=2, last=""), _OLD, "Error", 2, id="last-no-reason"),
        pytest.param(_container(restarts=2), _OLD, "ContainersNotReady", 2, id="restarted"),
        pytest.param(
            _container(running_for=timedelta(minutes=10)),
            _OLD,
            "ContainersNotReady",
            0,
            id="never-ready",
        ),
        pytest.param(_container(running_for=timedelta(minutes=1)), _OLD, None, 0, id="warming"),
        pytest.param(_container(), _OLD, None, 0, id="running-undated"),
    ],
)
def test_container_state_matrix(
    container: dict[str, Any], age: timedelta | None, reason: str | None, restarts: int
) -> None:
    """Each container state maps to Kubernetes' own reason, or to no problem at all."""
    problems = health.pod_problems(_pod(age=age, containers=(container,)), NOW)
    assert [(p.container, p.reason, p.restarts) for p in problems] == (
        [("app", reason, restarts)] if reason else []
    )


def test_last_exit_detail_joins_the_message() -> None:
    """The previous run's reason, exit code and termination message explain a restart."""
    container = _container(restarts=5, last="OOMKilled", last_exit=137, last_message="heap full")
    (problem,) = health.pod_problems(_pod(containers=(container,)), NOW)
    assert problem.message == "last exit: OOMKilled (exit code 137): heap full"


def test_not_ready_message_comes_from_the_ready_condition() -> None:
    """A container that runs but never gets Ready quotes the pod's Ready condition."""
    (problem,) = health.pod_problems(
        _pod(containers=(_container(running_for=timedelta(minutes=9)),)), NOW
    )
    assert problem.message == "containers with unready status: [app]"


def test_unschedulable_pod_is_one_pod_level_problem() -> None:
    """A Pending pod no node can take is reported once, with the scheduler's message."""
    pod = _pod(
        phase="Pending",
        conditions=(
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient cpu.",
            },
        ),
    )
    (problem,) = health.pod_problems(pod, NOW)
    assert (problem.container, problem.reason, problem.message) == (
        "",
        "Unschedulable",
        "0/3 nodes are available: 3 Insufficient cpu.",
    )


def test_pending_pod_being_scheduled_is_not_a_problem() -> None:
    """A Pending pod whose scheduling condition is not Unschedulable reports nothing."""
    pod = _pod(phase="Pending", conditions=({"type": "PodScheduled", "status": "False"},))
    assert health.pod_problems(pod, NOW) == ()


def test_evicted_pod_reports_the_eviction() -> None:
    """An evicted pod is reported by the pod's reason, not its containers' aftermath."""
    gone = _container(terminated="ContainerStatusUnknown", exit_code=137)
    pod = _pod(phase="Failed", containers=(gone,), conditions=())
    pod["status"] |= {"reason": "Evicted", "message": "The node was low on resource: memory."}
    (problem,) = health.pod_problems(pod, NOW)
    assert (problem.container, problem.reason, problem.message) == (
        "",
        "Evicted",
        "The node was low on resource: memory.",
    )


def test_failed_job_pod_reports_its_container() -> None:
    """A Failed pod without a pod-level reason is explained by its failed container."""
    pod = _pod(phase="Failed", containers=(_container(terminated="Error", exit_code=3),))
    problems = health.pod_problems(pod, NOW)
    assert [(p.container, p.reason) for p in problems] == [("app", "Error")]


def test_failed_pod_without_any_detail_is_failed() -> None:
    """A Failed pod with no reason and no container statuses is reported as Failed."""
    (problem,) = health.pod_problems(_pod(phase="Failed", conditions=()), NOW)
    assert (problem.container, problem.reason) == ("", "Failed")


def test_broken_init_container_hides_waiting_main_containers() -> None:
    """Containers stuck in PodInitializing behind a crashing init container are not repeated."""
    pod = _pod(
        phase="Pending",
        init=(_container("migrate", waiting="CrashLoopBackOff", restarts=7, last="Error"),),
        containers=(_container("app", waiting="PodInitializing"),),
    )
    problems = health.pod_problems(pod, NOW)
    assert [(p.container, p.reason) for p in problems] == [("migrate", "CrashLoopBackOff")]


def test_slow_init_container_is_not_initialized() -> None:
    """An init container running past the grace period quotes the Initialized condition."""
    pod = _pod(
        phase="Pending",
        init=(_container("wait-for-db", running_for=timedelta(minutes=20)),),
        containers=(_container("app", waiting="PodInitializing"),),
        conditions=(
            {
                "type": "Initialized",
                "status": "False",
                "reason": "ContainersNotInitialized",
                "message": "containers with incomplete status: [wait-for-db]",
            },
        ),
    )
    (problem,) = health.pod_problems(pod, NOW)
    assert (problem.container, problem.reason, problem.message) == (
        "wait-for-db",
        "ContainersNotInitialized",
        "containers with incomplete status: [wait-for-db]",
    )


def test_completed_init_container_is_fine() -> None:
    """An init container that exited 0 is no problem; the main container is judged alone."""
    pod = _pod(
        init=(_container("migrate", terminated="Completed", exit_code=0),),
        containers=(_container("app", ready=True),),
    )
    assert health.pod_problems(pod, NOW) == ()


def test_state_messages_are_redacted() -> None:
    """A secret in a container's state message never reaches the diagnosis."""
    container = _container(
        waiting="CreateContainerConfigError",
        message="couldn't parse DSN postgres://app:Hunter2pw@db:5432/app",
    )
    (problem,) = health.pod_problems(_pod(containers=(container,)), NOW)
    assert problem.message == "couldn't parse DSN postgres://app:[REDACTED]@db:5432/app"


def test_pod_without_metadata_or_status_has_no_problem() -> None:
    """An empty pod body yields nothing instead of failing."""
    assert health.pod_problems({}, NOW) == ()


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        pytest.param(
            datetime(2026, 5, 1, 12, 0), datetime(2026, 5, 1, 12, 0, tzinfo=UTC), id="naive"
        ),
        pytest.param(
            datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
            datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
            id="aware",
        ),
        pytest.param(
            "2026-05-01T14:00:00+02:00", datetime(2026, 5, 1, 12, 0, tzinfo=UTC), id="offset"
        ),
        pytest.param("yesterday", None, id="garbage"),
        pytest.param(1714564800, None, id="number"),
    ],
)
def test_creation_timestamp_forms(created: Any, expected: datetime | None) -> None:
    """started_at reads RFC 3339 strings and client datetimes; anything else is unknown."""
    pod = _pod(containers=(_container(waiting="ImagePullBackOff"),))
    pod["metadata"]["creationTimestamp"] = created
    (problem,) = health.pod_problems(pod, NOW)
    assert problem.started_at == expected


# --- which log to fetch ---------------------------------------------------------------------


def _problem(container: str) -> PodDiagnosis:
    return PodDiagnosis("apps", "web-7d4b9c-x2x9k", container, "CrashLoopBackOff", 1, None)


@pytest.mark.parametrize(
    ("status", "container", "previous", "any_log"),
    [
        pytest.param(
            _container(waiting="CrashLoopBackOff", restarts=9, last="Error"),
            "app",
            True,
            True,
            id="crashloop",
        ),
        pytest.param(_container(waiting="ImagePullBackOff"), "app", False, False, id="never-ran"),
        pytest.param(_container(running_for=timedelta(hours=1)), "app", False, True, id="running"),
        pytest.param(_container(terminated="Error"), "app", False, True, id="terminated"),
        pytest.param(_container(waiting="CrashLoopBackOff"), "other", False, False, id="unknown"),
        pytest.param(_container(waiting="CrashLoopBackOff"), "", False, False, id="pod-level"),
    ],
)
def test_log_availability(
    status: dict[str, Any], container: str, previous: bool, any_log: bool
) -> None:
    """The previous log exists after a termination; a container that never ran has none."""
    pod = _pod(containers=(status,))
    assert health.wants_previous_log(_problem(container), pod) is previous
    assert health.has_log(_problem(container), pod) is any_log


def test_seed_pod_wants_previous_log() -> None:
    """The seed's crash-looping controller's crash is in its previous run's log."""
    pod = _seed_pod()
    (problem,) = health.pod_problems(pod, NOW)
    assert health.wants_previous_log(problem, pod)


# --- decisive_lines -------------------------------------------------------------------------


def test_seed_log_surfaces_the_fatal_line() -> None:
    """The argo-rollouts log gives the fatal plugin-download line, last, with its context."""
    lines = loglines.decisive_lines(SEED_LOG)
    assert lines == tuple(SEED_LOG.splitlines())
    assert lines[-1] == SEED_FATAL


def test_seed_fatal_line_is_found_in_a_long_log() -> None:
    """After hundreds of info lines the fatal one is still what comes back."""
    noise = "".join(f'level=info msg="sync tick" n={i}\n' for i in range(500))
    lines = loglines.decisive_lines(noise + SEED_LOG + 'level=info msg="shutting down"\n')
    assert SEED_FATAL in lines
    assert len(lines) <= 12


def test_logfmt_error_with_context() -> None:
    """A logfmt error line comes with the two non-empty lines before it."""
    log = "\n".join(
        [
            *("level=info msg=a", "level=info msg=b", "", "level=info msg=c"),
            *("level=error msg=boom", "level=info msg=d"),
        ]
    )
    assert loglines.decisive_lines(log) == (
        "level=info msg=b",
        "level=info msg=c",
        "level=error msg=boom",
    )


def test_json_error_line() -> None:
    """A JSON log line with "level":"error" is decisive."""
    log = (
        '{"level":"info","msg":"start"}\n'
        '{"level":"error","msg":"db down"}\n'
        '{"level":"info","msg":"x"}\n'
    )
    assert loglines.decisive_lines(log, context=0) == ('{"level":"error","msg":"db down"}',)


def test_klog_fatal_outranks_errors() -> None:
    """With room for one line, a klog F line beats a later E line."""
    log = (
        "I0507 21:00:00.000000       1 main.go:10] starting\n"
        "F0507 21:00:01.000000       1 main.go:20] cannot load config\n"
        "E0507 21:00:02.000000       1 main.go:30] lost lease\n"
    )
    assert loglines.decisive_lines(log, limit=1) == (
        "F0507 21:00:01.000000       1 main.go:20] cannot load config",
    )


def test_go_panic_brings_the_top_of_its_stack() -> None:
    """A Go panic comes with the signal, goroutine and first frames, not the whole dump."""
    log = (
        "starting server\n"
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b3c]\n"
        "\n"
        "goroutine 1 [running]:\n"
        "main.main()\n"
        "\t/src/main.go:12 +0x1d\n"
        "runtime.main()\n"
    )
    assert loglines.decisive_lines(log) == (
        "starting server",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b3c]",
        "goroutine 1 [running]:",
        "main.main()",
        "\t/src/main.go:12 +0x1d",
    )


def test_python_traceback_gives_header_last_frame_and_exception() -> None:
    """A Python traceback yields its header, its last frame and the exception line."""
    log = (
        "INFO booting\n"
        "Traceback (most recent call last):\n"
        '  File "/app/main.py", line 10, in <module>\n'
        "    main()\n"
        '  File "/app/db.py", line 6, in connect\n'
        "    engine.connect()\n"
        "sqlalchemy.exc.OperationalError: connection refused\n"
    )
    assert loglines.decisive_lines(log, context=0) == (
        "Traceback (most recent call last):",
        '  File "/app/db.py", line 6, in connect',
        "    engine.connect()",
        "sqlalchemy.exc.OperationalError: connection refused",
    )


def test_cut_off_traceback_still_shows_its_header() -> None:
    """A traceback cut off by the tail limit still shows its header and last frame."""
    log = 'Traceback (most recent call last):\n  File "/app/x.py", line 1, in <module>\n'
    assert loglines.decisive_lines(log) == (
        "Traceback (most recent call last):",
        '  File "/app/x.py", line 1, in <module>',
    )


def test_traceback_without_frames() -> None:
    """A traceback with no frame lines gives its header and exception line."""
    log = "Traceback (most recent call last):\nKeyboardInterrupt\n"
    assert loglines.decisive_lines(log) == (
        "Traceback (most recent call last):",
        "KeyboardInterrupt",
    )


def test_java_exception_and_cause_with_first_frames() -> None:
    """Java's exception and its cause come with their first stack frame each."""
    log = (
        "INFO Starting application\n"
        'Exception in thread "main" java.lang.IllegalStateException: context failed\n'
        "\tat com.example.App.main(App.java:12)\n"
        "\tat java.base/java.lang.Thread.run(Thread.java:833)\n"
        "Caused by: java.net.ConnectException: Connection refused\n"
        "\tat java.base/sun.nio.ch.Net.connect0(Native Method)\n"
    )
    assert loglines.decisive_lines(log, context=0) == (
        'Exception in thread "main" java.lang.IllegalStateException: context failed',
        "\tat com.example.App.main(App.java:12)",
        "Caused by: java.net.ConnectException: Connection refused",
        "\tat java.base/sun.nio.ch.Net.connect0(Native Method)",
    )


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("Error: unknown flag: --plugins", id="go-cli"),
        pytest.param("java.lang.OutOfMemoryError: Java heap space", id="java-error"),
        pytest.param('FATAL:  password authentication failed for user "payments"', id="postgres"),
        pytest.param("2026-05-07 21:00:00,123 ERROR [main] boot failed", id="plain-error"),
        pytest.param("PANIC: could not write to file", id="plain-panic"),
    ],
)
def test_plain_error_lines_are_decisive(line: str) -> None:
    """Lines without structured levels are recognised by their conventional markers."""
    log = f"starting\n{line}\nexiting cleanly\n"
    assert loglines.decisive_lines(log, context=0) == (line,)


def test_stated_level_beats_words_in_the_message() -> None:
    """An info line that mentions ERROR in its text is not an error line."""
    log = 'level=info msg="ERROR budget at 20%"\nlevel=info msg=done\n'
    assert loglines.decisive_lines(log, limit=1) == ("level=info msg=done",)


def test_repeated_errors_are_shown_once() -> None:
    """The same error repeated with new timestamps appears once, at its last occurrence."""
    repeated = [
        f'time="2026-05-07T21:0{i}:00Z" level=error msg="dial tcp: refused"' for i in range(5)
    ]
    log = "\n".join(repeated)
    assert loglines.decisive_lines(log, context=0) == (repeated[-1],)


def test_limit_keeps_most_severe_then_latest_in_log_order() -> None:
    """Over the limit, fatal lines win over errors and later errors over earlier ones."""
    log = "\n".join(
        [
            "level=fatal msg=first-fatal",
            *(f"level=error msg=error-{i}" for i in range(6)),
            "level=info msg=tail",
        ]
    )
    assert loglines.decisive_lines(log, limit=3, context=0) == (
        "level=fatal msg=first-fatal",
        "level=error msg=error-4",
        "level=error msg=error-5",
    )


def test_without_decisive_lines_the_tail_is_returned() -> None:
    """A log with no error markers falls back to its last non-empty lines."""
    log = "one\ntwo\n\nthree\nfour\n\n"
    assert loglines.decisive_lines(log, limit=3) == ("two", "three", "four")


@pytest.mark.parametrize("log", ["", "\n\n"])
def test_empty_log_has_no_lines(log: str) -> None:
    """An empty log gives nothing to show."""
    assert loglines.decisive_lines(log) == ()


def test_zero_limit_returns_nothing() -> None:
    """A limit of zero asks for no lines at all."""
    assert loglines.decisive_lines(SEED_LOG, limit=0) == ()


def test_log_lines_are_redacted_even_across_lines() -> None:
    """Secrets in decisive lines and multi-line private keys never come back."""
    log = (
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t\n"
        "-----END RSA PRIVATE KEY-----\n"
        'level=fatal msg="cannot connect" dsn="postgres://app:Hunter2pw@db/app"\n'
    )
    joined = "\n".join(loglines.decisive_lines(log, context=5))
    assert "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0t" not in joined
    assert "Hunter2pw" not in joined
    assert 'dsn="postgres://app:[REDACTED]@db/app"' in joined


def test_long_lines_are_truncated() -> None:
    """A line over 400 characters is cut with an ellipsis."""
    (line,) = loglines.decisive_lines("level=error msg=" + "x" * 1000)
    assert len(line) == 401
    assert line.endswith("…")


# --- diagnose -------------------------------------------------------------------------------


def test_diagnose_attaches_decisive_lines() -> None:
    """Each problem with a log gets its decisive lines; one without a log keeps none."""
    pod = _seed_pod()
    (crash,) = health.pod_problems(pod, NOW)
    pending = PodDiagnosis("argo-rollouts", "other", "", "Unschedulable", 0, None)
    since = NOW - timedelta(days=21)
    stuck = health.diagnose(
        _app(since=since),
        since,
        [crash, pending],
        {("argo-rollouts", SEED_POD, "argo-rollouts"): SEED_LOG},
    )
    assert (stuck.app, stuck.health, stuck.since) == ("argo-rollouts", "Progressing", since)
    assert stuck.pods[0].log[-1] == SEED_FATAL
    assert stuck.pods[0].restarts == 1154
    assert stuck.pods[1] == pending
