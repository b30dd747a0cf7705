"""Zombie safety: who still uses an object, what could not be checked, and the delete order.

The one-sided rule under test: "safe" only when every needed list was read and nothing but this
app's own safe leftovers uses the object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.core import references as refs
from bot.core import usage
from bot.core.model import KindRef, ResourceKey
from tests.core.conftest import K8s

NS = "infisical"
RBAC = "rbac.authorization.k8s.io"


def _pod(
    name: str, namespace: str = NS, *, owner: dict[str, Any] | None = None, **spec: Any
) -> dict[str, Any]:
    pod = K8s.obj("Pod", name, namespace, spec=spec)
    if owner:
        pod["metadata"]["ownerReferences"] = [owner]
    return pod


def _binding(
    kind: str, name: str, namespace: str = "", *, role: tuple[str, str], subjects: Any = ()
) -> dict[str, Any]:
    return K8s.obj(
        kind,
        name,
        namespace,
        group=RBAC,
        roleRef={"apiGroup": RBAC, "kind": role[0], "name": role[1]},
        subjects=list(subjects),
    )


def _ingress(
    name: str, namespace: str = NS, annotations: dict[str, str] | None = None, **spec: Any
) -> dict[str, Any]:
    return K8s.obj(
        "Ingress", name, namespace, group="networking.k8s.io", annotations=annotations, spec=spec
    )


def _users(
    key: ResourceKey,
    inventory: dict[KindRef, list[dict[str, Any]]],
    live: dict[str, Any] | None = None,
) -> list[str]:
    found = usage.find_users(key, live or {}, inventory)
    assert found.missing == ()
    return [str(u) for u in found.users]


INGRESS_CLASS = ResourceKey("networking.k8s.io", "IngressClass", "", "nginx")


@pytest.mark.parametrize(
    ("ingress", "via"),
    [
        pytest.param(
            _ingress("web", ingressClassName="nginx"), "spec.ingressClassName", id="class_name"
        ),
        pytest.param(
            _ingress("web", annotations={"kubernetes.io/ingress.class": "nginx"}),
            "kubernetes.io/ingress.class annotation",
            id="legacy_annotation",
        ),
    ],
)
def test_ingress_class_users(ingress: dict[str, Any], via: str) -> None:
    """An IngressClass is used by Ingresses naming it in the field or the legacy annotation."""
    assert _users(INGRESS_CLASS, {refs.INGRESSES: [ingress]}) == [f"Ingress {NS}/web ({via})"]


def test_ingress_class_unused_when_ingresses_use_another() -> None:
    """The seed's nginx class: every Ingress uses traefik, so nothing uses it."""
    inventory = {refs.INGRESSES: [_ingress("a", ingressClassName="traefik"), _ingress("b")]}
    assert _users(INGRESS_CLASS, inventory) == []


def test_default_ingress_class_is_used_by_classless_ingresses() -> None:
    """A default IngressClass serves Ingresses that name no class at all."""
    live = K8s.obj(
        "IngressClass",
        "nginx",
        group="networking.k8s.io",
        annotations={"ingressclass.kubernetes.io/is-default-class": "true"},
    )
    assert _users(INGRESS_CLASS, {refs.INGRESSES: [_ingress("bare")]}, live) == [
        f"Ingress {NS}/bare (no class set, and this is the default IngressClass)"
    ]


def test_role_users_are_rolebindings_in_its_namespace() -> None:
    """A Role is used by RoleBindings in its own namespace that reference it."""
    role = ResourceKey(RBAC, "Role", NS, "ingress-nginx")
    inventory = {
        refs.ROLE_BINDINGS: [
            _binding("RoleBinding", "rb", NS, role=("Role", "ingress-nginx")),
            _binding("RoleBinding", "elsewhere", "other", role=("Role", "ingress-nginx")),
            _binding("RoleBinding", "cluster", NS, role=("ClusterRole", "ingress-nginx")),
        ]
    }
    assert _users(role, inventory) == [f"RoleBinding {NS}/rb (roleRef)"]


