"""`wrap`: fit terminal text to a width without breaking what people paste."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.delivery.render.wrap import visible_len, wrap_lines, wrap_text

GOLDEN = Path(__file__).parent / "golden"


def _words(text: str) -> list[str]:
    # Continuation marks a wrap adds: "|" before a log line's rest, "#" before a comment's.
    return [w for w in text.split() if w not in {"|", "#"}]


@pytest.mark.parametrize("name", ["cli-scan.txt", "cli-app-argo-rollouts.txt", "digest.txt"])
@pytest.mark.parametrize("width", [40, 80, 120])
def test_wrapping_loses_no_word(name: str, width: int) -> None:
    """Every word of the golden renderings survives, in order, at any width."""
    text = (GOLDEN / name).read_text(encoding="utf-8")
    assert _words(wrap_text(text, width)) == _words(text)


def test_prose_wraps_with_a_hanging_indent() -> None:
    line = "    7 fields absent in git hold the default its CRD schema writes: a, b, c, d"
    assert wrap_lines([line], 40) == [
        "    7 fields absent in git hold the",
        "      default its CRD schema writes: a,",
        "      b, c, d",
    ]


def test_fix_commands_and_yaml_are_never_broken_but_comments_are() -> None:
    """Under a fix heading: commands stay one line; a comment continues as a comment."""
    lines = [
        "    Keep it for now (in use):",
        "      # DO NOT DELETE: still used by Pod infisical/infisical-redis-master-0 now",
        "      kubectl get pods -n infisical -o json | jq -r '.items[] | .metadata.name'",
        "    back at the finding's level, prose wraps again when it is long enough",
    ]
    assert wrap_lines(lines, 50) == [
        "    Keep it for now (in use):",
        "      # DO NOT DELETE: still used by Pod",
        "      # infisical/infisical-redis-master-0 now",
        "      kubectl get pods -n infisical -o json | jq -r '.items[] | .metadata.name'",
        "    back at the finding's level, prose wraps again",
        "      when it is long enough",
    ]


def test_a_log_line_continues_with_a_bar_and_a_long_token_overflows() -> None:
    url = "https://github.com/argoproj-labs/rollouts-plugin/releases/download/v0.4.1/x"
    assert wrap_lines([f"      | level=info msg=downloading from: {url}"], 40) == [
        "      | level=info msg=downloading from:",
        f"      |   {url}",
    ]


def test_colour_codes_take_no_columns() -> None:
    red = "\x1b[31;1mNOT safe\x1b[0m"
    assert visible_len(red) == 8
    assert wrap_lines([f"  {red} to delete it"], 23) == [f"  {red} to delete it"]


def test_no_width_leaves_the_text_alone() -> None:
    text = "x " * 100 + "\n"
    assert wrap_text(text, None) is text
