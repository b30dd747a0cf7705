"""NetworkPolicies: Redis admits only the bot, and the bot reaches only what it needs.

Label selectors are evaluated here with Kubernetes semantics against the real pod labels of
the workloads, so a renamed label breaks a test instead of silently opening (or closing) a
path in the cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.settings import Settings
from tests.deploy.deploy_support import (
    BASE,
    SPLIT,
    WORKLOAD_KINDS,
    Doc,
    bot_workloads,
    of_kind,
    one,
    pod_labels,
    redis_statefulset,
    resource_docs,
    selector_matches,
)

DRIFT_PORT = Settings.model_fields["drift_port"].default
REDIS_PORT = 6379
TREES = [pytest.param(BASE, id="base"), pytest.param(SPLIT, id="split")]


def _policies(directory: Path) -> list[Doc]:
    return of_kind(resource_docs(directory), "NetworkPolicy")


def _selecting(directory: Path, labels: dict[str, str]) -> list[Doc]:
    return [
        p for p in _policies(directory) if selector_matches(p.body["spec"]["podSelector"], labels)
    ]


def _ports(rule: dict[str, Any]) -> set[tuple[str, int]]:
    return {(p["protocol"], p["port"]) for p in rule.get("ports", [])}


def _egress_to(policy: Doc, labels: dict[str, str]) -> set[tuple[str, int]]:
    """Ports a policy opens towards in-namespace pods with these labels."""
    opened: set[tuple[str, int]] = set()
    for rule in policy.body["spec"].get("egress", []):
        for peer in rule.get("to", []):
            if set(peer) == {"podSelector"} and selector_matches(peer["podSelector"], labels):
                opened |= _ports(rule)
    return opened


def _egress_to_namespace(policy: Doc, namespace: str) -> set[tuple[str, int]]:
    opened: set[tuple[str, int]] = set()
    for rule in policy.body["spec"].get("egress", []):
        for peer in rule.get("to", []):
            selector = peer.get("namespaceSelector", {})
            if selector_matches(selector, {"kubernetes.io/metadata.name": namespace}) and selector:
                opened |= _ports(rule)
    return opened


def _bots_in(directory: Path) -> list[Doc]:
    paths = {doc.path for doc in resource_docs(directory)}
    return [doc for doc in bot_workloads() if doc.path in paths]


@pytest.mark.parametrize("directory", TREES)
def test_every_pod_is_selected_by_exactly_one_policy(directory: Path) -> None:
    """Each workload's pods fall under exactly one NetworkPolicy, so nothing runs unfenced."""
    for workload in of_kind(resource_docs(directory), *WORKLOAD_KINDS):
        selecting = _selecting(directory, pod_labels(workload))
        assert len(selecting) == 1, workload.label
        assert set(selecting[0].body["spec"]["policyTypes"]) == {"Ingress", "Egress"}


@pytest.mark.parametrize("directory", TREES)
def test_redis_admits_only_bot_pods_on_its_port(directory: Path) -> None:
    """Redis ingress has pod-selector peers only, matching every bot workload and not Redis."""
    redis_labels = pod_labels(redis_statefulset())
    (policy,) = _selecting(directory, redis_labels)
    rules = policy.body["spec"]["ingress"]
    assert rules
    for rule in rules:
        assert _ports(rule) == {("TCP", REDIS_PORT)}
        for peer in rule["from"]:
            assert set(peer) == {"podSelector"}
            assert not selector_matches(peer["podSelector"], redis_labels)
    for bot in _bots_in(directory):
        admitted = [
            peer
            for rule in rules
            for peer in rule["from"]
            if selector_matches(peer["podSelector"], pod_labels(bot))
        ]
        assert admitted, bot.label


@pytest.mark.parametrize("directory", TREES)
def test_redis_calls_nobody(directory: Path) -> None:
    """Redis's policy declares Egress with no egress rule: it may open no connection."""
    (policy,) = _selecting(directory, pod_labels(redis_statefulset()))
    assert "egress" not in policy.body["spec"]


@pytest.mark.parametrize("directory", TREES)
def test_bots_reach_redis_and_dns(directory: Path) -> None:
    """Every bot workload may reach Redis on 6379 and cluster DNS on 53 over UDP and TCP."""
    redis_labels = pod_labels(redis_statefulset())
    for bot in _bots_in(directory):
        (policy,) = _selecting(directory, pod_labels(bot))
        assert ("TCP", REDIS_PORT) in _egress_to(policy, redis_labels)
        assert {("UDP", 53), ("TCP", 53)} <= _egress_to_namespace(policy, "kube-system")


@pytest.mark.parametrize("directory", TREES)
def test_bots_accept_only_their_http_port(directory: Path) -> None:
    """Every bot workload accepts connections on DRIFT_PORT and on nothing else."""
    for bot in _bots_in(directory):
        (policy,) = _selecting(directory, pod_labels(bot))
        opened = set().union(*(_ports(rule) for rule in policy.body["spec"]["ingress"]))
        assert opened == {("TCP", DRIFT_PORT)}


def test_classifier_reaches_argocd_and_the_api_server() -> None:
    """The pods holding cluster credentials may reach Argo CD's server pods and HTTPS."""
    bot = one(resource_docs(BASE), "Deployment", "drift-bot")
    (policy,) = _selecting(BASE, pod_labels(bot))
    assert ("TCP", 8080) in _egress_to_namespace(policy, "argocd")
    external = {
        port
        for rule in policy.body["spec"]["egress"]
        if any("ipBlock" in peer for peer in rule["to"])
        for port in _ports(rule)
    }
    assert external == {("TCP", 443), ("TCP", 6443)}


def test_split_slack_reaches_the_classifier_but_not_argocd() -> None:
    """Split Slack pods may call the classifier's port and have no path to Argo CD."""
    slack = one(resource_docs(SPLIT), "Deployment", "drift-bot-slack")
    classifier = one(resource_docs(BASE), "Deployment", "drift-bot")
    (policy,) = _selecting(SPLIT, pod_labels(slack))
    assert _egress_to(policy, pod_labels(classifier)) == {("TCP", DRIFT_PORT)}
    assert _egress_to_namespace(policy, "argocd") == set()
