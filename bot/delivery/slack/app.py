"""The Bolt app behind ``/drift``: acknowledge within Slack's 3 s, answer through response_url.

Over HTTP every request passes the gate (`bot.delivery.slack.gate`: size, signature, replays)
and then Bolt's own signature check before any listener runs; in Socket Mode Slack's websocket
authenticates instead. The listener then does only cheap things: parse the text and ``ack``
— with the full answer for help and syntax errors, else with "Working on it…". The real work
(a scan can take seconds to minutes) runs on a bounded pool of our own, so slow scans never
occupy the threads Bolt needs to acknowledge the next request, and the answer goes to the
command's ``response_url`` — ephemeral, like every answer here. Button clicks, the ack
modal and App Home arrive the same way (same URL, same signature check) and are answered by
`bot.delivery.slack.interactions`.

A delivery edge: broad ``except`` allowed, logging the traceback, telling the user nothing.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, TypeAlias
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from prometheus_client import CollectorRegistry
from slack_bolt import Ack as BoltAck
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.error import BoltError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.webhook import WebhookClient

from bot.delivery.metrics import Metrics
from bot.delivery.render import answers as render
from bot.delivery.slack import access, buttons, commands, ids, outcomes
from bot.delivery.slack.gate import SlackGate
from bot.delivery.slack.interactions import Context, Interactions, SlackBackend, Surfaces
from bot.delivery.slack.links import ArgoLinks
from bot.delivery.slack.replay import Deliveries
from bot.delivery.slack.signing import check_signing
from bot.errors import (
    ConfigError,
    InputError,
    StoreError,
    UpstreamUnavailableError,
    truncate_body,
)
from bot.settings import Settings

log = logging.getLogger(__name__)

BoltApp: TypeAlias = App
"""The Bolt app type, named here so the rest of the bot needs no ``slack_bolt`` import."""

GROUP_CACHE_SECONDS: Final = 300.0
"""Membership of DRIFT_ACK_GROUP is re-read from Slack at most this often (per replica)."""
WORKERS: Final = 4
"""Commands answered at once. Scans are cached for DRIFT_CACHE_TTL, so concurrent commands
mostly share one scan; four keep a burst of people typing from queueing behind each other
without letting Slack traffic fan out into hundreds of upstream requests. More would cost the
acks: answers rendered side by side hold the interpreter the acknowledging threads need. With
the classifier answering faster, `bench/ack.py --roles split` measured ack p99 115–177 ms with
eight workers and 64–71 ms with four, the last answer posted no later (1.4 s)."""
QUICK_THREADS: Final = 2
"""Threads for the Web API calls that must not wait behind the command workers: opening the
ack modal has to use the click's ``trigger_id`` within 3 s, whatever scans are running."""
RESPONSE_TIMEOUT_SECONDS: Final = 10
"""response_url posts are small; a hung Slack edge must not pin a worker forever."""


