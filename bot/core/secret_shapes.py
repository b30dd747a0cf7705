"""Secrets recognisable by their shape alone: vendor token formats and high-entropy strings.

Why not the ``detect-secrets`` library itself (issue #15 evaluated it and its maintained fork
``bc-detect-secrets``; figures and command in bench/README.md): importing any of its plugins
imports ``requests`` (its detectors can *verify* a secret over the network), its ad-hoc scan
mutates process-wide settings on every call, and plugin discovery walks the package on disk —
none of which the pure core may do. Used as a redactor on its own it caught nearly everything
but changed 40 of 41 ordinary log lines (its eager entropy search flags plain words) and was
~50x slower than our rules on a 400-line log tail; its per-provider detectors alone had 0 false
positives but missed 63 of 80 corpus secrets. So what holds up is kept, as data: its provider
patterns (Apache-2.0, Yelp/detect-secrets ``detect_secrets/plugins``: Azure storage keys,
SendGrid, Stripe, Square, Discord, Mailchimp, Telegram, PyPI, GitLab's token family) and its
Shannon-entropy test, re-expressed as compiled regexes here; tests/core/test_redact_library.py
runs the library's own detectors over our corpus and fails if it finds a secret we keep.

Every pattern is linear: each token shape starts only where the previous character cannot
belong to a token (a negative look-behind over the token's own alphabet), so a long run such as
``sk-sk-sk-…`` is scanned once, not once per possible start.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Final

# Characters a token is made of (base64, base64url, and the separators vendors use).
_TOKEN_CHARS: Final = r"A-Za-z0-9_\-"  # noqa: S105  # an alphabet, not a password
_START: Final = rf"(?<![{_TOKEN_CHARS}])"
_END: Final = rf"(?![{_TOKEN_CHARS}])"

PROVIDER_TOKENS: Final = re.compile(
    _START
    + r"(?:"
    + r"|".join(
        (
            # AWS access key ids
            r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}",
            r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}",  # GitHub
            r"xox[abeposr]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}",  # Slack
            r"AIza[0-9A-Za-z_-]{30,}",  # Google API keys
            # GitLab personal, deploy, feed, service-account, runner, CI, incoming-mail tokens
            r"(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent)-[A-Za-z0-9_-]{20,}",
            r"GR1348941[A-Za-z0-9_-]{20,}",  # GitLab runner registration
            r"sk-(?:ant-|proj-)?[A-Za-z0-9_-]{20,}",  # LLM APIs (Anthropic, OpenAI)
            r"[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}",  # Stripe
            r"npm_[A-Za-z0-9]{36}",  # npm
            r"pypi-AgE[A-Za-z0-9_-]{40,}",  # PyPI and TestPyPI API tokens (macaroons)
            r"hv[sbr]\.[A-Za-z0-9_-]{24,}",  # HashiCorp Vault service, batch, recovery tokens
            r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{30,64}",  # SendGrid
            r"sq0(?:csp|atp)-[A-Za-z0-9_-]{22,43}",  # Square
            r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}",  # Discord bots
            r"[0-9a-f]{32}-us[0-9]{1,2}",  # Mailchimp
            r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",  # Telegram bots
        )
    )
    + r")"
    + _END
)
"""Tokens whose prefix and length alone say which service issued them."""

# A long run of the base64(url) alphabet: the candidate for the entropy test. 40 characters is
# an AWS secret access key, the shortest common secret that comes without a label.
_MIN_ENTROPY_LENGTH: Final = 40
ENTROPY_CANDIDATE: Final = re.compile(
    rf"(?<![A-Za-z0-9+/_\-.%])[A-Za-z0-9+/_\-]{{{_MIN_ENTROPY_LENGTH},}}+={{0,2}}(?![A-Za-z0-9+/=_\-])"
)
ENTROPY_HINT: Final = re.compile(rf"[A-Za-z0-9+/_\-]{{{_MIN_ENTROPY_LENGTH}}}")
"""Cheap test for whether a line has any candidate at all (used by the trigger)."""
DOTTED_HINT: Final = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{6}\.")
"""Cheap test for a dotted three-part token (a Discord bot token) that neither a trigger word
nor `ENTROPY_HINT` announces: its parts are shorter than an entropy candidate. Anchored at
the start of a run, so a long run without dots is walked once, not from every position."""

_ENTROPY_LIMIT: Final = 4.5
"""bits per character; detect-secrets' default for base64 strings. Random base64 of 40+
characters scores 4.7-5.3; English-like identifiers (``AbstractSingletonProxyFactoryBean2``)
about 4.3, and paths, UUID-bearing names and lowercase slugs fail the other checks first."""


def shannon_entropy(text: str) -> float:
    """Bits of information per character of ``text`` (0 for an empty string)."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in Counter(text).values())


def looks_random(token: str) -> bool:
    """Whether a long base64-alphabet token is a secret rather than a name, path or digest.

    Secrets mix upper case, lower case and digits; git SHAs and image digests are lower-case
    hex, names and slugs lack digits or capitals, and paths have a slash every few characters.
    """
    body = token.rstrip("=")
    if not (any(c.isupper() for c in body) and any(c.islower() for c in body)):
        return False
    if not any(c.isdigit() for c in body) or body.startswith("/"):
        return False
    if body.count("/") * 16 > len(body) or body.count("-") * 8 > len(body):
        return False
    return shannon_entropy(body) >= _ENTROPY_LIMIT