def test_cluster_role_users_are_bindings_anywhere() -> None:
    """A ClusterRole is used by RoleBindings in any namespace and ClusterRoleBindings."""
    role = ResourceKey(RBAC, "ClusterRole", "", "view-all")
    inventory = {
        refs.ROLE_BINDINGS: [
            _binding("RoleBinding", "rb", "team", role=("ClusterRole", "view-all"))
        ],
        refs.CLUSTER_ROLE_BINDINGS: [
            _binding("ClusterRoleBinding", "crb", role=("ClusterRole", "view-all"))
        ],
    }
    assert _users(role, inventory) == [
        "RoleBinding team/rb (roleRef)",
        "ClusterRoleBinding crb (roleRef)",
    ]


def test_service_account_users() -> None:
    """A ServiceAccount is used by pods running as it and by bindings naming it as subject."""
    sa = ResourceKey("", "ServiceAccount", NS, "redis")
    subject = {"kind": "ServiceAccount", "name": "redis", "namespace": NS}
    inventory = {
        refs.PODS: [
            _pod("infisical-redis-master-0", serviceAccountName="redis"),
            _pod("legacy", serviceAccount="redis"),
            _pod("other-ns", "default", serviceAccountName="redis"),
        ],
        refs.ROLE_BINDINGS: [
            _binding("RoleBinding", "rb", NS, role=("Role", "r"), subjects=[subject])
        ],
        refs.CLUSTER_ROLE_BINDINGS: [
            _binding(
                "ClusterRoleBinding",
                "crb",
                role=("ClusterRole", "r"),
                subjects=[{**subject, "namespace": "x"}],
            )
        ],
    }
    assert _users(sa, inventory) == [
        f"Pod {NS}/infisical-redis-master-0 (serviceAccountName)",
        f"Pod {NS}/legacy (serviceAccountName)",
        f"RoleBinding {NS}/rb (subjects)",
    ]


_FULL_POD = _pod(
    "app",
    imagePullSecrets=[{"name": "pull"}],
    priorityClassName="high",
    volumes=[
        {"name": "cfg", "configMap": {"name": "cm-volume"}},
        {"name": "tls", "secret": {"secretName": "secret-volume"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}},
        {
            "name": "all",
            "projected": {
                "sources": [
                    {"configMap": {"name": "cm-projected"}},
                    {"secret": {"name": "secret-projected"}},
                ]
            },
        },
        {"name": "tmp", "emptyDir": {}},
    ],
    initContainers=[
        {
            "name": "init",
            "envFrom": [
                {"configMapRef": {"name": "cm-envfrom"}},
                {"secretRef": {"name": "secret-envfrom"}},
            ],
        }
    ],
    containers=[
        {
            "name": "main",
            "env": [
                {"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cm-env", "key": "a"}}},
                {"name": "B", "valueFrom": {"secretKeyRef": {"name": "secret-env", "key": "b"}}},
                {"name": "C", "value": "plain"},
            ],
        }
    ],
)


@pytest.mark.parametrize(
    ("kind", "name", "via"),
    [
        pytest.param("ConfigMap", "cm-volume", "volume cfg", id="configmap_volume"),
        pytest.param("ConfigMap", "cm-projected", "projected volume all", id="configmap_projected"),
        pytest.param(
            "ConfigMap", "cm-envfrom", "envFrom of container init", id="configmap_envfrom"
        ),
        pytest.param("ConfigMap", "cm-env", "env of container main", id="configmap_env"),
        pytest.param("Secret", "secret-volume", "volume tls", id="secret_volume"),
        pytest.param("Secret", "secret-projected", "projected volume all", id="secret_projected"),
        pytest.param("Secret", "secret-envfrom", "envFrom of container init", id="secret_envfrom"),
        pytest.param("Secret", "secret-env", "env of container main", id="secret_env"),
        pytest.param("Secret", "pull", "imagePullSecrets", id="secret_image_pull"),
        pytest.param("PersistentVolumeClaim", "data", "volume data", id="pvc_volume"),
    ],
)
def test_pod_references(kind: str, name: str, via: str) -> None:
    """ConfigMaps, Secrets and PVCs are found through every way a pod spec names them."""
    key = ResourceKey("", kind, NS, name)
    inventory: dict[KindRef, list[dict[str, Any]]] = {
        refs.PODS: [_FULL_POD],
        refs.INGRESSES: [],
    }
    assert _users(key, inventory) == [f"Pod {NS}/app ({via})"]


