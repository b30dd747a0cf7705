"""Masking secrets before any text or value leaves the process: the one entry point.

Two functions with different knowledge. `redact` sees only free text (a log line, a condition
message) and recognises secrets by shape, place and key (`bot.core.redact_text`). `redact_value`
sees structured JSON (manifests, diff evidence) and also knows *where* a value sits: everything
under a Secret's ``data``/``stringData``, values of secret-looking keys and env entries, the
value after a secret-naming flag in an argument list (``["--db-password", "x"]``), while keys
that merely *name* a secret (``secretKey``, ``secretName``, ``passwordSecretRef``) keep their
values so drift evidence stays readable.

Redaction runs once, in the pure core, on data read from the cluster (`classify` redacts the
views of both objects, `health` the messages and log lines), before anything is stored,
rendered or logged; the log formatter redacts again only as a safety net.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from bot.core.redact_text import (
    MAX_LINE_CHARS,
    REDACTED,
    redact,
    redact_across_lines,
    redact_private_keys,
)

__all__ = [
    "MAX_LINE_CHARS",
    "REDACTED",
    "RedactMemo",
    "is_secret_key",
    "redact",
    "redact_across_lines",
    "redact_private_keys",
    "redact_value",
]

_LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"
MEMO_BUDGET: Final = 4_000_000
"""Roughly the bytes a `RedactMemo` may hold (a scan's memo outlives each app's objects);
strings met after that are judged every time."""
_ENTRY_BYTES: Final = 100  # a dict slot and a str header, about


# --- structured values --------------------------------------------------------------------

_SECRET_WORDS: Final = frozenset(
    {"password", "passwd", "passphrase", "pwd", "token", "secret", "apikey", "credentials"}
    # REGISTRY_AUTH, docker's "auth" (base64 user:password)
    | {"credential", "pass", "auth"}
)
# "<word> key" is a secret value for these words (api_key, PRIVATE_KEY, secretAccessKey,
# Azure's AccountKey).
_KEY_QUALIFIERS: Final = frozenset(
    {"api", "private", "access", "secret", "signing", "encryption", "master", "client"}
    | {"account", "storage"}
)
# Whole trailing word pairs that hold a secret although their last word alone does not:
# kubeconfig's client-key-data, a GCP key file's private_key_id, SENTRY_DSN.
# Two or three words long: `is_secret_key` looks up the last two and the last three.
_SECRET_ENDINGS: Final = frozenset({("key", "data"), ("private", "key", "id"), ("sentry", "dsn")})
# DB_PASSWORD_B64, SIGNING_KEY_BASE64: an encoded value is the secret all the same, and an
# env var that holds base64 at all is almost always key material.
_ENCODED: Final = ("b64", "base64")
# A command-line flag as its own list item: ["--db-password", "x"].
_FLAG: Final = re.compile(r"--?[A-Za-z][\w.-]*")
_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_UPPER_KEY_ENV: Final = re.compile(r"[A-Z0-9_]*_KEY")


def is_secret_key(key: str) -> bool:
    """Whether a map key (or env var name) holds a secret *value* rather than naming one.

    The last word decides: ``dbPassword``, ``GITHUB_TOKEN``, ``client-secret``, ``api_key``,
    ``REGISTRY_AUTH``, ``AccountKey``, any ``UPPER_SNAKE_KEY`` env name and any name ending in
    ``B64``/``BASE64`` are secrets, and so are ``client-key-data``, ``private_key_id`` and
    ``SENTRY_DSN``; ``secretName``, ``secretRef``,
    ``tokenPath``, ``passwordSecretRef`` and External Secrets' camelCase ``secretKey`` only
    point at one. ``existingSecret`` (Helm charts' reference to a Secret) is a name too.
    """
    if _UPPER_KEY_ENV.fullmatch(key) or key.lower().endswith(_ENCODED):
        return True
    words: list[str] = [w.lower() for w in _WORD.findall(key)]
    if not words:
        return False
    if tuple(words[-2:]) in _SECRET_ENDINGS or tuple(words[-3:]) in _SECRET_ENDINGS:
        return True
    last = words[-1]
    if last in _SECRET_WORDS:
        return words[0] != "existing"
    if last != "key" or len(words) < 2:  # a key needs a qualifier: api_key, not remoteRef.key
        return False
    if key == "secretKey":
        return False
    return words[-2] in _KEY_QUALIFIERS


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _last_segment(path: str) -> str:
    return path.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _mask(value: Any) -> Any:
    """Mask a scalar that could hold a secret; booleans, null and "" reveal nothing."""
    if isinstance(value, bool) or value is None or value == "":
        return value
    if isinstance(value, str | int | float):
        return REDACTED
    return value


def _mask_all(value: Any) -> Any:
    """Mask every leaf of a subtree, keeping its keys (a Secret's data)."""
    if isinstance(value, dict):
        return {k: _mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_all(v) for v in value]
    return _mask(value)


def _redact_last_applied(text: str, memo: RedactMemo) -> str:
    """Mask kubectl's copy of the applied manifest, which for a Secret holds its data.

    Parsed as JSON so Secret data and env lists are caught structurally; text rules otherwise.
    """
    try:
        parsed = json.loads(text)
    except ValueError:
        return redact(text)
    if not isinstance(parsed, dict):
        return redact(text)
    masked = _walk(parsed, "", "", "", memo)
    newline = "\n" if text.endswith("\n") else ""
    return json.dumps(masked, separators=(",", ":")) + newline


def _is_secret_data_path(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in ("/data", "/stringData"))


def _is_secret_object(value: dict[str, Any]) -> bool:
    return value.get("kind") == "Secret" and value.get("apiVersion") == "v1"


class RedactMemo:
    """Answers of the two pure string functions the walk calls, for views of similar objects.

    ``redact`` and ``is_secret_key`` depend on their string alone, so an answer found once is
    the answer everywhere: the git, live and predicted views of one resource, and the resources
    of one app, repeat the same keys, images and labels. What depends on *where* a value sits
    (Secret data, a secret key's value, the item after ``--password``) is decided by the walk
    each time and never stored here.

    Whoever creates one decides how long it lives: `classify_app` makes one per call unless
    given one, the scan service one per scan (apps of a fleet share images, labels and keys).
    Then it outlives the objects whose strings it holds, so it stops remembering once about
    ``budget`` bytes are in it; a string judged afresh gets the same answer.
    """

    __slots__ = ("keys", "room", "texts")

    def __init__(self, budget: int = MEMO_BUDGET) -> None:
        self.texts: dict[str, str] = {}
        self.keys: dict[str, bool] = {}
        self.room = budget

    def redact(self, text: str) -> str:
        done = self.texts.get(text)
        if done is None:
            done = redact(text)
            cost = 2 * len(text) + _ENTRY_BYTES  # the text and its redacted copy
            if cost <= self.room:
                self.room -= cost
                self.texts[text] = done
        return done

    def is_secret_key(self, key: str) -> bool:
        secret = self.keys.get(key)
        if secret is None:
            secret = is_secret_key(key)
            cost = len(key) + _ENTRY_BYTES
            if cost <= self.room:
                self.room -= cost
                self.keys[key] = secret
        return secret


def redact_value(
    value: Any, *, path: str = "", kind: str = "", memo: RedactMemo | None = None
) -> Any:
    """Return a deep copy of a JSON value with every secret in it masked.

    Args:
        value: Parsed JSON (dict, list, scalar); other objects (e.g. ``ABSENT``) pass through.
        path: The JSON pointer of ``value`` inside its object, e.g. ``/data/password``.
        kind: The Kubernetes kind of that object; for ``Secret`` everything under ``/data``
            and ``/stringData`` is masked whatever its key.
        memo: Shared by calls on similar values (the views of one app) so each distinct
            string is judged once; a fresh one when not given. Never changes the result.

    Returns:
        The copy: Secret data and values of secret-looking keys are `REDACTED` (keys kept),
        every other string passed through `redact`.
    """
    if memo is None:
        memo = RedactMemo()
    return _walk(value, path, _last_segment(path), kind, memo)


def _walk(value: Any, path: str, segment: str, kind: str, memo: RedactMemo) -> Any:
    """`redact_value` of ``value``, whose pointer is ``path`` and last key ``segment``.

    Outside a Secret the pointer decides nothing but whether a string is kubectl's
    last-applied annotation, which its last key alone tells; so the pointer is only spelled
    out inside a Secret (``path`` stays "" elsewhere: an embedded Secret starts its own).
    """
    if kind == "Secret" and _is_secret_data_path(path):
        return _mask_all(value)
    if isinstance(value, dict):
        return _redact_dict(value, path, kind, memo)
    if isinstance(value, list):
        return _redact_list(value, path, kind, memo)
    if isinstance(value, str):
        if segment == _LAST_APPLIED:
            return _redact_last_applied(value, memo)
        return memo.redact(value)
    return value


def _redact_dict(value: dict[str, Any], path: str, kind: str, memo: RedactMemo) -> dict[str, Any]:
    if _is_secret_object(value):
        kind, path = "Secret", ""  # an embedded Secret (a List item, a dump): its own root
    out: dict[str, Any] = {}
    secret_env = _is_secret_env(value, memo)
    for key, item in value.items():
        # A secret-named key holding a map or list is configuration (cert-manager's
        # privateKey: {algorithm: ECDSA}); its leaves are judged by their own keys instead.
        scalar = not isinstance(item, dict | list)
        if scalar and ((secret_env and key == "value") or memo.is_secret_key(key)):
            out[key] = _mask(item)
        else:
            child = f"{path}/{_escape(key)}" if kind == "Secret" else ""
            out[key] = _walk(item, child, key, kind, memo)
    return out


def _redact_list(value: list[Any], path: str, kind: str, memo: RedactMemo) -> list[Any]:
    """Each item redacted; the item after a flag that names a secret is masked whole."""
    out: list[Any] = []
    for i, item in enumerate(value):
        previous = value[i - 1] if i else None
        if isinstance(previous, str) and _FLAG.fullmatch(previous) and memo.is_secret_key(previous):
            out.append(_mask(item))
        else:
            child = f"{path}/{i}" if kind == "Secret" else ""
            # An index is never the last-applied annotation's key.
            out.append(_walk(item, child, "", kind, memo))
    return out


def _is_secret_env(value: dict[str, Any], memo: RedactMemo) -> bool:
    """``{"name": "DB_PASSWORD", "value": "x"}``: env vars, Helm parameters, plugin env."""
    name = value.get("name")
    return isinstance(name, str) and "value" in value and memo.is_secret_key(name)
