"""Acknowledging drift: parsing what an ack names, creating one, and applying acks to findings.

An ack covers the exact drift it was made for, not a resource forever: it stores the
fingerprints (`Finding.fingerprint`: class, resource, differing paths and values) its scope
matched at ack time. When the drift changes, the new fingerprint is not covered and the finding
is reported again. Acks also expire, so "known, leave it" is never silently permanent.

Pure: no I/O and no clock; ``now`` is always an argument. `ack_from_json` is the inverse of
`Ack.to_json` so the Redis adapter can store acks without knowing their shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Final

from bot.core.durations import format_duration
from bot.core.model import Ack, AckScope, Finding
from bot.errors import InputError

DEFAULT_ACK_DURATION: Final = timedelta(days=7)
MAX_ACK_DURATION: Final = timedelta(days=30)
MAX_PART_CHARS: Final = 253
"""Longest Kubernetes object name (a DNS subdomain); no app, kind or name part is longer."""
MAX_LISTED_DRIFT: Final = 10
"""How many current drifts an error message lists before folding the rest into a count."""

_FORMS: Final = "use APP or APP/KIND/NAME, e.g. gitea or gitea/Service/gitea-http"


def parse_scope(text: str) -> AckScope:
    """Parse what ``/drift ack`` names: a whole app (``APP``) or one resource (``APP/KIND/NAME``).

    Surrounding whitespace is ignored; whitespace or control characters inside are not,
    because no app, kind or object name can contain them and a typo should not become an ack.

    Raises:
        InputError: the text is not one of the accepted forms; the message shows them.
    """
    cleaned = text.strip()
    parts = cleaned.split("/")
    if len(parts) not in (1, 3):
        msg = f"{_quote(text)} is not an ack scope; {_FORMS}"
        raise InputError(msg)
    for part in parts:
        _check_part(part, text)
    if len(parts) == 1:
        return AckScope(app=parts[0])
    return AckScope(app=parts[0], kind=parts[1], name=parts[2])


def _check_part(part: str, text: str) -> None:
    if not part:
        msg = f"{_quote(text)} has an empty part; {_FORMS}"
        raise InputError(msg)
    if len(part) > MAX_PART_CHARS:
        msg = f"{_quote(text)} has a part longer than {MAX_PART_CHARS} characters; {_FORMS}"
        raise InputError(msg)
    if any(ch.isspace() or not ch.isprintable() for ch in part):
        msg = f"{_quote(text)} contains whitespace or control characters; {_FORMS}"
        raise InputError(msg)


def _quote(text: str) -> str:
    """Echo user input in an error without letting a huge paste flood the reply."""
    return repr(text if len(text) <= 80 else text[:80] + "…")


def new_ack(
    *,
    ack_id: str,
    scope: AckScope,
    findings: Sequence[Finding],
    by: str,
    reason: str,
    now: datetime,
    duration: timedelta = DEFAULT_ACK_DURATION,
    extra_fingerprints: Iterable[str] = (),
) -> Ack:
    """An ack of the drift ``scope`` matches right now, valid for ``duration`` from ``now``.

    ``extra_fingerprints`` lets a caller cover more than findings, e.g. a stuck-app incident
    (`StuckApp.fingerprint`) so an app-level ack also silences its re-pings.

    Raises:
        InputError: the reason is empty, the duration is not in (0, 30d], or the scope matches
            no current drift (the message lists what does drift).
    """
    cleaned_reason = " ".join(reason.split())
    if not cleaned_reason:
        msg = "an ack needs a reason, e.g. /drift ack gitea 7d upstream chart bug #123"
        raise InputError(msg)
    _check_duration(duration)
    extra = frozenset(extra_fingerprints)
    matched = frozenset(f.fingerprint for f in findings if scope.matches(f))
    if not matched and not extra:
        msg = f"nothing drifts for {scope}; current drift: {_current_drift(scope, findings)}"
        raise InputError(msg)
    return Ack(
        id=ack_id,
        scope=scope,
        fingerprints=matched | extra,
        by=by,
        reason=cleaned_reason,
        created_at=now,
        expires_at=now + duration,
    )


def _check_duration(duration: timedelta) -> None:
    if duration <= timedelta(0):
        msg = f"an ack duration must be positive, got {format_duration(duration)}"
        raise InputError(msg)
    if duration > MAX_ACK_DURATION:
        msg = (
            f"an ack lasts at most {format_duration(MAX_ACK_DURATION)}, "
            f"got {format_duration(duration)}; ack again when it expires"
        )
        raise InputError(msg)


def _current_drift(scope: AckScope, findings: Sequence[Finding]) -> str:
    """What the user could have meant: the app's drifting resources, else the drifting apps."""
    in_app = sorted({f"{f.app}/{f.key.kind}/{f.key.name}" for f in findings if f.app == scope.app})
    if in_app:
        return _listing(in_app)
    apps = sorted({f.app for f in findings})
    if apps:
        return f"none in {scope.app}; apps with drift: {_listing(apps)}"
    return "none at all"


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED_DRIFT])
    rest = len(items) - MAX_LISTED_DRIFT
    return f"{shown} …and {rest} more" if rest > 0 else shown


