"""What happens when someone clicks a drift-bot button, submits the ack modal or opens App Home.

Bolt (``app.py``) verifies every request's signature before any of this runs and hands over
the parsed payload; this module never imports ``slack_bolt`` or ``slack_sdk`` (the Web API
calls go through `Surfaces`, which ``bot.wiring`` builds over ``slack_sdk``).

Slack's clock drives the design:

* A click must be acknowledged within 3 s, and ``views.open`` must use the click's
  ``trigger_id`` within 3 s too, so *Ack…* opens the modal right after the acknowledgement,
  on threads of its own (never behind the command workers), from the button's value alone:
  no scan, no Redis.
* A modal submission is answered in the acknowledgement itself (``response_action``): errors
  under the reason field, or closing the modal. Storing the ack re-reads the app's drift
  (usually cached, since the person just looked at it), so it gets `SUBMIT_BUDGET_S`; past
  that the modal turns into "Working on it…" and is updated (``views.update``) with the result.
* Everything else (Show diff, Logs, Unack, redrawing the message an ack came from, the App
  Home) runs on the worker pool after the acknowledgement.

Who may ack is checked exactly as ``/drift ack`` checks it (``DRIFT_ACK_GROUP``); a refusal
stores nothing and says why where the person is looking (in the modal, or as a reply).
Who may read is checked exactly as ``/drift app`` and ``/drift logs`` check it
(``DRIFT_READ_CHANNELS`` / ``DRIFT_READ_GROUPS``, `bot.delivery.slack.access`), before any
scan: a refused *Show diff* or *Logs* click reads nothing upstream and is answered privately.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Protocol

from bot.core.model import Ack, AppReport, ScanReport, StuckApp
from bot.delivery.render import answers
from bot.delivery.render.blocks import Message
from bot.delivery.slack import buttons, commands, ids, payloads, views
from bot.delivery.slack.links import ArgoLinks
from bot.errors import DeliveryError, InputError, StoreError, UnknownAppError, UpstreamError

log = logging.getLogger(__name__)

SUBMIT_BUDGET_S: Final = 2.0
"""How long a submission may work before its acknowledgement (Slack waits 3 s in all)."""
Ack_ = Callable[..., None]
"""Bolt's ``ack``: called once, with ``response_action``/``errors``/``view`` for modals."""
READ_BUTTONS: Final = {
    ids.SHOW_DIFF: ("app", "The *Show diff* button"),
    ids.LOGS: ("logs", "The *Logs* button"),
}
"""The buttons that show diffs or logs: the ``/drift`` verb whose read policy they share."""


