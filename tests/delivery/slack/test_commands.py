"""The ``/drift`` grammar: what parses into which command, and what is refused with usage."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.model import AckScope
from bot.delivery.slack import commands
from bot.delivery.slack.commands import (
    AckCmd,
    AcksCmd,
    AppCmd,
    DigestCmd,
    Help,
    LogsCmd,
    UnackCmd,
    parse,
)
from bot.errors import InputError

WEEK = timedelta(days=7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("", Help(), id="empty-is-help"),
        pytest.param("   \n ", Help(), id="blank-is-help"),
        pytest.param("help", Help(), id="help"),
        pytest.param("HELP me", Help(), id="help-ignores-case-and-extra"),
        pytest.param("app gitea", AppCmd("gitea"), id="app"),
        pytest.param("  app   gitea  ", AppCmd("gitea"), id="app-extra-spaces"),
        pytest.param("App team-a_gitea", AppCmd("team-a_gitea"), id="app-other-namespace"),
        pytest.param("logs argo-rollouts", LogsCmd("argo-rollouts"), id="logs"),
        pytest.param("digest", DigestCmd(), id="digest"),
        pytest.param("acks", AcksCmd(), id="acks"),
        pytest.param("unack a1b2-c3", UnackCmd("a1b2-c3"), id="unack"),
    ],
)
def test_parses_simple_commands(text: str, expected: commands.Command) -> None:
    """Each sub-command parses into its value, ignoring case of the verb and extra spaces."""
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "scope", "duration", "reason"),
    [
        pytest.param(
            "ack gitea 4h chart upgrade",
            AckScope("gitea"),
            timedelta(hours=4),
            "chart upgrade",
            id="app-duration-reason",
        ),
        pytest.param(
            "ack gitea known noise",
            AckScope("gitea"),
            WEEK,
            "known noise",
            id="default-7d",
        ),
        pytest.param(
            "ack gitea/Service/gitea-redis-cluster 30d drop next sprint",
            AckScope("gitea", "Service", "gitea-redis-cluster"),
            timedelta(days=30),
            "drop next sprint",
            id="resource-max-30d",
        ),
        pytest.param(
            "ack infisical/ClusterRole/system:ingress 1h30m rbac",
            AckScope("infisical", "ClusterRole", "system:ingress"),
            timedelta(minutes=90),
            "rbac",
            id="colon-name-compound-duration",
        ),
        pytest.param(
            "ack gitea 2 replicas are expected",
            AckScope("gitea"),
            WEEK,
            "2 replicas are expected",
            id="number-without-unit-is-reason",
        ),
        pytest.param(
            "ack gitea 4h <!channel> &\nsee\tticket",
            AckScope("gitea"),
            timedelta(hours=4),
            "<!channel> & see ticket",
            id="reason-kept-raw-whitespace-folded",
        ),
    ],
)
def test_parses_ack(text: str, scope: AckScope, duration: timedelta, reason: str) -> None:
    """Ack takes a scope, an optional duration (default 7d) and a required reason."""
    assert parse(text) == AckCmd(scope=scope, duration=duration, reason=reason)


@pytest.mark.parametrize(
    ("text", "problem", "usage"),
    [
        pytest.param("frobnicate", "Unknown sub-command 'frobnicate'", "/drift help", id="unknown"),
        pytest.param("app", "Give an app name", "/drift app NAME", id="app-missing"),
        pytest.param("app a b", "exactly one app name", "/drift app NAME", id="app-two"),
        pytest.param(
            "app <!channel>", "not an Argo CD Application name", "/drift app", id="bad-name"
        ),
        pytest.param("logs", "Give an app name", "/drift logs NAME", id="logs-missing"),
        pytest.param("digest now", "takes no arguments", "/drift digest", id="digest-args"),
        pytest.param("acks all", "takes no arguments", "/drift acks", id="acks-args"),
        pytest.param("unack", "Give an ack id", "/drift unack ID", id="unack-missing"),
        pytest.param("unack ../x", "not an ack id", "/drift unack ID", id="unack-bad"),
        pytest.param("ack", "Say what to ack", "/drift ack", id="ack-missing"),
        pytest.param("ack gitea", "A reason is required", "/drift ack", id="ack-no-reason"),
        pytest.param("ack gitea 4h", "A reason is required", "/drift ack", id="ack-only-duration"),
        pytest.param("ack gitea 31d x", "longer than the 30d", "/drift ack", id="ack-too-long"),
        pytest.param("ack gitea 0h x", "zero", "/drift ack", id="ack-zero"),
        pytest.param(
            "ack gitea 1234567d x", "longer than the 30d", "/drift ack", id="ack-7-digits"
        ),
        *(
            # Typed as a duration but not one we accept: refused, never a 7-day ack.
            pytest.param(
                f"ack gitea {d} x",
                "is not a duration; an ack lasts e.g. 4h, 1d or 7d",
                "/drift ack",
                id=f"ack-{d}",
            )
            for d in ("-1d", "1e9h", "PT4H", "４h", "4hours", "1.5h", "+4h", "P1D")
        ),
        pytest.param(
            "ack gitea " + "9w" * 20 + " x",
            "too long for a duration",
            "/drift ack",
            id="ack-huge-duration",
        ),
        pytest.param(
            "ack gitea/Service x", "neither APP nor APP/KIND/NAME", "/drift ack", id="two-parts"
        ),
        pytest.param("ack gitea/9s/x y", "not a Kubernetes kind", "/drift ack", id="bad-kind"),
        pytest.param(
            "ack gitea/Service/-x y", "not a Kubernetes object name", "/drift ack", id="bad-obj"
        ),
        pytest.param("ack gitea " + "x" * 600, "keep it under 500", "/drift ack", id="long-reason"),
        pytest.param("app " + "x" * 3000, "at most 2000", "/drift help", id="long-text"),
    ],
)
def test_rejects_with_usage(text: str, problem: str, usage: str) -> None:
    """Malformed text raises InputError naming the problem and ending with the usage line."""
    with pytest.raises(InputError) as caught:
        parse(text)
    message = str(caught.value)
    assert problem in message
    assert message.splitlines()[-1].startswith("Usage: ")
    assert usage in message.splitlines()[-1]


def test_quotes_long_tokens_shortened() -> None:
    """An error quotes at most 40 characters of what was typed, so pasted text stays out."""
    with pytest.raises(InputError) as caught:
        parse("frob" + "z" * 500)
    assert "z" * 60 not in str(caught.value)


def test_usage_lists_every_subcommand() -> None:
    """The general usage line names all seven sub-commands of the contract."""
    line = commands.usage_text()
    for verb in ("help", "app NAME", "logs NAME", "digest", "ack APP", "acks", "unack ID"):
        assert f"/drift {verb}" in line


def test_verbs_name_each_command() -> None:
    """Each command value carries its verb (used for metrics labels)."""
    assert [c.verb for c in (Help, AppCmd, LogsCmd, DigestCmd, AckCmd, AcksCmd, UnackCmd)] == [
        "help",
        "app",
        "logs",
        "digest",
        "ack",
        "acks",
        "unack",
    ]


_TRICKY = st.sampled_from(
    [
        "ack",
        "app",
        "logs",
        "unack",
        "digest",
        "acks",
        "help",
        "<!channel>",
        "<@U123>",
        "/",
        "4h",
        "31d",
        "0s",
        "999999w",
        "\n",
        "\u200b",
        "ä",
        "٣d",
        "a/b/c",
        "&amp;",
        "`",
    ]
)
_TEXTS = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(_TRICKY, st.text(max_size=12)), max_size=12).map(" ".join),
    # Around the length limit; built from a repeated character so generation stays cheap.
    st.builds(lambda word, n: f"{word} " + "ä" * n, _TRICKY, st.integers(1900, 2200)),
)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS)
def test_never_raises_anything_but_input_error(text: str) -> None:
    """For any text, parse returns a command or raises InputError, nothing else."""
    outcome: commands.Command | InputError
    try:
        outcome = parse(text)
    except InputError as exc:
        outcome = exc
    if isinstance(outcome, InputError):
        assert str(outcome).splitlines()[-1].startswith("Usage: ")
        return
    assert isinstance(outcome, Help | AppCmd | LogsCmd | DigestCmd | AckCmd | AcksCmd | UnackCmd)
    if isinstance(outcome, AckCmd):
        assert outcome.reason
        assert timedelta(0) < outcome.duration <= commands.MAX_ACK_DURATION
