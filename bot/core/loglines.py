"""Which lines of a crashed container's log say why it died.

The tail of a log is often a retry loop or a shutdown message; the cause is the fatal line and
what led to it: a Go panic with the top of its stack, a Python traceback's exception line, a
Java exception and its cause, a logfmt/JSON/klog line at error level. `decisive_lines` finds
those, keeps a little context, and redacts every line it returns.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Iterator, Sequence
from typing import Final

from bot.core import redact as redaction

_MAX_LINE: Final = 400
_FATAL: Final = 3
_ERROR: Final = 2
_STACK_LINES: Final = 4  # lines of a Go panic's stack worth showing: goroutine, func, file

_LEVEL_FIELD: Final = re.compile(
    r"""(?ix)
    \b(?:level|lvl|severity)=["']?(?P<logfmt>\w+)
    | "(?:level|lvl|severity|log\.level)"\s*:\s*"(?P<json>\w+)"
    """
)
_LEVELS: Final = {
    **dict.fromkeys(("fatal", "panic", "dpanic", "critical", "crit", "emergency", "alert"), _FATAL),
    **dict.fromkeys(("error", "err"), _ERROR),
}
_KLOG: Final = re.compile(r"^(?P<sev>[EF])\d{4} \d{2}:\d{2}:\d{2}")
_PLAIN_LEVEL: Final = re.compile(r"\b(?P<word>FATAL|PANIC|CRITICAL|ERROR)\b")
_GO_PANIC: Final = re.compile(r"^(?:panic: |fatal error: )")
_PY_TRACEBACK: Final = re.compile(r"^Traceback \(most recent call last\):")
_JAVA_FATAL: Final = re.compile(r"^(?:Exception in thread |Caused by: )")
# java.lang.IllegalStateException: ..., a bare Python exception line, Go CLIs' "Error: ...".
_JAVA_ERROR: Final = re.compile(r"^(?:[\w.$]*(?:Exception|Error)|error)(?::|$)")
_JAVA_FRAME: Final = re.compile(r"^\s+at ")
_TIMESTAMP: Final = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+"
)


@dataclasses.dataclass(frozen=True, slots=True)
class _Hit:
    """A decisive line and the lines it brings along (stack frames, a traceback's header)."""

    index: int
    severity: int
    extra: tuple[int, ...] = ()


def decisive_lines(log: str, *, limit: int = 12, context: int = 2) -> tuple[str, ...]:
    """The lines of a log that say why the container died, redacted and in log order.

    Args:
        log: The (previous) container log.
        limit: At most this many lines come back.
        context: Non-empty lines kept before each decisive line, to show what led to it.

    Returns:
        Fatal, panic and error lines (logfmt, JSON, klog, plain ``ERROR``, Go panics with the
        top of their stack, Python tracebacks with their exception line, Java exceptions and
        their causes) with their context, de-duplicated; when over ``limit``, the most severe
        and then the latest win. Without any such line, the last ``limit`` lines.
    """
    if limit <= 0:
        return ()
    # A PEM body spans lines and no single line of it looks secret, so keys are masked across
    # the whole log first; everything else is redacted per chosen line in _clean, which on a
    # long log is far cheaper than running every rule over all of it.
    lines = redaction.redact_private_keys(log).splitlines()
    hits = list(_hits(lines))
    if not hits:
        chosen = [i for i, line in enumerate(lines) if line.strip()][-limit:]
    else:
        chosen = _choose(lines, hits, limit=limit, context=context)
    return tuple(_clean(lines[i]) for i in chosen)


def _hits(lines: Sequence[str]) -> Iterator[_Hit]:
    for i, line in enumerate(lines):
        if _PY_TRACEBACK.match(line):
            yield from _traceback(lines, i)
        elif _GO_PANIC.match(line):
            yield _Hit(i, _FATAL, _following(lines, i, _STACK_LINES))
        elif _JAVA_FATAL.match(line):
            yield _Hit(i, _FATAL, _first_frame(lines, i))
        elif _JAVA_ERROR.match(line):
            yield _Hit(i, _ERROR, _first_frame(lines, i))
        elif severity := _severity(line):
            yield _Hit(i, severity)


def _severity(line: str) -> int:
    field = _LEVEL_FIELD.search(line)
    if field:
        # A line that states its level is believed, even if "ERROR" appears in its message.
        return _LEVELS.get((field.group("logfmt") or field.group("json")).lower(), 0)
    klog = _KLOG.match(line)
    if klog:
        return _FATAL if klog.group("sev") == "F" else _ERROR
    plain = _PLAIN_LEVEL.search(line)
    if plain:
        return _ERROR if plain.group("word") == "ERROR" else _FATAL
    return 0


def _following(lines: Sequence[str], start: int, count: int) -> tuple[int, ...]:
    after = (j for j in range(start + 1, len(lines)) if lines[j].strip())
    return tuple(j for _, j in zip(range(count), after, strict=False))


def _first_frame(lines: Sequence[str], start: int) -> tuple[int, ...]:
    nxt = start + 1
    return (nxt,) if nxt < len(lines) and _JAVA_FRAME.match(lines[nxt]) else ()


def _traceback(lines: Sequence[str], start: int) -> Iterator[_Hit]:
    """A Python traceback: its header and last frame, and the exception line that ends it."""
    end = start + 1
    while end < len(lines) and (lines[end][:1].isspace() or not lines[end]):
        end += 1
    frames = [j for j in range(start + 1, end) if lines[j].lstrip().startswith("File ")]
    last_frame = tuple(range(frames[-1], end)) if frames else ()
    if end < len(lines):
        yield _Hit(end, _FATAL, (start, *last_frame))
    else:
        yield _Hit(start, _FATAL, last_frame)  # cut off before the exception line


def _choose(lines: Sequence[str], hits: Sequence[_Hit], *, limit: int, context: int) -> list[int]:
    """Pick line indices by priority (severity, recency, role), then restore log order."""
    priority: dict[int, tuple[int, int, int, int]] = {}

    def offer(index: int, rank: tuple[int, int, int, int]) -> None:
        if rank > priority.get(index, (-1, -1, -1, -1)):
            priority[index] = rank

    for hit in hits:
        offer(hit.index, (hit.severity, hit.index, 2, 0))
        for j in hit.extra:
            offer(j, (hit.severity, hit.index, 1, -abs(j - hit.index)))
        before = (j for j in range(hit.index - 1, -1, -1) if lines[j].strip())
        for j in itertools.islice(before, context):
            offer(j, (hit.severity, hit.index, 0, j))
    chosen: list[int] = []
    seen: set[str] = set()
    for index in sorted(priority, key=priority.__getitem__, reverse=True):
        key = _TIMESTAMP.sub("", lines[index]).strip()
        if key in seen:
            continue  # the same message again (a retry loop): once is enough
        seen.add(key)
        chosen.append(index)
        if len(chosen) == limit:
            break
    return sorted(chosen)


def _clean(line: str) -> str:
    line = redaction.redact(line.rstrip())
    return line if len(line) <= _MAX_LINE else line[:_MAX_LINE] + "…"
