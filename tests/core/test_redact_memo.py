"""The shared redaction memo and the pointer-free walk give exactly what the plain walk gave.

`redact_value` remembers each string's `redact` and `is_secret_key` answer in a `RedactMemo`
that classification shares across the git, live and predicted views of an app, and spells out
JSON pointers only inside Secrets. The oracle below is the walk as it was before both (full
pointer at every node, every string and key judged afresh, the original `is_secret_key`): on
hostile values — corpus secrets, keys that are secret in one place and plain in another,
embedded Secrets, last-applied annotations, pointer escapes — the two must agree exactly, also
when one memo has already seen the same strings in another context.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import classify
from bot.core import redact as redaction
from bot.core.redact import (
    MEMO_BUDGET,
    REDACTED,
    RedactMemo,
    is_secret_key,
    redact,
    redact_value,
)
from tests.core.conftest import K8s
from tests.core.redaction_corpus import BENIGN, SECRETS

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


# --- the oracle: bot/core/redact.py before the memo (commit d0c66cd), verbatim in substance --


def _plain_is_secret_key(key: str) -> bool:
    if redaction._UPPER_KEY_ENV.fullmatch(key) or key.lower().endswith(redaction._ENCODED):
        return True
    words = [w.lower() for w in redaction._WORD.findall(key)]
    if not words:
        return False
    if any(tuple(words[-len(end) :]) == end for end in redaction._SECRET_ENDINGS):
        return True
    last = words[-1]
    if last in redaction._SECRET_WORDS:
        return words[0] != "existing"
    if last != "key" or len(words) < 2:
        return False
    if key == "secretKey":
        return False
    return words[-2] in redaction._KEY_QUALIFIERS


def _plain(value: Any, path: str = "", kind: str = "") -> Any:
    if kind == "Secret" and any(
        path == p or path.startswith(p + "/") for p in ("/data", "/stringData")
    ):
        return redaction._mask_all(value)
    if isinstance(value, dict):
        if value.get("kind") == "Secret" and value.get("apiVersion") == "v1":
            kind, path = "Secret", ""
        name = value.get("name")
        secret_env = isinstance(name, str) and "value" in value and _plain_is_secret_key(name)
        out: dict[str, Any] = {}
        for key, item in value.items():
            scalar = not isinstance(item, dict | list)
            if scalar and ((secret_env and key == "value") or _plain_is_secret_key(key)):
                out[key] = redaction._mask(item)
            else:
                escaped = key.replace("~", "~0").replace("/", "~1")
                out[key] = _plain(item, f"{path}/{escaped}", kind)
        return out
    if isinstance(value, list):
        items: list[Any] = []
        for i, item in enumerate(value):
            previous = value[i - 1] if i else None
            if (
                isinstance(previous, str)
                and redaction._FLAG.fullmatch(previous)
                and _plain_is_secret_key(previous)
            ):
                items.append(redaction._mask(item))
            else:
                items.append(_plain(item, f"{path}/{i}", kind))
        return items
    if isinstance(value, str):
        if path.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~") == _LAST_APPLIED:
            return _plain_last_applied(value)
        return redact(value)
    return value


def _plain_last_applied(text: str) -> str:
    try:
        parsed = json.loads(text)
    except ValueError:
        return redact(text)
    if not isinstance(parsed, dict):
        return redact(text)
    newline = "\n" if text.endswith("\n") else ""
    return json.dumps(_plain(parsed), separators=(",", ":")) + newline


# --- hostile values -----------------------------------------------------------------------

# Keys that are secret, that only name a secret, that switch a subtree into Secret mode, or
# that need escaping in a pointer; each also appears as a value, so the memo sees one string
# in several roles.
_KEYS = (
    *("data", "stringData", "kind", "apiVersion", "name", "value", "metadata", "annotations"),
    *(_LAST_APPLIED, "a/b", "~1", "data~", "/data", "~0/", "items", "env", "args", ""),
    *("data/x", "data~1x", "stringData~0"),  # under /data only if the pointer is unescaped
    *("password", "dbPassword", "GITHUB_TOKEN", "secretName", "secretKey", "existingSecret"),
    *("client-key-data", "private_key_id", "SENTRY_DSN", "API_KEY", "DB_PASSWORD_B64", "auth"),
    *("privateKey", "remoteRef.key", "passwordSecretRef", "--db-password", "token"),
)
_SECRET_MANIFEST = {"apiVersion": "v1", "kind": "Secret", "data": {"password": "aHVudGVyMg=="}}
_STRINGS = (
    *(text for _, text, _ in SECRETS),
    *BENIGN,
    *_KEYS,
    *("Secret", "v1", "hunter2", "aHVudGVyMg==", "--password", "--api-key", "-p", "x"),
    *(json.dumps(_SECRET_MANIFEST), json.dumps({"env": [{"name": "TOKEN", "value": "abc"}]})),
    *('{"token": "abc123"}\n', "password=hunter2 not json", '["token=abc123"]', "{not json"),
)
_SCALARS = st.sampled_from(_STRINGS) | st.text(max_size=12) | st.sampled_from((0, 1.5, True, None))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=6), inner, max_size=5)
        # An embedded Secret (a List item, a dump) with whatever else beside its data.
        | st.dictionaries(st.sampled_from(_KEYS), inner, max_size=3).map(
            lambda extra: {**extra, **_SECRET_MANIFEST, "stringData": extra}
        )
        # kubectl's copy of a manifest, parsed and walked as JSON, under its annotation key.
        | inner.map(lambda applied: {"annotations": {_LAST_APPLIED: json.dumps(applied)}})
        # The same JSON text anywhere else is only a string.
        | inner.map(json.dumps)
    ),
    max_leaves=25,
)
_PATHS = st.sampled_from(
    (
        *("", "/data", "/stringData", "/data/password", "/data/", "/dataX", "/spec"),
        "/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration",
        "/spec/template/spec/containers/0/env",
    )
)
_KINDS = st.sampled_from(("", "Secret", "ConfigMap", "Deployment"))
_CALLS = st.lists(st.tuples(_JSON, _PATHS, _KINDS), min_size=1, max_size=6)


@settings(max_examples=400, deadline=None)
@given(_CALLS, st.sampled_from((MEMO_BUDGET, 600, 0)))
def test_one_memo_over_many_values_gives_the_plain_result(calls: list[Any], budget: int) -> None:
    """Values redacted one after another with one memo (as an app's views are) match the oracle.

    Also when the memo fills up part way (a scan's memo), or remembers nothing at all.
    """
    memo = RedactMemo(budget)
    for value, path, kind in calls:
        assert redact_value(value, path=path, kind=kind, memo=memo) == _plain(value, path, kind)


@settings(max_examples=200, deadline=None)
@given(_JSON, _PATHS, _KINDS)
def test_a_fresh_walk_gives_the_plain_result(value: Any, path: str, kind: str) -> None:
    """Without a memo given (every caller but classification) the result is the oracle's."""
    assert redact_value(value, path=path, kind=kind) == _plain(value, path, kind)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(_KEYS) | st.text(max_size=24))
def test_secret_key_test_is_unchanged(key: str) -> None:
    """`is_secret_key` (its trailing word sequences looked up, not scanned) answers as before."""
    assert is_secret_key(key) == _plain_is_secret_key(key)


def test_a_string_seen_as_plain_text_is_still_masked_where_it_is_a_secret() -> None:
    """The memo keeps what a string *says*, never where it sat: masking is decided per place."""
    plain = {"kind": "ConfigMap", "data": {"greeting": "hunter2", "note": "--db-password"}}
    secret = {"apiVersion": "v1", "kind": "Secret", "data": {"greeting": "hunter2"}}
    env = [{"name": "DB_PASSWORD", "value": "hunter2"}, {"name": "greeting", "value": "hunter2"}]
    args = ["--db-password", "hunter2", "hunter2"]
    memo = RedactMemo()
    views = [redact_value(v, memo=memo) for v in (plain, secret, env, args, plain)]
    assert views == [
        plain,
        {**secret, "data": {"greeting": REDACTED}},
        [{"name": "DB_PASSWORD", "value": REDACTED}, env[1]],
        ["--db-password", REDACTED, "hunter2"],
        plain,
    ]
    assert memo.texts["hunter2"] == "hunter2"


def test_the_memo_remembers_each_string_once() -> None:
    """What makes it pay: the second, near-identical view costs no string judgement."""
    git = {"metadata": {"labels": {"app": "web"}}, "spec": {"image": "nginx:1.27"}}
    live = {"metadata": {"labels": {"app": "web"}}, "spec": {"image": "nginx:1.28"}}
    memo = RedactMemo()
    redact_value(git, memo=memo)
    seen = (dict(memo.texts), dict(memo.keys))
    redact_value(live, memo=memo)
    assert set(memo.texts) - set(seen[0]) == {"nginx:1.28"}
    assert memo.keys == seen[1]


def test_a_full_memo_stops_remembering_within_its_budget() -> None:
    """A scan's memo outlives each app's objects: past its budget it keeps nothing new."""
    memo = RedactMemo(budget=500)
    values = [{f"k{i}": f"password=hunter{i}", "image": "nginx:1.27"} for i in range(10)]
    views = [redact_value(v, memo=memo) for v in values]
    assert views == [_plain(v) for v in values]
    assert 0 < len(memo.texts) < 11
    assert 0 <= memo.room < 500
    remembered = dict(memo.texts)
    redact_value({"late": "x" * 300}, memo=memo)
    assert memo.texts == remembered


def _deployment(env: list[dict[str, str]], image: str) -> dict[str, Any]:
    container = {"name": "web", "image": image, "env": env}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "demo"},
        "spec": {"template": {"spec": {"containers": [container]}}},
    }


def test_a_scan_shares_one_memo_across_apps_and_finds_the_same() -> None:
    """The scan service passes one memo to every app: findings as with a fresh one each."""
    apps = []
    for name, env_name in (("billing", "DB_PASSWORD"), ("docs", "GREETING")):
        git = _deployment([{"name": env_name, "value": "hunter2"}], "nginx:1.28")
        live = K8s.tracked(
            _deployment([{"name": env_name, "value": "hunter3"}], "nginx:1.28"), name
        )
        entry = K8s.status_entry(K8s.key(git), "OutOfSync")
        apps.append((K8s.app(name, [entry]), [K8s.managed(git, live)]))
    memo = RedactMemo()
    shared = [classify.classify_app(a, m, classify.Facts(), memo=memo) for a, m in apps]
    fresh = [classify.classify_app(a, m, classify.Facts()) for a, m in apps]
    assert shared == fresh
    assert "hunter" not in repr(shared[0])
    assert "hunter2" in repr(shared[1])  # a plain value stays readable
    assert "hunter3" in repr(shared[1])
    assert memo.texts["nginx:1.28"] == "nginx:1.28"
