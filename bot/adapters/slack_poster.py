"""Posting to Slack on the bot's own initiative (digest, escalation) through `slack_sdk`.

Retries are slack_sdk's own handlers: 429 waits for ``Retry-After`` and connection errors are
retried, so a message is posted once or reported as failed — never hand-rolled loops that
could double-post. ``invalid_blocks``/``msg_too_long`` are retried once with the fallback
text only: a digest that says less is better than no digest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeAlias

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.web import SlackResponse

from bot.errors import ConfigError, DeliveryError
from bot.settings import Settings

log = logging.getLogger(__name__)

SlackWebClient: TypeAlias = WebClient
"""The Web API client type, named here so the composition root needs no ``slack_sdk`` import."""

_SHRINKABLE = frozenset({"invalid_blocks", "msg_too_long", "invalid_blocks_format"})


def build_web_client(settings: Settings) -> WebClient:
    """A WebClient with the bot token, the optional base URL override and retry handlers."""
    if settings.slack_bot_token is None:
        msg = "SLACK_BOT_TOKEN is not set"
        raise ConfigError(msg)
    kwargs: dict[str, Any] = {}
    if settings.slack_api_url:
        kwargs["base_url"] = settings.slack_api_url.rstrip("/") + "/"
    return WebClient(
        token=settings.slack_bot_token.get_secret_value(),
        timeout=int(settings.drift_http_timeout.total_seconds()),
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=3),
            ConnectionErrorRetryHandler(max_retry_count=2),
            # 500/503: Slack did not take the message, so sending it again cannot double it.
            ServerErrorRetryHandler(max_retry_count=1),
        ],
        **kwargs,
    )


class SlackPoster:
    """`bot.ports.Poster` over a `WebClient`, plus the view and edit calls buttons need."""

    def __init__(self, client: WebClient) -> None:
        self._client = client

    def post(
        self, channel: str, blocks: list[dict[str, Any]], text: str, *, thread_ts: str | None = None
    ) -> str:
        try:
            return self._post(channel, blocks, text, thread_ts)
        except SlackClientError as exc:
            msg = f"could not reach Slack to post to {channel}: {exc} (check SLACK_API_URL)"
            raise DeliveryError(msg) from exc
        except OSError as exc:
            # slack_sdk lets urllib's errors through: refused or unresolvable (URLError, after
            # its retries) and read timeouts (TimeoutError, never retried: the post may have
            # landed, and a retry could double it).
            msg = (
                f"could not reach Slack to post to {channel}: {type(exc).__name__}: {exc} "
                "(check SLACK_API_URL)"
            )
            raise DeliveryError(msg) from exc

    def update(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        """Edit a message the bot posted (chat.update), e.g. the digest as acks change."""
        self._call(
            "chat.update",
            lambda: self._client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text),
        )

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str:
        """Open a modal for the click that gave ``trigger_id`` (valid 3 s); the view id."""
        response = self._call(
            "views.open", lambda: self._client.views_open(trigger_id=trigger_id, view=view)
        )
        return str((response.get("view") or {}).get("id", ""))

    def update_view(self, view_id: str, view: dict[str, Any]) -> None:
        """Replace an open modal (a slow submission's result)."""
        self._call("views.update", lambda: self._client.views_update(view_id=view_id, view=view))

    def publish_view(self, user_id: str, view: dict[str, Any]) -> None:
        """Publish ``user_id``'s App Home tab."""
        self._call("views.publish", lambda: self._client.views_publish(user_id=user_id, view=view))

    def _call(self, method: str, call: Callable[[], SlackResponse]) -> SlackResponse:
        """One Web API call; every failure becomes a `DeliveryError` naming the method."""
        try:
            return call()
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            msg = f"Slack refused {method}: {error}"
            raise DeliveryError(msg) from exc
        except (SlackClientError, OSError) as exc:
            msg = f"could not reach Slack for {method}: {type(exc).__name__}: {exc}"
            raise DeliveryError(msg) from exc

    def _post(
        self, channel: str, blocks: list[dict[str, Any]], text: str, thread_ts: str | None
    ) -> str:
        try:
            response = self._client.chat_postMessage(
                channel=channel, blocks=blocks, text=text, thread_ts=thread_ts
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error", ""))
            if error not in _SHRINKABLE:
                raise _delivery_error(channel, error) from exc
            log.warning("Slack refused the blocks (%s); posting the text only", error)
            try:
                response = self._client.chat_postMessage(
                    channel=channel, text=text[:39000], thread_ts=thread_ts
                )
            except SlackApiError as retry_exc:
                error = str(retry_exc.response.get("error", ""))
                raise _delivery_error(channel, error) from retry_exc
        return str(response.get("ts", ""))


def _delivery_error(channel: str, error: str) -> DeliveryError:
    hints = {
        "not_in_channel": "invite the bot to the channel",
        "channel_not_found": "check DRIFT_CHANNEL",
        "invalid_auth": "check SLACK_BOT_TOKEN",
        "ratelimited": "Slack kept rate-limiting after retries",
    }
    hint = hints.get(error, "see Slack's chat.postMessage errors")
    return DeliveryError(f"Slack refused the post to {channel}: {error} ({hint})")