def test_priority_class_users_are_pods_anywhere() -> None:
    """A PriorityClass is used by pods in any namespace."""
    key = ResourceKey("scheduling.k8s.io", "PriorityClass", "", "high")
    assert _users(key, {refs.PODS: [_FULL_POD]}) == [f"Pod {NS}/app (priorityClassName)"]


def test_pod_in_another_namespace_does_not_use_a_configmap() -> None:
    """Namespaced references only count inside the same namespace."""
    key = ResourceKey("", "ConfigMap", "elsewhere", "cm-volume")
    assert _users(key, {refs.PODS: [_FULL_POD]}) == []


def test_secret_used_by_ingress_tls() -> None:
    """A Secret named in an Ingress's TLS section is in use."""
    key = ResourceKey("", "Secret", NS, "cert")
    inventory = {
        refs.PODS: [],
        refs.INGRESSES: [
            _ingress("web", tls=[{"secretName": "cert"}]),
            _ingress("x", tls=[{}]),
        ],
    }
    assert _users(key, inventory) == [f"Ingress {NS}/web (spec.tls)"]


def test_service_users() -> None:
    """A Service is used by Ingress backends, APIServices and webhook client configs."""
    key = ResourceKey("", "Service", NS, "api")
    service_ref = {"name": "api", "namespace": NS}
    inventory = {
        refs.INGRESSES: [
            _ingress(
                "rules", rules=[{"http": {"paths": [{"backend": {"service": {"name": "api"}}}]}}]
            ),
            _ingress("default", defaultBackend={"service": {"name": "api"}}),
            _ingress("legacy", backend={"serviceName": "api"}),
            _ingress("other", rules=[{"host": "x"}]),
            _ingress("other-ns", "default", defaultBackend={"service": {"name": "api"}}),
        ],
        refs.API_SERVICES: [
            K8s.obj("APIService", "v1.other", group="apiregistration.k8s.io", spec={}),
            K8s.obj(
                "APIService",
                "v1.metrics",
                group="apiregistration.k8s.io",
                spec={"service": service_ref},
            ),
        ],
        refs.VALIDATING_WEBHOOKS: [
            K8s.obj(
                "ValidatingWebhookConfiguration",
                "vwc",
                webhooks=[{"name": "check", "clientConfig": {"service": service_ref}}],
            )
        ],
        refs.MUTATING_WEBHOOKS: [
            K8s.obj(
                "MutatingWebhookConfiguration",
                "mwc",
                webhooks=[{"name": "m", "clientConfig": {"url": "https://x"}}],
            )
        ],
    }
    assert _users(key, inventory) == [
        f"Ingress {NS}/rules (backend)",
        f"Ingress {NS}/default (backend)",
        f"Ingress {NS}/legacy (backend)",
        "APIService v1.metrics (spec.service)",
        "ValidatingWebhookConfiguration vwc (webhook check)",
    ]


@pytest.mark.parametrize(
    ("kind", "spec_field"),
    [
        pytest.param("StorageClass", "storageClassName", id="storage_class"),
        pytest.param("PersistentVolume", "volumeName", id="persistent_volume"),
    ],
)
def test_claims_use_storage_classes_and_volumes(kind: str, spec_field: str) -> None:
    """PVCs use the StorageClass and PersistentVolume they name."""
    group = "storage.k8s.io" if kind == "StorageClass" else ""
    key = ResourceKey(group, kind, "", "fast")
    pvc = K8s.obj("PersistentVolumeClaim", "data", NS, spec={spec_field: "fast"})
    assert _users(key, {refs.PVCS: [pvc]}) == [
        f"PersistentVolumeClaim {NS}/data (spec.{spec_field})"
    ]


