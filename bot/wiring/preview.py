"""``--format blocks``: the Slack renderings, built by the same functions the Slack app uses.

``/drift app`` and ``/drift logs`` answer with buttons (`bot.delivery.slack.buttons`), drawn
here as for a user with no ack in force. The digest is ``/drift digest``'s answer: the whole
digest in one message (the scheduled post spreads the same content over a summary message
and its thread replies).
"""

from __future__ import annotations

from datetime import datetime

from bot.core.digest import Digest
from bot.core.model import AppReport, StuckApp
from bot.delivery import cli
from bot.delivery.render import answers
from bot.delivery.render.digest import digest_blocks
from bot.delivery.slack import buttons, ids
from bot.delivery.slack.links import ArgoLinks
from bot.settings import Settings


class SlackPreview:
    """`bot.delivery.cli.SlackPreview` over the Slack app's own renderers."""

    def __init__(self, settings: Settings) -> None:
        self._links = ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace)

    def app(self, report: AppReport) -> cli.Preview:
        panel = buttons.Buttons(self._links, now=report.generated_at, surface=ids.SURFACE_APP)
        message = buttons.app_answer(report, panel)
        return message.blocks, message.text

    def logs(self, stuck: StuckApp, now: datetime) -> cli.Preview:
        panel = buttons.Buttons(self._links, now=now, surface=ids.SURFACE_LOGS)
        message = buttons.logs_answer(stuck, now, panel)
        return message.blocks, message.text

    def digest(self, digest: Digest) -> cli.Preview:
        blocks, text = digest_blocks(digest)
        message = answers.fit(blocks, text, more="run `drift-bot digest`")
        return message.blocks, message.text
