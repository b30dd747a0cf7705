"""Redaction: no secret from the corpus survives, no ordinary line changes, values keep shape."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import redact as redaction
from bot.core.model import ABSENT
from bot.core.redact import REDACTED, is_secret_key, redact, redact_value
from tests.core.redaction_corpus import BENIGN, SECRETS

_REQUIRED_FAMILIES = {"dsn", "bearer", "jwt", "aws", "github", "slack", "google", "pem", "kv"}


def _leaked_parts(secret: str) -> list[str]:
    """The secret and each of its words long enough to matter (a half-masked phrase leaks)."""
    return [secret, *(part for part in re.split(r"\s+", secret) if len(part) >= 4)]


# --- the corpus ---------------------------------------------------------------------------


def test_corpus_is_large_and_covers_every_family() -> None:
    """The corpus holds at least 40 secrets across every family and 25 benign lines."""
    assert len(SECRETS) >= 40
    assert len(BENIGN) >= 25
    assert {family for family, _, _ in SECRETS} >= _REQUIRED_FAMILIES


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        pytest.param(text, secret, id=f"{family}-{i}")
        for i, (family, text, secret) in enumerate(SECRETS)
    ],
)
def test_no_secret_survives(text: str, secret: str) -> None:
    """No part of a corpus secret is left in the redacted text, and the mask is visible."""
    out = redact(text)
    assert [part for part in _leaked_parts(secret) if part in out] == []
    assert REDACTED in out


@pytest.mark.parametrize("line", BENIGN)
def test_benign_line_survives_byte_for_byte(line: str) -> None:
    """An ordinary line mentioning passwords, tokens or secrets comes back unchanged."""
    assert redact(line) == line


@pytest.mark.parametrize("text", [t for _, t, _ in SECRETS] + list(BENIGN))
def test_redact_is_idempotent(text: str) -> None:
    """Redacting redacted text changes nothing."""
    once = redact(text)
    assert redact(once) == once


_PIECES = [
    *(t for _, t, _ in SECRETS),
    *BENIGN,
    *["password", "token", "=", ": ", " ", '"', "'", "@", "://", "Bearer ", REDACTED, "\n"],
    *["-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "eyJ", "abc123", "{", "]"],
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.text(max_size=6), max_size=6))
def test_redact_is_idempotent_on_spliced_text(parts: list[str]) -> None:
    """Any splice of secrets, benign lines and punctuation redacts to a fixed point."""
    once = redact("".join(parts))
    assert redact(once) == once


# --- what survives around a secret ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "postgres://payments:Xk9mq2LpZ@db.payments:5432/app",
            "postgres://payments:[REDACTED]@db.payments:5432/app",
            id="dsn-keeps-user-and-host",
        ),
        pytest.param(
            "redis://:r3d1s@gitea-redis:6379", "redis://:[REDACTED]@gitea-redis:6379", id="redis"
        ),
        pytest.param(
            "Authorization: Bearer abc.def-123", "Authorization: Bearer [REDACTED]", id="scheme"
        ),
        pytest.param(
            "dsn: host=db password=hunter2 sslmode=require",
            "dsn: host=db password=[REDACTED] sslmode=require",
            id="logfmt-neighbours",
        ),
        pytest.param('{"password": "x y"}', '{"password": "[REDACTED]"}', id="json-quotes-kept"),
        pytest.param("password= user=x", "password= user=x", id="empty-logfmt-value"),
        pytest.param('token: ""', 'token: ""', id="empty-yaml-value"),
        pytest.param(
            "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----[REDACTED]-----END EC PRIVATE KEY-----",
            id="pem-markers-kept",
        ),
        pytest.param(
            "key follows -----BEGIN PRIVATE KEY-----\nMIIEvQIBAD",
            "key follows -----BEGIN PRIVATE KEY-----[REDACTED]",
            id="pem-cut-off",
        ),
        pytest.param("privateKey: {algorithm: ECDSA}", "privateKey: {algorithm: ECDSA}", id="flow"),
        pytest.param(
            "invalid token: Signature has expired",
            "invalid token: Signature has expired",
            id="prose-word",
        ),
    ],
)
def test_redact_keeps_context(text: str, expected: str) -> None:
    """Only the secret itself is replaced; keys, users, hosts, schemes and prose stay."""
    assert redact(text) == expected


def test_redact_private_keys_masks_only_keys() -> None:
    """The multi-line pass masks a PEM body and leaves every other secret to per-line redact."""
    text = "password=hunter2\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\n-----END PRIVATE KEY-----"
    assert redaction.redact_private_keys(text) == (
        "password=hunter2\n-----BEGIN PRIVATE KEY-----[REDACTED]-----END PRIVATE KEY-----"
    )


def test_redact_handles_ten_thousand_lines() -> None:
    """10k log lines (one in ten with a secret): every secret goes, every plain line stays.

    How fast is measured by ``bench/redact.py``, not asserted: wall time on a shared machine
    is not a test.
    """
    plain = 'time="2026-04-16T21:10:14Z" level=info msg="reconciled" app=gitea duration=12ms'
    for i in range(10_000):
        if i % 10:
            assert redact(plain) == plain
        else:
            _, text, secret = SECRETS[i // 10 % len(SECRETS)]
            assert secret not in redact(text)


def test_redact_terminates_when_rules_never_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fixed-point loop gives up after a bounded number of passes."""
    growing = (re.compile(r"$"), lambda _m: "x")
    monkeypatch.setattr(redaction, "_RULES", (growing,))
    assert redact("token") == "token" + "x" * redaction._MAX_PASSES