def apply_acks(
    findings: Sequence[Finding], acks: Sequence[Ack], now: datetime
) -> tuple[Finding, ...]:
    """The findings with ``acked=True`` wherever an active ack covers them (`Ack.covers`).

    Findings already marked acked stay acked. Fingerprints are hashed once per finding and
    looked up in an index, because a digest may hold thousands of findings and acks.
    """
    by_fingerprint: dict[str, list[Ack]] = {}
    for ack in acks:
        if now < ack.expires_at:
            for fingerprint in ack.fingerprints:
                by_fingerprint.setdefault(fingerprint, []).append(ack)
    if not by_fingerprint:
        return tuple(findings)
    return tuple(_mark(f, by_fingerprint) for f in findings)


def _mark(finding: Finding, by_fingerprint: Mapping[str, Sequence[Ack]]) -> Finding:
    if finding.acked:
        return finding
    candidates = by_fingerprint.get(finding.fingerprint, ())
    if any(ack.scope.matches(finding) for ack in candidates):
        return replace(finding, acked=True)
    return finding


def expiring(
    acks: Sequence[Ack], now: datetime, within: timedelta = timedelta(days=1)
) -> tuple[Ack, ...]:
    """Active acks that expire within ``within`` of ``now``, soonest first (for the digest)."""
    horizon = now + within
    soon = (a for a in acks if now < a.expires_at <= horizon)
    return tuple(sorted(soon, key=lambda a: (a.expires_at, a.id)))


def ack_from_json(data: object) -> Ack:
    """The `Ack` that `Ack.to_json` produced (how acks are stored).

    Raises:
        InputError: ``data`` is not a stored ack; the message names the field.
    """
    if not isinstance(data, dict):
        msg = f"a stored ack must be a JSON object, got {type(data).__name__}"
        raise InputError(msg)
    fingerprints = data.get("fingerprints")
    if not isinstance(fingerprints, list) or not all(isinstance(f, str) for f in fingerprints):
        msg = "a stored ack's 'fingerprints' must be a list of strings"
        raise InputError(msg)
    return Ack(
        id=_text(data, "id"),
        scope=parse_scope(_text(data, "scope")),
        fingerprints=frozenset(fingerprints),
        by=_text(data, "by"),
        reason=_text(data, "reason"),
        created_at=parse_instant(data.get("created_at"), "created_at"),
        expires_at=parse_instant(data.get("expires_at"), "expires_at"),
    )


def _text(data: Mapping[str, object], name: str) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        msg = f"a stored ack's {name!r} must be a string"
        raise InputError(msg)
    return value


def parse_instant(value: object, name: str) -> datetime:
    """An ISO-8601 timestamp with a UTC offset (``Z`` accepted), as our ``to_json`` writes.

    A timestamp without an offset is rejected: comparing it with an aware ``now`` would fail
    later, far from the data that caused it.

    Raises:
        InputError: not a string, not ISO-8601, or no offset; the message names ``name``.
    """
    if not isinstance(value, str):
        msg = f"{name!r} must be an ISO-8601 string"
        raise InputError(msg)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        msg = f"{name!r} is not an ISO-8601 timestamp: {_quote(value)}"
        raise InputError(msg) from exc
    if moment.utcoffset() is None:
        msg = f"{name!r} has no UTC offset: {_quote(value)}"
        raise InputError(msg)
    return moment
