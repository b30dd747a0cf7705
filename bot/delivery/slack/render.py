"""Block Kit messages for every ``/drift`` answer (pure: model objects in, JSON-ready dicts out).

Two promises hold for ANY input, because cluster data is unbounded and attacker-controlled
(a manifest or a log line can say anything):

* Slack never rejects what we send: ≤ 50 blocks, section text ≤ 3000, header ≤ 150 and
  fallback text ≤ 40,000 characters. Long answers fold into counts and a "…and N more — run
  ``drift-bot …``" line; `fit` is the last guard and also applies to blocks built elsewhere.
* Nothing from the cluster can ping anyone: ``&``, ``<`` and ``>`` are escaped in every value,
  backticks inside code are neutralised, and mrkdwn objects are ``verbatim`` so Slack does not
  auto-link names either. The one mention we create on purpose is ``<@U…>`` for who acked.

No Slack client is imported here; ``app.py`` sends what these functions return.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from bot.core.durations import format_duration
from bot.core.model import (
    ABSENT,
    Ack,
    AppReport,
    DriftClass,
    Finding,
    PodDiagnosis,
    ScanError,
    StuckApp,
)
from bot.delivery import digest_render
from bot.delivery.slack import commands
from bot.errors import InputError, StoreError, UnknownAppError, UpstreamError

Block = dict[str, Any]

MAX_BLOCKS: Final = 50
MAX_SECTION_CHARS: Final = 3000
MAX_HEADER_CHARS: Final = 150
MAX_FALLBACK_CHARS: Final = 40_000
MESSAGE_BUDGET_CHARS: Final = 12_000
"""Slack accepts 50 × 3000 characters, but nobody reads that in a chat; past this budget the
rest of an answer folds into counts and points at the CLI, which has no such limit."""
MAX_EVIDENCE_LINES: Final = 8
MAX_VALUE_CHARS: Final = 120
MAX_FIX_CHARS: Final = 1500
MAX_PODS: Final = 5
MAX_LOG_LINES: Final = 20
MAX_LOG_LINE_CHARS: Final = 300
MAX_NAMES: Final = 5
"""Zombie users, close matches and other lists show this many names, then a count."""
MAX_ERROR_CHARS: Final = 500

_SLACK_USER: Final = re.compile(r"[UW][A-Z0-9]{2,20}")
_SETTING_OF: Final = {"argocd": "ARGOCD_SERVER", "kubernetes": "KUBECONFIG"}
_SOURCE_NAME: Final = {"argocd": "Argo CD", "kubernetes": "Kubernetes", "slack": "Slack"}
_FENCE: Final = "```"


@dataclass(frozen=True, slots=True)
class Message:
    """One Slack message: Block Kit blocks plus the fallback text notifications show."""

    blocks: list[Block]
    text: str


# --- answers ------------------------------------------------------------------------------


def app_report(report: AppReport) -> Message:
    """`/drift app NAME`: health, stuck pods, then one section per finding (folded past budget)."""
    more = "run " + _code(f"drift-bot app {report.app}")
    blocks = [_header(f"{report.app} · {report.sync_status} · {report.health_status}")]
    blocks.append(_section(_overview(report)))
    if report.stuck:
        blocks.append(_section(_stuck_lead(report.stuck, report.generated_at)))
        blocks.extend(_pod_sections(report.stuck, report.generated_at, more))
    # Lazily: with 10,000 findings only the few that fit are ever rendered.
    sections = _fill((_finding_text(f, more) for f in report.findings), used=blocks, reserve=2)
    blocks.extend(_section(text) for text in sections)
    folded = report.findings[len(sections) :]
    if folded:
        blocks.append(_section(f"…and {len(folded)} more: {_class_counts(folded)} — {more}"))
    if report.errors:
        blocks.append(_section(_errors_text(report.errors)))
    return fit(blocks, _app_fallback(report), more=more)


def stuck_app(stuck: StuckApp, now: datetime) -> Message:
    """`/drift logs NAME`: why the workload is unhealthy, with the decisive log lines."""
    more = "run " + _code(f"drift-bot logs {stuck.app}")
    since = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    blocks = [_header(f"{stuck.app} · {stuck.health}{since}")]
    if not stuck.pods:
        blocks.append(_section("No unhealthy pods found for this app's workloads."))
    blocks.extend(_pod_sections(stuck, now, more))
    return fit(blocks, _stuck_fallback(stuck, since), more=more)


def help_message() -> Message:
    """`/drift help`: every sub-command with one line on what it answers."""
    what = {
        "help": "this list",
        "app": "why an app is OutOfSync: class, evidence (git → live) and the fix to paste",
        "logs": "why an app's pods are unhealthy: reason, restarts, decisive log lines",
        "digest": "a private preview of the daily digest",
        "ack": "silence exactly the current drift of an app or resource (default 7d, max 30d)",
        "acks": "acks in force: who, why, until when",
        "unack": "withdraw an ack; its drift is reported again",
    }
    lines = [f"`{commands.USAGE[verb]}` — {text}" for verb, text in what.items()]
    blocks = [_header("drift-bot"), _section("\n".join(lines))]
    return fit(blocks, "drift-bot commands: " + ", ".join(commands.USAGE.values()))


def working() -> Message:
    """The immediate answer to slow commands, sent inside Slack's 3 s window."""
    return Message(blocks=[], text="Working on it…")


