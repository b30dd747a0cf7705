"""The simulator's server defaults against real API-server output (Argo CD's diff test data).

For every real config/live pair of a built-in kind, git's manifest is defaulted by the
simulator and compared with what the real API server stored: each field the server added must
be added with the same value (coverage), and nothing the server did not add may appear
(no invented defaults). Fields that are not defaults but bookkeeping or a controller's later
write are listed in `NOT_DEFAULTS` with who writes them.
``bench/sim_realdata.py`` prints the numbers.
"""

from __future__ import annotations

import re
from typing import Any, Final

import pytest

from bot.simulator.cluster.server_defaults import with_defaults
from tests.simulator.realdata import keyed_leaves, load

OLD: Final = (1, 10)
"""apps/v1beta1 StatefulSets, SA token secrets: the 2018 clusters of the legacy pairs."""

PAIRS: Final = (
    # (git, live, the server's version as the live object shows it)
    ("deployment-config.json", "deployment-live.json", OLD),
    ("elasticsearch-config.json", "elasticsearch-live.json", OLD),
    ("mutatingwebhookconfig-config.json", "mutatingwebhookconfig-live.json", (1, 16)),
    ("spinnaker-sa-config.json", "spinnaker-sa-live.json", OLD),
    ("endpoints-config.json", "endpoints-live.json", OLD),
    ("wordpress-config.json", "wordpress-live.json", OLD),
    ("grafana-clusterrole-config.json", "grafana-clusterrole-live.json", OLD),
    ("aggr-clusterrole-config.json", "aggr-clusterrole-live.json", OLD),
    # 2022: dual-stack fields but no internalTrafficPolicy yet
    ("smd-deploy-config.yaml", "smd-deploy-live.yaml", (1, 21)),
    ("smd-deploy2-config.yaml", "smd-deploy2-live.yaml", (1, 21)),
    ("smd-service-config.yaml", "smd-service-live.yaml", (1, 21)),
    ("smd-service-config.yaml", "smd-service-live-with-type.yaml", (1, 21)),
    ("ssd-service-config.yaml", "ssd-service-live.yaml", (1, 28)),
)

WRITTEN_LATER: Final[dict[str, dict[str, Any]]] = {
    # Someone changed the type after Argo CD applied; the server then defaulted for NodePort.
    "smd-service-live-with-type.yaml": {"type": "NodePort"},
}
"""Spec changes made after the apply (not defaults), replayed before defaulting git."""

ALLOCATED: Final = (r"^/spec/clusterIPs?(/|$)", r"/nodePort$")
"""Values the server allocates: present in both is enough, the number cannot match."""

NOT_DEFAULTS: Final = {
    r"^/metadata/(uid|resourceVersion|generation|creationTimestamp|selfLink)$": "API server",
    r"^/metadata/managedFields": "API server (field managers)",
    r"^/metadata/annotations/kubectl\.kubernetes\.io~1last-applied": "kubectl / Argo CD",
    r"^/metadata/annotations/kubectl.kubernetes.io/last-applied": "kubectl / Argo CD",
    r"^/metadata/annotations/deployment.kubernetes.io/revision$": "kube-controller-manager",
    r"^/status": "the kind's controller",
    r"^/spec/volumeClaimTemplates/[^/]+/status": "API server (embedded PVC status)",
    r"^/secrets/": "kube-controller-manager (token controller, Kubernetes < 1.24)",
    r"^/webhooks/[^/]+/clientConfig/caBundle$": "cert-manager cainjector",
    r"^/rules": "ClusterRole aggregation controller",
    r"/env/\[name=VAR2\]/": "a later manual edit (the 3-way merge keeps it, not a default)",
    r"/ports/\[containerPort=8080\]/": "a later manual edit (another field manager)",
    r"/resources/requests/": "a later manual edit (another field manager)",
}
"""Live-only fields that are not API-server defaults, and who writes them."""


def _writer(path: str) -> str | None:
    for pattern, writer in NOT_DEFAULTS.items():
        if re.search(pattern, path):
            return writer
    return None


def measure(
    config: str, live: str, version: tuple[int, int]
) -> tuple[set[str], set[str], set[str]]:
    """(server-added paths, those the simulator adds with the real value, invented paths)."""
    git, stored = load(config), load(live)
    in_git = dict(keyed_leaves(git))
    in_live = dict(keyed_leaves(stored))
    real = {p for p in in_live if p not in in_git and _writer(p) is None}
    if live in WRITTEN_LATER:
        git = {**git, "spec": {**git["spec"], **WRITTEN_LATER[live]}}
    namespace = str(stored["metadata"].get("namespace") or "default")
    simulated = dict(keyed_leaves(with_defaults(git, namespace=namespace, version=version)))
    added = {p for p in simulated if p not in in_git}
    covered = {p for p in real if p in simulated and _same(p, simulated[p], in_live[p])}
    invented = {p for p in added if p not in in_live and not _inside(p, in_live)}
    return real, covered, invented


def _same(path: str, simulated: Any, real: Any) -> bool:
    if any(re.search(pattern, path) for pattern in ALLOCATED):
        return type(simulated) is type(real)
    return bool(simulated == real)


def _inside(path: str, leaves: dict[str, Any]) -> bool:
    """An empty map the simulator wrote where live has the same map with content."""
    return any(p.startswith(path + "/") for p in leaves)


@pytest.mark.parametrize(("config", "live", "version"), PAIRS)
def test_simulated_defaults_match_the_real_server(
    config: str, live: str, version: tuple[int, int]
) -> None:
    real, covered, invented = measure(config, live, version)
    assert sorted(real - covered) == [], f"{live}: server defaults the simulator misses"
    assert sorted(invented) == [], f"{live}: defaults the real server did not write"


def coverage() -> tuple[int, int, int]:
    """(server-default fields in the real objects, covered by the simulator, invented by it)."""
    total = hit = extra = 0
    for config, live, version in PAIRS:
        real, covered, invented = measure(config, live, version)
        total, hit, extra = total + len(real), hit + len(covered), extra + len(invented)
    return total, hit, extra


def test_coverage_over_all_pairs() -> None:
    total, hit, extra = coverage()
    assert total > 60  # the pairs really exercise defaults
    assert (hit, extra) == (total, 0), f"covered {hit}/{total}, invented {extra}"
