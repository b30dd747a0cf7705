"""Logging setup, called once by an entry point; modules only ever `getLogger(__name__)`.

Two formats (``DRIFT_LOG_FORMAT``): ``text`` for people at a terminal, ``json`` (one object per
line) for log pipelines. Every record passes through `redact` so a secret that slips into a log
message (an upstream error body, a URL with credentials) never reaches the log sink.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Literal

from bot.core.redact import redact


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


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


def configure(fmt: Literal["text", "json"] = "text", level: int = logging.INFO) -> None:
    """Send ``bot`` logs to stderr in the chosen format; quiet the chatty client libraries."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(_RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "urllib3", "kubernetes"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