def ack_confirmation(ack: Ack, now: datetime) -> Message:
    """What `/drift ack` did: scope, how many drifts it covers, until when, and why."""
    covered = len(ack.fingerprints)
    covers = (
        f"covers {covered} current drift{'s' if covered != 1 else ''}"
        if covered
        else "covers no current drift (nothing in that scope drifts right now)"
    )
    text = (
        f"Acked {_code(str(ack.scope))} for {format_duration(ack.expires_at - now)} "
        f"(until {_when(ack.expires_at)}); it {covers}.\n"
        f"Ack id {_code(ack.id)} · reason: {_esc(ack.reason)}"
    )
    fallback = f"Acked {ack.scope} until {_when(ack.expires_at)} (id {ack.id})"
    return fit([_section(text)], _esc(fallback))


def unack_confirmation(ack: Ack) -> Message:
    """What `/drift unack` did."""
    text = f"Removed ack {_code(ack.id)} on {_code(str(ack.scope))}; its drift is reported again."
    return fit([_section(text)], _esc(f"Removed ack {ack.id} on {ack.scope}"))


def acks_list(acks: Sequence[Ack], now: datetime) -> Message:
    """`/drift acks`: id, scope, who (a real mention), why and expiry of each ack."""
    if not acks:
        return fit([_section("No acks in force.")], "No acks in force.")
    ordered = sorted(acks, key=lambda a: a.expires_at)
    lines = [_ack_line(ack, now) for ack in ordered]
    chunks = _chunks(lines, MAX_SECTION_CHARS)
    blocks = [_header(f"Acks in force ({len(acks)})")]
    shown = _fill(chunks, used=blocks, reserve=1)
    blocks.extend(_section(chunk) for chunk in shown)
    hidden = len(lines) - sum(chunk.count("\n") + 1 for chunk in shown)
    if hidden:
        blocks.append(_section(f"…and {hidden} more — run `drift-bot acks`"))
    return fit(blocks, f"{len(acks)} acks in force", more="run `drift-bot acks`")


# --- errors -------------------------------------------------------------------------------


def unknown_app(exc: UnknownAppError) -> Message:
    """No such app; suggest the close matches the service found."""
    text = f"No Argo CD Application named {_code(exc.name)}."
    if exc.matches:
        text += f" Did you mean: {_names(exc.matches)}?"
    return fit([_section(text)], _esc(str(exc)))


def input_error(exc: InputError) -> Message:
    """A malformed command (the parser's message ends with the usage line) or bad input."""
    return fit([_section(_esc(str(exc)))], _esc(str(exc).splitlines()[0] if str(exc) else ""))


def upstream_error(exc: UpstreamError) -> Message:
    """Kubernetes or Argo CD could not be read; name the setting that points at it."""
    source = _SOURCE_NAME.get(exc.source, exc.source or "Upstream")
    setting = exc.setting or _SETTING_OF.get(exc.source, "ARGOCD_SERVER")
    detail = _esc(_shorten(str(exc), MAX_ERROR_CHARS))
    text = f"*{_esc(source)} unreachable*: {detail} — check `{_esc(setting)}`."
    return fit([_section(text)], f"{_esc(source)} unreachable: {detail} (check {_esc(setting)})")


