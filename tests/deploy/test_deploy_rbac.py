"""The bot's Kubernetes permissions are read-only, never touch Secrets, and name what it reads.

DESIGN.md §7 promises a ClusterRole with ``get/list/watch`` only and no Secrets. The exact
list of (group, resource) pairs is pinned here, so every new permission is a deliberate,
reviewed change in two places.
"""

from __future__ import annotations

import pytest

from tests.deploy.deploy_support import (
    BASE,
    NAMESPACE,
    SPLIT,
    Doc,
    all_resources,
    bot_workloads,
    of_kind,
    one,
    pod_spec,
    resource_docs,
)

READ_VERBS = {"get", "list", "watch"}

# What the bot reads (ports.ClusterReader): Applications and CRDs for drift, pods and logs for
# stuck apps, and every kind a zombie's pre-delete check looks at for remaining users.
EXPECTED_READS = {
    ("argoproj.io", "applications"),
    ("argoproj.io", "rollouts"),
    ("apiextensions.k8s.io", "customresourcedefinitions"),
    *(
        ("", resource)
        for resource in (
            "pods",
            "pods/log",
            "namespaces",
            "services",
            "configmaps",
            "serviceaccounts",
            "persistentvolumeclaims",
            "events",
        )
    ),
    *(("apps", r) for r in ("deployments", "replicasets", "statefulsets", "daemonsets")),
    ("batch", "jobs"),
    ("networking.k8s.io", "ingresses"),
    ("networking.k8s.io", "ingressclasses"),
    *(
        ("rbac.authorization.k8s.io", r)
        for r in ("roles", "rolebindings", "clusterroles", "clusterrolebindings")
    ),
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    ("scheduling.k8s.io", "priorityclasses"),
    ("storage.k8s.io", "storageclasses"),
    ("apiregistration.k8s.io", "apiservices"),
}

ROLES = of_kind(all_resources(), "Role", "ClusterRole")
BINDINGS = of_kind(all_resources(), "RoleBinding", "ClusterRoleBinding")
RULES = [(role, index, rule) for role in ROLES for index, rule in enumerate(role.body["rules"])]
RULE_IDS = [f"{role.label}#rule{index}" for role, index, _ in RULES]


def _granted(role: Doc) -> set[tuple[str, str]]:
    return {
        (group, resource)
        for rule in role.body["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }


def test_there_is_exactly_one_role_and_one_binding() -> None:
    """Base and overlay together define one ClusterRole and one binding, nothing else."""
    assert [doc.kind for doc in ROLES] == ["ClusterRole"]
    assert [doc.kind for doc in BINDINGS] == ["ClusterRoleBinding"]


@pytest.mark.parametrize(("role", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_verbs_are_read_only(role: Doc, index: int, rule: dict[str, list[str]]) -> None:
    """Every RBAC rule grants only get, list and watch."""
    assert set(rule["verbs"]) <= READ_VERBS


@pytest.mark.parametrize(("role", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_has_no_wildcard(role: Doc, index: int, rule: dict[str, list[str]]) -> None:
    """No RBAC rule uses ``*`` in its verbs, groups or resources."""
    for field in ("verbs", "apiGroups", "resources"):
        assert all("*" not in item for item in rule[field]), field


@pytest.mark.parametrize(("role", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_never_names_secrets(role: Doc, index: int, rule: dict[str, list[str]]) -> None:
    """No RBAC rule mentions the ``secrets`` resource or a subresource of it."""
    assert not [r for r in rule["resources"] if r.split("/")[0] == "secrets"]


@pytest.mark.parametrize(("role", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_is_scoped_to_resources(role: Doc, index: int, rule: dict[str, list[str]]) -> None:
    """Rules use only apiGroups, resources and verbs: no nonResourceURLs or other keys."""
    assert set(rule) == {"apiGroups", "resources", "verbs"}


def test_cluster_role_grants_exactly_what_the_bot_reads() -> None:
    """The ClusterRole's (group, resource) pairs are exactly the documented read list."""
    (role,) = ROLES
    assert _granted(role) == EXPECTED_READS


def test_cluster_role_rules_grant_each_pair_once() -> None:
    """No (group, resource) pair appears in two rules, so the file reads unambiguously."""
    (role,) = ROLES
    pairs = [
        (group, resource)
        for rule in role.body["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    ]
    assert len(pairs) == len(set(pairs))


def test_binding_gives_the_role_to_the_bot_service_account_only() -> None:
    """The ClusterRoleBinding binds the read-only ClusterRole to the drift-bot account alone."""
    (binding,) = BINDINGS
    (role,) = ROLES
    assert binding.body["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": role.name,
    }
    assert binding.body["subjects"] == [
        {"kind": "ServiceAccount", "name": "drift-bot", "namespace": NAMESPACE}
    ]
    one(resource_docs(BASE), "ServiceAccount", "drift-bot")


def test_base_bot_pods_run_as_the_bound_account_with_its_token() -> None:
    """The base bot pods use the bound ServiceAccount and mount its token."""
    spec = pod_spec(one(resource_docs(BASE), "Deployment", "drift-bot"))
    assert spec["serviceAccountName"] == "drift-bot"
    assert spec["automountServiceAccountToken"] is True


def test_split_slack_account_is_bound_to_nothing() -> None:
    """In split mode the Slack ServiceAccount appears in no binding and mounts no token."""
    account = one(resource_docs(SPLIT), "ServiceAccount", "drift-bot-slack")
    subjects = [s["name"] for b in BINDINGS for s in b.body["subjects"]]
    assert account.name not in subjects
    assert account.body["automountServiceAccountToken"] is False


def test_split_slack_pods_have_no_cluster_credentials() -> None:
    """The split Slack pods run as the unbound account and do not mount a token."""
    spec = pod_spec(one(resource_docs(SPLIT), "Deployment", "drift-bot-slack"))
    assert spec["serviceAccountName"] == "drift-bot-slack"
    assert spec["automountServiceAccountToken"] is False


def test_only_the_bound_account_runs_with_a_token() -> None:
    """Every workload that mounts a service-account token runs as the bound drift-bot account."""
    mounting = [
        doc.label for doc in bot_workloads() if pod_spec(doc).get("automountServiceAccountToken")
    ]
    using_bound = [
        doc.label
        for doc in bot_workloads()
        if pod_spec(doc).get("serviceAccountName") == "drift-bot"
    ]
    assert mounting == using_bound