def test_namespace_is_used_by_pods_and_claims_in_it() -> None:
    """A Namespace with pods or PVCs in it is not empty, so deleting it would delete them."""
    key = ResourceKey("", "Namespace", "", NS)
    inventory = {
        refs.PODS: [_pod("a"), _pod("b", "other")],
        refs.PVCS: [
            K8s.obj("PersistentVolumeClaim", "data", NS),
            K8s.obj("PersistentVolumeClaim", "x", "other"),
        ],
    }
    assert _users(key, inventory) == [
        f"Pod {NS}/a (runs in it)",
        f"PersistentVolumeClaim {NS}/data (stored in it)",
    ]


_CRD = K8s.obj(
    "CustomResourceDefinition",
    "widgets.example.com",
    group="apiextensions.k8s.io",
    spec={
        "group": "example.com",
        "names": {"kind": "Widget", "plural": "widgets"},
        "scope": "Namespaced",
        "versions": [{"name": "v1beta1", "storage": False}, {"name": "v1", "storage": True}],
    },
)
_CRD_KEY = ResourceKey(
    "apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.example.com"
)
_WIDGETS = KindRef("example.com", "v1", "Widget", "widgets", True)


def test_crd_lookup_is_its_custom_resources() -> None:
    """A CRD's users are its custom resources, listed at the storage version."""
    assert usage.lookups_for(_CRD_KEY, _CRD) == {_WIDGETS}
    found = usage.find_users(
        _CRD_KEY, _CRD, {_WIDGETS: [K8s.obj("Widget", "w", "team", group="example.com")]}
    )
    assert [str(u) for u in found.users] == ["Widget team/w (instance)"]


def test_crd_without_names_cannot_be_verified() -> None:
    """A CRD whose live spec does not say what it serves is never called safe."""
    broken = K8s.obj(
        "CustomResourceDefinition", "x.example.com", group="apiextensions.k8s.io", spec={}
    )
    assert usage.lookups_for(_CRD_KEY, broken) == frozenset()
    verdicts = usage.assess({_CRD_KEY: broken}, {})
    assert not verdicts[_CRD_KEY].safe
    assert "does not say which resources it serves" in verdicts[_CRD_KEY].blockers[0]


def test_crd_instances_missing_from_inventory() -> None:
    """When listing a CRD's instances failed, the CRD is not safe."""
    verdict = usage.assess({_CRD_KEY: _CRD}, {})[_CRD_KEY]
    assert not verdict.safe
    assert verdict.blockers == ("could not verify: listing widgets failed",)


def test_cluster_scoped_crd_is_listed_without_namespace() -> None:
    """A cluster-scoped CRD's instances are a cluster-scoped list; no versions means unknown."""
    spec = {**_CRD["spec"], "scope": "Cluster", "versions": [{"name": "v1"}]}
    served = refs.crd_served_kind({"spec": spec})
    assert served == KindRef("example.com", "v1", "Widget", "widgets", False)
    assert refs.crd_served_kind({"spec": {**spec, "versions": []}}) is None


@pytest.mark.parametrize(
    ("key", "lookups"),
    [
        pytest.param(INGRESS_CLASS, {refs.INGRESSES}, id="ingress_class"),
        pytest.param(ResourceKey(RBAC, "Role", NS, "r"), {refs.ROLE_BINDINGS}, id="role"),
        pytest.param(
            ResourceKey("", "ServiceAccount", NS, "sa"),
            {refs.PODS, refs.ROLE_BINDINGS, refs.CLUSTER_ROLE_BINDINGS},
            id="service_account",
        ),
        pytest.param(
            ResourceKey("", "Service", NS, "s"),
            {
                refs.INGRESSES,
                refs.API_SERVICES,
                refs.VALIDATING_WEBHOOKS,
                refs.MUTATING_WEBHOOKS,
            },
            id="service",
        ),
        pytest.param(ResourceKey("", "Namespace", "", NS), {refs.PODS, refs.PVCS}, id="namespace"),
        pytest.param(
            ResourceKey("apps", "Deployment", NS, "d"), set(), id="deployment_has_no_users"
        ),
        pytest.param(
            ResourceKey("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", "", "v"),
            set(),
            id="webhook_configuration_has_no_users",
        ),
    ],
)
def test_lookups_for(key: ResourceKey, lookups: set[KindRef]) -> None:
    """Each kind asks for exactly the lists that can hold its users."""
    assert usage.lookups_for(key, None) == lookups


