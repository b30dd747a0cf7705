"""Golden fix texts: what a person pastes must be exactly right (YAML nesting, quoting, order)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import fixes, references, yaml_text
from bot.core.model import ABSENT, DiffOp, Evidence, FixKind, ResourceKey
from bot.core.usage import Verdict
from tests.core.conftest import K8s

ES = ResourceKey("external-secrets.io", "ExternalSecret", "paperclip", "paperclip-anthropic")


def test_pin_in_git_nests_lines_under_their_parents_like_the_seed() -> None:
    """The seed's ExternalSecret fix: four lines nested under target and the right data item."""
    live_view = {
        "spec": {
            "target": {"name": "paperclip-anthropic", "deletionPolicy": "Retain"},
            "data": [{"secretKey": "ANTHROPIC_API_KEY", "remoteRef": {"key": "ANTHROPIC_API_KEY"}}],
        }
    }
    evidence = [
        Evidence("/spec/target/deletionPolicy", DiffOp.ADDED, live="Retain"),
        Evidence("/spec/data/0/remoteRef/conversionStrategy", DiffOp.ADDED, live="Default"),
        Evidence("/spec/data/0/remoteRef/decodingStrategy", DiffOp.ADDED, live="None"),
        Evidence("/spec/data/0/remoteRef/metadataPolicy", DiffOp.ADDED, live="None"),
    ]
    fix = fixes.pin_in_git(ES, evidence, live_view)
    assert fix.kind is FixKind.PIN_IN_GIT
    assert fix.text == "\n".join(
        [
            "# Pin the server-side defaults in git: merge these lines into the ExternalSecret"
            " paperclip/paperclip-anthropic manifest.",
            "spec:",
            "  target:",
            "    deletionPolicy: Retain",
            "  data:",
            "    - secretKey: ANTHROPIC_API_KEY",
            "      remoteRef:",
            "        conversionStrategy: Default",
            "        decodingStrategy: None",
            "        metadataPolicy: None",
            "# Only if a controller you do not own keeps rewriting these fields, use an"
            " ignoreDifferences entry instead; pinning keeps real changes visible.",
        ]
    )


