"""Every pod drift-bot ships is hardened, probed on the right port and sized.

These are the properties a restricted Pod Security admission and an operator's review look
for; checking them here catches a loosened securityContext before a cluster refuses it.
"""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from bot.settings import Settings
from tests.deploy.deploy_support import (
    BASE,
    BOT_IMAGE,
    REPO,
    WORKLOAD_KINDS,
    Doc,
    all_resources,
    bot_workloads,
    containers,
    env_of,
    is_bot,
    of_kind,
    one,
    pod_labels,
    pod_spec,
    resource_docs,
    selector_matches,
)

WORKLOADS = of_kind(all_resources(), *WORKLOAD_KINDS)
WORKLOAD_IDS = [doc.label for doc in WORKLOADS]
CONTAINERS = [(doc, c) for doc in WORKLOADS for c in containers(doc)]
CONTAINER_IDS = [f"{doc.label}/{c['name']}" for doc, c in CONTAINERS]
BOTS = bot_workloads()
BOT_IDS = [doc.label for doc in BOTS]
DRIFT_PORT = Settings.model_fields["drift_port"].default
BOT_UID = 10001


def _bot_container(workload: Doc) -> dict[str, Any]:
    (container,) = [c for c in containers(workload) if is_bot(c)]
    return container


def _effective(workload: Doc, container: dict[str, Any], key: str) -> Any:
    """A security setting as Kubernetes resolves it: container first, then pod."""
    own = container.get("securityContext", {})
    return own[key] if key in own else pod_spec(workload).get("securityContext", {}).get(key)


