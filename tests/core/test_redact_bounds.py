"""Redaction cost is bounded: linear in the input, lines capped, whatever the text.

Python's ``re`` does not report how many steps a match took, so the budget is stated in what
it can be measured in — characters handed to each rule — and made meaningful by construction:
no per-line rule ever sees more than `MAX_LINE_CHARS`, and the rules together see each
character a bounded number of times, so even a rule that were quadratic on its input could
not cost more than a constant per line. Adversarial inputs (runs that the old look-behind-free
patterns rescanned at every position) are in the strategy. Wall time: bench/redact_compare.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import redact_text
from bot.core.redact import MAX_LINE_CHARS, REDACTED, redact


@dataclass
class _Meter:
    """Characters each rule was handed, call by call."""

    calls: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.calls)


class _Counted:
    """A compiled pattern that records the length of every text it is asked to scan."""

    def __init__(self, pattern: re.Pattern[str], meter: _Meter) -> None:
        self._pattern = pattern
        self._meter = meter

    def sub(self, repl: Callable[[re.Match[str]], str], text: str) -> str:
        self._meter.calls.append(len(text))
        return self._pattern.sub(repl, text)


@contextmanager
def _metered(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Meter]:
    meter = _Meter()
    rules = tuple((_Counted(p, meter), r) for p, r in redact_text._RULES)
    with monkeypatch.context() as patch:
        patch.setattr(redact_text, "_RULES", rules)
        yield meter


_ADVERSARIAL = [
    *("a.", "sk-", "eyJ-", "eyJa.", "ghp_", " ", "\t", "mysql ", "-p", "://", "a:", "@", "="),
    *("password", "token: ", "Cookie: ", "[", "]", '"', "'", "\\", "\n", "name: DB_PASSWORD\n"),
    *("value: ", "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "MIIEvQIBADAN"),
    *("Z9x2Lq7VbN4mW8tR1yK5", "/", "+", "hvs.", "SG.", "%3D", "&sig=", "AKIA", REDACTED),
]


_GROWTH = 10


@st.composite
def _hostile(draw: st.DrawFn) -> str:
    """Pieces repeated many times: long runs, many starts, nested quotes, unclosed keys."""
    pieces = draw(st.lists(st.sampled_from(_ADVERSARIAL) | st.text(max_size=4), max_size=12))
    repeats = draw(st.integers(min_value=1, max_value=600))
    return "".join(pieces) * repeats


@settings(max_examples=150, deadline=None)
@given(_hostile())
def test_rules_see_bounded_lines_and_linear_totals(text: str) -> None:
    """No rule sees more than a constant times one capped line; all together O(len(text)).

    Within one pass masking may lengthen a line (a 1-character value becomes "[REDACTED]",
    at most 10x); the cap is applied again between passes.
    """
    with pytest.MonkeyPatch.context() as patch, _metered(patch) as meter:
        out = redact(text)
    assert all(size <= _GROWTH * MAX_LINE_CHARS for size in meter.calls)
    passes, rules = redact_text._MAX_PASSES, len(redact_text._RULES)
    assert meter.total <= passes * rules * _GROWTH * (len(text) + 1)
    assert all(len(line) <= MAX_LINE_CHARS for line in out.split("\n"))
    assert redact(out) == out


def test_a_long_line_is_cut_at_a_token_boundary_without_half_a_secret() -> None:
    """Past MAX_LINE_CHARS the line ends in "…"; the token the cut fell into is dropped."""
    secret = "Z9x2Lq7VbN4mW8tR1yK5pC3sD6fG0hJ2aE7uI9oP"
    line = "x " * (MAX_LINE_CHARS // 2 - 10) + secret + " tail"
    out = redact(line)
    assert len(out) <= MAX_LINE_CHARS
    assert out.endswith("…")
    assert secret[:10] not in out


def test_a_long_line_without_spaces_is_cut_whole() -> None:
    """A single token longer than the cap is dropped whole: nothing of it is trusted."""
    assert redact("A" * (MAX_LINE_CHARS + 5)) == "…"


def test_lines_of_a_long_text_are_capped_one_by_one() -> None:
    """Only the overlong line is cut; the lines around it stay as they were."""
    text = "before\n" + "y " * MAX_LINE_CHARS + "\nafter password=hunter2"
    before, cut, after = redact(text).split("\n")
    assert (before, after) == ("before", f"after password={REDACTED}")
    assert cut.endswith("…")
    assert len(cut) <= MAX_LINE_CHARS


def test_megabytes_of_one_line_are_scanned_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """10 MB on one line: every rule sees the capped line only, never the whole body."""
    body = "password=x " + "a.sk-eyJ- " * (10 * 1024 * 1024 // 10)
    with _metered(monkeypatch) as meter:
        out = redact(body)
    assert max(meter.calls) <= MAX_LINE_CHARS
    assert len(out) <= MAX_LINE_CHARS


@pytest.mark.parametrize(
    "pattern",
    [pytest.param(p, id=str(i)) for i, (p, _r) in enumerate(redact_text._RULES)],
)
def test_every_rule_guards_its_starts(pattern: Any) -> None:
    """Each rule fails or matches once on a run of its own favourite character.

    A rule that could start at every position of a long run would report a match per
    position; guarded rules report at most a handful.
    """
    for run in ("a." * 2000, "sk-" * 2000, "eyJ-" * 2000, "a:" * 2000, "@" * 4000):
        assert len(pattern.findall(run)) <= 2