# --- structured values ------------------------------------------------------------------------


def test_secret_data_value_is_masked_by_path() -> None:
    """A single value under a Secret's /data is masked, whatever it is."""
    assert redact_value("c2VjcmV0", path="/data/password", kind="Secret") == REDACTED


def test_secret_data_map_keeps_keys() -> None:
    """A Secret's whole data map keeps its keys and loses every value."""
    masked = redact_value({"password": "x", "port": 5432}, path="/stringData", kind="Secret")
    assert masked == {"password": REDACTED, "port": REDACTED}


def test_secret_data_of_unexpected_shape_is_masked_leaf_by_leaf() -> None:
    """Even a malformed Secret (a list under data) leaks no leaf."""
    masked = redact_value({"a": ["x", {"b": "y"}]}, path="/data", kind="Secret")
    assert masked == {"a": [REDACTED, {"b": REDACTED}]}


def test_secret_object_is_recognised_without_kind_argument() -> None:
    """A whole Secret manifest masks its data even when the caller names no kind."""
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": "gitea-admin", "namespace": "gitea"},
        "type": "Opaque",
        "data": {"username": "Z2l0ZWE=", "url": "cG9zdGdyZXM6Ly8="},
        "stringData": {"note": "plain"},
    }
    masked = redact_value({"items": [secret]})
    item = masked["items"][0]
    assert item["data"] == {"username": REDACTED, "url": REDACTED}
    assert item["stringData"] == {"note": REDACTED}
    assert item["metadata"] == secret["metadata"]


def test_non_secret_kind_data_is_not_blanket_masked() -> None:
    """A ConfigMap's data is kept, with only secrets inside its strings masked."""
    config = {"LOG_LEVEL": "debug", "DSN": "postgres://app:pw123@db/app"}
    masked = redact_value(config, path="/data", kind="ConfigMap")
    assert masked == {"LOG_LEVEL": "debug", "DSN": "postgres://app:[REDACTED]@db/app"}


@pytest.mark.parametrize(
    "key",
    [
        *("password", "dbPassword", "GITHUB_TOKEN", "client-secret", "clientSecret", "api_key"),
        *("apiKey", "APIKey", "AWS_SECRET_ACCESS_KEY", "ANTHROPIC_API_KEY", "private_key"),
        *("secretAccessKey", "credentials", "passwd", "webhookToken", "STRIPE_KEY"),
    ],
)
def test_secret_looking_keys_are_secret(key: str) -> None:
    """Keys that hold secret values are recognised."""
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        *("secretKey", "secretName", "secretRef", "tokenPath", "passwordSecretRef"),
        *("existingSecret", "key", "secretKeyRef", "passwordKey", "cacheKey", "tokenizer"),
        *("imagePullSecrets", "max_tokens", "password_file", "remoteRef", "42", ""),
    ],
)
def test_reference_keys_are_not_secret(key: str) -> None:
    """Keys that only name or point at a secret are not secrets themselves."""
    assert not is_secret_key(key)


