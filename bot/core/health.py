"""Finding apps that hide a broken workload behind "Progressing", and saying why.

The seed's worst find was a controller crash-looping for 21 days while its app showed
Progressing, a state people read as "busy, fine". This module decides when an unhealthy app
has been unhealthy for too long (`stuck_since`), which of its pods are actually broken and how
(`pod_problems`), and which log lines explain it (`decisive_lines`): the fatal line and what led
to it, not just the tail. Pod JSON is read as the Kubernetes API returns it (typed as
`bot.core.raw.RawPod`, every absent key defaulted); the clock is an argument; every message
and log line is redacted here, before anything can leave the process.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from bot.core import redact as redaction
from bot.core.loglines import decisive_lines
from bot.core.model import Application, PodDiagnosis, ResourceKey, StuckApp
from bot.core.raw import (
    RawContainerState,
    RawContainerStatus,
    RawPod,
    RawPodCondition,
    RawPodStatus,
    RawStateTerminated,
)

UNHEALTHY: Final = frozenset({"Progressing", "Degraded"})

# Kinds whose pods explain an app's health. CronJobs are left out: their Jobs (listed in the
# app's resources when Argo CD tracks them) are what run pods.
_WORKLOAD_KINDS: Final = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("apps", "ReplicaSet"),
        ("batch", "Job"),
        ("argoproj.io", "Rollout"),
        ("", "Pod"),
    }
)

# Waiting reasons of a container that is merely being set up; anything else waiting is broken.
_STARTING: Final = frozenset({"ContainerCreating", "PodInitializing"})
# The reasons Kubernetes itself puts on the unmet pod condition, with that condition's type.
_NOT_READY: Final = ("ContainersNotReady", "Ready")
_NOT_INITIALIZED: Final = ("ContainersNotInitialized", "Initialized")


# --- when is an app stuck -------------------------------------------------------------------


def stuck_since(
    app: Application, pods: Sequence[RawPod], now: datetime, stuck_after: timedelta
) -> datetime | None:
    """When the app became unhealthy, if that is more than ``stuck_after`` ago.

    Args:
        app: The Application; only Progressing and Degraded apps can be stuck.
        pods: Its pods; used only when Argo CD gives no ``status.health.lastTransitionTime``.
        now: The scan's clock.
        stuck_after: How long unhealthy is still normal (``DRIFT_STUCK_AFTER``).

    Returns:
        The moment health turned bad (``health_since``, else the oldest creation time of a pod
        that is not Ready), or ``None`` when the app is healthy, too recent, or undatable.
    """
    if app.health_status not in UNHEALTHY:
        return None
    since = app.health_since or _oldest_unready(pods)
    if since is None or now - since <= stuck_after:
        return None
    return since


def _oldest_unready(pods: Sequence[RawPod]) -> datetime | None:
    # Completed pods (a finished Job, a migration) are not ready by design and not a symptom.
    times = [
        created
        for pod in pods
        if not _is_ready(pod) and _status(pod).get("phase") != "Succeeded"
        if (created := _created(pod)) is not None
    ]
    return min(times, default=None)


def workloads(app: Application) -> tuple[ResourceKey, ...]:
    """The app's resources whose pods show its health (Deployments, Rollouts, Jobs, Pods...)."""
    keys = (r.key for r in app.resources if (r.key.group, r.key.kind) in _WORKLOAD_KINDS)
    return tuple(dict.fromkeys(keys))


# --- what is wrong with a pod ---------------------------------------------------------------


def pod_problems(
    pod: RawPod, now: datetime, *, grace: timedelta = timedelta(minutes=5)
) -> tuple[PodDiagnosis, ...]:
    """Diagnose each unhealthy container of a pod (init containers first), log still empty.

    Args:
        pod: A Pod as the Kubernetes API returns it.
        now: The scan's clock.
        grace: How long a pod may be ContainerCreating/PodInitializing, or running without
            becoming Ready, before that counts as a problem rather than a start-up.

    Returns:
        One `PodDiagnosis` per broken container, with Kubernetes' own reason and the (redacted)
        state message; a pod that cannot be scheduled yields one entry with container ``""``.
    """
    meta = pod.get("metadata") or {}
    status = _status(pod)
    created = _created(pod)
    base = PodDiagnosis(
        namespace=str(meta.get("namespace", "")),
        name=str(meta.get("name", "")),
        container="",
        reason="",
        restarts=0,
        started_at=created,
    )
    if status.get("phase") == "Failed" and status.get("reason"):
        # Evicted, DeadlineExceeded: the pod's reason is the cause, its containers' states
        # (ContainerStatusUnknown...) only the effect.
        return (_pod_level(base, status["reason"], status.get("message")),)
    young = created is not None and now - created < grace
    check = _Check(status=status, now=now, grace=grace, young=young)
    found = _problems(base, status.get("initContainerStatuses"), check, init=True)
    # Containers wait in PodInitializing behind a broken init container: one cause, one entry.
    found = found or _problems(base, status.get("containerStatuses"), check, init=False)
    if found:
        return tuple(found)
    unscheduled = _condition(status, "PodScheduled")
    if unscheduled.get("reason") == "Unschedulable":
        return (_pod_level(base, "Unschedulable", unscheduled.get("message")),)
    if status.get("phase") == "Failed":
        return (_pod_level(base, "Failed", status.get("message")),)
    return ()


@dataclasses.dataclass(frozen=True, slots=True)
class _Check:
    """What judging one container needs to know about its pod and the clock."""

    status: RawPodStatus
    now: datetime
    grace: timedelta
    young: bool
    """The pod is younger than ``grace``: still allowed to be starting."""


