"""Which secret Bolt verifies Slack's requests with (pure: settings in, secret out).

HTTP mode needs SLACK_SIGNING_SECRET: Bolt refuses (401) every request whose HMAC or
timestamp (older than 5 minutes) does not verify, before any listener runs, for slash
commands, button clicks and modal submissions alike.
"""

from __future__ import annotations

import secrets

from bot.errors import ConfigError
from bot.settings import Settings


def check_signing(settings: Settings) -> str:
    """The secret Bolt verifies requests with; `ConfigError` when HTTP mode has none."""
    if settings.slack_signing_secret is not None:
        return settings.slack_signing_secret.get_secret_value()
    if settings.slack_app_token is not None:
        # Socket Mode needs no signing secret, but /slack/events may still be routed: a random
        # secret nobody knows makes every HTTP request fail verification instead of passing.
        return secrets.token_hex(32)
    msg = (
        "SLACK_SIGNING_SECRET is not set; HTTP mode needs it to verify Slack's requests "
        "(or set SLACK_APP_TOKEN to use Socket Mode)"
    )
    raise ConfigError(msg)
