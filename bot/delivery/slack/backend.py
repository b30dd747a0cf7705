"""The Slack app's backend: slash commands mapped onto the classifier, acks and the digest."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

from bot.core.model import Ack, AppReport, ScanReport, StuckApp
from bot.delivery.render.digest import digest_blocks
from bot.delivery.slack.commands import AckCmd
from bot.delivery.slack.ids import Target
from bot.errors import DeliveryError, StoreError, UpstreamError
from bot.ports import Classifier
from bot.service.acks import Acknowledger
from bot.service.digest import Notifier

log = logging.getLogger(__name__)

_NO_REDIS = "REDIS_URL is not set, so acks cannot be stored; everything else works"


class Backend:
    """`bot.delivery.slack.app.SlackBackend` over the real use cases."""

    def __init__(
        self, classifier: Classifier, acknowledger: Acknowledger | None, notifier: Notifier
    ) -> None:
        self._classifier = classifier
        self._acknowledger = acknowledger
        self._notifier = notifier

    def app_report(self, name: str) -> AppReport:
        return self._classifier.app_report(name)

    def logs_report(self, name: str) -> StuckApp:
        return self._classifier.logs_report(name)

    def digest_preview(self) -> tuple[list[dict[str, Any]], str]:
        return digest_blocks(self._notifier.build_digest())

    def ack(self, cmd: AckCmd, user_id: str) -> Ack:
        ack = self._acks().ack(cmd.scope, cmd.duration, cmd.reason, by=user_id)
        self._refresh_later()
        return ack

    def acks(self) -> list[Ack]:
        return self._acks().acks()

    def unack(self, ack_id: str, user_id: str) -> Ack:
        ack = self._acks().unack(ack_id, by=user_id)
        self._refresh_later()
        return ack

    # --- what the buttons need (`bot.delivery.slack.interactions.InteractiveBackend`) -------

    def scan(self) -> ScanReport:
        return self._classifier.scan()

    def ack_target(self, target: Target, duration: timedelta, reason: str, user_id: str) -> Ack:
        return self._acks().ack(
            target.scope, duration, reason, by=user_id, expected=target.fingerprint or None
        )

    def unack_target(self, target: Target, user_id: str) -> list[Ack]:
        return self._acks().unack_covering(target.scope, target.fingerprint, by=user_id)

    def refresh_digest(self) -> str:
        """Edit today's digest to the acks as they are (buttons call this on their pool)."""
        try:
            return self._notifier.refresh_digest()
        except (DeliveryError, StoreError, UpstreamError) as exc:
            # The ack itself is stored; a digest that is a little behind is no reason to fail.
            log.warning("today's digest not refreshed: %s", exc)
            return f"digest not refreshed: {exc}"

    def _refresh_later(self) -> None:
        """A typed /drift ack or unack also edits today's digest, without delaying its answer."""
        threading.Thread(target=self.refresh_digest, name="digest-refresh", daemon=True).start()

    def refused(self, command: str, why: str, user_id: str) -> None:
        if self._acknowledger is not None:
            self._acknowledger.refused(command, why, by=user_id)

    def _acks(self) -> Acknowledger:
        if self._acknowledger is None:
            raise StoreError(_NO_REDIS)
        return self._acknowledger
