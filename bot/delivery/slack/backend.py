"""The Slack app's backend: slash commands mapped onto the classifier, acks and the digest."""

from __future__ import annotations

from typing import Any

from bot.core.model import Ack, AppReport, StuckApp
from bot.delivery.render.digest import digest_blocks
from bot.delivery.slack.commands import AckCmd
from bot.errors import StoreError
from bot.ports import Classifier
from bot.service.acks import Acknowledger
from bot.service.digest import Notifier

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
        return self._acks().ack(cmd.scope, cmd.duration, cmd.reason, by=user_id)

    def acks(self) -> list[Ack]:
        return self._acks().acks()

    def unack(self, ack_id: str, user_id: str) -> Ack:
        return self._acks().unack(ack_id, by=user_id)

    def _acks(self) -> Acknowledger:
        if self._acknowledger is None:
            raise StoreError(_NO_REDIS)
        return self._acknowledger
