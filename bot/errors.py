"""Every error drift-bot raises on purpose, in one tree.

    DriftBotError
    ├── ConfigError            bad or missing setting; names the env var or flag (exit 2)
    ├── InputError             malformed data from upstream or a user (JSON, slash command)
    │   └── UnknownAppError    no such Application (carries close matches)
    ├── UpstreamError          talking to Kubernetes or Argo CD failed (exit 3 from the CLI)
    │   ├── UpstreamAuthError      401/403: the token is wrong or lacks permissions
    │   ├── UpstreamNotFoundError  404 (Argo CD hides unknown apps behind 403/7, see adapters)
    │   └── UpstreamUnavailableError  connection refused, timeout, 5xx, 429 after retries
    └── StoreError             Redis unreachable or failing

Adapters translate their client library's exceptions into these, chain the original as
``__cause__``, and truncate any response body they quote so payloads and secrets stay out of
logs. This module imports nothing from ``bot`` so any layer may use it.
"""

from __future__ import annotations

from collections.abc import Sequence

_BODY_LIMIT = 256


def truncate_body(body: str | bytes, limit: int = _BODY_LIMIT) -> str:
    """Shorten a response body for an error message: enough to debug, too short to leak data."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class DriftBotError(Exception):
    """Base of all errors drift-bot raises deliberately."""


class ConfigError(DriftBotError):
    """A setting is missing or invalid; the message names the variable or flag to fix."""


class InputError(DriftBotError):
    """Data we were given is malformed; the message says where."""


class UnknownAppError(InputError):
    """No Application with that name; ``matches`` holds close names to suggest."""

    def __init__(self, name: str, matches: Sequence[str] = ()) -> None:
        self.name = name
        self.matches = tuple(matches)
        hint = f" Did you mean: {', '.join(self.matches)}?" if self.matches else ""
        super().__init__(f"No Argo CD Application named {name!r}.{hint}")


class UpstreamError(DriftBotError):
    """Kubernetes or Argo CD could not be read.

    ``source`` is ``"kubernetes"`` or ``"argocd"``; ``setting`` names the env var that points at
    the upstream, so messages can say what to check.
    """

    def __init__(self, message: str, *, source: str, setting: str = "") -> None:
        self.source = source
        self.setting = setting
        super().__init__(message)


class UpstreamAuthError(UpstreamError):
    """The upstream refused our credentials (401) or their permissions (403)."""


class UpstreamNotFoundError(UpstreamError):
    """The object does not exist upstream."""


class UpstreamUnavailableError(UpstreamError):
    """The upstream is unreachable, timed out, or kept failing with 5xx/429 after retries."""


class StoreError(DriftBotError):
    """Redis is unreachable or failed; commands that need it answer with this message."""


class DeliveryError(DriftBotError):
    """Slack refused or failed a post after retries; the message says which call and why."""