def test_yaml_renders_whole_values_and_list_leaves() -> None:
    """Added objects, lists of objects and scalar list items render as valid nested YAML."""
    entries = [
        (("spec", "strategy"), {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%"}}),
        (("spec", "tolerations"), [{"key": "gpu", "operator": "Exists"}, "plain", {}]),
        (("spec", "args", 1), "--verbose"),
        (("spec", "items", 0), {"a": 1, "b": [2]}),
        (("spec", "empty"), []),
    ]
    assert yaml_text.yaml_at_paths(entries, context={"spec": {"args": ["x", "y"]}}) == "\n".join(
        [
            "spec:",
            "  strategy:",
            "    type: RollingUpdate",
            "    rollingUpdate:",
            '      maxSurge: "25%"',
            "  tolerations:",
            "    - key: gpu",
            "      operator: Exists",
            "    - plain",
            "    - {}",
            "  args:",
            '    - "--verbose"',
            "  items:",
            "    - a: 1",
            "      b:",
            "        - 2",
            "  empty: []",
        ]
    )


def test_list_items_without_context_get_no_identity_line() -> None:
    """Without the object to read identities from, list items show only the paths' values."""
    text = yaml_text.yaml_at_paths([(("spec", "containers", 0, "image"), "nginx:1.25")])
    assert text == 'spec:\n  containers:\n    - image: "nginx:1.25"'


def test_drop_from_git_marks_the_line_and_gives_the_seed_sed() -> None:
    """The seed's ``prune: false``: the line in place, marked, and the sed one-liner."""
    key = ResourceKey("argoproj.io", "Application", "argocd", "gitea")
    git_view = {"spec": {"syncPolicy": {"automated": {"prune": False, "selfHeal": True}}}}
    evidence = [Evidence("/spec/syncPolicy/automated/prune", DiffOp.REMOVED, git=False)]
    fix = fixes.drop_from_git(key, evidence, git_view)
    assert fix.kind is FixKind.DROP_FROM_GIT
    assert fix.text == "\n".join(
        [
            "# Delete these lines from the Application argocd/gitea manifest in git: Argo CD strips"
            " the zero value from the live object, so git can never match.",
            "spec:",
            "  syncPolicy:",
            "    automated:",
            "      prune: false  # <-- delete this line",
            "# The same edit across every file that renders it (adjust the glob):",
            "for f in path/to/templates/*.yaml; do sed -i '/^      prune: false$/d' \"$f\"; done",
        ]
    )


def test_drop_from_git_inside_a_list_item_shows_the_item_and_no_sed() -> None:
    """``group: ""`` of an ignoreDifferences entry is shown in its item; no sed for list items."""
    key = ResourceKey("argoproj.io", "Application", "argocd", "victoria-metrics")
    git_view = {"spec": {"ignoreDifferences": [{"group": "", "kind": "Service"}]}}
    evidence = [Evidence("/spec/ignoreDifferences/0/group", DiffOp.REMOVED, git="")]
    text = fixes.drop_from_git(key, evidence, git_view).text
    assert text.splitlines()[1:] == [
        "spec:",
        "  ignoreDifferences:",
        '    - group: ""  # <-- delete this line',
    ]


def test_drop_of_a_removed_list_item_marks_its_dash_line() -> None:
    """A whole empty item removed from a list is marked on its ``- `` line."""
    key = ResourceKey("", "ConfigMap", "demo", "x")
    evidence = [Evidence("/spec/list/1", DiffOp.REMOVED, git={})]
    text = fixes.drop_from_git(key, evidence, {"spec": {"list": ["a", {}]}}).text
    assert text.splitlines()[1:] == ["spec:", "  list:", "    - {}  # <-- delete this line"]


def test_sed_escapes_regex_characters() -> None:
    """Characters special to sed's regex are escaped in the one-liner."""
    key = ResourceKey("", "ConfigMap", "demo", "x")
    evidence = [Evidence("/data/a.b", DiffOp.REMOVED, git=[])]
    assert "sed -i '/^  a\\.b: \\[\\]$/d'" in fixes.drop_from_git(key, evidence, {}).text


def test_annotate_namespaced_and_crd() -> None:
    """Namespaced objects get ``-n``; only CRDs get the metadata ignoreDifferences block."""
    sa = ResourceKey("", "ServiceAccount", "gitea", "runner")
    assert fixes.annotate("gitea:/ServiceAccount:gitea/runner", sa).text == "\n".join(
        [
            "# Adopt it: give it the tracking id Argo CD expects.",
            'kubectl annotate -n gitea serviceaccount runner "argocd.argoproj.io/tracking-id='
            'gitea:/ServiceAccount:gitea/runner" --overwrite',
        ]
    )
    crd = ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "tasks.tekton.dev")
    text = fixes.annotate(
        "t:apiextensions.k8s.io/CustomResourceDefinition:/tasks.tekton.dev", crd
    ).text
    assert text.splitlines()[3:] == [
        "ignoreDifferences:",
        "  - group: apiextensions.k8s.io",
        "    kind: CustomResourceDefinition",
        "    jsonPointers:",
        "      - /metadata/labels",
        "      - /metadata/annotations",
        "      - /spec/preserveUnknownFields",
    ]


APP = K8s.app("infisical", dest="infisical")


def test_safe_delete_has_check_dump_order_and_undo() -> None:
    """A safe zombie's fix: verify, dump, delete in order, and how to undo."""
    key = ResourceKey("networking.k8s.io", "IngressClass", "", "nginx")
    verdict = Verdict(safe=True, step=6, total=11, checked=(references.INGRESSES,))
    fix = fixes.delete_zombie(APP, key, verdict, {})
    assert fix.kind is FixKind.DELETE
    assert fix.text == "\n".join(
        [
            "# 1. Verify nothing uses it (empty output = safe):",
            "kubectl get ingress -A -o json | jq -r '.items[] |"
            ' select(.spec.ingressClassName=="nginx"'
            ' or .metadata.annotations["kubernetes.io/ingress.class"]=="nginx") |'
            ' "\\(.metadata.namespace // "")/\\(.metadata.name)"\'',
            "# 2. Rollback dump:",
            "mkdir -p /tmp/argocd-drift",
            "kubectl get ingressclass.networking.k8s.io nginx -o yaml"
            " > /tmp/argocd-drift/rollback-infisical-ingressclass-nginx.yaml",
            "# 3. Delete: step 6 of 11 for infisical (webhook configurations first, bindings before"
            " roles, namespaced before cluster-scoped).",
            "kubectl delete ingressclass.networking.k8s.io nginx",
            "# Undo: kubectl apply -f /tmp/argocd-drift/rollback-infisical-ingressclass-nginx.yaml",
        ]
    )


def test_safe_delete_without_users_to_check_names_what_goes_first() -> None:
    """A binding needs no check; a role says which zombie bindings go first."""
    binding = ResourceKey("rbac.authorization.k8s.io", "RoleBinding", "infisical", "nginx")
    text = fixes.delete_zombie(APP, binding, Verdict(safe=True, step=1, total=2), {}).text
    assert "#    nothing references a RoleBinding; no check needed." in text
    assert "kubectl delete -n infisical rolebinding.rbac.authorization.k8s.io nginx" in text
    role = ResourceKey("rbac.authorization.k8s.io", "Role", "infisical", "nginx")
    text = fixes.delete_zombie(
        APP, role, Verdict(safe=True, step=2, total=2, first=(binding,)), {}
    ).text
    assert "#    Delete first: RoleBinding infisical/nginx." in text


def test_unsafe_delete_says_do_not_delete_and_never_deletes() -> None:
    """When something still uses it, the fix starts with DO NOT DELETE and has no delete."""
    key = ResourceKey("", "ServiceAccount", "infisical", "redis")
    verdict = Verdict(
        safe=False, blockers=("still used by Pod infisical/redis-0 (serviceAccountName)",)
    )
    text = fixes.delete_zombie(APP, key, verdict, {}).text
    assert text.splitlines()[0] == (
        "# DO NOT DELETE: still used by Pod infisical/redis-0 (serviceAccountName)."
    )
    assert "kubectl delete" not in text
    assert "kubectl get pods -n infisical -o json" in text


def test_unsafe_delete_of_an_unchecked_kind_has_only_the_reason() -> None:
    """An unsafe object with no checks to show is just the DO NOT DELETE line."""
    key = ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", "x.example.com")
    verdict = Verdict(safe=False, blockers=("could not verify: the live CRD x does not say",))
    assert fixes.delete_zombie(APP, key, verdict, {}).text == (
        "# DO NOT DELETE: could not verify: the live CRD x does not say."
    )


@pytest.mark.parametrize(
    ("kind", "group", "namespace", "start"),
    [
        pytest.param(
            "Role", "rbac.authorization.k8s.io", "ns", "kubectl get rolebindings -n ns", id="role"
        ),
        pytest.param(
            "ClusterRole",
            "rbac.authorization.k8s.io",
            "",
            "kubectl get rolebindings,clusterrolebindings -A",
            id="cluster_role",
        ),
        pytest.param("ConfigMap", "", "ns", "kubectl get pods -n ns", id="configmap"),
        pytest.param("Service", "", "ns", "kubectl get ingress -n ns", id="service"),
        pytest.param("PersistentVolumeClaim", "", "ns", "kubectl get pods -n ns", id="pvc"),
        pytest.param("PersistentVolume", "", "", "kubectl get pvc -A", id="pv"),
        pytest.param(
            "PriorityClass", "scheduling.k8s.io", "", "kubectl get pods -A", id="priority_class"
        ),
        pytest.param(
            "StorageClass", "storage.k8s.io", "", "kubectl get pvc -A", id="storage_class"
        ),
        pytest.param(
            "Namespace",
            "",
            "",
            "kubectl get pods,persistentvolumeclaims -n x --no-headers",
            id="namespace",
        ),
    ],
)
def test_verification_commands_per_kind(kind: str, group: str, namespace: str, start: str) -> None:
    """Each kind's pre-delete check lists the objects that could use it."""
    commands = fixes.verification_commands(ResourceKey(group, kind, namespace, "x"), {})
    assert commands[0].startswith(start)
    assert '"x"' in commands[0] or commands[0].endswith("-n x --no-headers")


def test_verification_of_service_account_covers_pods_and_bindings() -> None:
    """A ServiceAccount is checked against pods and against binding subjects."""
    commands = fixes.verification_commands(
        ResourceKey("", "ServiceAccount", "infisical", "redis"), {}
    )
    assert commands == [
        "kubectl get pods -n infisical -o json | jq -r '.items[] |"
        ' select((.spec.serviceAccountName // .spec.serviceAccount)=="redis") | .metadata.name\'',
        "kubectl get rolebindings,clusterrolebindings -A -o json | jq -r '.items[] |"
        ' select(any(.subjects[]?; .kind=="ServiceAccount" and .name=="redis" and'
        ' .namespace=="infisical")) |'
        ' "\\(.kind) \\(.metadata.namespace // "")/\\(.metadata.name)"\'',
    ]


def test_verification_of_a_crd_lists_its_instances() -> None:
    """A CRD's check lists its custom resources; one without names has no check."""
    key = ResourceKey(
        "apiextensions.k8s.io", "CustomResourceDefinition", "", "rollouts.argoproj.io"
    )
    live = {
        "spec": {
            "group": "argoproj.io",
            "names": {"kind": "Rollout", "plural": "rollouts"},
            "scope": "Namespaced",
            "versions": [{"name": "v1alpha1", "storage": True}],
        }
    }
    assert fixes.verification_commands(key, live) == [
        "kubectl get rollouts.argoproj.io -A --no-headers"
    ]
    cluster = {"spec": {**live["spec"], "scope": "Cluster"}}
    assert fixes.verification_commands(key, cluster) == [
        "kubectl get rollouts.argoproj.io --no-headers"
    ]
    assert fixes.verification_commands(key, {}) == []


NS_KEY = ResourceKey("", "Namespace", "", "sympozium-system")


@pytest.mark.parametrize(
    ("app", "keeper", "expected"),
    [
        pytest.param(
            "sympozium",
            "sympozium-extras",
            "# The live tracking id says sympozium-extras owns Namespace sympozium-system:"
            " remove the duplicate manifest from sympozium's source.",
            id="this_app_loses",
        ),
        pytest.param(
            "sympozium-extras",
            "sympozium-extras",
            "# Keep Namespace sympozium-system in sympozium-extras (the live tracking id names it);"
            " remove the duplicate manifest from sympozium.",
            id="this_app_keeps",
        ),
        pytest.param(
            "sympozium",
            None,
            "# Namespace sympozium-system is rendered by sympozium, sympozium-extras. Pick the"
            " one app that owns it and remove the manifest from the others' sources.",
            id="nobody_claims_it",
        ),
    ],
)
def test_drop_duplicate(app: str, keeper: str | None, expected: str) -> None:
    """The fix names which app keeps the object and where to drop the duplicate."""
    fix = fixes.drop_duplicate(K8s.app(app), NS_KEY, ("sympozium", "sympozium-extras"), keeper, {})
    assert fix.kind is FixKind.DROP_DUPLICATE
    assert fix.text == expected


def test_drop_duplicate_labels_only_for_namespaces() -> None:
    """Labels go out of band only for Namespaces; other kinds keep just the drop advice."""
    labels = {"pod-security.kubernetes.io/enforce": "privileged"}
    text = fixes.drop_duplicate(K8s.app("a"), NS_KEY, ("a", "b"), "a", labels).text
    assert text.splitlines()[-1] == (
        "kubectl label ns sympozium-system"
        " pod-security.kubernetes.io/enforce=privileged --overwrite"
    )
    cm = ResourceKey("", "ConfigMap", "x", "y")
    assert (
        "kubectl label" not in fixes.drop_duplicate(K8s.app("a"), cm, ("a", "b"), "a", labels).text
    )


def test_hook_delete_policy_for_an_argocd_hook() -> None:
    """An Argo CD hook gets a one-shot delete and the Argo CD delete policy annotation."""
    key = ResourceKey("batch", "Job", "agents", "postgres-vk-init-electric")
    fix = fixes.hook_delete_policy(key, "argocd")
    assert fix.kind is FixKind.HOOK_DELETE_POLICY
    assert fix.text == "\n".join(
        [
            "# One-shot cleanup is fine: it has finished, and the next sync recreates it if"
            " needed.",
            "kubectl delete -n agents job.batch postgres-vk-init-electric",
            "# Permanent fix on the hook's manifest in git:",
            "metadata:",
            "  annotations:",
            "    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded",
        ]
    )


def test_ignore_differences_for_the_core_group_has_no_group_line() -> None:
    """A core-group entry omits ``group: ""`` (Argo CD would strip it: class B drift of its own)."""
    key = ResourceKey("", "ConfigMap", "demo", "settings")
    assert fixes.ignore_differences(key, ["/data/updatedAt"], []).text.splitlines()[1:] == [
        "ignoreDifferences:",
        "  - kind: ConfigMap",
        "    name: settings",
        "    namespace: demo",
        "    jsonPointers:",
        "      - /data/updatedAt",
    ]


def test_investigate_lists_fields_and_the_diff_command() -> None:
    """Unexplained drift lists every field with both values and the argocd diff command."""
    app = K8s.app("web", namespace="team")
    evidence = [
        Evidence("/spec/replicas", DiffOp.CHANGED, git=2, live=3),
        Evidence("", DiffOp.ADDED, live={"kind": "X"}),
        Evidence("/spec/x", DiffOp.REMOVED, git="y" * 200),
    ]
    text = fixes.investigate(
        app, ResourceKey("apps", "Deployment", "d", "web"), evidence, "Odd."
    ).text
    lines = text.splitlines()
    assert lines[:3] == [
        "# Odd.",
        "#   changed /spec/replicas: git 2 → live 3",
        '#   added (whole object): git absent → live {"kind": "X"}',
    ]
    assert lines[3].endswith("… → live absent")
    assert lines[4] == "argocd app diff team/web"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        pytest.param("Retain", "Retain", id="plain"),
        pytest.param("None", "None", id="None_is_a_string"),
        pytest.param("true", '"true"', id="bool_word"),
        pytest.param("on", '"on"', id="yaml11_bool"),
        pytest.param("25%", '"25%"', id="starts_with_digit"),
        pytest.param("a: b", '"a: b"', id="colon_space"),
        pytest.param("", '""', id="empty"),
        pytest.param("/dev/termination-log", "/dev/termination-log", id="path"),
        pytest.param(False, "false", id="false"),
        pytest.param(None, "null", id="null"),
        pytest.param(420, "420", id="int"),
        pytest.param({}, "{}", id="empty_map"),
        pytest.param([], "[]", id="empty_list"),
    ],
)
def test_yaml_scalar(value: Any, rendered: str) -> None:
    """Scalars are plain when YAML reads them back as the same string, quoted otherwise."""
    assert yaml_text.yaml_scalar(value) == rendered


def test_summarize_paths() -> None:
    """Summaries name up to three fields in dotted form and count the rest."""
    evidence = [Evidence(f"/spec/a{i}", DiffOp.ADDED) for i in range(5)] + [
        Evidence("", DiffOp.ADDED)
    ]
    assert fixes.summarize_paths(evidence) == "spec.a0, spec.a1, spec.a2 (+3 more)"
    assert fixes.summarize_paths(evidence[-1:]) == "(whole object)"


def test_describe_absent_sides() -> None:
    """An absent side reads "absent", distinct from JSON null."""
    assert (
        fixes.describe(Evidence("/a", DiffOp.ADDED, git=ABSENT, live=None))
        == "/a: git absent → live null"
    )
