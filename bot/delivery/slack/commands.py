"""What people type after ``/drift``, parsed into small command values (DESIGN.md §5 grammar).

Pure and total: any text at all — unicode, newlines, ``<!channel>``, megabytes — either parses
into one of the frozen dataclasses below or raises `InputError` whose message ends with the
usage line of the sub-command, ready to show back to the person who typed it. Nothing else may
escape from `parse`; the Slack listener relies on that to answer inside Slack's 3 s window.

Names are validated here (ASCII, Kubernetes-like) so the service only ever looks up plausible
names, and a reason is kept as typed: escaping is the renderer's job, not the parser's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar, Final, NoReturn, TypeAlias

from bot.core.durations import format_duration, parse_duration
from bot.core.model import AckScope
from bot.errors import InputError

USAGE: Final = {
    "help": "/drift help",
    "app": "/drift app NAME",
    "logs": "/drift logs NAME",
    "digest": "/drift digest",
    "ack": "/drift ack APP[/KIND/NAME] [DURATION] REASON...",
    "acks": "/drift acks",
    "unack": "/drift unack ID",
}
"""One usage line per sub-command, in the order `/drift help` lists them."""

DEFAULT_ACK_DURATION: Final = timedelta(days=7)
"""A week: long enough to survive a sprint's worth of "we know", short enough to be revisited."""
MAX_ACK_DURATION: Final = timedelta(days=30)
"""Nobody should silence drift for longer than a month without looking at it again."""
MAX_TEXT_CHARS: Final = 2000
"""Slack allows longer command text, but nothing in the grammar needs more than this."""
MAX_REASON_CHARS: Final = 500

# ASCII classes on purpose: ``\w`` and ``\d`` would accept any unicode letter or digit.
_APP_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}")
"""Application names (DNS-1123-like; ``ns_name`` for apps outside the control plane)."""
_KIND: Final = re.compile(r"[A-Za-z][A-Za-z0-9]{0,62}")
_OBJECT_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,252}")
"""Kubernetes object names; colons appear in RBAC names such as ``system:controller``."""
_ACK_ID: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_DURATION_SHAPE: Final = re.compile(
    r"[-+]?\d[\d.,_eE+-]*[^\W\d_]+(?:\d+[^\W\d_]+)*|P(?:T?\d)\w*", re.IGNORECASE
)
"""A token that *looks* like a duration is one, and must parse: ``4h``, but also ``-1d``,
``1e9h``, ``PT4H``, full-width ``４h`` (``\\d`` is any digit here, on purpose), which are refused
with the accepted forms instead of silently becoming a 7-day ack with the text in the reason.
Anything else (``2 pods``, ``3rd-party``) starts the reason."""
_MAX_DURATION_TOKEN: Final = 16
_ASCII_DURATION: Final = re.compile(r"(?:[0-9]+[smhdw])+", re.IGNORECASE)
_QUOTE_CHARS: Final = 40
_ACK_DURATIONS: Final = (
    "an ack lasts e.g. 4h, 1d or 7d (whole numbers with s, m, h, d or w; at most 30d; 7d if "
    "left out)"
)


@dataclass(frozen=True, slots=True)
class Help:
    """``/drift help`` (also an empty ``/drift``)."""

    verb: ClassVar[str] = "help"


@dataclass(frozen=True, slots=True)
class AppCmd:
    """``/drift app NAME``: classified drift and health of one app."""

    verb: ClassVar[str] = "app"
    name: str


@dataclass(frozen=True, slots=True)
class LogsCmd:
    """``/drift logs NAME``: why the app's pods are unhealthy, with decisive log lines."""

    verb: ClassVar[str] = "logs"
    name: str


@dataclass(frozen=True, slots=True)
class DigestCmd:
    """``/drift digest``: an ephemeral preview of the daily digest."""

    verb: ClassVar[str] = "digest"


@dataclass(frozen=True, slots=True)
class AckCmd:
    """``/drift ack``: silence exactly the current drift of an app or one resource, for a while."""

    verb: ClassVar[str] = "ack"
    scope: AckScope
    duration: timedelta
    reason: str


@dataclass(frozen=True, slots=True)
class AcksCmd:
    """``/drift acks``: list the acks in force."""

    verb: ClassVar[str] = "acks"


@dataclass(frozen=True, slots=True)
class UnackCmd:
    """``/drift unack ID``: withdraw an ack, so its drift is reported again."""

    verb: ClassVar[str] = "unack"
    ack_id: str


Command: TypeAlias = Help | AppCmd | LogsCmd | DigestCmd | AckCmd | AcksCmd | UnackCmd


