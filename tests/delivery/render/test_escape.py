"""The one escaping policy: cluster text can ping nobody, break no markup, drive no terminal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.delivery.render.escape import (
    clip,
    code_block,
    code_span,
    cut,
    escape,
    middle,
    mrkdwn,
    shorten,
    terminal,
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        pytest.param("<!channel>", "&lt;!channel&gt;", id="channel"),
        pytest.param("<@U123>", "&lt;@U123&gt;", id="user"),
        pytest.param("a & b", "a &amp; b", id="ampersand"),
        pytest.param("&lt;", "&amp;lt;", id="entity-escaped-once-more"),
        pytest.param("<http://evil|click>", "&lt;http://evil|click&gt;", id="link"),
    ],
)
def test_escape_turns_slack_control_characters_into_entities(raw: str, escaped: str) -> None:
    """``&``, ``<`` and ``>`` become entities, ampersand first."""
    assert escape(raw) == escaped


def test_code_span_cannot_be_broken_out_of() -> None:
    """Backticks become ˋ and newlines spaces inside a code span; the rest is escaped."""
    assert code_span("a`b\n<c>") == "`aˋb &lt;c&gt;`"


def test_code_span_of_blank_text_says_empty() -> None:
    """A blank value renders as ``(empty)`` instead of a broken empty code span."""
    assert code_span("  ") == "(empty)"


def test_code_block_escapes_and_defuses_fences() -> None:
    """A line holding a fence or a mention cannot close the block or ping anyone."""
    assert code_block(["```", "<!here>"]) == "```\nˋˋˋ\n&lt;!here&gt;\n```"


def test_long_escaped_values_are_never_cut_inside_an_entity() -> None:
    """Shortening escaped text drops a partial ``&amp;`` rather than leaving ``&am``."""
    for n in range(1, 12):
        text = code_span("a" * n + "&" * 200, 20)
        assert re.fullmatch(r"`a*(&amp;)*…`", text), text


def test_mrkdwn_escapes_neutralises_and_bounds_cluster_text() -> None:
    """Outside code, a value is escaped, cannot open a code span, and stays within its limit."""
    assert mrkdwn("`<!here>` & co") == "ˋ&lt;!here&gt;ˋ &amp; co"
    bounded = mrkdwn("<" * 50, 10)
    assert len(bounded) <= 10
    assert bounded == "&lt;&lt;…"


def test_terminal_replaces_control_characters_but_keeps_layout() -> None:
    """ANSI/OSC escapes and carriage returns become U+FFFD; tabs and newlines stay."""
    assert terminal("a\x1b[2Jb\rc\td\ne\x9b") == "a\ufffd[2Jb\ufffdc\td\ne\ufffd"
    assert terminal("x" * 10, 5) == "xxxx…"


def test_middle_keeps_the_end_of_a_log_line() -> None:
    """The cause at the end of a long log line survives shortening."""
    line = "start " + "." * 500 + " response code Not Found"
    short = middle(line, 90)
    assert len(short) == 90
    assert short.startswith("start ")
    assert short.endswith("Not Found")


def test_shorten_and_cut_mark_the_cut() -> None:
    """Both cuts end in "…" and respect the limit; short text is untouched."""
    assert shorten("abcdef", 4) == "abc…"
    assert shorten("abc", 4) == "abc"
    assert cut("ab&amp;cd", 5) == "ab…"


def test_clip_closes_a_fence_it_cuts_through() -> None:
    """A clipped code block is closed again so the rest of the message is not code."""
    text = clip("```\n" + "x" * 100 + "\n```", 50)
    assert len(text) <= 50
    assert text.count("```") == 2


def test_no_other_module_escapes_on_its_own() -> None:
    """The entities, the backtick swap and the control-character rule live in escape.py only."""
    bot = Path(__file__).parents[3] / "bot"
    own = bot / "delivery" / "render" / "escape.py"
    pattern = re.compile(r'"&lt;"|"&amp;"|\\u02cb|"ˋ"|\\x00-\\x08')
    offenders = [
        str(path.relative_to(bot))
        for path in bot.rglob("*.py")
        if path != own and "simulator" not in path.parts and pattern.search(path.read_text())
    ]
    assert offenders == []
    assert pattern.search(own.read_text())
