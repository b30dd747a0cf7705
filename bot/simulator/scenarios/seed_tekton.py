"""The seed's Tekton apps: pipelines and dashboard (CRDs from a pre-Argo CD bootstrap, so
unadopted), triggers (Synced) and extras (webhook-defaulted fields no schema explains, and a
finished PipelineRun kept by ``prune: false``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator.cluster import crds
from bot.simulator.cluster import manifests as m
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from bot.simulator.scenarios.seed_common import DOMAIN, chart_workload
from bot.simulator.scenarios.seed_platform import bootstrapped

_DAY: Final = timedelta(days=1)
_TEKTON_RELEASE: Final = "v1.15.0"


def tekton_pipelines(b: ScenarioBuilder) -> AppBuilder:
    """Six CRDs kubectl-applied from an older release before Argo CD (unadopted)."""
    app = b.app("tekton-pipelines", destination_namespace=None, age=190 * _DAY)
    labels = {
        "app.kubernetes.io/instance": "default",
        "app.kubernetes.io/part-of": "tekton-pipelines",
        "pipeline.tekton.dev/release": _TEKTON_RELEASE,
        "version": _TEKTON_RELEASE,
    }
    old = {"/metadata/labels/pipeline.tekton.dev~1release": "v1.14.0"}
    old["/metadata/labels/version"] = "v1.14.0"
    for plural in ("tasks", "pipelines", "pipelineruns", "taskruns", "customruns", "stepactions"):
        git = m.relabeled(crds.crd(f"{plural}.tekton.dev"), labels)
        managers = bootstrapped(b, git, "kubectl", 240 * _DAY)
        app.drifted(git, old, "unadopted", age=240 * _DAY, managers=managers)
    ns = "tekton-pipelines"
    release = f"ghcr.io/tektoncd/pipeline/cmd/controller:{_TEKTON_RELEASE}"
    chart_workload(b, app, "tekton-pipelines-controller", ns, release, port=9090)
    webhook = f"ghcr.io/tektoncd/pipeline/cmd/webhook:{_TEKTON_RELEASE}"
    chart_workload(b, app, "tekton-pipelines-webhook", ns, webhook, port=8443)
    return app


def tekton_dashboard(b: ScenarioBuilder) -> AppBuilder:
    """The dashboard's Extension CRD predates Argo CD (unadopted)."""
    app = b.app("tekton-dashboard", destination_namespace=None, age=150 * _DAY)
    labels = {
        "app.kubernetes.io/part-of": "tekton-dashboard",
        "dashboard.tekton.dev/release": "v0.63.1",
    }
    git = m.relabeled(crds.crd("extensions.dashboard.tekton.dev"), labels)
    change = {"/metadata/labels/dashboard.tekton.dev~1release": "v0.55.0"}
    managers = bootstrapped(b, git, "kubectl", 200 * _DAY)
    app.drifted(git, change, "unadopted", age=200 * _DAY, managers=managers)
    image = "ghcr.io/tektoncd/dashboard/dashboard:v0.63.1"
    chart_workload(b, app, "tekton-dashboard", "tekton-pipelines", image, port=9097, host="tekton")
    return app


def tekton_triggers(b: ScenarioBuilder) -> AppBuilder:
    """Synced: owns the EventListener CRD tekton-extras uses."""
    app = b.app("tekton-triggers", destination_namespace="tekton-pipelines", age=150 * _DAY)
    app.synced(crds.crd("eventlisteners.triggers.tekton.dev"), age=150 * _DAY)
    image = "ghcr.io/tektoncd/triggers/controller:v0.31.0"
    chart_workload(b, app, "tekton-triggers-controller", "tekton-pipelines", image, port=9000)
    return app


def tekton_extras(b: ScenarioBuilder) -> AppBuilder:
    """Tekton's webhook fills fields no schema explains (unexplained), plus a finished run."""
    app = b.app("tekton-extras", destination_namespace="tekton-pipelines", age=120 * _DAY)
    ns = "tekton-pipelines"
    for name, params, image, script in _TASKS:
        task = {
            "apiVersion": "tekton.dev/v1",
            "kind": "Task",
            "metadata": m.meta(name, ns),
            "spec": {
                "params": [{"name": p, "description": f"{p} of the build"} for p in params],
                "steps": [{"name": "run", "image": image, "script": script}],
            },
        }
        typed = {f"/spec/params/{i}/type": "string" for i in range(len(params))}
        app.drifted(task, typed, "unexplained", age=60 * _DAY)
    app.drifted(_pipeline(ns), _PIPELINE_DEFAULTS, "unexplained", age=60 * _DAY)
    listener = {
        "apiVersion": "triggers.tekton.dev/v1beta1",
        "kind": "EventListener",
        "metadata": m.meta("gitea-listener", ns),
        "spec": {
            "serviceAccountName": "tekton-triggers-gitea",
            "triggers": [
                {
                    "name": "gitea-push",
                    "bindings": [{"ref": "gitea-push-binding"}],
                    "template": {"ref": "gitea-ci-template"},
                }
            ],
        },
    }
    binding_kind = {"/spec/triggers/0/bindings/0/kind": "TriggerBinding"}
    app.drifted(listener, binding_kind, "unexplained", age=60 * _DAY)
    run = {
        "apiVersion": "tekton.dev/v1",
        "kind": "PipelineRun",
        "metadata": m.meta("test-build-sign-5qtn4", ns, labels={"tekton.dev/pipeline": "gitea-ci"}),
        "spec": {
            "pipelineRef": {"name": "gitea-ci"},
            "params": [{"name": "url", "value": f"https://gitea.{DOMAIN}/platform/demo.git"}],
            "taskRunTemplate": {"serviceAccountName": "default"},
            "timeouts": {"pipeline": "1h0m0s"},
        },
    }
    app.zombie(run, drift_class="hook-leftover", age=16 * _DAY)
    return app


_TASKS: Final = (
    ("git-clone", ("url", "revision"), "alpine/git:2.47.2", "git clone $(params.url) /src"),
    (
        "build-push",
        ("image", "context"),
        "gcr.io/kaniko-project/executor:v1.23.2",
        "/kaniko/executor",
    ),
    (
        "cosign-sign",
        ("image",),
        "ghcr.io/sigstore/cosign/cosign:v2.4.3",
        "cosign sign $(params.image)",
    ),
)

_PIPELINE_DEFAULTS: Final = {
    "/spec/params/0/type": "string",
    "/spec/tasks/0/taskRef/kind": "Task",
    "/spec/tasks/1/taskRef/kind": "Task",
    "/spec/tasks/2/taskRef/kind": "Task",
}


def _pipeline(ns: str) -> RawObject:
    tasks: list[dict[str, Any]] = [
        {"name": "clone", "taskRef": {"name": "git-clone"}},
        {"name": "build", "taskRef": {"name": "build-push"}, "runAfter": ["clone"]},
        {"name": "sign", "taskRef": {"name": "cosign-sign"}, "runAfter": ["build"]},
    ]
    return {
        "apiVersion": "tekton.dev/v1",
        "kind": "Pipeline",
        "metadata": m.meta("gitea-ci", ns),
        "spec": {"params": [{"name": "url"}], "tasks": tasks},
    }