# --- assess: safety over all zombies of an app -------------------------------------------------

SA_REDIS = ResourceKey("", "ServiceAccount", NS, "redis")
SA_NGINX = ResourceKey("", "ServiceAccount", NS, "infisical-ingress-nginx")
ROLE = ResourceKey(RBAC, "Role", NS, "infisical-ingress-nginx")
ROLE_BINDING = ResourceKey(RBAC, "RoleBinding", NS, "infisical-ingress-nginx")
CLUSTER_ROLE = ResourceKey(RBAC, "ClusterRole", "", "infisical-ingress-nginx")
CLUSTER_ROLE_BINDING = ResourceKey(RBAC, "ClusterRoleBinding", "", "infisical-ingress-nginx")
WEBHOOK = ResourceKey(
    "admissionregistration.k8s.io",
    "ValidatingWebhookConfiguration",
    "",
    "infisical-ingress-nginx-admission",
)
CM = ResourceKey("", "ConfigMap", NS, "infisical-ingress-nginx-controller")


def _seed_inventory() -> dict[KindRef, list[dict[str, Any]]]:
    subject = [{"kind": "ServiceAccount", "name": "infisical-ingress-nginx", "namespace": NS}]
    return {
        refs.PODS: [_pod("infisical-redis-master-0", serviceAccountName="redis")],
        refs.ROLE_BINDINGS: [
            _binding(
                "RoleBinding", ROLE_BINDING.name, NS, role=("Role", ROLE.name), subjects=subject
            )
        ],
        refs.CLUSTER_ROLE_BINDINGS: [
            _binding(
                "ClusterRoleBinding",
                CLUSTER_ROLE_BINDING.name,
                role=("ClusterRole", CLUSTER_ROLE.name),
                subjects=subject,
            )
        ],
        refs.INGRESSES: [_ingress("infisical", ingressClassName="traefik")],
    }


def _seed_zombies() -> dict[ResourceKey, dict[str, Any] | None]:
    keys = [
        SA_REDIS,
        SA_NGINX,
        ROLE,
        ROLE_BINDING,
        CLUSTER_ROLE,
        CLUSTER_ROLE_BINDING,
        WEBHOOK,
        CM,
        INGRESS_CLASS,
    ]
    return {k: K8s.obj(k.kind, k.name, k.namespace, group=k.group) for k in keys}


def test_users_found_means_not_safe() -> None:
    """The seed's redis ServiceAccount is run by a live pod: not safe, with the pod named."""
    verdict = usage.assess(_seed_zombies(), _seed_inventory())[SA_REDIS]
    assert not verdict.safe
    assert verdict.users == (f"Pod {NS}/infisical-redis-master-0 (serviceAccountName)",)
    assert verdict.blockers == (
        f"still used by Pod {NS}/infisical-redis-master-0 (serviceAccountName)",
    )
    assert verdict.step == 0


def test_users_that_are_same_app_zombies_do_not_block() -> None:
    """Roles and ServiceAccounts used only by this app's own zombie bindings are safe."""
    verdicts = usage.assess(_seed_zombies(), _seed_inventory())
    for key in (
        SA_NGINX,
        ROLE,
        CLUSTER_ROLE,
        CLUSTER_ROLE_BINDING,
        ROLE_BINDING,
        WEBHOOK,
        CM,
        INGRESS_CLASS,
    ):
        assert verdicts[key].safe, key
    assert verdicts[ROLE].first == (ROLE_BINDING,)
    assert set(verdicts[SA_NGINX].first) == {ROLE_BINDING, CLUSTER_ROLE_BINDING}


