"""Golden Block Kit for every interactive message, modal and the App Home view.

The same seed cases as the plain renderings (`tests.delivery.render.test_golden`), drawn with
buttons: `/drift app` and `/drift logs` answers, the escalation ping, the digest summary and
its class replies, the ack modal (one resource, a whole stuck app), its result views, the
Show diff reply, and the App Home tab. Each is compared byte for byte with a reviewed file,
checked against the fake Slack API's limits (message or view), and checked to ping nobody.

After an intended change::

    DRIFT_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/delivery/slack/test_interactive_golden.py
    git diff tests/delivery/slack/golden/
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.render.blocks import Message
from bot.delivery.slack import buttons, ids, views
from bot.delivery.slack.digest import DigestThreads
from bot.delivery.slack.links import ArgoLinks
from bot.errors import InputError
from tests.delivery.render.test_golden import acks, hostile_finding, scan, the_digest
from tests.delivery.slack import seed
from tests.fakes.slack_api import limit_problem, view_problem

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("DRIFT_UPDATE_GOLDEN") == "1"
NOW = seed.NOW
LINKS = ArgoLinks("https://argocd.example.com", "argocd")
ORIGIN = ids.Origin(surface=ids.SURFACE_DIGEST, channel="C0DRIFT", ts="1700000001.000100")


def _panel(surface: str, *, with_acks: bool = True) -> buttons.Buttons:
    return buttons.Buttons(LINKS, acks() if with_acks else (), now=NOW, surface=surface)


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _message(message: Message) -> str:
    return _json({"blocks": message.blocks, "text": message.text})


def _pair(rendered: tuple[list[dict[str, Any]], str]) -> str:
    return _json({"blocks": rendered[0], "text": rendered[1]})


def _gitea_finding_target() -> ids.Target:
    f = seed.gitea_report().findings[0]
    k = f.key
    return ids.Target(
        f.app, k.kind, k.name, k.group, k.namespace, str(f.drift_class), f.fingerprint
    )


def _digest_thread() -> str:
    thread = DigestThreads(LINKS)(the_digest())
    replies = [{"key": key, "blocks": b, "text": t} for key, b, t in thread.replies]
    return _json({"summary": {"blocks": thread.summary[0], "text": thread.summary[1]},
                  "replies": replies})  # fmt: skip


def _hostile_app() -> Any:
    return replace(seed.gitea_report(), app="evil", findings=(hostile_finding(),))


CASES: dict[str, Callable[[], str]] = {
    "app-gitea.json": lambda: _message(
        buttons.app_answer(seed.gitea_report(), _panel(ids.SURFACE_APP))
    ),
    "app-argo-rollouts.json": lambda: _message(
        buttons.app_answer(seed.rollouts_report(), _panel(ids.SURFACE_APP))
    ),
    "app-evil.json": lambda: _message(buttons.app_answer(_hostile_app(), _panel("app"))),
    "logs-argo-rollouts.json": lambda: _message(
        buttons.logs_answer(seed.rollouts_stuck(), NOW, _panel(ids.SURFACE_LOGS))
    ),
    "escalation.json": lambda: _pair(
        buttons.escalation(
            seed.rollouts_stuck(),
            "<!subteam^S0ONCALL>",
            NOW,
            _panel(ids.SURFACE_ESCALATION, with_acks=False),
        )
    ),
    "digest-thread.json": _digest_thread,
    "modal-ack-resource.json": lambda: _json(views.ack_modal(_gitea_finding_target(), ORIGIN)),
    "modal-ack-app.json": lambda: _json(
        views.ack_modal(
            ids.Target("argo-rollouts", fingerprint=seed.rollouts_stuck().fingerprint), ORIGIN
        )
    ),
    "modal-working.json": lambda: _json(views.working()),
    "modal-acked.json": lambda: _json(views.ack_done(acks()[0], NOW)),
    "modal-not-acked.json": lambda: _json(
        views.ack_failed(
            Message([], "Not acked: the drift of gitea/ExternalSecret/gitea-admin changed.")
        )
    ),
    "diff-reply.json": lambda: _message(views.diff_reply(hostile_finding())),
    "diff-gone.json": lambda: _message(views.gone_reply(_gitea_finding_target())),
    "home.json": lambda: _json(views.home(scan(), acks(), "U0ALICE", _panel(ids.SURFACE_HOME))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name: str) -> None:
    """The rendering equals the stored, reviewed file byte for byte."""
    rendered = CASES[name]()
    path = GOLDEN / name
    if UPDATE:
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8")


def _stored(name: str) -> Any:
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_is_valid_for_slack(name: str) -> None:
    """Every stored message or view passes Slack's limits as the fake Slack API enforces them."""
    payload = _stored(name)
    if "summary" in payload:
        messages = [payload["summary"], *payload["replies"]]
        assert all(limit_problem(m) is None for m in messages)
    elif payload.get("type") in ("modal", "home"):
        assert view_problem(payload) is None
    else:
        assert limit_problem(payload) is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_pings_nobody(name: str) -> None:
    """No cluster value reaches Slack unescaped: no broadcast, no forged link."""
    stored = (GOLDEN / name).read_text(encoding="utf-8")
    assert "<!channel>" not in stored
    assert "<http://evil" not in stored


def test_every_ack_button_follows_the_contract_and_carries_a_decodable_value() -> None:
    """action_ids starting with drift_ack open the modal; their values decode to targets."""
    seen = 0
    for name in CASES:
        for element in _elements(_stored(name)):
            if str(element.get("action_id", "")).startswith(ids.ACK_PREFIX):
                target = ids.Target.decode(element["value"])
                assert target.app
                assert target.fingerprint
                seen += 1
    assert seen >= 5


def test_a_value_we_did_not_write_is_refused() -> None:
    """A tampered or foreign value is an InputError, never a half-filled target."""
    for value in ("", "[]", '{"kind": "Service"}', '{"app": 3}', "not json"):
        with pytest.raises(InputError):
            ids.Target.decode(value)


def _elements(payload: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(payload, dict):
        if payload.get("type") == "button":
            found.append(payload)
        for value in payload.values():
            found.extend(_elements(value))
    elif isinstance(payload, list):
        for item in payload:
            found.extend(_elements(item))
    return found
