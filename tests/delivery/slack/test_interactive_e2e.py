"""Issue #16's acceptance: buttons clicked the way Slack clicks them, against the running app.

The app is the production assembly (`bot.wiring.build_server`, role ``all``): the real
service on the simulator, acks in a real redis-server, Bolt behind waitress on loopback, and
the real slack_sdk clients talking to the recording fake Slack API. Every click is a real
signed HTTP POST of the form Slack sends (``payload=<json>``), built from the blocks the bot
actually posted and the modal it actually opened, never from constants.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from bot.delivery.slack import ids
from bot.settings import load_settings
from bot.simulator import Simulator, scenarios
from bot.wiring import build_server, main
from tests.delivery.slack import clicks
from tests.delivery.slack.clicks import button
from tests.delivery.slack.conftest import SIGNING_SECRET, _send, sign
from tests.fakes.slack_api import FakeSlackApi, wait_for

SIM_TOKEN = "sim-token"
ACKERS = "S0ACKERS"
ALICE, MALLORY = "U0ALICE", "U0MALLORY"
CHANNEL = "C0DRIFT"


@dataclass
class Running:
    url: str
    fake: FakeSlackApi
    env: dict[str, str]
    sim: Simulator

    def post(self, body: str, *, secret: str = SIGNING_SECRET) -> tuple[int, str]:
        import urllib.request

        request = urllib.request.Request(  # noqa: S310 - loopback URL built by the fixture
            self.url + "/slack/events",
            data=body.encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret)},
            method="POST",
        )
        status, text, _ = _send(request)
        return status, text

    def command(self, text: str, ident: str, user: str = ALICE) -> dict[str, Any]:
        """A signed ``/drift`` command; returns the answer posted to its response_url."""
        form = {
            "command": "/drift",
            "text": text,
            "user_id": user,
            "channel_id": CHANNEL,
            "team_id": "T0FAKE",
            "response_url": self.fake.response_url(ident),
            "trigger_id": self.fake.issue_trigger(),
        }
        status, _ = self.post(urlencode(form))
        assert status == 200
        wait_for(lambda: self.fake.responses(ident), timeout=30)
        return dict(self.fake.responses(ident)[-1].body)

    def click(
        self,
        message: dict[str, Any],
        action_id: str,
        *,
        user: str,
        ident: str,
        secret: str = SIGNING_SECRET,
        channel: str | None = CHANNEL,
    ) -> tuple[int, str]:
        """Click the first button ``action_id`` in ``message`` (an ephemeral answer)."""
        url = self.fake.response_url(ident)
        body = clicks.block_actions(
            self.fake, message, action_id, user=user, response_url=url, channel=channel
        )
        return self.post(body, secret=secret)

    def submit(self, view_id: str, *, user: str, reason: str, duration: str) -> tuple[int, str]:
        """Submit the modal ``view_id`` as Slack does: its metadata plus the entered state."""
        body = clicks.view_submission(
            self.fake, view_id, user=user, reason=reason, duration=duration
        )
        return self.post(body)

    def scan_json(self, monkeypatch: pytest.MonkeyPatch) -> Any:
        for name, value in self.env.items():
            monkeypatch.setenv(name, value)
        out = io.StringIO()
        assert main(["scan", "--format", "json"], stdout=out) == 0
        return json.loads(out.getvalue())


@pytest.fixture
def running(tmp_path: Path, redis_url: str) -> Iterator[Running]:
    with (
        Simulator(scenarios.seed(now=datetime.now(UTC)), token=SIM_TOKEN) as sim,
        FakeSlackApi(usergroups={ACKERS: [ALICE]}) as fake,
    ):
        env = {
            "KUBECONFIG": str(sim.write_kubeconfig(tmp_path / "kubeconfig")),
            "ARGOCD_SERVER": sim.argocd_url,
            "ARGOCD_AUTH_TOKEN": SIM_TOKEN,
            "REDIS_URL": redis_url,
        }
        settings = load_settings(
            kubeconfig=env["KUBECONFIG"],
            argocd_server=sim.argocd_url,
            argocd_auth_token=SIM_TOKEN,
            redis_url=redis_url,
            argocd_url="https://argocd.example.com",
            slack_bot_token=fake.token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=fake.api_url,
            drift_ack_group=ACKERS,
            drift_channel=CHANNEL,  # commands come from here: anyone there may read (#15)
        )
        server = build_server(settings, role="all", port=0, host="127.0.0.1")
        thread = threading.Thread(target=server.http.serve_forever, daemon=True)
        thread.start()
        try:
            yield Running(f"http://127.0.0.1:{server.http.port}", fake, env, sim)
        finally:
            server.stop_background()
            thread.join(timeout=10)


def _admin(doc: Any) -> dict[str, Any]:
    (found,) = [
        f for f in doc["findings"] if f["kind"] == "ExternalSecret" and f["name"] == "gitea-admin"
    ]
    return dict(found)


def test_an_on_call_click_stores_the_ack_and_scan_json_shows_it(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ack… on /drift app's answer → modal → submit: acked in the CLI, message redrawn."""
    assert _admin(running.scan_json(monkeypatch))["acked"] is False
    answer = running.command("app gitea", "app")
    _, ack_button = button(answer, ids.ACK)
    assert ack_button["action_id"].startswith("drift_ack")
    assert json.loads(ack_button["value"])["app"] == "gitea"
    assert "https://argocd.example.com/applications/argocd/gitea" in json.dumps(answer)

    status, _ = running.click(answer, ids.ACK, user=ALICE, ident="click")
    assert status == 200
    wait_for(lambda: running.fake.views, timeout=10)
    ((view_id, modal),) = running.fake.views.items()
    assert modal["callback_id"] == ids.ACK_MODAL
    target, origin = ids.parse_metadata(modal["private_metadata"])
    assert target.fingerprint == json.loads(ack_button["value"])["fingerprint"]
    assert origin.response_url == running.fake.response_url("click")

    status, body = running.submit(view_id, user=ALICE, reason="chart bug #12", duration="1d")
    assert (status, body) == (200, "")  # an empty 200 closes the modal
    finding = _admin(running.scan_json(monkeypatch))
    assert finding["acked"] is True
    # The ephemeral answer is redrawn in place: the acked finding now says who and offers Unack.
    wait_for(lambda: running.fake.responses("click"), timeout=30)
    redrawn = running.fake.responses("click")[-1]
    assert redrawn.body["replace_original"] is True
    assert f"Acked by <@{ALICE}>" in redrawn.text_of_blocks
    assert any(
        e.get("action_id") == ids.UNACK
        for b in redrawn.body["blocks"]
        for e in b.get("elements") or []
    )