def store_error(exc: StoreError) -> Message:
    """Redis is down: acks cannot answer, everything else still does."""
    detail = _esc(_shorten(str(exc), MAX_ERROR_CHARS))
    text = (
        f"*Acks unavailable*: {detail} — check `REDIS_URL`.\n"
        "Other commands (`/drift app`, `/drift logs`, `/drift digest`) still work."
    )
    return fit([_section(text)], f"Acks unavailable: {detail}")


def ack_forbidden(group: str) -> Message:
    """The user is not in ``DRIFT_ACK_GROUP`` (named by id: naming it as a mention would ping)."""
    text = (
        f"Only members of the ack user group {_code(group)} (`DRIFT_ACK_GROUP`) may ack or unack."
    )
    return fit([_section(text)], "Only members of the ack user group may ack or unack.")


def ack_group_unavailable(group: str, error: str) -> Message:
    """Membership of ``DRIFT_ACK_GROUP`` could not be checked, so the ack is refused."""
    text = (
        f"Could not check membership of the ack user group {_code(group)} "
        f"(`DRIFT_ACK_GROUP`): Slack said {_code(error)}. The app needs the `usergroups:read` "
        "scope; nothing was acked."
    )
    return fit([_section(text)], "Could not check the ack user group; nothing was acked.")


def internal_error() -> Message:
    """Something unexpected broke; the details are in the bot's log, not in the channel."""
    text = "Something went wrong inside drift-bot; the details are in its log."
    return fit([_section(text)], text)


# --- the guard ----------------------------------------------------------------------------


def fit(blocks: Sequence[Block], text: str, *, more: str = "run `drift-bot`") -> Message:
    """Clamp any blocks and fallback text to Slack's hard limits (the last line of defence).

    Renderers fold long answers themselves; this catches whatever slips through, including
    blocks built by other modules (the digest preview).
    """
    clamped = [_clamp_block(block) for block in blocks]
    if len(clamped) > MAX_BLOCKS:
        hidden = len(clamped) - (MAX_BLOCKS - 1)
        clamped = [*clamped[: MAX_BLOCKS - 1], _section(f"…and {hidden} more — {more}")]
    return Message(blocks=clamped, text=_clip(text, MAX_FALLBACK_CHARS))


# --- pieces -------------------------------------------------------------------------------


_esc = digest_render.escape
"""One escaping rule for every Slack message: ``&``, ``<``, ``>`` become entities."""


def _overview(report: AppReport) -> str:
    since = (
        f" for {format_duration(report.generated_at - report.health_since)}"
        if report.health_since
        else ""
    )
    lines = [f"Health *{_esc(report.health_status)}*{since} · as of {_when(report.generated_at)}"]
    if report.findings:
        n = len(report.findings)
        lines.append(
            f"*{n} drifting resource{'s' if n != 1 else ''}*: {_class_counts(report.findings)}"
        )
    elif report.sync_status == "Synced":
        lines.append("Synced: nothing drifts.")
    else:
        lines.append("No drifting resources listed in the Application's status.")
    return "\n".join(lines)


def _finding_text(finding: Finding, more: str) -> str:
    cls = finding.drift_class
    acked = " · _acked_" if finding.acked else ""
    lines = [f"*[{cls.letter}] {_esc(cls.title)}* · {_code(str(finding.key))}{acked}"]
    if finding.summary:
        lines.append(_plain(finding.summary))
    lines.extend(_verdict(finding))
    for evidence in finding.evidence[:MAX_EVIDENCE_LINES]:
        git, live = _code(_value(evidence.git)), _code(_value(evidence.live))
        lines.append(f"• {_code(evidence.path)}: {git} → {live}")
    hidden = len(finding.evidence) - MAX_EVIDENCE_LINES
    if hidden > 0:
        lines.append(f"…and {hidden} more paths — {more}")
    lines.append(f"Fix ({_esc(str(finding.fix.kind))}):")
    fix = finding.fix.text
    if len(fix) <= MAX_FIX_CHARS:
        lines.append(_code_block(fix.splitlines() or [""]))
    else:
        # Cut at a line so a command or YAML key is never half shown.
        lines.append(_code_block(fix[:MAX_FIX_CHARS].rsplit("\n", 1)[0].splitlines() or [""]))
        lines.append(f"_Fix shortened_ — {more} for all of it.")
    return "\n".join(lines)


