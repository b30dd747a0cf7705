"""DRIFT_READ_CHANNELS / DRIFT_READ_GROUPS: who may see diffs and logs through ``/drift``.

Signed slash commands through the served app; group membership comes from the recording fake
Slack's ``usergroups.users.list`` (ALICE is in ACK_GROUP, BOB is in no group).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.delivery.slack.access import ReadAccess
from bot.settings import Settings
from tests.delivery.slack.conftest import ACK_GROUP, ALICE, Served
from tests.fakes.slack_api import Recorded, wait_for

ServeFn = Callable[..., Served]
BOB = "U0BOB"
DIGEST_CHANNEL = "C0DRIFT"
OTHER_CHANNEL = "C0RANDOM"


def _answer(served: Served, ident: str) -> Recorded:
    wait_for(lambda: served.fake.responses(ident))
    (posted,) = served.fake.responses(ident)
    return posted


def _shown(served: Served, text: str, *, ident: str, user: str, channel: str) -> bool:
    """Whether the command got the real answer (the backend was asked) or a refusal."""
    before = len(served.backend.calls)
    status, _body, _seconds = served.command(text, ident=ident, user=user, channel=channel)
    assert status == 200
    posted = _answer(served, ident)
    asked = len(served.backend.calls) > before
    refused = "DRIFT_READ_CHANNELS" in posted.text_of_blocks
    assert asked != refused, posted.text_of_blocks
    return asked


@pytest.mark.parametrize("verb", ["app gitea", "logs argo-rollouts"])
def test_default_is_the_digest_channel_and_the_ack_group(serve: ServeFn, verb: str) -> None:
    """In the digest channel anyone reads; elsewhere only ack-group members do."""
    served = serve(drift_channel=DIGEST_CHANNEL, drift_ack_group=ACK_GROUP)
    assert _shown(served, verb, ident="1", user=BOB, channel=DIGEST_CHANNEL)
    assert _shown(served, verb, ident="2", user=ALICE, channel=OTHER_CHANNEL)
    assert not _shown(served, verb, ident="3", user=BOB, channel=OTHER_CHANNEL)


def test_refusal_names_where_and_who_by_id_without_pinging(serve: ServeFn) -> None:
    """The refusal names the channels and groups as ids and the settings that change them."""
    served = serve(drift_channel=DIGEST_CHANNEL, drift_ack_group=ACK_GROUP)
    served.command("app gitea", user=BOB, channel=OTHER_CHANNEL)
    text = _answer(served, "1").text_of_blocks
    assert f"`{DIGEST_CHANNEL}`" in text
    assert f"`{ACK_GROUP}`" in text
    assert "<!subteam" not in text
    assert "<#" not in text


def test_explicit_settings_replace_the_defaults(serve: ServeFn) -> None:
    """DRIFT_READ_CHANNELS replaces DRIFT_CHANNEL; DRIFT_READ_GROUPS replaces the ack group."""
    served = serve(
        drift_channel=DIGEST_CHANNEL,
        drift_ack_group=ACK_GROUP,
        drift_read_channels="C0OPS, C0SRE",
        drift_read_groups="S0NOBODY",
    )
    assert _shown(served, "app gitea", ident="1", user=BOB, channel="C0SRE")
    assert not _shown(served, "app gitea", ident="2", user=BOB, channel=DIGEST_CHANNEL)
    assert not _shown(served, "app gitea", ident="3", user=ALICE, channel=OTHER_CHANNEL)


def test_star_opens_every_channel(serve: ServeFn) -> None:
    """``*`` keeps the old behaviour: anyone, anywhere."""
    served = serve(drift_channel=DIGEST_CHANNEL, drift_read_channels="*")
    assert _shown(served, "logs argo-rollouts", ident="1", user=BOB, channel=OTHER_CHANNEL)


def test_unreadable_group_refuses_instead_of_opening(serve: ServeFn) -> None:
    """If Slack cannot list a read group's members, outside the read channels nobody reads."""
    served = serve(drift_channel=DIGEST_CHANNEL, drift_read_groups="S0MISSING")
    assert not _shown(served, "app gitea", ident="1", user=ALICE, channel=OTHER_CHANNEL)
    assert _shown(served, "app gitea", ident="2", user=ALICE, channel=DIGEST_CHANNEL)


def test_other_commands_are_not_restricted(serve: ServeFn) -> None:
    """help, digest and acks answer anywhere: they show no diff or log line."""
    served = serve(drift_channel=DIGEST_CHANNEL, drift_ack_group=ACK_GROUP)
    served.command("digest", user=BOB, channel=OTHER_CHANNEL)
    assert "DRIFT_READ_CHANNELS" not in _answer(served, "1").text_of_blocks


@pytest.mark.parametrize(
    ("values", "channels", "groups", "is_open"),
    [
        pytest.param({}, set(), (), True, id="nothing-configured"),
        pytest.param({"drift_channel": "C1"}, {"C1"}, (), False, id="digest-channel"),
        pytest.param({"drift_ack_group": "S1"}, set(), ("S1",), False, id="ack-group"),
        pytest.param(
            {"drift_read_groups": "S1,S2,S1", "drift_ack_group": "S9"},
            set(),
            ("S1", "S2"),
            False,
            id="groups-deduplicated",
        ),
    ],
)
def test_policy_from_settings(
    values: dict[str, str], channels: set[str], groups: tuple[str, ...], is_open: bool
) -> None:
    """Defaults and explicit lists resolve as documented in docs/slack.md."""
    access = ReadAccess.from_settings(Settings(**values))  # type: ignore[arg-type]
    assert (set(access.channels), access.groups, access.is_open) == (channels, groups, is_open)
