"""What a finding says, decided once for every medium (pure).

`finding_lines` is a finding in full — class, resource, summary, the delete verdict, one line
per differing path (git → live) and the fix to paste — as the CLI (`drift-bot scan`/`app`) and
Slack (`/drift app`) show it. `finding_line` is the one-line form the digest (Slack and text)
lists. Both take a `Markup`, so the choices (which evidence, how values are shortened, what the
verdict says) are the same everywhere and only the look differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.core.model import ABSENT, DriftClass, Finding, FixKind, ResourceKey
from bot.delivery.render.markup import Markup
from bot.delivery.render.words import plural


@dataclass(frozen=True, slots=True)
class Room:
    """How much of a finding a medium shows before folding (counts point at the CLI)."""

    evidence: int
    """Differing paths listed; the rest become "…and N more paths"."""
    value: int
    """Characters of one git or live value (JSON)."""
    summary: int | None
    """Characters of the summary; ``None`` is all of it."""
    fix: int | None = None
    """Characters of the fix shown; ``None`` is all of it (the terminal has room)."""


def finding_lines(
    finding: Finding,
    m: Markup,
    room: Room,
    *,
    more: str = "",
    fix_as: str | None = None,
) -> list[str]:
    """A finding in full; the first line is its title, the rest are its details.

    ``more`` says where the folded parts are (Slack: "run `drift-bot app X`"); ``fix_as`` names an
    earlier resource whose fix this one repeats with its own name (the scan prints it once).
    """
    acked = m.sep + m.quiet("(acked)") if finding.acked else ""
    lines = [f"{m.tag(finding.drift_class)}{m.sep}{m.subject(str(finding.key))}{acked}"]
    if finding.summary:
        lines.append(m.prose(finding.summary, room.summary))
    lines.extend(verdict(finding, m))
    for evidence in finding.evidence[: room.evidence]:
        if not evidence.path:
            continue  # the whole object (zombies, hooks): the summary already says it
        git = m.value(json_value(evidence.git, room.value))
        live = m.value(json_value(evidence.live, room.value))
        lines.append(m.item(f"{m.value(evidence.path)}: {git} → {live}"))
    hidden = len(finding.evidence) - room.evidence
    if hidden > 0:
        paths = plural(hidden, "more path")
        lines.append(m.quiet(f"…and {paths}") + (f" — {more}" if more else ""))
    heading = fix_heading(finding)
    if fix_as is not None:
        lines.append(f"{heading}: as for {m.prose(fix_as, room.summary)} above, with this name")
        return lines
    lines.append(f"{heading}:")
    fix = finding.fix.text
    if room.fix is None or len(fix) <= room.fix:
        lines.extend(m.block(fix.splitlines() or [""]))
        return lines
    # Cut at a line so a command or YAML key is never half shown.
    lines.extend(m.block(fix[: room.fix].rsplit("\n", 1)[0].splitlines() or [""]))
    lines.append(m.quiet("Fix shortened") + (f" — {more} for all of it." if more else "."))
    return lines


def fix_heading(finding: Finding) -> str:
    """What the fix block is: ``Fix (kind)``, or, for a zombie that must stay, ``Keep it for now``.

    A leftover that is not safe to delete never sits under a "delete" heading, whatever its
    fix kind says: its block is the re-check to run, not a delete (`wrap.FIX_HEADINGS` knows
    both openings, to keep the block paste-safe).
    """
    if finding.fix.kind is FixKind.DELETE and finding.safe_to_delete is False:
        return "Keep it for now (in use)" if finding.users else "Keep it for now (usage unknown)"
    return f"Fix ({finding.fix.kind.value})"


def verdict(finding: Finding, m: Markup) -> list[str]:
    """Whether a leftover can go: safe, not safe (and who still uses it), or who else lists it."""
    users = f": still used by {m.names(finding.users)}" if finding.users else ""
    if finding.safe_to_delete is True:
        return [m.ok("Safe to delete") + ": nothing uses it."]
    if finding.safe_to_delete is False:
        why = users or ": could not prove that nothing uses it"
        return [m.alert("NOT safe to delete") + f"{why}."]
    if finding.users:
        return [f"Also listed by: {m.names(finding.users)}"]
    return []


def finding_line(
    drift_class: DriftClass,
    app: str,
    key: ResourceKey,
    summary: str,
    m: Markup,
    *,
    lead: str,
    acked: bool = False,
    was: bool = False,
) -> str:
    """A finding (or yesterday's, ``was``) on one line: class letter, app, resource, summary."""
    where = f" in {m.prose(key.namespace, 120)}" if key.namespace else ""
    resource = m.value(f"{key.kind}/{key.name}", 240) + where
    mark = m.gap + m.quiet("(acked)") if acked else ""
    said = "was: " if was else ""
    return (
        f"{lead}[{drift_class.letter}] {m.strong(m.prose(app, 120))}{m.gap}{resource}{mark}"
        f" — {said}{m.prose(summary, 300)}"
    )


def json_value(value: object, limit: int) -> str:
    """A git or live value as compact JSON, ``(absent)`` for a missing one, shortened."""
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"
