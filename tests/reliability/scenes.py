"""Two small clusters built for this suite: one full of secrets, one full of hostile text.

Both are built with the simulator's `ScenarioBuilder`, so every planted value travels the real
path: Application status → managed-resources JSON strings → parse → diff → evidence, and pod
status → previous-container log → decisive lines. Each planted value sits where the bot
*shows* something (a differing field, a crash-looping pod's log), so a test that finds no leak
has proven the value was masked, not merely left out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Final

from bot.core.model import RawObject
from bot.simulator import Scenario
from bot.simulator.cluster import crds
from bot.simulator.cluster import manifests as m
from bot.simulator.cluster.workloads import crash_loop
from bot.simulator.scenarios.apps import AppBuilder
from bot.simulator.scenarios.builder import ScenarioBuilder
from tests.core.redaction_corpus import BENIGN, SECRETS
from tests.reliability.support import NOW

DAY: Final = timedelta(days=1)
NS: Final = "payments"

SIM_TOKEN: Final = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJpc3MiOiJhcmdvY2QiLCJzdWIiOiJkcmlmdC1ib3Q6YXBpS2V5In0"
    ".U2ltdWxhdGVkQXJnb0NkVG9rZW5Ob3RSZWFs"
)
"""The bearer token both simulated APIs require, shaped like a real Argo CD API key."""

EXTRA_SECRETS: Final[tuple[tuple[str, str], ...]] = (
    ("DB_PASS=hunter2xyz", "hunter2xyz"),
    ("smtp.pass = 'Mail P4ss'", "Mail P4ss"),
    ("user=admin pass=hunter5xq", "hunter5xq"),
    ("Server=db;Database=app;User Id=sa;Password=P@ssw0rd2;", "P@ssw0rd2"),
    ("jdbc:postgresql://db:5432/app?user=app&password=JdbcS3cret", "JdbcS3cret"),
    ("POST /login body: username%3Dadmin%26password%3DFormPw33", "FormPw33"),
    ("MYSQL_ROOT_PASSWORD=R00tPw!x", "R00tPw!x"),
    ("PGPASSWORD=pgS3cret9 psql -h db", "pgS3cret9"),
    ('{"Password" : "JsonPw5x"}', "JsonPw5x"),
    ("REDIS_URL=redis://:RedisPw13x@redis:6379/0", "RedisPw13x"),
    ("rotating xoxe-1-My0xLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MC0xMjM0NTY3ODkw", "My0xLTEyMzQ1Njc4OTA"),
    ('spec: {"env":[{"name":"DB_PASSWORD","value":"JsonEnvPw1x"}]}', "JsonEnvPw1x"),
    ("pod env=[{Name:SMTP_PASSWORD Value:GoEnvPw2x ValueFrom:nil}]", "GoEnvPw2x"),
    ("aws_session_token=IQoJb3JpZ2luX2VjEJrSessionTok", "IQoJb3JpZ2luX2VjEJrSessionTok"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZDE0", "dXNlcjpwYXNzd29yZDE0"),
    (f"ARGOCD_AUTH_TOKEN={SIM_TOKEN}", SIM_TOKEN),
    (
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkLm9EcKeyBody\n-----END EC PRIVATE KEY-----",
        "MHcCAQEEIBkLm9EcKeyBody",
    ),
)
"""Spellings beyond the core corpus: ``pass``, URL-encoded forms, env pairs dumped as text."""

DIFF_ONLY_SECRETS: Final[tuple[tuple[str, str], ...]] = (
    (
        "env:\n  - name: LOG_LEVEL\n    value: info\n  - name: DB_PASSWORD\n    value: YamlPw3x\n",
        "YamlPw3x",
    ),
    ("database:\n  host: db\n  password: yamlNestedPw7\n", "yamlNestedPw7"),
)
"""Multi-line secrets: whole in a ConfigMap value, but a log is redacted line by line."""

LOG_SECRETS: Final = tuple((text, secret) for _, text, secret in SECRETS) + EXTRA_SECRETS
DATA_SECRETS: Final = LOG_SECRETS + DIFF_ONLY_SECRETS


BENIGN_LINES: Final = (
    *BENIGN,
    "tests pass: 12 of 12",
    "first pass: 2ms, second pass: 1ms",
    "bypass=1 compass=north",
    "Pass: 100%",
)
"""The core corpus's ordinary lines, plus "pass" used as a word: none of it may be masked."""


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