def test_there_are_bot_and_redis_workloads() -> None:
    """Base and overlay ship the bot, the split Slack app and Redis."""
    assert sorted(WORKLOAD_IDS) == [
        "base/deployment.yaml:Deployment/drift-bot",
        "base/redis.yaml:StatefulSet/drift-bot-redis",
        "overlays/split/slack-deployment.yaml:Deployment/drift-bot-slack",
    ]


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_pods_run_as_non_root_with_runtime_default_seccomp(workload: Doc) -> None:
    """Each pod refuses root and uses the runtime's default seccomp profile."""
    context = pod_spec(workload)["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_pods_use_no_host_namespaces_or_paths(workload: Doc) -> None:
    """No pod shares the node's network, PID or IPC namespace or mounts a host path."""
    spec = pod_spec(workload)
    assert not any(spec.get(key) for key in ("hostNetwork", "hostPID", "hostIPC"))
    assert not [v for v in spec.get("volumes", []) if "hostPath" in v]


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_containers_cannot_escalate(workload: Doc, container: dict[str, Any]) -> None:
    """Each container forbids privilege escalation, drops every capability and adds none."""
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context.get("privileged", False) is False
    assert context["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_containers_have_read_only_root(workload: Doc, container: dict[str, Any]) -> None:
    """Each container's root filesystem is read-only."""
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_containers_run_as_a_non_zero_uid(workload: Doc, container: dict[str, Any]) -> None:
    """Each container's effective uid is set and is not root."""
    assert _effective(workload, container, "runAsNonRoot") is True
    assert _effective(workload, container, "runAsUser") not in (None, 0)
    assert _effective(workload, container, "seccompProfile") == {"type": "RuntimeDefault"}


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_containers_request_and_limit_resources(workload: Doc, container: dict[str, Any]) -> None:
    """Each container requests CPU and memory and has CPU and memory limits."""
    resources = container["resources"]
    assert set(resources["requests"]) == {"cpu", "memory"}
    assert set(resources["limits"]) == {"cpu", "memory"}


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_container_images_are_pinned(workload: Doc, container: dict[str, Any]) -> None:
    """Each image names a tag, and never ``latest``."""
    _, _, tag = container["image"].rpartition(":")
    assert tag
    assert "/" not in tag
    assert tag != "latest"


@pytest.mark.parametrize(("workload", "container"), CONTAINERS, ids=CONTAINER_IDS)
def test_mounts_are_scratch_or_claims(workload: Doc, container: dict[str, Any]) -> None:
    """Every mounted volume is a size-limited emptyDir or a claim from volumeClaimTemplates."""
    volumes = {v["name"]: v for v in pod_spec(workload).get("volumes", [])}
    claims = {t["metadata"]["name"] for t in workload.body["spec"].get("volumeClaimTemplates", [])}
    for mount in container.get("volumeMounts", []):
        name = mount["name"]
        assert name in claims or "sizeLimit" in volumes[name]["emptyDir"], name


@pytest.mark.parametrize("workload", WORKLOADS, ids=WORKLOAD_IDS)
def test_selector_matches_own_pods(workload: Doc) -> None:
    """Each workload's selector matches the labels of its own pod template."""
    assert selector_matches(workload.body["spec"]["selector"], pod_labels(workload))


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_image_is_the_project_release(workload: Doc) -> None:
    """The bot image is drift-bot's registry image tagged with the pyproject version."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert _bot_container(workload)["image"] == f"{BOT_IMAGE}:{project['version']}"


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_runs_as_the_image_user(workload: Doc) -> None:
    """The bot runs as uid/gid 10001, the user the Dockerfile creates."""
    container = _bot_container(workload)
    assert _effective(workload, container, "runAsUser") == BOT_UID
    assert _effective(workload, container, "runAsGroup") == BOT_UID


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_has_a_writable_tmp(workload: Doc) -> None:
    """The bot mounts an emptyDir at /tmp, its only writable path on a read-only root."""
    mounts = {m["mountPath"]: m["name"] for m in _bot_container(workload)["volumeMounts"]}
    volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_serves_on_the_settings_port(workload: Doc) -> None:
    """The bot's port named http is DRIFT_PORT's default, and DRIFT_PORT, if set, agrees."""
    container = _bot_container(workload)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": DRIFT_PORT}
    env = env_of(container)
    if "DRIFT_PORT" in env:
        assert env["DRIFT_PORT"]["value"] == str(DRIFT_PORT)


@pytest.mark.parametrize(
    ("probe", "path"),
    [
        pytest.param("livenessProbe", "/healthz", id="liveness"),
        pytest.param("readinessProbe", "/readyz", id="readiness"),
    ],
)
@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_probes_hit_health_endpoints(workload: Doc, probe: str, path: str) -> None:
    """Liveness asks /healthz and readiness /readyz, both on the named http port."""
    assert _bot_container(workload)[probe]["httpGet"] == {"path": path, "port": "http"}


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_runs_two_spread_replicas(workload: Doc) -> None:
    """Each bot Deployment runs two replicas spread over nodes by its own pod labels."""
    assert workload.body["spec"]["replicas"] == 2
    (spread,) = pod_spec(workload)["topologySpreadConstraints"]
    assert spread["topologyKey"] == "kubernetes.io/hostname"
    assert selector_matches(spread["labelSelector"], pod_labels(workload))


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_has_a_disruption_budget(workload: Doc) -> None:
    """Exactly one PodDisruptionBudget keeps at least one pod of each bot Deployment."""
    budgets = [
        pdb
        for pdb in of_kind(all_resources(), "PodDisruptionBudget")
        if selector_matches(pdb.body["spec"]["selector"], pod_labels(workload))
    ]
    assert [pdb.body["spec"]["minAvailable"] for pdb in budgets] == [1]


@pytest.mark.parametrize("workload", BOTS, ids=BOT_IDS)
def test_bot_is_reachable_through_a_service(workload: Doc) -> None:
    """A Service selects the bot pods and forwards DRIFT_PORT to the named http port."""
    services = [
        svc
        for svc in of_kind(all_resources(), "Service")
        if selector_matches({"matchLabels": svc.body["spec"]["selector"]}, pod_labels(workload))
    ]
    assert len(services) == 1
    assert services[0].body["spec"]["ports"] == [
        {"name": "http", "port": DRIFT_PORT, "targetPort": "http"}
    ]


def test_base_bot_serves_everything() -> None:
    """The base Deployment runs `serve` with no role, i.e. Slack, scheduler and API together."""
    container = _bot_container(one(resource_docs(BASE), "Deployment", "drift-bot"))
    assert container["args"] == ["serve"]


def test_redis_keeps_an_append_only_file_on_a_claim() -> None:
    """Redis runs with --appendonly yes and its --dir is a volumeClaimTemplates volume."""
    redis = one(resource_docs(BASE), "StatefulSet", "drift-bot-redis")
    (container,) = containers(redis)
    args = container["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    data_dir = args[args.index("--dir") + 1]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == data_dir]
    (claim,) = redis.body["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == mount["name"]
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"]["requests"]["storage"]


def test_redis_claim_template_is_written_in_full() -> None:
    """The claim template spells out apiVersion, kind and volumeMode, so Argo CD sees no drift."""
    (claim,) = one(resource_docs(BASE), "StatefulSet", "drift-bot-redis").body["spec"][
        "volumeClaimTemplates"
    ]
    assert claim["apiVersion"] == "v1"
    assert claim["kind"] == "PersistentVolumeClaim"
    assert claim["spec"]["volumeMode"] == "Filesystem"


def test_redis_password_comes_from_the_secret() -> None:
    """Redis's --requirepass is the kubelet-expanded REDIS_PASSWORD from the drift-bot Secret."""
    (container,) = containers(one(resource_docs(BASE), "StatefulSet", "drift-bot-redis"))
    args = container["args"]
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    assert env_of(container)["REDIS_PASSWORD"] == {
        "name": "REDIS_PASSWORD",
        "valueFrom": {"secretKeyRef": {"name": "drift-bot", "key": "REDIS_PASSWORD"}},
    }


def test_redis_has_no_api_token_and_a_headless_service() -> None:
    """Redis mounts no API token, and its serviceName is a headless Service selecting it."""
    redis = one(resource_docs(BASE), "StatefulSet", "drift-bot-redis")
    assert pod_spec(redis)["automountServiceAccountToken"] is False
    service = one(resource_docs(BASE), "Service", redis.body["spec"]["serviceName"])
    assert service.body["spec"]["clusterIP"] == "None"
    assert selector_matches({"matchLabels": service.body["spec"]["selector"]}, pod_labels(redis))
    (port,) = service.body["spec"]["ports"]
    (container_port,) = containers(redis)[0]["ports"]
    assert (port["port"], port["targetPort"]) == (6379, container_port["name"])
    assert container_port["containerPort"] == 6379


def test_service_links_are_off_for_every_pod() -> None:
    """No pod gets Docker-link variables, which could collide with settings env vars."""
    assert [pod_spec(doc).get("enableServiceLinks") for doc in WORKLOADS] == [False] * len(
        WORKLOADS
    )