def _verdict(finding: Finding) -> list[str]:
    users = f": still used by {_names(finding.users)}" if finding.users else ""
    if finding.safe_to_delete is True:
        return ["*Safe to delete*: nothing uses it."]
    if finding.safe_to_delete is False:
        return [f"*NOT safe to delete*{users or ': could not prove that nothing uses it'}."]
    if finding.users:
        return [f"Also listed by: {_names(finding.users)}"]
    return []


def _stuck_lead(stuck: StuckApp, now: datetime) -> str:
    since = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    return (
        f":rotating_light: *Stuck*: {_esc(stuck.health)}{since} while its pods fail; "
        "fix this before the drift below."
    )


def _pod_sections(stuck: StuckApp, now: datetime, more: str) -> list[Block]:
    sections = [_section(_pod_text(pod, now)) for pod in stuck.pods[:MAX_PODS]]
    hidden = len(stuck.pods) - MAX_PODS
    if hidden > 0:
        sections.append(_section(f"…and {hidden} more unhealthy pods — {more}"))
    return sections


def _pod_text(pod: PodDiagnosis, now: datetime) -> str:
    age = f" · age {format_duration(now - pod.started_at)}" if pod.started_at else ""
    where = _code(f"{pod.namespace}/{pod.name}")
    lines = [
        f"*{_esc(pod.reason)}* · pod {where} · container {_code(pod.container)}",
        f"{pod.restarts} restarts{age}",
    ]
    if pod.message:
        lines.append(_plain(pod.message))
    if pod.log:
        log = [digest_render.middle(line, MAX_LOG_LINE_CHARS) for line in pod.log[-MAX_LOG_LINES:]]
        hidden = len(pod.log) - MAX_LOG_LINES
        if hidden > 0:
            log.insert(0, f"… {hidden} earlier lines not shown")
        lines.append(_code_block(log))
    return "\n".join(lines)


def _ack_line(ack: Ack, now: datetime) -> str:
    left = (
        f"expires in {format_duration(ack.expires_at - now)}" if ack.expires_at > now else "expired"
    )
    reason = _esc(_shorten(" ".join(ack.reason.split()), MAX_ERROR_CHARS))
    return (
        f"{_code(ack.id)} · {_code(str(ack.scope))} · by {_who(ack.by)} · {left} "
        f"({_when(ack.expires_at)}) · {reason}"
    )


def _who(by: str) -> str:
    # The only mention drift-bot creates on purpose: a Slack user id that we stored ourselves.
    return f"<@{by}>" if _SLACK_USER.fullmatch(by) else _code(by)


def _errors_text(errors: Sequence[ScanError]) -> str:
    lines = [f"*Could not read ({len(errors)})*"]
    for error in errors[:MAX_NAMES]:
        message = _plain(error.message)
        lines.append(f"• {_code(error.app)} [{_esc(error.source)}]: {message}")
    if len(errors) > MAX_NAMES:
        lines.append(f"…and {len(errors) - MAX_NAMES} more")
    return "\n".join(lines)


def _app_fallback(report: AppReport) -> str:
    counts = _class_counts(report.findings, plain=True) if report.findings else "no drift"
    stuck = ", stuck" if report.stuck else ""
    return _esc(f"{report.app}: {report.sync_status}/{report.health_status}{stuck}; {counts}")


def _stuck_fallback(stuck: StuckApp, since: str) -> str:
    pods = "; ".join(f"{p.name} {p.reason}, {p.restarts} restarts" for p in stuck.pods[:MAX_PODS])
    return _esc(f"{stuck.app}: {stuck.health}{since}" + (f"; {pods}" if pods else ""))


def _class_counts(findings: Iterable[Finding], *, plain: bool = False) -> str:
    counts = Counter(f.drift_class for f in findings)
    ordered = [(cls, counts[cls]) for cls in DriftClass if counts[cls]]  # precedence order
    if plain:
        return ", ".join(f"{n} {cls.value}" for cls, n in ordered)
    return ", ".join(f"{n}× [{cls.letter}] {_esc(cls.title)}" for cls, n in ordered)


