"""The seed's gitea and argo-rollouts answers, built directly from model dataclasses.

Values follow docs/seed-scenario.md and the write-up (ESO defaults, the 21-day crashloop with
1154 restarts and the ``level=fatal`` plugin download line), so the golden files show what an
operator would really see. No scan is involved: these test rendering and delivery only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.core.model import (
    ABSENT,
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    StuckApp,
)

NOW = datetime(2026, 4, 16, 21, 15, tzinfo=UTC)

ESO_PIN = """spec:
  target:
    deletionPolicy: Retain
  data:
    - remoteRef:
        conversionStrategy: Default
        decodingStrategy: None
        metadataPolicy: None"""

FATAL_LINE = (
    'time="2026-04-16T21:10:14Z" level=fatal msg="Failed to download plugins: '
    'response code Not Found"'
)
ROLLOUT_LOG = (
    'time="2026-04-16T21:10:14Z" level=info msg="Argo Rollouts starting" version=v1.8.4',
    'time="2026-04-16T21:10:14Z" level=info msg="Downloading plugin argoproj-labs/cilium"',
    FATAL_LINE,
)


def external_secret(app: str, namespace: str, name: str) -> Finding:
    """An ExternalSecret whose only drift is the ESO v2.8.0 CRD's schema defaults (class A)."""
    ref = "/spec/data/0/remoteRef"
    return Finding(
        app=app,
        drift_class=DriftClass.SCHEMA_DEFAULTS,
        key=ResourceKey("external-secrets.io", "ExternalSecret", namespace, name),
        summary="4 fields defaulted by the ExternalSecret CRD schema",
        evidence=(
            Evidence("/spec/target/deletionPolicy", DiffOp.ADDED, ABSENT, "Retain"),
            Evidence(f"{ref}/conversionStrategy", DiffOp.ADDED, ABSENT, "Default"),
            Evidence(f"{ref}/decodingStrategy", DiffOp.ADDED, ABSENT, "None"),
            Evidence(f"{ref}/metadataPolicy", DiffOp.ADDED, ABSENT, "None"),
        ),
        fix=Fix(FixKind.PIN_IN_GIT, ESO_PIN),
    )


def zombie(app: str, kind: str, namespace: str, name: str, users: tuple[str, ...] = ()) -> Finding:
    """A resource no longer in git that Argo CD would prune (class D)."""
    lower = kind.lower()
    dump = f"kubectl get {lower} -n {namespace} {name} -o yaml > {name}.{lower}.yaml"
    delete = f"kubectl delete {lower} -n {namespace} {name}"
    return Finding(
        app=app,
        drift_class=DriftClass.ZOMBIE,
        key=ResourceKey("", kind, namespace, name),
        summary="not in git any more; Argo CD would prune it (prune: false keeps it)",
        evidence=(),
        fix=Fix(FixKind.DELETE, f"{dump}\n{delete}"),
        safe_to_delete=not users,
        users=users,
    )


def unadopted_crd(plural: str) -> Finding:
    """A CRD the chart installed with ``resource-policy: keep`` and no tracking id (class C)."""
    name = f"{plural}.argoproj.io"
    tracking = f"argo-rollouts:apiextensions.k8s.io/CustomResourceDefinition:/{name}"
    return Finding(
        app="argo-rollouts",
        drift_class=DriftClass.UNADOPTED,
        key=ResourceKey("apiextensions.k8s.io", "CustomResourceDefinition", "", name),
        summary="live CRD has no tracking id; Argo CD does not consider it adopted",
        evidence=(
            Evidence(
                "/metadata/annotations/controller-gen.kubebuilder.io~1version",
                DiffOp.ADDED,
                ABSENT,
                "v0.14.0",
            ),
            Evidence(
                "/metadata/annotations/helm.sh~1resource-policy", DiffOp.ADDED, ABSENT, "keep"
            ),
        ),
        fix=Fix(
            FixKind.ANNOTATE,
            f"kubectl annotate crd {name} argocd.argoproj.io/tracking-id='{tracking}'",
        ),
    )


def gitea_report() -> AppReport:
    """gitea: two ExternalSecrets (A) and three safe-to-delete redis-cluster zombies (D)."""
    return AppReport(
        generated_at=NOW,
        app="gitea",
        sync_status="OutOfSync",
        health_status="Progressing",
        health_since=NOW - timedelta(minutes=3),
        findings=(
            external_secret("gitea", "gitea", "gitea-admin"),
            external_secret("gitea", "gitea", "gitea-runner"),
            zombie("gitea", "Service", "gitea", "gitea-redis-cluster"),
            zombie("gitea", "ConfigMap", "gitea", "gitea-redis-cluster-default"),
            zombie("gitea", "ServiceAccount", "gitea", "gitea-redis-cluster"),
        ),
    )


def rollouts_stuck(log: tuple[str, ...] = ROLLOUT_LOG) -> StuckApp:
    """argo-rollouts: Progressing for 21 days over a crash-looping controller."""
    since = NOW - timedelta(days=21)
    pod = PodDiagnosis(
        namespace="argo-rollouts",
        name="argo-rollouts-6b4c4dfbd9-ghl9c",
        container="argo-rollouts",
        reason="CrashLoopBackOff",
        restarts=1154,
        started_at=since,
        message="back-off 5m0s restarting failed container",
        log=log,
    )
    return StuckApp(app="argo-rollouts", health="Progressing", since=since, pods=(pod,))


def rollouts_report() -> AppReport:
    """argo-rollouts: five unadopted CRDs (C) and the stuck controller."""
    plurals = ("analysisruns", "analysistemplates", "clusteranalysistemplates")
    plurals += ("experiments", "rollouts")
    return AppReport(
        generated_at=NOW,
        app="argo-rollouts",
        sync_status="OutOfSync",
        health_status="Progressing",
        health_since=NOW - timedelta(days=21),
        findings=tuple(unadopted_crd(p) for p in plurals),
        stuck=rollouts_stuck(),
    )