def _problems(
    base: PodDiagnosis, statuses: Sequence[RawContainerStatus] | None, check: _Check, *, init: bool
) -> list[PodDiagnosis]:
    return [
        dataclasses.replace(base, container=str(cs.get("name", "")), **problem)
        for cs in statuses or ()
        if (problem := _container_problem(cs, check, init=init))
    ]


def _pod_level(base: PodDiagnosis, reason: str, message: object) -> PodDiagnosis:
    return dataclasses.replace(base, reason=str(reason), message=_message(message))


def _container_problem(
    cs: RawContainerStatus, check: _Check, *, init: bool
) -> dict[str, Any] | None:
    """The ``reason``/``restarts``/``message`` of a broken container, or ``None`` if it is fine."""
    state = cs.get("state") or {}
    restarts = int(cs.get("restartCount") or 0)
    last = (cs.get("lastState") or {}).get("terminated") or {}
    waiting = state.get("waiting")
    terminated = state.get("terminated")
    message: object = None
    if waiting is not None:
        reason = waiting.get("reason") or "Waiting"
        message = waiting.get("message")
        if reason in _STARTING and check.young:
            return None
    elif terminated is not None:
        if terminated.get("exitCode") == 0:
            return None  # a finished init container or a completed Job
        reason = terminated.get("reason") or "Error"
        message = terminated.get("message")
    elif cs.get("ready"):
        return None
    elif restarts > 0 and last:
        reason = last.get("reason") or "Error"
    elif restarts > 0 or _running_longer_than(state, check):
        # Running but never Ready: a readiness probe (or an init step) that keeps failing.
        reason, condition = _NOT_INITIALIZED if init else _NOT_READY
        message = _condition(check.status, condition).get("message")
    else:
        return None
    return {
        "reason": str(reason),
        "restarts": restarts,
        "message": _message(message, _last_exit(last)),
    }


def _running_longer_than(state: RawContainerState, check: _Check) -> bool:
    started = _timestamp((state.get("running") or {}).get("startedAt"))
    return started is not None and check.now - started >= check.grace


def _last_exit(last: RawStateTerminated) -> str:
    """``last exit: OOMKilled (exit code 137)``: why the previous run died, often the answer."""
    if not last:
        return ""
    words = f"last exit: {last.get('reason') or 'terminated'} (exit code {last.get('exitCode')})"
    detail = last.get("message")
    return f"{words}: {detail}" if detail else words


def _message(*parts: object) -> str:
    text = "; ".join(" ".join(str(p).split()) for p in parts if p)
    return redaction.redact(text)


def wants_previous_log(problem: PodDiagnosis, pod: RawPod) -> bool:
    """Whether the container died before, so its previous run's log holds the crash."""
    cs = _find_status(pod, problem.container)
    return bool(cs and (cs.get("lastState") or {}).get("terminated"))


def has_log(problem: PodDiagnosis, pod: RawPod) -> bool:
    """Whether asking for any log of this container can succeed.

    A container that never started (ImagePullBackOff, an unschedulable pod) has no log at all;
    Kubernetes answers such a request with an error, so callers should not ask.
    """
    cs = _find_status(pod, problem.container)
    if cs is None:
        return False
    state = cs.get("state") or {}
    ran_before = bool((cs.get("lastState") or {}).get("terminated"))
    return ran_before or "running" in state or "terminated" in state


def _find_status(pod: RawPod, container: str) -> RawContainerStatus | None:
    if not container:
        return None
    return next(
        (cs for cs in _container_statuses(_status(pod)) if cs.get("name") == container), None
    )


# --- putting it together --------------------------------------------------------------------


def diagnose(
    app: Application,
    since: datetime | None,
    problems: Sequence[PodDiagnosis],
    logs: Mapping[tuple[str, str, str], str],
) -> StuckApp:
    """The stuck app with each problem's decisive log lines attached.

    Args:
        app: The stuck Application.
        since: When it became unhealthy (from `stuck_since`).
        problems: From `pod_problems`, over all of the app's pods.
        logs: Container logs keyed by ``(namespace, pod, container)``; a missing key means
            the log could not be read and the problem is reported without one.
    """
    pods = tuple(
        dataclasses.replace(p, log=decisive_lines(logs[key]))
        if (key := (p.namespace, p.name, p.container)) in logs
        else p
        for p in problems
    )
    return StuckApp(app=app.name, health=app.health_status, since=since, pods=pods)


# --- reading pod JSON -----------------------------------------------------------------------


def _status(pod: RawPod) -> RawPodStatus:
    return pod.get("status") or {}


def _container_statuses(status: RawPodStatus) -> list[RawContainerStatus]:
    return [*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())]


def _condition(status: RawPodStatus, kind: str) -> RawPodCondition:
    """The pod condition of that type if it is not True (an unmet condition), else ``{}``."""
    for cond in status.get("conditions") or ():
        if cond.get("type") == kind and cond.get("status") != "True":
            return cond
    return {}


def _is_ready(pod: RawPod) -> bool:
    conditions = _status(pod).get("conditions") or ()
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _created(pod: RawPod) -> datetime | None:
    return _timestamp((pod.get("metadata") or {}).get("creationTimestamp"))


def _timestamp(value: object) -> datetime | None:
    """An RFC 3339 string from the API (or a datetime from the kubernetes client's models).

    An unreadable timestamp yields ``None`` (age unknown) rather than failing the whole scan.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