def _fill(texts: Iterable[str], *, used: Sequence[Block], reserve: int) -> list[str]:
    """The leading ``texts`` that fit after ``used`` within the block and character budgets.

    ``reserve`` blocks stay free for the fold and error lines. The first text is always taken
    (clipped later if need be), so an answer never consists of a fold line alone.
    """
    room = MAX_BLOCKS - len(used) - reserve
    chars = sum(len(_block_text(block)) for block in used)
    taken: list[str] = []
    for text in texts:
        size = min(len(text), MAX_SECTION_CHARS)
        if len(taken) >= room or (taken and chars + size > MESSAGE_BUDGET_CHARS):
            break
        chars += size
        taken.append(text)
    return taken


def _chunks(lines: Sequence[str], limit: int) -> list[str]:
    """Join lines into texts of at most ``limit`` characters (a longer line is clipped later)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        if current and size + len(line) + 1 > limit:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(_code(name) for name in names[:MAX_NAMES])
    hidden = len(names) - MAX_NAMES
    return f"{shown} (+{hidden} more)" if hidden > 0 else shown


def _value(value: object) -> str:
    if value is ABSENT:
        return "(absent)"
    return _shorten(json.dumps(value, ensure_ascii=False, default=str), MAX_VALUE_CHARS)


def _when(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


# --- Block Kit primitives and clamping ----------------------------------------------------


def _header(text: str) -> Block:
    plain = _clip(_esc(" ".join(text.split())), MAX_HEADER_CHARS)
    return {"type": "header", "text": {"type": "plain_text", "text": plain, "emoji": False}}


def _section(mrkdwn: str) -> Block:
    clipped = _clip(mrkdwn, MAX_SECTION_CHARS)
    return {"type": "section", "text": {"type": "mrkdwn", "text": clipped, "verbatim": True}}


def _code(value: str) -> str:
    """Inline code: escaped, one line, and no backtick that could close it early."""
    flat = " ".join(value.split()) or " "
    return f"`{_neutralise(_esc(flat))}`"


def _code_block(lines: Sequence[str]) -> str:
    body = "\n".join(_neutralise(_esc(line)) for line in lines) or " "
    return f"{_FENCE}\n{body}\n{_FENCE}"


def _plain(text: str, limit: int = MAX_ERROR_CHARS) -> str:
    """Cluster text shown outside code: shortened, escaped, and unable to open a code span."""
    return _neutralise(_esc(_shorten(text, limit)))


def _neutralise(text: str) -> str:
    # U+02CB looks like a backtick but is not mrkdwn, so cluster text cannot end a code span.
    return text.replace("`", "\u02cb")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _block_text(block: Block) -> str:
    text = block.get("text")
    return str(text.get("text", "")) if isinstance(text, dict) else ""


def _clamp_block(block: Block) -> Block:
    kind = block.get("type")
    limit = MAX_HEADER_CHARS if kind == "header" else MAX_SECTION_CHARS
    out = dict(block)
    text = out.get("text")
    if isinstance(text, dict) and isinstance(text.get("text"), str):
        out["text"] = {**text, "text": _clip(text["text"], limit)}
    if kind == "section" and isinstance(out.get("fields"), list):
        out["fields"] = [_clamp_text_object(f, 2000) for f in out["fields"][:10]]
    if kind == "context" and isinstance(out.get("elements"), list):
        out["elements"] = [_clamp_text_object(e, MAX_SECTION_CHARS) for e in out["elements"][:10]]
    return out


def _clamp_text_object(obj: Any, limit: int) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return {**obj, "text": _clip(obj["text"], limit)}
    return obj


def _clip(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters without leaving broken markup behind.

    A cut may land inside ``&amp;``, ``<@U…>`` or a code fence; each is repaired so the result
    is still valid mrkdwn (room for "…" and a closing fence is reserved up front).
    """
    if len(text) <= limit:
        return text
    head = text[: max(limit - len(_FENCE) - 2, 0)]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    if head.rfind("<") > head.rfind(">"):
        head = head[: head.rfind("<")]
    head = head.rstrip("`") + "…"
    if head.count(_FENCE) % 2:
        head += "\n" + _FENCE
    return head