def build_slack_app(
    backend: SlackBackend,
    settings: Settings,
    *,
    client: WebClient,
    metrics: Metrics | None = None,
    clock: Callable[[], datetime] | None = None,
    resources: ExitStack | None = None,
    surfaces: Surfaces,
    links: ArgoLinks,
) -> App:
    """The Bolt app answering ``/drift`` and its buttons, for HTTP or Socket Mode.

    Args:
        backend: the use cases behind the commands.
        settings: SLACK_* and DRIFT_ACK_GROUP are read from here.
        client: the Web API client (`bot.wiring` builds it with SLACK_BOT_TOKEN,
            SLACK_API_URL and slack_sdk's rate-limit and connection-error retry handlers).
        metrics: where command outcomes and timings are counted; default: a private registry.
        clock: "now" for ages and expiry in answers; default: the real UTC clock.
        resources: where the app's worker pools register their shutdown, so a stopping
            ``serve`` finishes the answers in flight before it closes the classifier.
        surfaces: the Web API calls buttons make (views, edits, thread replies).
        links: deep links into the Argo CD UI (ARGOCD_URL) for the buttons.

    Raises:
        ConfigError: a token or the signing secret is missing, or Slack rejects the token.
        UpstreamUnavailableError: Slack's Web API cannot be reached to verify the token.
    """
    secret = check_signing(settings)
    web = client
    if not web.token:
        msg = "SLACK_BOT_TOKEN is not set; the Slack app needs the bot token (xoxb-...)"
        raise ConfigError(msg)
    handler = _CommandHandler(
        backend,
        web,
        ack_group=settings.drift_ack_group,
        read_access=access.ReadAccess.from_settings(settings),
        metrics=metrics or Metrics(),
        clock=clock or _utc_now,
        links=links,
    )
    quick = ThreadPoolExecutor(QUICK_THREADS, thread_name_prefix="slack-quick")
    if resources is not None:
        resources.callback(handler.shutdown)
        resources.callback(quick.shutdown, wait=True)
    try:
        # Every listener below only parses, acknowledges and queues, so it runs on the request's
        # own thread and the response leaves as soon as it returns. With the default (False)
        # Bolt runs the listener on another thread and polls for the ack every 10 ms: each
        # acknowledgement took >= 10 ms and held a server thread that long (bench/README.md).
        app = App(
            name="drift-bot",
            logger=logging.getLogger("bot.delivery.slack.bolt"),
            client=web,
            signing_secret=secret,
            process_before_response=True,
            listener_executor=quick,
        )
    except BoltError as exc:
        # Bolt calls auth.test eagerly: a bad token fails `serve` at start, not at first use.
        msg = f"Slack rejected SLACK_BOT_TOKEN: {exc}"
        raise ConfigError(msg) from exc
    except (SlackClientError, OSError) as exc:
        msg = f"cannot reach Slack's Web API to verify the bot token: {exc}"
        raise UpstreamUnavailableError(msg, source="slack", setting="SLACK_API_URL") from exc
    app.command("/drift")(handler.on_command)
    mention = f"<!subteam^{settings.drift_oncall_group}>" if settings.drift_oncall_group else ""
    clicks = Interactions(Context(backend, surfaces, handler, links, mention))

    @app.action(re.compile(f"^{ids.ACK_PREFIX}"))
    def on_ack_button(ack: BoltAck, body: dict[str, Any]) -> None:
        ack()
        quick.submit(clicks.open_ack_modal, body)  # after the response, not before it

    @app.action(re.compile(r"^drift_(show_diff|logs|unack|open_argocd)$"))
    def on_button(ack: BoltAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()  # the URL button only needs this: Slack already opened the link
        clicks.clicked(str(action.get("action_id", "")), body)

    app.view(ids.ACK_MODAL)(clicks.submit)
    app.event("app_home_opened")(lambda event: clicks.home_opened(event))
    return app


def start_socket_mode(app: App, settings: Settings) -> SocketModeHandler:
    """Connect ``app`` to Slack over Socket Mode (no public URL needed); returns the handler.

    The connection runs on slack_sdk's own threads; call ``close()`` on the result to stop.
    """
    if settings.slack_app_token is None:
        msg = "SLACK_APP_TOKEN is not set; Socket Mode needs the app-level token (xapp-...)"
        raise ConfigError(msg)
    handler = SocketModeHandler(app, app_token=settings.slack_app_token.get_secret_value())
    handler.connect()  # type: ignore[no-untyped-call]  # bolt leaves it unannotated
    return handler


def wsgi_handler(
    app: App, path: str, *, deliveries: Deliveries, registry: CollectorRegistry
) -> WSGIApplication:
    """Bolt's WSGI adapter for ``app`` at ``path``, behind the gate (`bot.delivery.slack.gate`)."""
    handler = SlackRequestHandler(app, path=path)

    def handle(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body: Iterable[bytes] = handler(environ, start_response)
        return body

    # Bolt keeps its signing secret only as a private attribute; read here, by its importer.
    secret = str(app._signing_secret)
    return SlackGate(handle, signing_secret=secret, deliveries=deliveries, registry=registry)


def retry_handlers() -> list[RetryHandler]:
    """slack_sdk's handlers: wait out 429s per Retry-After, retry dropped connections."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=2),
    ]


class _CommandHandler:
    """Parses, acknowledges, and answers ``/drift`` on a worker pool."""

    def __init__(
        self,
        backend: SlackBackend,
        client: WebClient,
        *,
        ack_group: str | None,
        metrics: Metrics,
        clock: Callable[[], datetime],
        links: ArgoLinks,
        read_access: access.ReadAccess,
    ) -> None:
        self._backend = backend
        self._links = links
        self._client = client
        self._ack_group = ack_group
        self._read = read_access
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._members_lock = threading.Lock()
        self._metrics = metrics
        self._clock = clock
        self.pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="drift-command")

    def shutdown(self) -> None:
        """Finish the answers in flight, then stop the workers."""
        self.pool.shutdown(wait=True)

    def on_command(self, ack: BoltAck, command: dict[str, Any]) -> None:
        """Bolt listener: answer cheap things in the ack itself, queue the rest."""
        text = str(command.get("text", ""))
        try:
            cmd = commands.parse(text)
        except InputError as exc:
            self._count("invalid", "input_error")
            _send_ack(ack, render.input_error(exc))
            if outcomes.audited(outcomes.typed_verb(text), "input_error"):  # off this thread
                self.pool.submit(self._backend.refused, text, str(exc), str(command.get("user_id")))
            return
        if isinstance(cmd, commands.Help):
            self._count("help", "ok")
            _send_ack(ack, render.help_message())
            return
        _send_ack(ack, render.working())
        user = str(command.get("user_id", ""))
        response_url = str(command.get("response_url", ""))
        self.pool.submit(self._answer, cmd, user, response_url, str(command.get("channel_id", "")))

    def _answer(self, cmd: commands.Command, user: str, response_url: str, where: str) -> None:
        message, result = outcomes.outcome(
            partial(self._run, cmd, user, where), cmd.verb, self._metrics
        )
        self._count(cmd.verb, result)
        if outcomes.audited(cmd.verb, result):
            self._backend.refused(commands.command_text(cmd), render.full_text(message), user)
        self._reply(response_url, message)

    def _run(self, cmd: commands.Command, user: str, where: str = "") -> render.Message:
        backend = self._backend
        self._read.check(cmd.verb, user, where, self._group_members)  # DRIFT_READ_*
        match cmd:
            case commands.AppCmd(name=name):
                with self._timed("app"):
                    report = backend.app_report(name)
                return buttons.app_answer(report, self._buttons(ids.SURFACE_APP))
            case commands.LogsCmd(name=name):
                with self._timed("logs"):
                    stuck = backend.logs_report(name)
                panel = self._buttons(ids.SURFACE_LOGS)
                return buttons.logs_answer(stuck, self._clock(), panel)
            case commands.DigestCmd():
                with self._timed("digest"):
                    blocks, text = backend.digest_preview()
                return render.fit(blocks, text, more="run `drift-bot digest`")
            case commands.AckCmd():
                self._check_ack_group(user)
                return render.ack_confirmation(backend.ack(cmd, user), self._clock())
            case commands.AcksCmd():
                return render.acks_list(backend.acks(), self._clock())
            case commands.UnackCmd(ack_id=ack_id):
                self._check_ack_group(user)
                return render.unack_confirmation(backend.unack(ack_id, user))
            case commands.Help():
                return render.help_message()

    def _buttons(self, surface: str) -> buttons.Buttons:
        """Buttons for an answer, knowing which acks are in force (none if Redis is down)."""
        try:
            acks = self._backend.acks()
        except StoreError:
            acks = []
        return buttons.Buttons(self._links, acks, now=self._clock(), surface=surface)

    def clock(self) -> datetime:
        return self._clock()

    def refusal(self, user: str) -> render.Message | None:
        """Why ``user`` may not ack (the same check as ``/drift ack``), or None."""
        try:
            self._check_ack_group(user)
        except outcomes.Refusal as refusal:
            return refusal.message
        return None

    def read_refusal(self, verb: str, user: str, channel: str, what: str) -> render.Message | None:
        """Why ``user`` may not read from ``channel`` (DRIFT_READ_*, as ``/drift``), or None."""
        try:
            self._read.check(verb, user, channel, self._group_members, what=what)
        except access.ReadRefused as refusal:
            return refusal.message
        return None

    def respond(self, response_url: str, payload: dict[str, Any]) -> None:
        """Send ``payload`` to a click's response_url (edits an ephemeral answer)."""
        webhook = WebhookClient(
            response_url, timeout=RESPONSE_TIMEOUT_SECONDS, retry_handlers=retry_handlers()
        )
        self._post(webhook, payload)

    def _check_ack_group(self, user: str) -> None:
        """With DRIFT_ACK_GROUP set, only its members may ack or unack."""
        group = self._ack_group
        if not group:
            return
        if user not in self._group_members(group):
            raise outcomes.Refusal(render.ack_forbidden(group))

    def _group_members(self, group: str) -> frozenset[str]:
        """Members of a user group, asked from Slack at most every few minutes."""
        with self._members_lock:
            cached = self._members.get(group)
            if cached is not None and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
        method = "usergroups.users.list"
        try:
            members = self._client.usergroups_users_list(usergroup=group).get("users") or []
        except SlackApiError as exc:
            self._metrics.slack_api_errors.labels(method).inc()
            error = str(exc.response.get("error", "unknown error"))
            raise outcomes.Refusal(render.ack_group_unavailable(group, error)) from exc
        except (SlackClientError, OSError) as exc:
            self._metrics.slack_api_errors.labels(method).inc()
            raise outcomes.Refusal(render.ack_group_unavailable(group, type(exc).__name__)) from exc
        fresh = frozenset(str(m) for m in members)
        with self._members_lock:
            self._members[group] = (time.monotonic(), fresh)
        return fresh

    def _reply(self, response_url: str, message: render.Message) -> None:
        """Send the answer to the command's response_url; text only if Slack refuses blocks."""
        if not response_url:
            log.warning("no response_url in the command payload; the answer is dropped")
            return
        # The URL is a capability (anyone holding it may post for 30 minutes): never logged.
        webhook = WebhookClient(
            response_url, timeout=RESPONSE_TIMEOUT_SECONDS, retry_handlers=retry_handlers()
        )
        text_only: dict[str, Any] = {"response_type": "ephemeral", "text": message.text}
        if not message.blocks:
            self._post(webhook, text_only)
            return
        status = self._post(webhook, {**text_only, "blocks": message.blocks})
        if status == 400:
            # render.fit keeps blocks valid, but if Slack still refuses them, less beats nothing.
            self._post(webhook, text_only)

    def _post(self, webhook: WebhookClient, payload: dict[str, Any]) -> int | None:
        try:
            response = webhook.send_dict(payload)
        except (SlackClientError, OSError) as exc:
            self._metrics.slack_api_errors.labels("response_url").inc()
            log.warning("could not post the answer to response_url: %s", exc)
            return None
        if response.status_code != 200:
            self._metrics.slack_api_errors.labels("response_url").inc()
            body = truncate_body(response.body or "")
            log.warning("Slack refused the answer: HTTP %s %s", response.status_code, body)
        return response.status_code

    @contextmanager
    def _timed(self, use_case: str) -> Iterator[None]:
        with self._metrics.scan_seconds.labels(use_case).time():
            yield

    def _count(self, verb: str, outcome: str) -> None:
        self._metrics.commands.labels(verb, outcome).inc()


def _send_ack(ack: BoltAck, message: render.Message) -> None:
    ack(text=message.text, blocks=message.blocks or None, response_type="ephemeral")


def _utc_now() -> datetime:
    return datetime.now(UTC)
