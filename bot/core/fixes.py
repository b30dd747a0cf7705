"""The text of every suggested fix: YAML to paste into git, commands to paste into a shell.

Kept apart from the rules (as bolt keeps its messages in ``logger/messages.py``) so the rules
stay decisions and every phrasing, indentation and quoting rule lives in one file with golden
tests. Everything produced here is meant to be pasted as-is: YAML is valid and nested under its
real parents, shell commands quote what they insert, and values come from redacted evidence.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from string import Template
from typing import Any, Final

from bot.core.model import (
    ABSENT,
    TRACKING_ID_ANNOTATION,
    Application,
    Evidence,
    Fix,
    FixKind,
    KindRef,
    RawObject,
    ResourceKey,
)
from bot.core.paths import Path, dotted, split
from bot.core.raw import as_crd
from bot.core.references import crd_served_kind
from bot.core.usage import Verdict
from bot.core.yaml_text import yaml_at_paths, yaml_scalar

ROLLBACK_DIR: Final = "/tmp/argocd-drift"  # noqa: S108  # the seed's path; a person runs this
_DELETE_MARK: Final = "  # <-- delete this line"
_SED_SPECIAL: Final = re.compile(r"[\\/.*\[\]^$]")


def kubectl_type(key: ResourceKey) -> str:
    """``kind.group`` as kubectl names a type: ``ingressclass.networking.k8s.io``."""
    kind = key.kind.lower()
    return f"{kind}.{key.group}" if key.group else kind


def _ns(key: ResourceKey) -> str:
    return f" -n {shlex.quote(key.namespace)}" if key.namespace else ""


def _where(key: ResourceKey) -> str:
    return f"{key.kind} {key.namespace}/{key.name}" if key.namespace else f"{key.kind} {key.name}"


def argocd_app_ref(app: Application) -> str:
    """How the ``argocd`` CLI names an app: ``ns/name`` outside the control-plane namespace."""
    if app.namespace == app.control_plane_namespace:
        return app.name
    return f"{app.namespace}/{app.name}"


def _brief(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(evidence: Evidence) -> str:
    """One line per differing field: ``/spec/replicas: git 2 → live 3``."""
    git = "absent" if evidence.git is ABSENT else _brief(evidence.git)
    live = "absent" if evidence.live is ABSENT else _brief(evidence.live)
    return f"{evidence.path or '(whole object)'}: git {git} → live {live}"


# --- A: pin the defaults in git --------------------------------------------------------------


def pin_in_git(key: ResourceKey, evidence: Sequence[Evidence], live_view: RawObject) -> Fix:
    """The exact lines to add to the manifest, nested under their parents."""
    snippet = yaml_at_paths(((split(e.path), e.live) for e in evidence), context=live_view)
    text = (
        f"# Pin the server-side defaults in git: merge these lines into the {_where(key)}"
        " manifest.\n"
        f"{snippet}\n"
        "# Only if a controller you do not own keeps rewriting these fields, use an"
        " ignoreDifferences entry instead; pinning keeps real changes visible."
    )
    return Fix(FixKind.PIN_IN_GIT, text)


# --- B: drop the zero value from git ---------------------------------------------------------


def drop_from_git(key: ResourceKey, evidence: Sequence[Evidence], git_view: RawObject) -> Fix:
    """The exact lines to delete, shown in place, and a sed one-liner for top-level-only paths."""
    entries = [(split(e.path), e.git) for e in evidence]
    snippet = yaml_at_paths(entries, context=git_view, mark=_DELETE_MARK)
    lines = [
        f"# Delete these lines from the {_where(key)} manifest in git: Argo CD strips the zero"
        " value from the live object, so git can never match.",
        snippet,
    ]
    seds = [_sed(path, value) for path, value in entries if _sed(path, value)]
    if seds:
        lines.append("# The same edit across every file that renders it (adjust the glob):")
        lines += [f'for f in path/to/templates/*.yaml; do {sed} "$f"; done' for sed in seds]
    return Fix(FixKind.DROP_FROM_GIT, "\n".join(lines))


def _sed(path: Path, value: Any) -> str:
    """``sed -i '/^      prune: false$/d'`` for a line whose indentation the path fixes."""
    if any(isinstance(s, int) for s in path):
        return ""
    line = f"{' ' * 2 * (len(path) - 1)}{yaml_scalar(str(path[-1]))}: {yaml_scalar(value)}"
    escaped = _SED_SPECIAL.sub(lambda m: "\\" + m.group(0), line)
    return f"sed -i '/^{escaped}$/d'"


# --- C: adopt with a tracking id -------------------------------------------------------------


def annotate(tracking_id: str, key: ResourceKey) -> Fix:
    """The ``kubectl annotate`` that makes Argo CD adopt the object (plus CRD metadata noise)."""
    # Double quotes as in the seed: ids are built from DNS names, kinds and groups, which hold
    # no character the shell would expand inside them.
    annotation = f'"{TRACKING_ID_ANNOTATION}={tracking_id}"'
    lines = [
        "# Adopt it: give it the tracking id Argo CD expects.",
        f"kubectl annotate{_ns(key)} {kubectl_type(key)} {shlex.quote(key.name)} {annotation}"
        " --overwrite",
    ]
    if key.kind == "CustomResourceDefinition":
        lines += [
            "# Charts render CRDs without the metadata kubectl apply writes, so after adoption"
            " the metadata keeps re-flagging. Add to the Application spec:",
            "ignoreDifferences:",
            "  - group: apiextensions.k8s.io",
            "    kind: CustomResourceDefinition",
            "    jsonPointers:",
            "      - /metadata/labels",
            "      - /metadata/annotations",
            "      - /spec/preserveUnknownFields",
        ]
    return Fix(FixKind.ANNOTATE, "\n".join(lines))


# --- D: delete a zombie, carefully -----------------------------------------------------------


def delete_zombie(app: Application, key: ResourceKey, verdict: Verdict, live: RawObject) -> Fix:
    """Verification, rollback dump and delete, or DO NOT DELETE with the reasons."""
    checks = verification_commands(key, live)
    if not verdict.safe:
        lines = [f"# DO NOT DELETE: {'; '.join(verdict.blockers)}."]
        if checks:
            lines.append("# Re-check once those users are gone (empty output = nothing uses it):")
            lines += checks
        return Fix(FixKind.DELETE, "\n".join(lines))
    dump = f"{ROLLBACK_DIR}/rollback-{app.name}-{key.kind.lower()}-{key.name}.yaml"
    lines = ["# 1. Verify nothing uses it (empty output = safe):", *checks]
    if not checks:
        lines.append(f"#    nothing references a {key.kind}; no check needed.")
    lines += [
        "# 2. Rollback dump:",
        f"mkdir -p {ROLLBACK_DIR}",
        f"kubectl get{_ns(key)} {kubectl_type(key)} {shlex.quote(key.name)} -o yaml"
        f" > {shlex.quote(dump)}",
        f"# 3. Delete: step {verdict.step} of {verdict.total} for {app.name} (webhook"
        " configurations first, bindings before roles, namespaced before cluster-scoped).",
    ]
    if verdict.first:
        lines.append(f"#    Delete first: {', '.join(_where(k) for k in verdict.first)}.")
    lines += [
        f"kubectl delete{_ns(key)} {kubectl_type(key)} {shlex.quote(key.name)}",
        f"# Undo: kubectl apply -f {shlex.quote(dump)}",
    ]
    return Fix(FixKind.DELETE, "\n".join(lines))


_LIST_NAME: Final = '"\\(.metadata.namespace // "")/\\(.metadata.name)"'
_KIND_NAME: Final = '"\\(.kind) \\(.metadata.namespace // "")/\\(.metadata.name)"'
_CHECKS: Final[dict[str, tuple[str, ...]]] = {
    "IngressClass": (
        "kubectl get ingress -A -o json | jq -r '.items[] | select(.spec.ingressClassName==$q"
        ' or .metadata.annotations["kubernetes.io/ingress.class"]==$q) | ' + _LIST_NAME + "'",
    ),
    "Role": (
        "kubectl get rolebindings -n $ns -o json | jq -r '.items[] | select(.roleRef.kind"
        '=="Role" and .roleRef.name==$q) | .metadata.name\'',
    ),
    "ClusterRole": (
        "kubectl get rolebindings,clusterrolebindings -A -o json | jq -r '.items[] |"
        ' select(.roleRef.kind=="ClusterRole" and .roleRef.name==$q) | ' + _KIND_NAME + "'",
    ),
    "ServiceAccount": (
        "kubectl get pods -n $ns -o json | jq -r '.items[] | select((.spec.serviceAccountName"
        " // .spec.serviceAccount)==$q) | .metadata.name'",
        "kubectl get rolebindings,clusterrolebindings -A -o json | jq -r '.items[] |"
        ' select(any(.subjects[]?; .kind=="ServiceAccount" and .name==$q and .namespace==$qns))'
        " | " + _KIND_NAME + "'",
    ),
    "ConfigMap": (
        "kubectl get pods -n $ns -o json | jq -r '.items[] | select([.spec | .. | objects |"
        " (.configMap?.name, .configMapRef?.name, .configMapKeyRef?.name)] | any(. == $q))"
        " | .metadata.name'",
    ),
    "Secret": (
        "kubectl get pods -n $ns -o json | jq -r '.items[] | select([.spec | .. | objects |"
        " (.secret?.secretName, .secret?.name, .secretRef?.name, .secretKeyRef?.name)] +"
        " [.spec.imagePullSecrets[]?.name] | any(. == $q)) | .metadata.name'",
        "kubectl get ingress -n $ns -o json | jq -r '.items[] | select(any(.spec.tls[]?;"
        " .secretName==$q)) | .metadata.name'",
    ),
    "Service": (
        "kubectl get ingress -n $ns -o json | jq -r '.items[] | select([.spec | .. | objects |"
        " (.service?.name, .serviceName?)] | any(. == $q)) | .metadata.name'",
        "kubectl get apiservices -o json | jq -r '.items[] | select(.spec.service.name==$q and"
        " .spec.service.namespace==$qns) | .metadata.name'",
        "kubectl get validatingwebhookconfigurations,mutatingwebhookconfigurations -o json |"
        " jq -r '.items[] | select(any(.webhooks[]?; .clientConfig.service.name==$q and"
        " .clientConfig.service.namespace==$qns)) | .metadata.name'",
    ),
    "PersistentVolumeClaim": (
        "kubectl get pods -n $ns -o json | jq -r '.items[] | select(any(.spec.volumes[]?;"
        " .persistentVolumeClaim.claimName==$q)) | .metadata.name'",
    ),
    "PersistentVolume": (
        "kubectl get pvc -A -o json | jq -r '.items[] | select(.spec.volumeName==$q) | "
        + _LIST_NAME
        + "'",
    ),
    "PriorityClass": (
        "kubectl get pods -A -o json | jq -r '.items[] | select(.spec.priorityClassName==$q) | "
        + _LIST_NAME
        + "'",
    ),
    "StorageClass": (
        "kubectl get pvc -A -o json | jq -r '.items[] | select(.spec.storageClassName==$q) | "
        + _LIST_NAME
        + "'",
    ),
    "Namespace": ("kubectl get pods,persistentvolumeclaims -n $name --no-headers",),
}


def verification_commands(key: ResourceKey, live: RawObject) -> list[str]:
    """Shell commands a person runs to see who uses ``key`` (the same checks `usage` does)."""
    if key.kind == "CustomResourceDefinition":
        served = crd_served_kind(as_crd(live))
        return [_list_instances(served)] if served else []
    values = {
        "name": shlex.quote(key.name),
        "ns": shlex.quote(key.namespace),
        "q": json.dumps(key.name),
        "qns": json.dumps(key.namespace),
    }
    return [Template(t).substitute(values) for t in _CHECKS.get(key.kind, ())]


def _list_instances(served: KindRef) -> str:
    scope = " -A" if served.namespaced else ""
    return f"kubectl get {served.plural}.{served.group}{scope} --no-headers"


# --- E: one object, two apps -----------------------------------------------------------------


def drop_duplicate(
    app: Application, key: ResourceKey, owners: Sequence[str], keeper: str | None, labels: RawObject
) -> Fix:
    """Which app keeps it, drop it from the others, and labels applied out of band."""
    others = [o for o in owners if o != keeper]
    if keeper is None:
        lines = [
            f"# {_where(key)} is rendered by {', '.join(owners)}. Pick the one app that owns it"
            " and remove the manifest from the others' sources."
        ]
    elif keeper == app.tracking_name:
        lines = [
            f"# Keep {_where(key)} in {keeper} (the live tracking id names it); remove the"
            f" duplicate manifest from {', '.join(others)}."
        ]
    else:
        lines = [
            f"# The live tracking id says {keeper} owns {_where(key)}: remove the duplicate"
            f" manifest from {app.tracking_name}'s source."
        ]
    if key.kind == "Namespace" and labels:
        pairs = " ".join(shlex.quote(f"{k}={v}") for k, v in sorted(labels.items()))
        lines += [
            "# Labels only one manifest can carry: apply them out of band (and record it as a"
            " manual operation); they survive re-renders.",
            f"kubectl label ns {shlex.quote(key.name)} {pairs} --overwrite",
        ]
    return Fix(FixKind.DROP_DUPLICATE, "\n".join(lines))


# --- F: finished hooks -----------------------------------------------------------------------

_ARGO_POLICY: Final = "argocd.argoproj.io/hook-delete-policy: BeforeHookCreation,HookSucceeded"
_HELM_POLICY: Final = "helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded"


def hook_delete_policy(key: ResourceKey, flavour: str) -> Fix:
    """One-shot delete, plus the annotation that stops leftovers for this hook flavour."""
    lines = [
        "# One-shot cleanup is fine: it has finished, and the next sync recreates it if needed.",
        f"kubectl delete{_ns(key)} {kubectl_type(key)} {shlex.quote(key.name)}",
    ]
    policy = {"argocd": [_ARGO_POLICY], "helm": [_HELM_POLICY]}.get(flavour, [_ARGO_POLICY])
    if flavour == "run":
        lines.append(
            f"# Permanent fix: do not keep one-off {key.kind}s in git (create them from a"
            " trigger with generateName), or make it an Argo CD hook that cleans up after itself:"
        )
        policy = ["argocd.argoproj.io/hook: PostSync", _ARGO_POLICY]
    elif flavour == "":
        lines.append(
            "# Permanent fix on the hook's manifest in git (for a Helm hook use"
            f" {_HELM_POLICY} instead):"
        )
    else:
        lines.append("# Permanent fix on the hook's manifest in git:")
    lines += ["metadata:", "  annotations:", *(f"    {p}" for p in policy)]
    return Fix(FixKind.HOOK_DELETE_POLICY, "\n".join(lines))


# --- G: narrow ignoreDifferences -------------------------------------------------------------


def ignore_differences(key: ResourceKey, pointers: Sequence[str], managers: Sequence[str]) -> Fix:
    """One ``ignoreDifferences`` entry for exactly this object and these fields."""
    lines = [
        "# Add to the Application spec: ignores only these fields of this one object.",
        "ignoreDifferences:",
    ]
    # No `group: ""` for the core group: Argo CD strips it, which is class B drift of its own.
    lines.append(f"  - group: {yaml_scalar(key.group)}" if key.group else f"  - kind: {key.kind}")
    if key.group:
        lines.append(f"    kind: {key.kind}")
    lines.append(f"    name: {yaml_scalar(key.name)}")
    if key.namespace:
        lines.append(f"    namespace: {yaml_scalar(key.namespace)}")
    if managers:
        lines += ["    managedFieldsManagers:", *(f"      - {yaml_scalar(m)}" for m in managers)]
    else:
        lines += ["    jsonPointers:", *(f"      - {yaml_scalar(p)}" for p in pointers)]
    return Fix(FixKind.IGNORE_DIFFERENCES, "\n".join(lines))


# --- unexplained -----------------------------------------------------------------------------


def investigate(
    app: Application, key: ResourceKey, evidence: Sequence[Evidence], reason: str
) -> Fix:
    """The differing fields and values, and the command that shows Argo CD's own diff."""
    lines = [f"# {reason}"]
    lines += [f"#   {e.op} {describe(e)}" for e in evidence]
    lines.append(f"argocd app diff {shlex.quote(argocd_app_ref(app))}")
    return Fix(FixKind.INVESTIGATE, "\n".join(lines))


def sync_missing(app: Application, key: ResourceKey) -> Fix:
    """The resource is in git but not in the cluster: sync just it."""
    name = f"{key.namespace}/{key.name}" if key.namespace else key.name
    resource = shlex.quote(f"{key.group}:{key.kind}:{name}")
    return Fix(
        FixKind.INVESTIGATE,
        "# It is in git but missing from the cluster; sync it (and read the sync result):\n"
        f"argocd app sync {shlex.quote(argocd_app_ref(app))} --resource {resource}",
    )


def summarize_paths(evidence: Sequence[Evidence], limit: int = 3) -> str:
    """``spec.target.deletionPolicy, spec.data[0]… (+2 more)`` for one-sentence summaries."""
    names = [dotted(split(e.path)) or "(whole object)" for e in evidence]
    more = f" (+{len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more
