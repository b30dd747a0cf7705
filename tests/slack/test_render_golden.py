"""Golden Block Kit for the seed's two headline answers: gitea (drift) and argo-rollouts (stuck).

The expected JSON lives in ``tests/slack/golden/``. After an intended rendering change,
regenerate with ``.venv/bin/python -m tests.slack.test_render_golden`` and review the diff.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.slack import render
from tests.fakes.slack_api import limit_problem
from tests.slack import seed

GOLDEN = Path(__file__).parent / "golden"

CASES: dict[str, Callable[[], render.Message]] = {
    "gitea": lambda: render.app_report(seed.gitea_report()),
    "argo-rollouts": lambda: render.app_report(seed.rollouts_report()),
    "argo-rollouts-logs": lambda: render.stuck_app(seed.rollouts_stuck(), seed.NOW),
}


def _as_json(message: render.Message) -> dict[str, Any]:
    return {"blocks": message.blocks, "text": message.text}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_golden(name: str) -> None:
    """The rendered message equals the stored, reviewed JSON."""
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert _as_json(CASES[name]()) == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_is_valid_for_slack(name: str) -> None:
    """The stored messages pass Slack's limits as the fake Slack API enforces them."""
    expected = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    assert limit_problem(expected) is None


def _regenerate() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name, build in CASES.items():
        text = json.dumps(_as_json(build()), indent=2, ensure_ascii=False) + "\n"
        (GOLDEN / f"{name}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    _regenerate()