def test_secret_keys_masked_at_any_depth() -> None:
    """Values of secret-looking keys are masked deep inside a manifest; the rest is kept."""
    values = {
        "auth": {"admin": {"username": "root", "password": "Adm1n!"}},
        "smtp": {"port": 587, "apiKey": 123456, "enabled": True, "token": None, "secret": ""},
        "automountServiceAccountToken": False,
    }
    assert redact_value(values) == {
        "auth": {"admin": {"username": "root", "password": REDACTED}},
        "smtp": {"port": 587, "apiKey": REDACTED, "enabled": True, "token": None, "secret": ""},
        "automountServiceAccountToken": False,
    }


def test_secret_named_map_is_configuration() -> None:
    """A secret-named key holding a map (cert-manager's privateKey) keeps readable leaves."""
    spec = {"privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"}}
    assert redact_value(spec, path="/spec", kind="Certificate") == spec


def test_env_list_values_masked_by_name() -> None:
    """Env entries whose name is secret-looking lose their value; references and others stay."""
    env = [
        {"name": "DB_PASSWORD", "value": "s3cret"},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
    ]
    assert redact_value(env, path="/spec/template/spec/containers/0/env") == [
        {"name": "DB_PASSWORD", "value": REDACTED},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "API_TOKEN", "valueFrom": {"secretKeyRef": {"name": "api", "key": "token"}}},
    ]


def test_external_secret_spec_survives() -> None:
    """An ExternalSecret names keys (secretKey, remoteRef.key) and holds no secret: unchanged."""
    spec = {
        "refreshInterval": "1h",
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": "infisical"},
        "target": {"name": "paperclip-anthropic", "deletionPolicy": "Retain"},
        "data": [
            {
                "secretKey": "ANTHROPIC_API_KEY",
                "remoteRef": {
                    "key": "ANTHROPIC_API_KEY",
                    "conversionStrategy": "Default",
                    "decodingStrategy": "None",
                    "metadataPolicy": "None",
                },
            }
        ],
    }
    assert redact_value(spec, path="/spec", kind="ExternalSecret") == spec


def test_last_applied_secret_is_masked_structurally() -> None:
    """kubectl's last-applied copy of a Secret loses its data but stays compact JSON."""
    applied = {"apiVersion": "v1", "kind": "Secret", "data": {"URL": "cG9zdGdyZXM6Ly8="}}
    meta = {
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": json.dumps(applied) + "\n"
        }
    }
    masked = redact_value(meta, path="/metadata")
    text = masked["annotations"]["kubectl.kubernetes.io/last-applied-configuration"]
    assert json.loads(text) == {"apiVersion": "v1", "kind": "Secret", "data": {"URL": REDACTED}}
    assert text.endswith("}\n")


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        pytest.param("password=hunter2 not json", "password=[REDACTED] not json", id="text"),
        pytest.param('["token=abc123"]', '["token=[REDACTED]"]', id="json-list"),
    ],
)
def test_last_applied_that_is_not_an_object_is_redacted_as_text(
    annotation: str, expected: str
) -> None:
    """A last-applied annotation that is not a JSON object falls back to text redaction."""
    path = "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration"
    assert redact_value(annotation, path=path) == expected


def test_redact_value_returns_a_copy() -> None:
    """The input is never modified; the result shares no containers with it."""
    original: dict[str, Any] = {"env": [{"name": "TOKEN", "value": "abc"}], "data": {"a": ["b"]}}
    snapshot = copy.deepcopy(original)
    masked = redact_value(original)
    masked["data"]["a"].append("c")
    assert original == snapshot


@pytest.mark.parametrize(
    ("value", "path", "kind"),
    [
        pytest.param(ABSENT, "/spec/replicas", "", id="absent"),
        pytest.param(ABSENT, "/data/password", "Secret", id="absent-in-secret"),
        pytest.param(3, "/spec/replicas", "Deployment", id="number"),
        pytest.param(None, "/data/x", "Secret", id="null-in-secret"),
    ],
)
def test_non_string_scalars_pass_through(value: Any, path: str, kind: str) -> None:
    """Numbers outside secrets, null, and the ABSENT marker are returned as they are."""
    assert redact_value(value, path=path, kind=kind) is value


def test_key_with_slash_is_escaped_in_child_paths() -> None:
    """Child pointers escape "/" so an annotation key is recognised exactly."""
    applied = {"kubectl.kubernetes.io/last-applied-configuration": '{"token": "abc123"}'}
    masked = redact_value(applied, path="/metadata/annotations")
    assert masked == {"kubectl.kubernetes.io/last-applied-configuration": '{"token":"[REDACTED]"}'}
