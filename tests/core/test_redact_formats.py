"""Issue #15's formats: secrets across log lines, in argument lists, under env names only we
know, and the shape checks (vendor tokens, entropy) borrowed from detect-secrets."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import secret_shapes
from bot.core.health import decisive_lines
from bot.core.redact import REDACTED, is_secret_key, redact, redact_across_lines, redact_value
from tests.core.redaction_corpus import LOG_TAILS

# --- secrets that span lines of a log tail ----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [pytest.param(t, s, id=f"{f}-{i}") for i, (f, t, s) in enumerate(LOG_TAILS)],
)
def test_log_tail_secret_is_masked_and_its_neighbours_stay(text: str, secret: str) -> None:
    """Masked by `redact` and by the decisive-lines path; the error line after it is shown."""
    assert secret not in redact(text)
    shown = decisive_lines(text)
    assert not [line for line in shown if secret in line]
    last = text.rsplit("\n", 1)[-1]
    assert last in shown  # the line that says what went wrong survives untouched


def test_headless_pem_body_becomes_one_mask_before_its_end_line() -> None:
    """The base64 lines before END collapse like a whole block does; earlier lines stay."""
    body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun"
    text = f"starting\n{body}\nQyNTUxOQ==\n-----END EC PRIVATE KEY-----\ndone"
    assert redact_across_lines(text) == (f"starting\n{REDACTED}-----END EC PRIVATE KEY-----\ndone")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("-----END PRIVATE KEY-----\nnext", id="end-first"),
        pytest.param("no key here\n-----END PRIVATE KEY-----", id="prose-before-end"),
        pytest.param("starting\n-----END PRIVATE KEY-----", id="word-before-end"),
        pytest.param(f"{REDACTED}-----END PRIVATE KEY-----", id="already-masked"),
    ],
)
def test_end_line_without_a_body_before_it_changes_nothing(text: str) -> None:
    """An END line with no base64 lines right before it has nothing to mask."""
    assert redact_across_lines(text) == text


def test_a_short_line_counts_only_right_before_the_end_line() -> None:
    """PEM wraps at 64: a short base64 line further up is ordinary text."""
    text = "tail\nshort+/==\nQUJDREVGR0g=\n-----END PRIVATE KEY-----"
    assert redact_across_lines(text) == f"tail\nshort+/==\n{REDACTED}-----END PRIVATE KEY-----"


def test_two_headless_bodies_are_each_masked() -> None:
    """Every END line gets its own walk back, never past the previous END."""
    end = "-----END PRIVATE KEY-----"
    text = f"QUJDREVGR0g=\n{end}\nlog line\n  SUpLTE1OT1A=\r\n{end}"
    assert redact_across_lines(text) == f"{REDACTED}{end}\nlog line\n{REDACTED}{end}"


# --- structured values: flags, env names, manifests -----------------------------------------


def test_secret_flag_value_in_the_next_list_item_is_masked() -> None:
    """``args: ["--db-password", "X"]`` loses X; other flags and their values stay."""
    args = ["serve", "--db-password", "ArgsPw42", "--port", "8080", "--token", "", "-v"]
    assert redact_value(args, path="/spec/template/spec/containers/0/args") == [
        *("serve", "--db-password", REDACTED, "--port", "8080", "--token", "", "-v")
    ]


def test_flag_as_the_last_item_masks_nothing_after_it() -> None:
    """A trailing flag has no value item; a non-string item after a flag is masked whole."""
    assert redact_value(["--password"]) == ["--password"]
    assert redact_value(["--api-key", 12345]) == ["--api-key", REDACTED]


@pytest.mark.parametrize(
    "name",
    [
        *("SIGNING_KEY_B64", "DB_PASSWORD_B64", "tlsKeyBase64", "SENTRY_DSN", "REGISTRY_AUTH"),
        *("auth", "client-key-data", "private_key_id", "AccountKey", "STORAGE_ACCOUNT_KEY"),
    ],
)
def test_issue_15_key_names_hold_secrets(name: str) -> None:
    """Env names and manifest keys whose value leaked before issue #15."""
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name", ["SENTRY_ENVIRONMENT", "client-certificate-data", "AWS_REGION", "auth_url", "authType"]
)
def test_neighbouring_key_names_stay_readable(name: str) -> None:
    """Their neighbours are configuration, not secrets."""
    assert not is_secret_key(name)


