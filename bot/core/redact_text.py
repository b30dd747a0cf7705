"""Masking secrets in free text: log lines, messages, whole logs.

Free text has no structure to lean on, so secrets are recognised three ways: by *shape*
(vendor tokens, JWTs, PEM keys, high-entropy strings: `bot.core.secret_shapes`), by *place*
(credentials in URLs, Authorization and Cookie headers, ``mysql -pPW``, a SAS ``sig=``) and
by the *key* in front of them (``password=``, ``"token": "…"``, ``AccountKey=``, ``--db-password
x``, ``client-key-data:``). Two secrets span lines and are handled on the whole text first
(`redact_across_lines`): PEM private keys — also a body whose BEGIN line fell outside a log
tail — and YAML env pairs (``- name: DB_PASSWORD`` then ``value: x``).

Cost is bounded: every rule is linear in its input (starts are guarded by look-behinds so a
long run is scanned once), per-line rules run only on lines a cheap trigger flags, and a line
longer than `MAX_LINE_CHARS` is cut (at a token boundary, marked ``…``) before any rule sees it,
so redacting megabytes of hostile text costs milliseconds per line at worst. Redaction is
idempotent: redacting redacted text changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

from bot.core import secret_shapes

REDACTED: Final = "[REDACTED]"

MAX_LINE_CHARS: Final = 8192
"""Longer lines are cut before redaction; no log line worth reading is that long."""

_MAX_PASSES: Final = 4

# Nothing can be redacted in a line that contains none of these (lower-cased), nor a long
# token; most log lines don't. Lower-casing once beats a case-insensitive alternation.
_TRIGGER_WORDS: Final = (
    *("pass", "pwd", "token", "secret", "key", "auth", "bearer", "credential", "cookie", "sig"),
    *("://", "@tcp(", "@unix(", "hooks.slack", "eyj", "github_pat_", "xox", "xapp", "aiza"),
    *("sk-", "sk_", "rk_", "whsec_", "gl", "gr1348941", "npm_", "pypi-", "hvs.", "hvb.", "hvr."),
    *("sg.", "sq0", "-us", ":aa", "mysql", "mariadb", "gh"),
    *("akia", "asia", "agpa", "aida", "aroa", "anpa", "anva", "abia", "acca", "a3t"),
)
_TRIGGER_WORD: Final = re.compile("|".join(re.escape(word) for word in _TRIGGER_WORDS))


def _triggered(line: str) -> bool:
    lowered = line.lower()
    # One alternation is cheapest on a short line; on a long one Python's regex tries every
    # word at every position, while `in` scans for each word at C speed.
    if len(line) <= 256:
        found = _TRIGGER_WORD.search(lowered) is not None
    else:
        found = any(word in lowered for word in _TRIGGER_WORDS)
    return (
        found
        or secret_shapes.ENTROPY_HINT.search(line) is not None
        or secret_shapes.DOTTED_HINT.search(line) is not None
    )


# A value as it is written after a key: double- or single-quoted (with escapes), a quote escaped
# inside an outer JSON string (\"...\"), or a bare run up to the next delimiter.
_QUOTED: Final = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|\\\"(?:[^\"\\\n]|\\[^\"])*\\\""
_BARE: Final = r"[^\s,;&\"'<>{}()\[\]]+|\[REDACTED\]"
_VALUE: Final = f"(?P<value>{_QUOTED}|{_BARE})"
# The rest of a line, without trailing blanks (greedy then one step back: linear, unlike .*?$).
_REST: Final = r"[^\s#{\[](?:[^\n]*[^\s])?"

# Key names whose value is a secret. The key must END with one of these words, so
# `secretName`, `tokenizer`, `password_file` or `max_tokens` never match. `secretKey` is left
# out on purpose: in camelCase it is External Secrets' *name* of a key, not a value.
_BASE_SUFFIXES: Final = (
    ["password", "passwd", "passphrase", "pwd", "token", "secret", "secret_key", "secret-key"]
    + ["credential", "credentials"]
    # "pass" only as a word of its own (DB_PASS, smtp.pass): "bypass" and "compass" are not.
    + ["_pass", "-pass", ".pass"]
    + [
        f"{qualifier}{sep}key"
        for qualifier in ("api", "access", "private", "signing", "encryption")
        for sep in ("_", "-", "")
    ]
    # Azure connection strings, kubeconfig's inline client key, a GCP key file's key id.
    + ["accountkey", "sharedaccesskey", "key-data", "key_data", "private_key_id"]
)
# password_b64=..., TOKEN_BASE64: an encoded secret is still the secret.
_KEY_SUFFIXES: Final = tuple(
    dict.fromkeys(
        _BASE_SUFFIXES
        + [f"{s}{enc}" for s in _BASE_SUFFIXES for enc in ("_b64", "_base64", "-b64", "-base64")]
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


def _random_token(match: re.Match[str]) -> str:
    token = match.group(0)
    return REDACTED if secret_shapes.looks_random(token) else token


_MYSQL_PASSWORD: Final = re.compile(r"(?<=\s)-p(?P<value>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"]+)")


def _mysql(match: re.Match[str]) -> str:
    """``mysql -uroot -pS3cret``: the password glued to ``-p`` (``-p 3306`` is a prompt + arg)."""
    return _MYSQL_PASSWORD.sub(_keep_prefix, match.group(0))


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
# A PEM body whose BEGIN line is missing (a log tail starting mid-key): the base64-only lines
# right before an END line at the start of a line.
_PEM_END: Final = re.compile(r"(?m)^[ \t]*-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----")
_BASE64_LINE: Final = re.compile(r"[A-Za-z0-9+/=]+")
_PEM_MIN_WIDTH: Final = 40


def _is_pem_body_line(line: str, *, last: bool) -> bool:
    """A full-width base64 line (PEM wraps at 64), or the short last one right before END.

    A lower-case word ("starting") is base64 too; it never is a key's last line.
    """
    body = line.strip()
    if not _BASE64_LINE.fullmatch(body):
        return False
    return len(body) >= _PEM_MIN_WIDTH or (last and not (body.isalpha() and body.islower()))


def _mask_headless_pem(text: str) -> str:
    """Replace the base64 lines before each END line by one `REDACTED`, as `_pem` does.

    Walks back from each END line to the previous END at most, so every line is read once.
    """
    out: list[str] = []
    pos = 0
    for end in _PEM_END.finditer(text):
        cut = end.start()
        while cut > pos and text[cut - 1] == "\n":
            line_start = text.rfind("\n", pos, cut - 1) + 1 or pos
            if not _is_pem_body_line(text[line_start : cut - 1], last=cut == end.start()):
                break
            cut = line_start
        out.append(text[pos:cut])
        out.append(REDACTED if cut < end.start() else text[cut : end.start()])
        out.append(end.group(0))
        pos = end.end()
    out.append(text[pos:])
    return "".join(out)


# Env entries in YAML, the secret's key being the *name* field's value, over two lines.
_YAML_PAIR_RULE: Final[_Rule] = (
    re.compile(
        r"(?im)^[ \t]*(?:-[ \t]+)?name:[ \t]*[\"']?" + _SECRET_KEY_NAME + r"[\"']?[ \t]*\r?\n"
        r"[ \t]*value:[ \t]*(?P<value>" + _QUOTED + r"|[^\s#](?:[^\n]*[^\s])?)"
    ),
    _keep_prefix,
)

# Order matters only for readability of the result: specific shapes first (a JWT inside an
# Authorization header becomes one [REDACTED], not two), generic key=value rules last.
_RULES: Final[tuple[_Rule, ...]] = (
    _PEM_RULE,
    # JWTs: header and payload are base64url JSON objects, so both start with "eyJ".
    (
        re.compile(
            r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+"
        ),
        _whole,
    ),
    (secret_shapes.PROVIDER_TOKENS, _whole),
    # Slack webhook, workflow-trigger and response URLs carry their secret in the path (also
    # URL-encoded, as a response_url inside a logged form body).
    (
        re.compile(r"(?i)(?P<pre>hooks\.slack(?:-gov)?\.com(?:/|%2F))(?P<value>[A-Za-z0-9/_%-]+)"),
        _keep_prefix,
    ),
    # user:password@ in any URL or DSN; user and host stay for debugging.
    (
        # Greedy up to the last "@" before the path: an unescaped "@", "#" or "?" inside a
        # password stays masked instead of leaking the rest of it. The scheme starts only
        # after a non-scheme character, so "a.a.a.a…" is not retried at every dot.
        re.compile(
            r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://[^:/?#@\s\"'<>{}\[\]]*+:"
            r"(?P<value>[^/\s\"'<>]+)@"
        ),
        _keep_prefix,
    ),
    # A token as the URL's user (https://<40 hex>@github.com, Sentry DSNs' public key).
    (
        re.compile(
            r"(?i)(?<![a-z0-9+.-])[a-z][a-z0-9+.-]*+://"
            r"(?P<value>(?=[A-Za-z_~.-]*[0-9])[A-Za-z0-9_~.-]{20,}+)@"
        ),
        _keep_prefix,
    ),
    # Go MySQL DSNs without a scheme: user:password@tcp(host:3306)/db
    (re.compile(r":(?P<value>[^@/\s:]+)@(?:tcp|unix)\("), _keep_prefix),
    # mysql/mariadb clients take the password glued to -p.
    (re.compile(r"(?i)(?<![\w-])(?:mysql|mariadb)[\w-]*[^\n]*"), _mysql),
    # Authorization headers (also Go's map[Authorization:[Bearer x]] dump): any scheme, any value.
    (
        re.compile(
            r"(?i)\b(?:proxy-)?authorization[\"']?\s*[:=]\s*\[?[\"']?"
            r"(?:(?:bearer|basic|token|bot|digest|negotiate|apikey)\s+)?"
            r"(?P<value>\[REDACTED\]|[^\s\"',;\]]+)"
        ),
        _keep_prefix,
    ),
    # Cookie and Set-Cookie headers: the whole value (every cookie may be a session).
    (
        re.compile(
            r"(?i)(?<![\w-])(?:set-)?cookie[\"']?[ \t]*[:=][ \t]*(?:(?!\[REDACTED\])\[)?[\"']?"
            r"(?P<value>\[REDACTED\]|[^\r\n\"'\]]+)"
        ),
        _keep_prefix,
    ),
    # Signed URLs: Azure SAS sig=, AWS and GCS presigned signatures.
    (
        re.compile(
            r"(?i)[?&](?:sig|signature|x-amz-signature|x-goog-signature)=(?P<value>[^&\s\"'<>#]+)"
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
    # Docker config.json: "auth" (base64 user:password) and "identitytoken".
    (
        re.compile(
            r"(?i)(?P<q>\\?\")(?:auth|identitytoken|registrytoken)(?P=q)\s*:\s*(?P<value>"
            + _QUOTED
            + r")"
        ),
        _keep_prefix,
    ),
    # Env entries dumped as text, where the secret's key is the *name* field's value:
    # {"name":"DB_PASSWORD","value":"x"} (JSON, also \"-escaped inside a JSON string), Go's
    # {Name:DB_PASSWORD Value:x ValueFrom:nil}; YAML's two-line form is in redact_across_lines.
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
            r"(?P<value>" + _QUOTED + r"|" + _REST + r")"  # {..}/[..]: YAML flow maps
        ),
        _keep_prefix,
    ),
    # key: value inside prose: only values that do not read as an ordinary word.
    (
        re.compile(r"(?i)(?<![\w.-])" + _SECRET_KEY_NAME + r"[ \t]*:[ \t]*" + _NOT_A_WORD + _VALUE),
        _keep_prefix,
    ),
    # Last: any long random-looking token nothing above named (an unlabelled AWS secret key).
    (secret_shapes.ENTROPY_CANDIDATE, _random_token),
)


def redact(text: str) -> str:
    """Mask every secret recognisable in free text.

    Args:
        text: A log line, a whole log, a message; may span lines.

    Returns:
        The text with each secret replaced by `REDACTED`, keeping the surrounding context (the
        key, the URL's user and host, the auth scheme) so the line is still useful to debug.
        Lines longer than `MAX_LINE_CHARS` come back cut, ending in ``…``.
    """
    text = redact_across_lines(text)
    if "\n" not in text:
        return _redact_line(text)
    return "\n".join(_redact_line(line) for line in text.split("\n"))


def redact_across_lines(text: str) -> str:
    """Mask only the secrets that span lines: PEM private keys and YAML name/value env pairs.

    For callers that split a long text into lines and `redact` only the lines they keep.
    """
    if "PRIVATE KEY" in text:
        pattern, replace = _PEM_RULE
        text = _mask_headless_pem(pattern.sub(replace, text))
    if "\n" in text and re.search(r"(?i)value:", text):
        pattern, replace = _YAML_PAIR_RULE
        text = pattern.sub(replace, text)
    return text


redact_private_keys = redact_across_lines
"""The former name of `redact_across_lines` (PEM keys were its only multi-line secret), kept
for callers on branches that predate issue #15."""


def _redact_line(line: str) -> str:
    line = _bounded(line)
    if not _triggered(line):
        return line
    # Masking can join what a space or a quote used to separate, so a later pass may find a
    # new match; repeating until nothing changes is what makes redaction idempotent.
    for _ in range(_MAX_PASSES):
        masked = _bounded(_one_pass(line))  # masking lengthens short values: cap again
        if masked == line:
            break
        line = masked
    return line


def _bounded(line: str) -> str:
    """At most `MAX_LINE_CHARS`: cut, dropping the token the cut fell into (half a secret)."""
    if len(line) <= MAX_LINE_CHARS:
        return line
    head = line[: MAX_LINE_CHARS - 1]
    parts = head.rsplit(maxsplit=1)
    return (parts[0] if len(parts) == 2 else "") + "…"


def _one_pass(text: str) -> str:
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    return text