STRUCTURED_SECRETS: Final = (
    "LiveDbPassw0rd!",
    "GitDbPassw0rd!",
    "9a8b7c6d5e4f3a2b1c0dLIVE",
    "LiveDsnPassw0rd",
    "AKIAIOSFODNN7LIVEKEY",
    "SmtpLivePw42",
    "e3b98a4da31a127d4bde6e43033f66ba",
    _b64("LiveSecretValue99"),
    _b64("GitSecretValue11"),
    "LiveStringDataTok3n",
    _b64("ZombieSecretValue7"),
    _b64("ZombieLastApplied7"),
    "HelmParamPw9",
    "HelmValuesPw9",
)
"""Secrets planted as structured values: Secret data, env values, annotations, Helm values."""

BENIGN_VALUES: Final = (
    "ghcr.io/example/api@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "3f2c7a9e-1b4d-4c8e-9a6f-2d5b8e1c0f7a",
    "password-reset-service",
    "the token bucket refills every 10s",
)
"""Values that look a little like secrets and must reach the report untouched."""


def _base(b: ScenarioBuilder) -> None:
    b.unmanaged(crds.crd("applications.argoproj.io"), age=300 * DAY)
    for ns in ("argocd", NS):
        b.unmanaged(m.namespace(ns), age=300 * DAY)


def _crash_looping_pods(
    b: ScenarioBuilder, workload: RawObject, container: str, logs: Sequence[str]
) -> list[RawObject]:
    """One crash-looping pod per log text, so every text is a whole previous log (all shown)."""
    last = timedelta(minutes=1)
    runs = [crash_loop(3 + i, age=2 * DAY, last_finished=last) for i in range(len(logs))]
    pods = b.pods_for(workload, runs)
    for pod, text in zip(pods, logs, strict=True):
        b.log(NS, pod["metadata"]["name"], container, text + "\n", previous=True)
    return pods


# --- the leaky cluster ----------------------------------------------------------------------


def leaky() -> Scenario:
    """``payments``: secrets in a ConfigMap, env, annotations, Secrets, Helm values and logs."""
    b = ScenarioBuilder(NOW, seed="leaky")
    _base(b)
    app = b.app("payments", destination_namespace=NS, health="Progressing", health_age=3 * DAY)
    _leaky_config(app)
    deployment = _leaky_deployment(app)
    texts = [text for text, _ in LOG_SECRETS] + list(BENIGN_LINES)
    _crash_looping_pods(b, deployment, "api", texts)
    b.stuck("payments")
    _leaky_secrets(app)
    root = b.app("root", destination_namespace="argocd", path="apps/root")
    helm = {
        "parameters": [{"name": "db.password", "value": "HelmParamPw9"}],
        "values": "auth:\n  adminPassword: HelmValuesPw9\n",
    }
    root.child_app(app, {"/spec/source/helm": helm}, "unexplained")
    return b.build()


def _leaky_config(app: AppBuilder) -> None:
    values = {f"case-{i:02d}": text for i, (text, _) in enumerate(DATA_SECRETS)}
    values |= {f"benign-{i:02d}": text for i, text in enumerate(BENIGN_LINES)}
    git = m.config_map("settings", NS, dict.fromkeys(values, "placeholder"))
    app.drifted(git, {f"/data/{key}": text for key, text in values.items()}, "unexplained")


def _leaky_deployment(app: AppBuilder) -> RawObject:
    env = {
        "DB_PASSWORD": "GitDbPassw0rd!",
        "API_TOKEN": "git-token-1",
        "DATABASE_URL": "postgres://app:GitDsnPass1@db:5432/app",
        "AWS_ACCESS_KEY_ID": "placeholder",
        "SMTP_PASS": "placeholder",
        "LOG_LEVEL": "info",
    }
    labels = {"app.kubernetes.io/name": "api"}
    container = m.container("api", "ghcr.io/example/api:1.0", env=env)
    notes = {"example.com/api-key": "placeholder", "example.com/request-id": "placeholder"}
    deployment = m.deployment(
        "api", NS, [container], labels=labels, selector=labels, pod_annotations=notes
    )
    env_at = "/spec/template/spec/containers/0/env/{}/value".format
    notes_at = "/spec/template/metadata/annotations/{}".format
    changes: dict[str, Any] = {
        env_at(0): "LiveDbPassw0rd!",
        env_at(1): "9a8b7c6d5e4f3a2b1c0dLIVE",
        env_at(2): "postgres://app:LiveDsnPassw0rd@db:5432/app",
        env_at(3): "AKIAIOSFODNN7LIVEKEY",
        env_at(4): "SmtpLivePw42",
        notes_at("example.com~1api-key"): "e3b98a4da31a127d4bde6e43033f66ba",
        notes_at("example.com~1request-id"): BENIGN_VALUES[1],
        "/spec/template/spec/containers/0/image": BENIGN_VALUES[0],
        "/metadata/labels/app.kubernetes.io~1part-of": BENIGN_VALUES[2],
        "/metadata/annotations/example.com~1note": BENIGN_VALUES[3],
    }
    return app.drifted(deployment, changes, "unexplained")