class Surfaces(Protocol):
    """The Web API calls buttons need (`bot.adapters.slack_poster.SlackPoster`)."""

    def post(
        self, channel: str, blocks: list[dict[str, Any]], text: str, *, thread_ts: str | None = None
    ) -> str: ...
    def update(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None: ...
    def open_view(self, trigger_id: str, view: dict[str, Any]) -> str: ...
    def update_view(self, view_id: str, view: dict[str, Any]) -> None: ...
    def publish_view(self, user_id: str, view: dict[str, Any]) -> None: ...


class InteractiveBackend(Protocol):
    """The use cases behind the buttons (`bot.delivery.slack.backend.Backend`)."""

    def app_report(self, name: str) -> AppReport: ...
    def logs_report(self, name: str) -> StuckApp: ...
    def scan(self) -> ScanReport: ...
    def acks(self) -> list[Ack]: ...
    def ack_target(
        self, target: ids.Target, duration: timedelta, reason: str, user_id: str
    ) -> Ack: ...
    def unack_target(self, target: ids.Target, user_id: str) -> list[Ack]: ...
    def refresh_digest(self) -> str: ...
    def refused(self, command: str, why: str, user_id: str) -> None:
        """Audit a refused ack or unack (best effort: never raises)."""


class SlackBackend(InteractiveBackend, Protocol):
    """What the Slack app needs from the rest of the bot (the lead wires it to the service)."""

    def digest_preview(self) -> tuple[list[dict[str, Any]], str]:
        """Today's digest as (blocks, fallback text), without posting it."""
        ...

    def ack(self, cmd: commands.AckCmd, user_id: str) -> Ack:
        """Store an ack of the drift ``cmd.scope`` currently matches; raises `StoreError`."""
        ...

    def unack(self, ack_id: str, user_id: str) -> Ack:
        """Withdraw one ack (audited); raises `InputError` for an unknown id, `StoreError`."""
        ...


@dataclass(frozen=True)
class Context:
    """What every handler is given besides the payload."""

    backend: InteractiveBackend
    web: Surfaces
    commands: CommandSide
    links: ArgoLinks
    mention: str
    """``<!subteam^ID>`` of DRIFT_ONCALL_GROUP, for redrawn escalation pings."""

    def respond(self, response_url: str, payload: dict[str, Any]) -> None:
        self.commands.respond(response_url, payload)

    def refusal(self, user: str) -> Message | None:
        return self.commands.refusal(user)

    def read_refusal(self, action_id: str, body: Mapping[str, Any]) -> Message | None:
        verb, what = READ_BUTTONS[action_id]
        return self.commands.read_refusal(verb, payloads.user(body), payloads.channel(body), what)

    def clock(self) -> datetime:
        return self.commands.clock()

    @property
    def pool(self) -> ThreadPoolExecutor:
        return self.commands.pool


class CommandSide(Protocol):
    """What the ``/drift`` handler shares with the buttons (``app._CommandHandler``)."""

    @property
    def pool(self) -> ThreadPoolExecutor: ...
    def clock(self) -> datetime: ...

    def respond(self, response_url: str, payload: dict[str, Any]) -> None:
        """Post to a response_url (the only way to edit an ephemeral answer)."""
        ...

    def refusal(self, user: str) -> Message | None:
        """Why ``user`` may not ack (DRIFT_ACK_GROUP, as ``/drift ack``), or None."""
        ...

    def read_refusal(self, verb: str, user: str, channel: str, what: str) -> Message | None:
        """Why ``user`` may not read ``verb``'s diffs or logs from ``channel`` (DRIFT_READ_*)."""
        ...


class Interactions:
    """The listeners' bodies; ``app.py`` registers them on the Bolt app."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    # --- clicks ---------------------------------------------------------------------------

    def open_ack_modal(self, body: Mapping[str, Any]) -> None:
        """*Ack…*: open the modal now, while the trigger_id is valid (3 s)."""
        try:
            target, origin = payloads.clicked(body)
            modal = views.ack_modal(target, origin)
            self._ctx.web.open_view(str(body.get("trigger_id", "")), modal)
        except InputError as exc:
            log.warning("ack button with a value we did not write: %s", exc)
        except DeliveryError as exc:
            log.warning("could not open the ack modal: %s", exc)

    def clicked(self, action_id: str, body: Mapping[str, Any]) -> None:
        """Show diff, Logs, Unack: queue the work (the click is already acknowledged)."""
        work = {ids.SHOW_DIFF: self._show_diff, ids.LOGS: self._logs, ids.UNACK: self._unack}
        step = work.get(action_id)
        if step is not None:
            self._ctx.pool.submit(self._guarded, step, body)

    def _show_diff(self, body: Mapping[str, Any]) -> None:
        target, origin = payloads.clicked(body)
        if self._read_refused(ids.SHOW_DIFF, body, origin):
            return
        finding = payloads.finding(self._ctx.backend.app_report(target.app), target)
        message = views.diff_reply(finding) if finding else views.gone_reply(target)
        self._reply(origin, message)

    def _logs(self, body: Mapping[str, Any]) -> None:
        target, origin = payloads.clicked(body)
        if self._read_refused(ids.LOGS, body, origin):
            return
        stuck = self._ctx.backend.logs_report(target.app)
        self._reply(origin, answers.stuck_app(stuck, self._ctx.clock()))

    def _read_refused(self, action_id: str, body: Mapping[str, Any], origin: ids.Origin) -> bool:
        """Answer a click the read policy refuses (privately, nothing read); whether it did."""
        refusal = self._ctx.read_refusal(action_id, body)
        if refusal is None:
            return False
        log.info("%s by %s refused by DRIFT_READ_*", action_id, payloads.user(body))
        self._reply(origin, refusal, private=True)
        return True

    def _unack(self, body: Mapping[str, Any]) -> None:
        target, origin = payloads.clicked(body)
        user = payloads.user(body)
        refusal = self._ctx.refusal(user)
        if refusal is not None:
            self._reply(origin, refusal, private=True)
            return
        removed = self._ctx.backend.unack_target(target, user)
        log.info("unack by %s of %s: %s", user, target.scope, [a.id for a in removed])
        self._redraw(target, origin, user)

    # --- the modal ------------------------------------------------------------------------

    def submit(self, ack: Ack_, body: Mapping[str, Any]) -> None:
        """The ack modal's submission: refuse (errors, nothing stored) or store and close."""
        view = body.get("view") or {}
        user = payloads.user(body)
        try:
            target, origin = ids.parse_metadata(view.get("private_metadata"))
            reason, duration = payloads.inputs(view)
        except InputError as exc:
            ack(response_action="errors", errors={ids.REASON_BLOCK: payloads.short(str(exc))})
            return
        refusal = self._ctx.refusal(user)
        if refusal is not None:
            what = f"ack {target.scope} (button)"
            self._ctx.pool.submit(self._ctx.backend.refused, what, refusal.text, user)
            said = payloads.short(f"{refusal.text} Nothing was stored.")
            ack(response_action="errors", errors={ids.REASON_BLOCK: said})
            return
        future = self._ctx.pool.submit(self._ctx.backend.ack_target, target, duration, reason, user)
        try:
            stored = future.result(timeout=SUBMIT_BUDGET_S)
        except FutureTimeout:
            ack(response_action="update", view=views.working())
            future.add_done_callback(
                lambda done: self._finish_late(done, str(view.get("id", "")), target, origin, user)
            )
            return
        except (InputError, UnknownAppError, StoreError, UpstreamError) as exc:
            ack(response_action="errors", errors={ids.REASON_BLOCK: payloads.short(_why(exc).text)})
            return
        ack()
        log.info("ack %s by %s on %s (button)", stored.id, user, target.scope)
        self._ctx.pool.submit(self._guarded_redraw, target, origin, user)

    def _finish_late(
        self, done: Future[Ack], view_id: str, target: ids.Target, origin: ids.Origin, user: str
    ) -> None:
        try:
            stored = done.result()
        except (InputError, UnknownAppError, StoreError, UpstreamError) as exc:
            failed = views.ack_failed(_why(exc))
            self._quietly(lambda: self._ctx.web.update_view(view_id, failed))
            return
        self._quietly(
            lambda: self._ctx.web.update_view(view_id, views.ack_done(stored, self._ctx.clock()))
        )
        self._guarded_redraw(target, origin, user)

    # --- App Home -------------------------------------------------------------------------

    def home_opened(self, event: Mapping[str, Any]) -> None:
        """``app_home_opened`` on the Home tab: publish that person's view (on the pool)."""
        if event.get("tab", "home") == "home" and event.get("user"):
            self._ctx.pool.submit(self._guarded, self._publish_home, {"user": event["user"]})

    def _publish_home(self, body: Mapping[str, Any]) -> None:
        user = str(body["user"])
        report = self._ctx.backend.scan()
        acks = self._acks_or_none()
        panel = buttons.Buttons(
            self._ctx.links, acks, now=report.generated_at, surface=ids.SURFACE_HOME
        )
        self._ctx.web.publish_view(user, views.home(report, acks, user, panel))

    # --- redrawing the message an ack came from -------------------------------------------

    def _guarded_redraw(self, target: ids.Target, origin: ids.Origin, user: str) -> None:
        self._guarded(lambda _: self._redraw(target, origin, user), {})

    def _redraw(self, target: ids.Target, origin: ids.Origin, user: str) -> None:
        """Show the new ack state where the click happened ("acked by @x until …")."""
        ctx = self._ctx
        now = ctx.clock()
        panel = buttons.Buttons(ctx.links, self._acks_or_none(), now=now, surface=origin.surface)
        if origin.surface == ids.SURFACE_DIGEST:
            log.info("%s", ctx.backend.refresh_digest())
        elif origin.surface == ids.SURFACE_HOME:
            self._publish_home({"user": user})
        elif origin.surface == ids.SURFACE_ESCALATION and origin.channel and origin.ts:
            stuck = ctx.backend.app_report(target.app).stuck
            if stuck is not None:
                blocks, text = buttons.escalation(stuck, ctx.mention, now, panel)
                ctx.web.update(origin.channel, origin.ts, blocks, text)
        elif origin.surface == ids.SURFACE_LOGS and origin.response_url:
            stuck = ctx.backend.logs_report(target.app)
            self._replace(origin, buttons.logs_answer(stuck, now, panel))
        elif origin.response_url:
            report = ctx.backend.app_report(target.app)
            self._replace(origin, buttons.app_answer(report, panel))

    def _replace(self, origin: ids.Origin, message: Message) -> None:
        payload = {"replace_original": True, "text": message.text, "blocks": message.blocks}
        self._ctx.respond(origin.response_url, payload)

    # --- replies --------------------------------------------------------------------------

    def _reply(self, origin: ids.Origin, message: Message, *, private: bool = False) -> None:
        """In the clicked message's thread, or privately under an ephemeral answer."""
        if origin.channel and origin.ts and not private:
            thread = origin.thread_ts or origin.ts
            self._ctx.web.post(origin.channel, message.blocks, message.text, thread_ts=thread)
            return
        if origin.response_url:
            payload = {
                "response_type": "ephemeral",
                "replace_original": False,
                "text": message.text,
                "blocks": message.blocks,
            }
            self._ctx.respond(origin.response_url, payload)

    def _guarded(self, step: Callable[[Mapping[str, Any]], None], body: Mapping[str, Any]) -> None:
        """Run one queued step; failures become a reply where possible, never a crash."""
        try:
            step(body)
        except (InputError, UnknownAppError, StoreError, UpstreamError) as exc:
            log.warning("button: %s", exc)
            if body:
                self._reply(payloads.origin(body), _why(exc), private=True)
        except DeliveryError as exc:
            log.warning("button: Slack refused the answer: %s", exc)
        except Exception:  # the delivery edge: log everything, show nothing internal
            log.exception("button handler failed")
            if body:
                self._quietly(
                    lambda: self._reply(
                        payloads.origin(body), answers.internal_error(), private=True
                    )
                )

    def _quietly(self, call: Callable[[], None]) -> None:
        try:
            call()
        except DeliveryError as exc:
            log.warning("Slack refused: %s", exc)

    def _acks_or_none(self) -> list[Ack]:
        try:
            return self._ctx.backend.acks()
        except StoreError as exc:
            log.warning("acks not shown: %s", exc)
            return []


def _why(exc: Exception) -> Message:
    if isinstance(exc, UnknownAppError):
        return answers.unknown_app(exc)
    if isinstance(exc, UpstreamError):
        return answers.upstream_error(exc)
    if isinstance(exc, StoreError):
        return answers.store_error(exc)
    return answers.input_error(exc if isinstance(exc, InputError) else InputError(str(exc)))
