"""Container logs with the kubelet's rules, shared by the Kubernetes and Argo CD log endpoints.

The rules matter to a stuck-app diagnosis: ``previous`` only exists when the container has a
``lastState.terminated``; a multi-container pod needs ``container``; a container still being
created has no log at all. The error texts are the API server's, because Argo CD forwards them
verbatim as log lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.core.model import RawObject


class LogError(ValueError):
    """The kubelet refuses this log request (HTTP 400 ``BadRequest``)."""


@dataclass(frozen=True, slots=True)
class LogLine:
    at: datetime
    text: str


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def read(
    pod: RawObject,
    logs: Mapping[tuple[str, str, str, bool], str],
    *,
    container: str | None,
    previous: bool,
    tail_lines: int | None,
) -> list[LogLine]:
    """The lines of one container's log.

    Raises:
        LogError: no container named and several exist, unknown container, no previous
            instance, or the container has not started yet.
    """
    meta = pod["metadata"]
    name = container or _only_container(pod)
    status = _container_status(pod, name)
    start = _start_time(pod, status, name, previous=previous)
    text = logs.get((meta["namespace"], meta["name"], name, previous), "")
    lines = text.splitlines()
    if tail_lines is not None:
        lines = lines[-tail_lines:] if tail_lines > 0 else []
    return [LogLine(start + timedelta(milliseconds=i), line) for i, line in enumerate(lines)]


def _only_container(pod: RawObject) -> str:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or []]
    if len(names) == 1:
        return str(names[0])
    pod_name = pod["metadata"]["name"]
    msg = (
        f"a container name must be specified for pod {pod_name}, choose one of: [{' '.join(names)}]"
    )
    init = [c["name"] for c in spec.get("initContainers") or []]
    if init:
        msg += f" or one of the init containers: [{' '.join(init)}]"
    raise LogError(msg)


def _container_status(pod: RawObject, name: str) -> Mapping[str, Any]:
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    known = [c["name"] for c in [*spec.get("containers", []), *spec.get("initContainers", [])]]
    if name not in known:
        raise LogError(f"container {name} is not valid for pod {pod['metadata']['name']}")
    for entry in [*status.get("containerStatuses", []), *status.get("initContainerStatuses", [])]:
        if entry.get("name") == name:
            return entry  # type: ignore[no-any-return]
    return {}


def _start_time(
    pod: RawObject, status: Mapping[str, Any], name: str, *, previous: bool
) -> datetime:
    pod_name = pod["metadata"]["name"]
    last = (status.get("lastState") or {}).get("terminated")
    if previous:
        if not last:
            raise LogError(f'previous terminated container "{name}" in pod "{pod_name}" not found')
        return parse_time(last["startedAt"])
    state = status.get("state") or {}
    waiting = state.get("waiting") or {}
    if waiting.get("reason") in ("ContainerCreating", "PodInitializing"):
        reason = waiting["reason"]
        raise LogError(f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    for source in (state.get("running"), state.get("terminated"), last):
        if source and source.get("startedAt"):
            return parse_time(source["startedAt"])
    return parse_time(pod["metadata"]["creationTimestamp"])