def test_delete_order_puts_users_and_webhooks_first() -> None:
    """Steps follow the seed: webhook first, bindings before roles, cluster-scoped last."""
    verdicts = usage.assess(_seed_zombies(), _seed_inventory())
    order = sorted((v.step, k) for k, v in verdicts.items() if v.safe)
    assert [k.kind for _, k in order] == [
        "ValidatingWebhookConfiguration",
        "RoleBinding",
        "ClusterRoleBinding",
        "Role",
        "ConfigMap",
        "ServiceAccount",
        "ClusterRole",
        "IngressClass",
    ]
    assert {v.total for v in verdicts.values() if v.safe} == {8}


def test_lookup_missing_means_not_safe() -> None:
    """When a needed list could not be read, the answer is never "safe"."""
    inventory = _seed_inventory()
    del inventory[refs.INGRESSES]
    verdict = usage.assess(_seed_zombies(), inventory)[INGRESS_CLASS]
    assert not verdict.safe
    assert verdict.blockers == ("could not verify: listing ingresses failed",)
    assert verdict.checked == (refs.INGRESSES,)


def test_zombie_user_that_is_itself_unsafe_blocks() -> None:
    """A zombie used by another zombie that cannot be deleted is not safe either."""
    pvc = ResourceKey("", "PersistentVolumeClaim", NS, "data")
    storage = ResourceKey("storage.k8s.io", "StorageClass", "", "fast")
    inventory = {
        refs.PVCS: [
            K8s.obj("PersistentVolumeClaim", "data", NS, spec={"storageClassName": "fast"})
        ],
        refs.PODS: [
            _pod("db", volumes=[{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}])
        ],
    }
    verdicts = usage.assess({pvc: None, storage: None}, inventory)
    assert not verdicts[pvc].safe
    assert not verdicts[storage].safe
    assert verdicts[storage].blockers == (
        f"used by PersistentVolumeClaim {NS}/data (spec.storageClassName),"
        " a leftover of this app that is not safe to delete",
    )


def test_missing_lookup_is_the_only_blocker_when_zombie_users_are_safe() -> None:
    """An unverifiable zombie lists what could not be read, not its safe zombie users."""
    subject = [{"kind": "ServiceAccount", "name": SA_NGINX.name, "namespace": NS}]
    binding = _binding("RoleBinding", ROLE_BINDING.name, NS, role=("Role", "r"), subjects=subject)
    inventory = {refs.ROLE_BINDINGS: [binding], refs.CLUSTER_ROLE_BINDINGS: []}
    verdicts = usage.assess({SA_NGINX: None, ROLE_BINDING: None}, inventory)
    assert verdicts[ROLE_BINDING].safe
    assert verdicts[SA_NGINX].blockers == ("could not verify: listing pods failed",)
    assert verdicts[SA_NGINX].users == ()


