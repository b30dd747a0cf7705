"""Masking secrets before any text or value leaves the process.

Two entry points with different knowledge. `redact` sees only free text (a log line, a
condition message) and recognises secrets by their *shape*: credentials in URLs, bearer
tokens, JWTs, vendor tokens with fixed prefixes, PEM private keys and ``key=value`` pairs whose
key names a secret. `redact_value` sees structured JSON (manifests, diff evidence) and also
knows *where* a value sits: everything under a Secret's ``data``/``stringData``, values of
secret-looking keys and env entries, while keys that merely *name* a secret (``secretKey``,
``secretName``, ``passwordSecretRef``) keep their values so drift evidence stays readable.

Every pattern is compiled once at import, and a cheap trigger search skips the whole pipeline
for the common line that mentions nothing secret-like, so redacting a 10k-line log costs
milliseconds. Redaction is idempotent: redacting redacted text changes nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final

REDACTED: Final = "[REDACTED]"

_MAX_PASSES: Final = 4

_LAST_APPLIED: Final = "kubectl.kubernetes.io/last-applied-configuration"

# Nothing can be redacted in a line that contains none of these; most log lines don't.
_TRIGGER: Final = re.compile(
    r"pass|pwd|token|secret|key|auth|bearer|credential|://|@tcp\(|@unix\(|hooks\.slack|eyJ"
    r"|A(?:KI|SI|GP|ID|RO|NP|NV|BI|CC)A|gh[pousr]_|github_pat_|xox|xapp|AIza|sk-|[sr]k_|glpat-|npm_",
    re.IGNORECASE,
)

# A value as it is written after a key: double- or single-quoted (with escapes), a quote escaped
# inside an outer JSON string (\"...\"), or a bare run up to the next delimiter.
_QUOTED: Final = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|\\\"(?:[^\"\\\n]|\\[^\"])*\\\""
_BARE: Final = r"[^\s,;&\"'<>{}()\[\]]+|\[REDACTED\]"
_VALUE: Final = f"(?P<value>{_QUOTED}|{_BARE})"

# Key names whose value is a secret. The key must END with one of these words, so
# `secretName`, `tokenizer`, `password_file` or `max_tokens` never match. `secretKey` is left
# out on purpose: in camelCase it is External Secrets' *name* of a key, not a value.
_KEY_SUFFIXES: Final = tuple(
    dict.fromkeys(
        ["password", "passwd", "passphrase", "pwd", "token", "secret", "secret_key", "secret-key"]
        + ["credential", "credentials"]
        # "pass" only as a word of its own (DB_PASS, smtp.pass): "bypass" and "compass" are not.
        + ["_pass", "-pass", ".pass"]
        + [
            f"{qualifier}{sep}key"
            for qualifier in ("api", "access", "private", "signing", "encryption")
            for sep in ("_", "-", "")
        ]
    )
)
# The whole key is taken possessively, then a look-behind checks how it ends: much faster
# than trying every suffix at every position, and no backtracking into "password_file".
_SECRET_KEY_NAME: Final = (
    r"[\w.-]++(?:" + "|".join(f"(?<={re.escape(s)})" for s in _KEY_SUFFIXES) + ")"
)
# A key that is just "pass" counts only in key=value (user=admin pass=x): in prose, "tests
# pass: 12 of 12" hides no secret.
_SECRET_KEY_NAME_KV: Final = _SECRET_KEY_NAME[:-1] + r"|(?<=(?<![\w.-])pass))"

# A value in prose ("invalid token: context canceled") is only masked when it does not look
# like an ordinary word: it has a digit or punctuation, is long, or mixes case inside (aBcD).
# Case-sensitive even inside the case-insensitive rules, or every word would "mix case".
_NOT_A_WORD: Final = r"(?-i:(?=\S*[0-9_/+=@#$%^*!~.:-]|\S{16,}|(?=\S{8})\S*[a-z][A-Z]))"


def _keep_prefix(match: re.Match[str]) -> str:
    """Replace the ``value`` group, keeping quotes around it, and everything else as it was."""
    value = match.group("value")
    if value in {'""', "''"}:
        return match.group(0)  # an empty value hides nothing, and "" is worth seeing in a diff
    quote = ""
    if value[:2] == '\\"':
        quote = '\\"'
    elif value[:1] in {'"', "'"}:
        quote = value[0]
    text, offset = match.group(0), match.start()
    start, end = match.span("value")
    return f"{text[: start - offset]}{quote}{REDACTED}{quote}{text[end - offset :]}"


def _whole(_match: re.Match[str]) -> str:
    return REDACTED


def _pem(match: re.Match[str]) -> str:
    return f"{match.group('begin')}{REDACTED}{match.group('end') or ''}"


_Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

# PEM private keys: the whole body, across lines (also with literal "\n" in JSON logs). A
# block cut off before its END line is masked to the end of the text.
_PEM_RULE: Final[_Rule] = (
    re.compile(
        r"(?P<begin>-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)"
        r"(?:\[REDACTED\]|[A-Za-z0-9+/=\s:,.\\]|-(?!----))*"
        r"(?P<end>-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----)?"
    ),
    _pem,
)

# Order matters only for readability of the result: specific shapes first (a JWT inside an
# Authorization header becomes one [REDACTED], not two), generic key=value rules last.
_RULES: Final[tuple[_Rule, ...]] = (
    _PEM_RULE,
    # JWTs: header and payload are base64url JSON objects, so both start with "eyJ".
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), _whole),
    # Vendor tokens recognisable by their prefix alone.
    (
        re.compile(
            r"(?<![A-Za-z0-9])(?:"
            r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}"  # AWS key ids
            r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"  # GitHub
            r"|xox[abeposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"  # Slack
            r"|AIza[0-9A-Za-z_-]{30,}"  # Google API keys
            r"|glpat-[A-Za-z0-9_-]{20,}"  # GitLab
            r"|sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}|[sr]k_live_[A-Za-z0-9]{16,}"  # LLM APIs, Stripe
            r"|npm_[A-Za-z0-9]{36}"  # npm
            r")(?![A-Za-z0-9_-])"
        ),
        _whole,
    ),
    # Slack incoming-webhook URLs carry their secret in the path.
    (
        re.compile(r"(?P<pre>hooks\.slack\.com/services/)(?P<value>[A-Za-z0-9/_-]+)"),
        _keep_prefix,
    ),
    # user:password@ in any URL or DSN; user and host stay for debugging.
    (
        # Greedy up to the last "@" before the path: an unescaped "@", "#" or "?" inside a
        # password stays masked instead of leaking the rest of it.
        re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^:/?#@\s\"'<>{}\[\]]*:(?P<value>[^/\s\"'<>]+)@"),
        _keep_prefix,
    ),
    # Go MySQL DSNs without a scheme: user:password@tcp(host:3306)/db
    (re.compile(r":(?P<value>[^@/\s:]+)@(?:tcp|unix)\("), _keep_prefix),
    # Authorization headers (also Go's map[Authorization:[Bearer x]] dump): any scheme, any value.
    (
        re.compile(
            r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*\[?[\"']?"
            r"(?:(?:bearer|basic|token|bot|digest|negotiate|apikey)\s+)?"
            r"(?P<value>\[REDACTED\]|[^\s\"',;\]]+)"
        ),
        _keep_prefix,
    ),
    # "bearer=x" always; "Bearer x" in prose only when x looks like a token, not a word.
    (
        re.compile(
            r"(?i)(?<![\w-])bearer(?:\s*[=:]\s*|\s+" + _NOT_A_WORD + r")"
            r"(?P<value>[A-Za-z0-9._~+/-]{8,}=*|\[REDACTED\])"
        ),
        _keep_prefix,
    ),
    # "key": "value" / 'key': 'value' (JSON, Python reprs), any value.
    (
        re.compile(
            r"(?i)(?P<q>[\"'])" + _SECRET_KEY_NAME + r"(?P=q)\s*[:=]\s*"
            r"(?P<value>" + _QUOTED + r"|[^\s,{}\[\]\"'][^\s,}\]]*)"
        ),
        _keep_prefix,
    ),
    # Env entries dumped as text, where the secret's key is the *name* field's value:
    # {"name":"DB_PASSWORD","value":"x"} (JSON, also \"-escaped inside a JSON string), Go's
    # {Name:DB_PASSWORD Value:x ValueFrom:nil}, and YAML's "- name: DB_PASSWORD\n  value: x".
    (
        re.compile(
            r"(?i)(?P<q>\\?\")name(?P=q)\s*:\s*(?P=q)" + _SECRET_KEY_NAME + r"(?P=q)\s*,\s*"
            r"(?P=q)value(?P=q)\s*:\s*(?P<value>" + _QUOTED + r")"
        ),
        _keep_prefix,
    ),
    (
        re.compile(r"(?i)\bName:" + _SECRET_KEY_NAME + r"[ \t]+Value:(?P<value>[^\s{}]+)"),
        _keep_prefix,
    ),
    (
        re.compile(
            r"(?im)^[ \t]*(?:-[ \t]+)?name:[ \t]*[\"']?" + _SECRET_KEY_NAME + r"[\"']?[ \t]*\r?\n"
            r"[ \t]*value:[ \t]*(?P<value>" + _QUOTED + r"|[^\s#].*?)[ \t]*$"
        ),
        _keep_prefix,
    ),
    # key=value, key = "v w", --flag=value, query strings (?access_token=...&).
    (
        re.compile(r"(?i)(?<![\w.-])" + _SECRET_KEY_NAME_KV + r"(?:=|%3D|[ \t]+=[ \t]*)" + _VALUE),
        _keep_prefix,
    ),
    # --password value (CLI flags in process listings and error messages).
    (
        re.compile(r"(?i)(?<![\w-])--" + _SECRET_KEY_NAME + r"[ \t]+" + _VALUE),
        _keep_prefix,
    ),
    # key: value at the start of a line (YAML, headers like X-Api-Key:): the rest of the line.
    (
        re.compile(
            r"(?im)^[ \t]*(?:-[ \t]+)?" + _SECRET_KEY_NAME + r"[ \t]*:[ \t]+"
            r"(?!(?:true|false|null|~)[ \t]*$)"  # YAML flags like automountServiceAccountToken
            r"(?P<value>" + _QUOTED + r"|[^\s#{\[].*?)[ \t]*$"  # {..}/[..]: YAML flow maps
        ),
        _keep_prefix,
    ),
    # key: value inside prose: only values that do not read as an ordinary word.
    (
        re.compile(r"(?i)(?<![\w.-])" + _SECRET_KEY_NAME + r"[ \t]*:[ \t]*" + _NOT_A_WORD + _VALUE),
        _keep_prefix,
    ),
)


def redact(text: str) -> str:
    """Mask every secret recognisable by its shape in free text.

    Args:
        text: A log line, a whole log, a message; may span lines.

    Returns:
        The text with each secret replaced by `REDACTED`, keeping the surrounding context (the
        key, the URL's user and host, the auth scheme) so the line is still useful to debug.
    """
    if not _TRIGGER.search(text):
        return text
    # Masking can join what a space or a quote used to separate, so a later pass may find a
    # new match; repeating until nothing changes is what makes redact() idempotent.
    for _ in range(_MAX_PASSES):
        masked = _one_pass(text)
        if masked == text:
            break
        text = masked
    return text


def redact_private_keys(text: str) -> str:
    """Mask only PEM private-key blocks: the one secret that spans lines.

    For callers that split a long text into lines and `redact` only the lines they keep.
    """
    pattern, replace = _PEM_RULE
    return pattern.sub(replace, text)


def _one_pass(text: str) -> str:
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    return text


# --- structured values --------------------------------------------------------------------

_SECRET_WORDS: Final = frozenset(
    {"password", "passwd", "passphrase", "pwd", "token", "secret", "apikey", "credentials"}
    | {"credential", "pass"}
)
# "<word> key" is a secret value for these words (api_key, PRIVATE_KEY, secretAccessKey).
_KEY_QUALIFIERS: Final = frozenset(
    {"api", "private", "access", "secret", "signing", "encryption", "master", "client"}
)
_WORD: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_UPPER_KEY_ENV: Final = re.compile(r"[A-Z0-9_]*_KEY")


def is_secret_key(key: str) -> bool:
    """Whether a map key (or env var name) holds a secret *value* rather than naming one.

    The last word decides: ``dbPassword``, ``GITHUB_TOKEN``, ``client-secret``, ``api_key``
    and any ``UPPER_SNAKE_KEY`` env name are secrets; ``secretName``, ``secretRef``,
    ``tokenPath``, ``passwordSecretRef`` and External Secrets' camelCase ``secretKey`` only
    point at one. ``existingSecret`` (Helm charts' reference to a Secret) is a name too.
    """
    if _UPPER_KEY_ENV.fullmatch(key):
        return True
    words: list[str] = [w.lower() for w in _WORD.findall(key)]
    if not words:
        return False
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


def _redact_last_applied(text: str) -> str:
    """Mask kubectl's copy of the applied manifest, which for a Secret holds its data.

    Parsed as JSON so Secret data and env lists are caught structurally; text rules otherwise.
    """
    try:
        parsed = json.loads(text)
    except ValueError:
        return redact(text)
    if not isinstance(parsed, dict):
        return redact(text)
    masked = redact_value(parsed)
    newline = "\n" if text.endswith("\n") else ""
    return json.dumps(masked, separators=(",", ":")) + newline


def _is_secret_data_path(path: str, kind: str) -> bool:
    if kind != "Secret":
        return False
    return any(path == p or path.startswith(p + "/") for p in ("/data", "/stringData"))


def _is_secret_object(value: dict[str, Any]) -> bool:
    return value.get("kind") == "Secret" and value.get("apiVersion") == "v1"


def _redact_dict(value: dict[str, Any], path: str, kind: str) -> dict[str, Any]:
    if _is_secret_object(value):
        kind, path = "Secret", ""  # an embedded Secret (a List item, a dump): its own root
    out: dict[str, Any] = {}
    secret_env = _is_secret_env(value)
    for key, item in value.items():
        # A secret-named key holding a map or list is configuration (cert-manager's
        # privateKey: {algorithm: ECDSA}); its leaves are judged by their own keys instead.
        scalar = not isinstance(item, dict | list)
        if scalar and ((secret_env and key == "value") or is_secret_key(key)):
            out[key] = _mask(item)
        else:
            out[key] = redact_value(item, path=f"{path}/{_escape(key)}", kind=kind)
    return out


def _is_secret_env(value: dict[str, Any]) -> bool:
    """``{"name": "DB_PASSWORD", "value": "x"}``: env vars, Helm parameters, plugin env."""
    name = value.get("name")
    return isinstance(name, str) and "value" in value and is_secret_key(name)


def redact_value(value: Any, *, path: str = "", kind: str = "") -> Any:
    """Return a deep copy of a JSON value with every secret in it masked.

    Args:
        value: Parsed JSON (dict, list, scalar); other objects (e.g. ``ABSENT``) pass through.
        path: The JSON pointer of ``value`` inside its object, e.g. ``/data/password``.
        kind: The Kubernetes kind of that object; for ``Secret`` everything under ``/data``
            and ``/stringData`` is masked whatever its key.

    Returns:
        The copy: Secret data and values of secret-looking keys are `REDACTED` (keys kept),
        every other string passed through `redact`.
    """
    if _is_secret_data_path(path, kind):
        return _mask_all(value)
    if isinstance(value, dict):
        return _redact_dict(value, path, kind)
    if isinstance(value, list):
        return [redact_value(v, path=f"{path}/{i}", kind=kind) for i, v in enumerate(value)]
    if isinstance(value, str):
        if _last_segment(path) == _LAST_APPLIED:
            return _redact_last_applied(value)
        return redact(value)
    return value