def _leaky_secrets(app: AppBuilder) -> None:
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": m.meta("db-credentials", NS),
        "type": "Opaque",
        "data": {"password": _b64("GitSecretValue11"), "url": _b64("postgres://u:p@h/d")},
    }
    changes = {
        "/data/password": _b64("LiveSecretValue99"),
        "/stringData": {"token": "LiveStringDataTok3n"},
    }
    app.drifted(secret, changes, "unexplained")
    applied = {
        "apiVersion": "v1",
        "kind": "Secret",
        "data": {"password": _b64("ZombieLastApplied7")},
    }
    notes = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied)}
    zombie = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": m.meta("old-credentials", NS, annotations=notes),
        "type": "Opaque",
        "data": {"password": _b64("ZombieSecretValue7")},
    }
    app.zombie(zombie, safe=True)


# --- the hostile cluster --------------------------------------------------------------------

HOSTILE: Final[tuple[str, ...]] = (
    "<!channel> deploy is broken",
    "<!here|here> look",
    "<!everyone>",
    "<!subteam^S0ONCALL> wake up",
    "ping <@U0123ABCD> and <@W0999>",
    "see <#C0SECRET|secret-channel>",
    "<https://evil.example/login|Click to re-authenticate>",
    "```\n<!channel>\n```",
    "`inline` and ``double`` and ```triple",
    "*bold* _italic_ ~strike~ > quote",
    "&lt;!channel&gt; already escaped &amp; again",
    "unicode: 日本語 ✓ émoji 🚀 rtl \u202eevil\u202c zero\u200bwidth",
    "mixed <!channel> `code <@U1>` ```<!here>```",
)
"""Text a manifest or a log line may carry that must never ping, link or break formatting."""

POD_MESSAGES: Final = tuple(text for text in HOSTILE if "`" not in text)
"""Hostile pod status messages. Backticks are left out here: the Slack renderer shows the
message as plain text without neutralising them (reported with a failing test to the lead)."""

LONG_APP: Final = ".".join(["a-very-long-application-name-for-the-payments-platform"] * 5)[:253]
"""An Application name at the Kubernetes limit (253 characters, DNS subdomain)."""


def hostile() -> Scenario:
    """``LONG_APP``: hostile text in a ConfigMap, annotations, a pod message and its logs."""
    b = ScenarioBuilder(NOW, seed="hostile")
    _base(b)
    app = b.app(LONG_APP, destination_namespace=NS, health="Degraded", health_age=2 * DAY)
    values = {f"text-{i:02d}": text for i, text in enumerate(HOSTILE)}
    git = m.config_map("settings", NS, dict.fromkeys(values, "plain"))
    app.drifted(git, {f"/data/{k}": v for k, v in values.items()}, "unexplained")
    labels = {"app.kubernetes.io/name": "web"}
    notes = {f"example.com/note-{i:02d}": "plain" for i in range(len(HOSTILE))}
    deployment = m.deployment(
        "web",
        NS,
        [m.container("web", "ghcr.io/example/web:1.0")],
        labels=labels,
        selector=labels,
        pod_annotations=notes,
    )
    at = "/spec/template/metadata/annotations/example.com~1note-{:02d}".format
    live = app.drifted(deployment, {at(i): text for i, text in enumerate(HOSTILE)}, "unexplained")
    logs = [f'level=fatal msg="{text}"' for text in HOSTILE]
    pods = _crash_looping_pods(b, live, "web", ["\n".join(logs), *logs])
    for pod, text in zip(pods, POD_MESSAGES, strict=False):
        waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
        waiting["message"] = text
    b.stuck(LONG_APP)
    return b.build()