def test_env_entries_of_issue_15_are_masked_by_name() -> None:
    """Env values under *_B64, SENTRY_DSN, REGISTRY_AUTH and a connection string's key."""
    env: list[dict[str, Any]] = [
        {"name": "GPG_KEY_B64", "value": "LS0tLS1CRUdJTiBQR1AgUFJJVkFURSBLRVkgQkxPQ0stLS0tLQ=="},
        {"name": "SENTRY_DSN", "value": "https://abc@o1.ingest.sentry.io/2"},
        {"name": "REGISTRY_AUTH", "value": "Y2k6UmVnaXN0cnlQdzk5"},
        {
            "name": "AZURE_STORAGE_CONNECTION_STRING",
            "value": "DefaultEndpointsProtocol=https;AccountName=pay;AccountKey=QUJD+/==;",
        },
        {"name": "LOG_LEVEL", "value": "info"},
    ]
    masked = redact_value(env, path="/spec/template/spec/containers/0/env")
    assert [e["value"] for e in masked[:3]] == [REDACTED] * 3
    assert masked[3]["value"] == (
        f"DefaultEndpointsProtocol=https;AccountName=pay;AccountKey={REDACTED};"
    )
    assert masked[4]["value"] == "info"


def test_docker_config_and_kubeconfig_values_are_masked() -> None:
    """``auths.*.auth`` and kubeconfig's ``client-key-data`` hold credentials."""
    docker = {"auths": {"registry.example.com": {"username": "ci", "auth": "Y2k6cHc="}}}
    assert redact_value(docker)["auths"]["registry.example.com"] == {
        "username": "ci",
        "auth": REDACTED,
    }
    user = {"client-certificate-data": "LS0tQ0VSVA==", "client-key-data": "LS0tS0VZ"}
    assert redact_value(user) == {
        "client-certificate-data": "LS0tQ0VSVA==",
        "client-key-data": REDACTED,
    }


# --- shapes and entropy -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Z9x2Lq7VbN4mW8tR1yK5pC3sD6fG0hJ2aE7uI9oP",
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
    ],
)
def test_random_tokens_look_random(token: str) -> None:
    """Unlabelled secrets: mixed case, digits, high entropy."""
    assert secret_shapes.looks_random(token)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param("da39a3ee5e6b4b0d3255bfef95601890afd80709", id="lower-hex"),
        pytest.param("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCD", id="no-lower"),
        pytest.param("AbstractSingletonProxyFactoryBeanImplTest", id="no-digit"),
        pytest.param("/Users/Admin1/Projects/Drift/Bot/Cache/x9", id="path"),
        pytest.param("payments-Api-7f9c2b-x2x9z-Deploy-1-2-3-4-5", id="dashes"),
        pytest.param("AbstractSingletonProxyFactoryBean2ImplTest", id="low-entropy"),
    ],
)
def test_names_digests_and_paths_do_not_look_random(token: str) -> None:
    """Each fails exactly one of the checks, and is left alone."""
    assert not secret_shapes.looks_random(token)


def test_entropy_of_nothing_and_of_one_symbol() -> None:
    """Empty and constant strings carry no information per character."""
    assert secret_shapes.shannon_entropy("") == 0.0
    assert secret_shapes.shannon_entropy("aaaa") == 0.0
    assert secret_shapes.shannon_entropy("ab") == 1.0


def test_long_random_token_in_prose_is_masked_but_a_long_name_is_not() -> None:
    """The entropy rule runs last, on tokens nothing else named."""
    name = "AbstractSingletonProxyFactoryBeanImplTest"
    line = f"rotated Z9x2Lq7VbN4mW8tR1yK5pC3sD6fG0hJ2aE7uI9oP for {name}"
    assert redact(line) == f"rotated {REDACTED} for {name}"