def parse(text: str) -> Command:
    """Parse the text after ``/drift``.

    Args:
        text: exactly what Slack sent as the command's ``text`` (may be empty).

    Returns:
        The command value.

    Raises:
        InputError: the text does not follow the grammar; the message says what is wrong and
            ends with the usage line to follow.
    """
    if len(text) > MAX_TEXT_CHARS:
        _fail(f"That is {len(text)} characters; /drift takes at most {MAX_TEXT_CHARS}.", None)
    words = text.split()
    if not words:
        return Help()
    verb, args = words[0].lower(), words[1:]
    match verb:
        case "help":
            return Help()
        case "app":
            return AppCmd(_app_name(_single(args, "app", "an app name")))
        case "logs":
            return LogsCmd(_app_name(_single(args, "logs", "an app name")))
        case "digest":
            _no_args(args, "digest")
            return DigestCmd()
        case "acks":
            _no_args(args, "acks")
            return AcksCmd()
        case "unack":
            return UnackCmd(_ack_id(_single(args, "unack", "an ack id")))
        case "ack":
            return _ack(args)
    return _fail(f"Unknown sub-command {_quote(words[0])}.", None)


def command_text(cmd: Command) -> str:
    """A parsed command written back as text (for the audit trail)."""
    match cmd:
        case AckCmd(scope=scope, duration=duration, reason=reason):
            return f"ack {scope} {format_duration(duration)} {reason}"
        case UnackCmd(ack_id=ack_id):
            return f"unack {ack_id}"
    return cmd.verb


def usage_text(verb: str | None = None) -> str:
    """The usage line of one sub-command, or every line when ``verb`` is None."""
    if verb is not None:
        return f"Usage: `{USAGE[verb]}`"
    return "Usage: " + " · ".join(f"`{line}`" for line in USAGE.values())


# --- pieces -------------------------------------------------------------------------------


def _ack(args: list[str]) -> AckCmd:
    if not args:
        _fail("Say what to ack: an app, or app/Kind/name.", "ack")
    scope = _scope(args[0])
    rest = args[1:]
    duration = DEFAULT_ACK_DURATION
    if rest and _DURATION_SHAPE.fullmatch(rest[0]):
        duration = _duration(rest[0])
        rest = rest[1:]
    reason = " ".join(rest)
    if not reason:
        _fail("A reason is required, so the next person knows why this drift is fine.", "ack")
    if len(reason) > MAX_REASON_CHARS:
        _fail(f"The reason is {len(reason)} characters; keep it under {MAX_REASON_CHARS}.", "ack")
    return AckCmd(scope=scope, duration=duration, reason=reason)


def _scope(token: str) -> AckScope:
    parts = token.split("/")
    if len(parts) == 1:
        return AckScope(app=_app_name(parts[0], "ack"))
    if len(parts) == 3:
        app, kind, name = parts
        if not _KIND.fullmatch(kind):
            _fail(f"{_quote(kind)} is not a Kubernetes kind (like Service).", "ack")
        if not _OBJECT_NAME.fullmatch(name):
            _fail(f"{_quote(name)} is not a Kubernetes object name.", "ack")
        return AckScope(app=_app_name(app, "ack"), kind=kind, name=name)
    return _fail(f"{_quote(token)} is neither APP nor APP/KIND/NAME.", "ack")


def _duration(token: str) -> timedelta:
    if len(token) > _MAX_DURATION_TOKEN:
        _fail(f"{_quote(token)} is too long for a duration; {_ACK_DURATIONS}.", "ack")
    if not _ASCII_DURATION.fullmatch(token):
        _fail(f"{_quote(token)} is not a duration; {_ACK_DURATIONS}.", "ack")
    try:
        duration = parse_duration(token)
    except InputError:
        # Well-formed but zero or absurdly long (the parser caps every part at 6 digits).
        duration = timedelta(0) if not token.strip("0smhdwSMHDW") else MAX_ACK_DURATION * 2
    if duration <= timedelta(0):
        _fail(f"{_quote(token)} is zero; {_ACK_DURATIONS}.", "ack")
    if duration > MAX_ACK_DURATION:
        most = format_duration(MAX_ACK_DURATION)
        _fail(f"{_quote(token)} is longer than the {most} an ack may last.", "ack")
    return duration


def _app_name(token: str, verb: str = "app") -> str:
    if not _APP_NAME.fullmatch(token):
        _fail(f"{_quote(token)} is not an Argo CD Application name.", verb)
    return token


def _ack_id(token: str) -> str:
    if not _ACK_ID.fullmatch(token):
        _fail(f"{_quote(token)} is not an ack id; `/drift acks` lists them.", "unack")
    return token


def _single(args: list[str], verb: str, what: str) -> str:
    if len(args) != 1:
        problem = f"Give exactly one {what.removeprefix('an ')}" if args else f"Give {what}"
        _fail(f"{problem}.", verb)
    return args[0]


def _no_args(args: list[str], verb: str) -> None:
    if args:
        _fail(f"`/drift {verb}` takes no arguments.", verb)


def _quote(token: str) -> str:
    """A user's token for an error message, shortened so a pasted novel stays out of replies."""
    short = token if len(token) <= _QUOTE_CHARS else token[: _QUOTE_CHARS - 1] + "…"
    return f"'{short}'"


def _fail(problem: str, verb: str | None) -> NoReturn:
    raise InputError(f"{problem}\n{usage_text(verb)}")