def test_cycles_are_not_safe() -> None:
    """Two zombies using each other have no delete order, so neither is safe."""
    sa = ResourceKey("", "ServiceAccount", NS, "a")
    cm = ResourceKey("", "ConfigMap", NS, "a")
    pod_as_cm_user = _pod(
        "p",
        owner={"apiVersion": "v1", "kind": "ServiceAccount", "name": "a"},
        serviceAccountName="a",
    )
    pod_as_cm_user["spec"]["volumes"] = [{"name": "v", "configMap": {"name": "a"}}]
    pod_cm = _pod(
        "q", owner={"apiVersion": "v1", "kind": "ConfigMap", "name": "a"}, serviceAccountName="a"
    )
    inventory = {
        refs.PODS: [pod_as_cm_user, pod_cm],
        refs.ROLE_BINDINGS: [],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    verdicts = usage.assess({sa: None, cm: None}, inventory)
    assert not verdicts[sa].safe
    assert not verdicts[cm].safe


def test_pod_of_a_zombie_deployment_counts_as_that_deployment() -> None:
    """Pods owned (through their ReplicaSet) by a zombie Deployment of the app don't block."""
    deploy = ResourceKey("apps", "Deployment", NS, "ingress-nginx")
    sa = ResourceKey("", "ServiceAccount", NS, "ingress-nginx")
    pod = _pod(
        "ingress-nginx-6b4c4dfbd9-ghl9c",
        owner={"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "ingress-nginx-6b4c4dfbd9"},
        serviceAccountName="ingress-nginx",
    )
    pod["metadata"]["labels"] = {"pod-template-hash": "6b4c4dfbd9"}
    inventory = {
        refs.PODS: [pod],
        refs.ROLE_BINDINGS: [],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    verdicts = usage.assess({deploy: None, sa: None}, inventory)
    assert verdicts[sa].safe
    assert verdicts[sa].first == (deploy,)
    assert (verdicts[deploy].step, verdicts[sa].step) == (1, 2)


def test_pod_of_a_live_statefulset_still_blocks() -> None:
    """A pod owned by a workload that is not a zombie keeps its ServiceAccount in use."""
    sa = ResourceKey("", "ServiceAccount", NS, "redis")
    pod = _pod(
        "redis-0",
        owner={"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "redis"},
        serviceAccountName="redis",
    )
    inventory = {
        refs.PODS: [pod],
        refs.ROLE_BINDINGS: [],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    assert not usage.assess({sa: None}, inventory)[sa].safe


def test_kinds_nobody_uses_are_safe_without_lookups() -> None:
    """A Deployment has no users to find, so with nothing to list it is safe."""
    deploy = ResourceKey("apps", "Deployment", NS, "d")
    verdict = usage.assess({deploy: None}, {})[deploy]
    assert verdict.safe
    assert (verdict.step, verdict.total, verdict.checked) == (1, 1, ())


@pytest.mark.parametrize(
    ("kind", "namespace", "phase"),
    [
        pytest.param("MutatingWebhookConfiguration", "", 0, id="webhook"),
        pytest.param("Widget", "team", 5, id="other_namespaced"),
        pytest.param("Widget", "", 8, id="other_cluster_scoped"),
        pytest.param("Namespace", "", 10, id="namespace_last"),
    ],
)
def test_phase(kind: str, namespace: str, phase: int) -> None:
    """Kinds are phased: webhooks first, namespaced before cluster-scoped, Namespaces last."""
    assert usage.phase(ResourceKey("", kind, namespace, "x")) == phase


def test_delete_order_breaks_cycles_by_phase() -> None:
    """If users form a cycle, the order still lists everything, by phase."""
    a = ResourceKey("", "ConfigMap", NS, "a")
    b = ResourceKey(RBAC, "RoleBinding", NS, "b")
    assert usage.delete_order({a: [b], b: [a]}) == [b, a]


# --- the index: each list is walked once per app, however many zombies -------------------------


class _CountingList(list[dict[str, Any]]):
    """A listed inventory entry that counts how often it is walked."""

    walks = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.walks += 1
        return super().__iter__()


def test_each_list_is_walked_once_however_many_zombies() -> None:
    """Two hundred zombies of four kinds sharing the pod and binding lists walk each list once."""
    pods = _CountingList(_pod(f"p{i}", serviceAccountName=f"sa{i}") for i in range(50))
    bindings = _CountingList(
        [_binding("RoleBinding", "rb", NS, role=("Role", "r0"), subjects=[_sa_subject("sa1")])]
    )
    cluster_bindings = _CountingList()
    zombies: dict[ResourceKey, dict[str, Any] | None] = {}
    for i in range(50):
        zombies[ResourceKey("", "ServiceAccount", NS, f"sa{i}")] = None
        zombies[ResourceKey("", "ConfigMap", NS, f"cm{i}")] = None
        zombies[ResourceKey(RBAC, "Role", NS, f"r{i}")] = None
        zombies[ResourceKey(RBAC, "ClusterRole", "", f"cr{i}")] = None
    inventory = {
        refs.PODS: pods,
        refs.ROLE_BINDINGS: bindings,
        refs.CLUSTER_ROLE_BINDINGS: cluster_bindings,
    }
    verdicts = usage.assess(zombies, inventory)
    assert (pods.walks, bindings.walks, cluster_bindings.walks) == (1, 1, 1)
    assert verdicts[ResourceKey("", "ServiceAccount", NS, "sa1")].users == (
        f"Pod {NS}/p1 (serviceAccountName)",
        f"RoleBinding {NS}/rb (subjects)",
    )
    assert verdicts[ResourceKey(RBAC, "Role", NS, "r0")].users == (
        f"RoleBinding {NS}/rb (roleRef)",
    )
    unsafe = {k for k, v in verdicts.items() if not v.safe}
    assert unsafe == {k for k in zombies if k.kind == "ServiceAccount"} | {
        ResourceKey(RBAC, "Role", NS, "r0")
    }


def test_crds_serving_the_same_kind_share_one_walk_of_its_instances() -> None:
    """Two leftover CRDs that serve the same kind both see its instances, listed and walked once."""
    other = ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "widgets.old")
    widgets = _CountingList([K8s.obj("Widget", "w", "team", group="example.com")])
    verdicts = usage.assess({_CRD_KEY: _CRD, other: _CRD}, {_WIDGETS: widgets})
    assert widgets.walks == 1
    assert verdicts[_CRD_KEY].users == verdicts[other].users == ("Widget team/w (instance)",)


def test_users_keep_list_then_walk_order_across_buckets() -> None:
    """A default IngressClass lists named and classless Ingresses in the order they were listed."""
    live = K8s.obj(
        "IngressClass",
        "nginx",
        group="networking.k8s.io",
        annotations={"ingressclass.kubernetes.io/is-default-class": "true"},
    )
    inventory = {
        refs.INGRESSES: [
            _ingress("bare"),
            _ingress("named", ingressClassName="nginx"),
            _ingress("bare-too"),
        ]
    }
    assert _users(INGRESS_CLASS, inventory, live) == [
        f"Ingress {NS}/bare (no class set, and this is the default IngressClass)",
        f"Ingress {NS}/named (spec.ingressClassName)",
        f"Ingress {NS}/bare-too (no class set, and this is the default IngressClass)",
    ]


def test_only_service_account_subjects_and_role_refs_count() -> None:
    """A User subject or a roleRef of another kind with the account's name does not use it."""
    sa = ResourceKey("", "ServiceAccount", NS, "redis")
    binding = _binding(
        "RoleBinding",
        "rb",
        NS,
        role=("ServiceAccount", "redis"),
        subjects=[{"kind": "User", "name": "redis", "namespace": NS}],
    )
    inventory = {
        refs.PODS: [],
        refs.ROLE_BINDINGS: [binding],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    assert _users(sa, inventory) == []


def test_a_name_of_the_wrong_type_names_nothing() -> None:
    """A list where a name belongs (malformed data) is no reference, and no crash."""
    sa = ResourceKey("", "ServiceAccount", NS, "redis")
    pod = _pod("p", serviceAccountName=["redis"])
    inventory = {
        refs.PODS: [pod],
        refs.ROLE_BINDINGS: [],
        refs.CLUSTER_ROLE_BINDINGS: [],
    }
    assert _users(sa, inventory) == []


def _sa_subject(name: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": NS}


@pytest.mark.parametrize(
    "item",
    [
        pytest.param("not-an-object", id="string_item"),
        pytest.param({"metadata": ["x"]}, id="metadata_list"),
        pytest.param({"metadata": {"name": "p"}, "spec": "x"}, id="spec_string"),
    ],
)
def test_a_malformed_list_counts_as_unread(item: object) -> None:
    """A list holding a malformed item cannot prove anything unused: never safe, no crash."""
    key = ResourceKey("", "ServiceAccount", "ns", "sa")
    verdicts = usage.assess({key: None}, {refs.PODS: [item], refs.ROLE_BINDINGS: []})  # type: ignore[list-item]
    assert verdicts[key].safe is False
    assert any("could not verify" in b for b in verdicts[key].blockers)
