"""Logging setup, called once by an entry point; modules only ever `getLogger(__name__)`.

Two formats (``DRIFT_LOG_FORMAT``): ``text`` for people at a terminal, ``json`` (one object per
line) for log pipelines. Every record passes through `redact` so a secret that slips into a log
message (an upstream error body, a URL with credentials) never reaches the log sink.

One record is one line: in ``text`` format control characters in the message (``\n``, ``\r``,
escapes…) are written as ``\n``-style escapes and a traceback's lines are indented, so text
that came from outside (a request, a pod's log) cannot start a forged record of its own. The
``json`` format gets the same from JSON string escaping.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Final, Literal, TextIO

from bot.core.redact import redact

_ESCAPES: Final = {
    **{c: f"\\x{c:02x}" for c in (*range(0x20), 0x7F, 0x85) if c != 0x09},
    0x0A: "\\n",
    0x0D: "\\r",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}
"""Every character a terminal or a log shipper may take as a line break or a control (tabs are
kept): written as its escape, so the text stays readable and the record stays one line."""


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (tabs kept)."""
    return text.translate(_ESCAPES)


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        # The message is one line already (formatMessage); what follows it is a traceback or
        # stack, whose lines are indented so that none starts like a record.
        head, *rest = super().format(record).split("\n")
        return redact("\n".join([head, *("    " + one_line(line) for line in rest)]))

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = one_line(record.message)
        return super().formatMessage(record)


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            payload["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(payload, ensure_ascii=False)


def make_handler(
    fmt: Literal["text", "json"] = "text", stream: TextIO | None = None
) -> logging.Handler:
    """The log handler `configure` installs, writing to ``stream`` (default: stderr)."""
    chosen = logging.StreamHandler(stream or sys.stderr)
    if fmt == "json":
        chosen.setFormatter(_JsonFormatter())
    else:
        chosen.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    return chosen


def configure(fmt: Literal["text", "json"] = "text", level: int = logging.INFO) -> None:
    """Send ``bot`` logs to stderr in the chosen format; quiet the chatty client libraries."""
    handler = make_handler(fmt)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
