"""What the terminal wants: colour or not, how wide, and a quiet exit when the pipe closes.

Colour (``--color auto``) is on only when stdout is a terminal, ``NO_COLOR`` is unset or empty
(https://no-color.org) and ``TERM`` is not ``dumb``; ``--color always``/``never`` override all
of that (a flag given for one run beats the environment). Text is wrapped to ``COLUMNS`` when
set, else to the terminal's width when stdout is one; a pipe or a file gets the lines whole (for
grep; a pager wraps by itself). What is never broken is described in `render.wrap`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from dataclasses import dataclass
from typing import TextIO

from bot.delivery.render.markup import Style
from bot.delivery.render.wrap import wrap_text
from bot.settings import TerminalEnv


@dataclass(frozen=True, slots=True)
class Terminal:
    """How text output looks on this run's stdout."""

    style: Style
    width: int | None
    """Columns to wrap at; ``None``: do not wrap."""

    @classmethod
    def of(cls, out: TextIO, env: TerminalEnv, color: str) -> Terminal:
        """Decide from the stream, the environment and ``--color`` (module docstring)."""
        tty = _isatty(out)
        if color == "always":
            enabled = True
        elif color == "never":
            enabled = False
        else:
            enabled = tty and not env.no_color and (env.term or "").lower() != "dumb"
        return cls(style=Style(enabled=enabled), width=_width(env, tty))

    def fit(self, text: str) -> str:
        """``text`` wrapped to the width (as is when there is none)."""
        return wrap_text(text, self.width)


def _isatty(out: TextIO) -> bool:
    try:
        return out.isatty()
    except ValueError:  # a closed stream
        return False


def _width(env: TerminalEnv, tty: bool) -> int | None:
    if env.columns is not None and env.columns.strip().isdigit() and int(env.columns) > 0:
        return int(env.columns)
    if tty:
        return shutil.get_terminal_size().columns
    return None


def discard_output(out: TextIO) -> None:
    """After a closed pipe: point stdout at /dev/null so the exit flush raises nothing.

    What the Python documentation recommends for SIGPIPE ("Note on SIGPIPE" in `signal`).
    """
    if out is not sys.stdout:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