def test_an_outsiders_click_stores_nothing_and_says_why(
    running: Running, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone outside DRIFT_ACK_GROUP gets the refusal in the modal; nothing is stored."""
    answer = running.command("app gitea", "app", user=MALLORY)
    assert running.click(answer, ids.ACK, user=MALLORY, ident="click")[0] == 200
    wait_for(lambda: running.fake.views, timeout=10)
    (view_id,) = running.fake.views
    status, body = running.submit(view_id, user=MALLORY, reason="mine now", duration="30d")
    assert status == 200
    answer_json = json.loads(body)
    assert answer_json["response_action"] == "errors"
    said = answer_json["errors"][ids.REASON_BLOCK]
    assert "ack user group" in said
    assert "Nothing was stored" in said
    assert _admin(running.scan_json(monkeypatch))["acked"] is False


def test_a_forged_click_is_refused_before_any_work(running: Running) -> None:
    """A click signed with the wrong secret gets 401 and opens no modal."""
    answer = running.command("app gitea", "app")
    before = len(running.fake.requests)
    status, _ = running.click(answer, ids.ACK, user=ALICE, ident="forged", secret="not-the-secret")
    assert status == 401
    assert running.fake.views == {}
    assert len(running.fake.requests) == before


READ_BUTTONS = [
    pytest.param("app gitea", ids.SHOW_DIFF, "/spec/", id="show-diff"),
    pytest.param("app argo-rollouts", ids.LOGS, "level=fatal", id="logs"),
]


@pytest.mark.parametrize(("command", "action_id", "shown"), READ_BUTTONS)
def test_a_read_click_in_a_read_channel_still_shows(
    running: Running, command: str, action_id: str, shown: str
) -> None:
    """Anyone clicking in DRIFT_CHANNEL (the default read channel) gets the diff or the logs."""
    answer = running.command(command, "answer")
    assert running.click(answer, action_id, user=MALLORY, ident="click")[0] == 200
    wait_for(lambda: running.fake.responses("click"), timeout=30)
    (reply,) = running.fake.responses("click")
    assert shown in reply.text_of_blocks
    assert "DRIFT_READ_CHANNELS" not in reply.text_of_blocks


@pytest.mark.parametrize(("command", "action_id", "shown"), READ_BUTTONS)
@pytest.mark.parametrize("channel", ["C0RANDOM", None], ids=["other-channel", "app-home"])
def test_an_outsiders_read_click_reads_nothing_and_says_why(
    running: Running, command: str, action_id: str, shown: str, channel: str | None
) -> None:
    """Outside the read channels (or with no channel), a non-member is refused before any scan."""
    answer = running.command(command, "answer")  # ALICE, in the digest channel
    before = running.sim.count()
    assert running.click(answer, action_id, user=MALLORY, ident="click", channel=channel)[0] == 200
    wait_for(lambda: running.fake.responses("click"), timeout=30)
    (reply,) = running.fake.responses("click")
    assert reply.body["response_type"] == "ephemeral"
    assert reply.body["replace_original"] is False
    for setting in ("DRIFT_READ_CHANNELS", "DRIFT_READ_GROUPS"):
        assert setting in reply.text_of_blocks
    assert shown not in reply.text_of_blocks
    assert running.sim.count() == before  # nothing read from Argo CD or Kubernetes


def test_a_read_group_member_reads_from_anywhere(running: Running) -> None:
    """A member of the read groups (default DRIFT_ACK_GROUP) may click outside the channel."""
    answer = running.command("app gitea", "answer")
    assert running.click(answer, ids.SHOW_DIFF, user=ALICE, ident="click", channel=None)[0] == 200
    wait_for(lambda: running.fake.responses("click"), timeout=30)
    (reply,) = running.fake.responses("click")
    assert "/spec/" in reply.text_of_blocks
    assert "DRIFT_READ_CHANNELS" not in reply.text_of_blocks
