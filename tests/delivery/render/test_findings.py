"""One `finding_lines` for the CLI and Slack: the same choices, only the markup differs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.model import ABSENT, DiffOp, Evidence
from bot.delivery.render.findings import Room, finding_line, finding_lines
from bot.delivery.render.markup import SlackMarkup, Style, TerminalMarkup
from bot.delivery.render.wrap import FIX_HEADINGS
from tests.delivery.slack import seed

ROOM = Room(evidence=2, value=12, summary=200)
CLI = TerminalMarkup(Style.plain())
SLACK = SlackMarkup()


def _unmarked(line: str) -> str:
    """A Slack line without its markup, to compare with the plain terminal line."""
    return line.replace("*", "").replace("`", "").replace("_", "").removeprefix("• ")


FINDINGS = {
    "schema-defaults": seed.external_secret("gitea", "gitea", "gitea-admin"),
    "zombie-safe": seed.zombie("gitea", "Service", "gitea", "redis"),
    "zombie-used": seed.zombie("gitea", "Service", "gitea", "redis", users=("Pod gitea/redis-0",)),
    "unadopted": seed.unadopted_crd("rollouts"),
}


@pytest.mark.parametrize("name", sorted(FINDINGS))
def test_cli_and_slack_say_the_same_things(name: str) -> None:
    """Summary, verdict, evidence rows and fold line match once the Slack markup is removed."""
    finding = FINDINGS[name]
    cli = finding_lines(finding, CLI, ROOM)
    slack = finding_lines(finding, SLACK, ROOM)
    fix_at = cli.index(next(line for line in cli if line.startswith(FIX_HEADINGS)))
    assert [_unmarked(line) for line in slack[1:fix_at]] == cli[1:fix_at]
    assert slack[fix_at] == cli[fix_at]


def test_evidence_folds_past_the_room_and_values_are_shortened() -> None:
    """Two of four paths are listed, the rest counted; long values end in "…"."""
    lines = finding_lines(FINDINGS["schema-defaults"], CLI, ROOM)
    assert sum(1 for line in lines if line.startswith("/spec/")) == 2
    assert "…and 2 more paths" in lines
    long = replace(
        FINDINGS["unadopted"], evidence=(Evidence("/x", DiffOp.ADDED, ABSENT, "a" * 50),)
    )
    assert '/x: (absent) → "aaaaaaaaaa…' in finding_lines(long, CLI, ROOM)


def test_whole_object_evidence_is_not_listed() -> None:
    """Evidence without a path (the whole object) adds no line: the summary says it."""
    whole = Evidence("", DiffOp.ADDED, live={"kind": "Service"})
    finding = replace(FINDINGS["zombie-safe"], evidence=(whole,))
    assert finding_lines(finding, SLACK, ROOM) == finding_lines(
        FINDINGS["zombie-safe"], SLACK, ROOM
    )


def test_a_verdict_names_who_still_uses_a_leftover() -> None:
    """An unsafe zombie says so and names its users, in both media."""
    finding = FINDINGS["zombie-used"]
    assert "NOT safe to delete: still used by Pod gitea/redis-0." in finding_lines(
        finding, CLI, ROOM
    )
    slack = "*NOT safe to delete*: still used by `Pod gitea/redis-0`."
    assert slack in finding_lines(finding, SLACK, ROOM)


def test_one_hidden_path_is_singular() -> None:
    """Issue #17: "…and 1 more path", not "…and 1 more paths"; two or more stay plural."""
    three = replace(FINDINGS["schema-defaults"], evidence=FINDINGS["schema-defaults"].evidence[:3])
    assert "…and 1 more path" in finding_lines(three, CLI, ROOM)
    assert "…and 2 more paths" in finding_lines(FINDINGS["schema-defaults"], CLI, ROOM)


@pytest.mark.parametrize("markup", [CLI, SLACK], ids=["cli", "slack"])
def test_a_zombie_that_must_stay_is_never_under_a_delete_heading(markup: object) -> None:
    """Issue #17: no "Fix (delete):" above "# DO NOT DELETE"; the block is a re-check."""
    used = FINDINGS["zombie-used"]
    assert used.fix.kind.value == "delete"  # the JSON contract keeps its kind
    lines = finding_lines(used, markup, ROOM)  # type: ignore[arg-type]
    heading = next(line for line in lines if line.startswith(FIX_HEADINGS))
    assert heading == "Keep it for now (in use):"
    assert not any("delete" in line.lower() for line in lines if line.startswith(FIX_HEADINGS))
    unproven = replace(used, users=())
    headings = [ln for ln in finding_lines(unproven, CLI, ROOM) if ln.startswith(FIX_HEADINGS)]
    assert headings == ["Keep it for now (usage unknown):"]
    safe = finding_lines(FINDINGS["zombie-safe"], CLI, ROOM)
    assert "Fix (delete):" in safe


def test_a_shortened_fix_says_where_the_rest_is() -> None:
    """A fix past its room is cut at a line and points at the CLI."""
    finding = FINDINGS["schema-defaults"]
    lines = finding_lines(
        finding, SLACK, Room(2, 12, 200, fix=30), more="run `drift-bot app gitea`"
    )
    assert lines[-1] == "_Fix shortened_ — run `drift-bot app gitea` for all of it."
    assert lines[-2].count("```") == 2


def test_one_line_form_is_shared_by_the_slack_and_text_digest() -> None:
    """The digest's one-line finding carries the same words in Slack and in the terminal."""
    f = FINDINGS["schema-defaults"]
    args = (f.drift_class, f.app, f.key, f.summary)
    slack = finding_line(*args, SLACK, lead="• ", acked=True)
    cli = finding_line(*args, CLI, lead="  ", acked=True)
    assert slack == (
        "• [A] *gitea* `ExternalSecret/gitea-admin` in gitea _(acked)_"
        " — 4 fields defaulted by the ExternalSecret CRD schema"
    )
    assert cli == (
        "  [A] gitea  ExternalSecret/gitea-admin in gitea  (acked)"
        " — 4 fields defaulted by the ExternalSecret CRD schema"
    )
