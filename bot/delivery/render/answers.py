"""Block Kit messages for every ``/drift`` answer (pure: model objects in, `Message` out).

Long answers fold into counts and a "…and N more — run ``drift-bot …``" line, and every answer
passes `blocks.fit`, so Slack accepts it whatever the cluster holds. Cluster values go through
`SlackMarkup`/`escape`, so nothing from a manifest or a log line can ping anyone; the one
mention we create on purpose is ``<@U…>`` for who acked. No Slack client is imported here:
``slack/app.py`` sends what these functions return.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Final

from bot.core.durations import format_duration
from bot.core.model import Ack, AppReport, DriftClass, Finding, PodDiagnosis, ScanError, StuckApp
from bot.delivery.render.blocks import Block, Message, chunks, fill, fit, header, section
from bot.delivery.render.escape import code_block, code_span, escape, middle, mrkdwn, shorten
from bot.delivery.render.findings import Room, finding_lines
from bot.delivery.render.limits import MAX_BLOCKS, MAX_SECTION_CHARS
from bot.delivery.render.markup import SLACK_MAX_NAMES, SlackMarkup, who
from bot.delivery.render.time import when
from bot.delivery.render.words import plural
from bot.delivery.slack import commands
from bot.errors import InputError, StoreError, UnknownAppError, UpstreamError

__all__ = [
    # Re-exported so a handler answers with one import: the message type and the guard.
    "Message",
    "ack_confirmation",
    "ack_forbidden",
    "ack_group_unavailable",
    "acks_list",
    "app_report",
    "fit",
    "full_text",
    "help_message",
    "input_error",
    "internal_error",
    "pod_sections",
    "store_error",
    "stuck_app",
    "unack_confirmation",
    "unknown_app",
    "upstream_error",
    "working",
]

ROOM: Final = Room(evidence=8, value=120, summary=500, fix=1500)
"""`/drift app`: paths, value and fix characters per finding before folding to the CLI."""
MAX_PODS: Final = 5
MAX_LOG_LINES: Final = 20
MAX_LOG_LINE_CHARS: Final = 300
MAX_ERROR_CHARS: Final = 500

_SLACK: Final = SlackMarkup()
_SETTING_OF: Final = {"argocd": "ARGOCD_SERVER", "kubernetes": "KUBECONFIG"}
_SOURCE_NAME: Final = {"argocd": "Argo CD", "kubernetes": "Kubernetes", "slack": "Slack"}


# --- answers ------------------------------------------------------------------------------


def app_report(
    report: AppReport,
    *,
    actions: Callable[[Finding], Sequence[Block]] | None = None,
    stuck_actions: Callable[[StuckApp], Sequence[Block]] | None = None,
) -> Message:
    """`/drift app NAME`: health, stuck pods, then one section per finding (folded past budget).

    ``actions``/``stuck_actions`` (Slack's buttons, `bot.delivery.slack.buttons`) add up to
    two blocks after each finding's section and after the stuck lead; the findings shown
    shrink so the answer still fits Slack's 50 blocks.
    """
    more = "run " + code_span(f"drift-bot app {report.app}")
    blocks = [header(f"{report.app} · {report.sync_status} · {report.health_status}")]
    blocks.append(section(_overview(report)))
    if report.stuck:
        blocks.append(section(_stuck_lead(report.stuck, report.generated_at)))
        blocks.extend(stuck_actions(report.stuck) if stuck_actions else ())
        blocks.extend(pod_sections(report.stuck, report.generated_at, more))
    texts = ("\n".join(finding_lines(f, _SLACK, ROOM, more=more)) for f in report.findings)
    sections = fill(texts, used=blocks, reserve=2)
    if actions is not None:
        sections = sections[: (MAX_BLOCKS - len(blocks) - 2) // 3]
    for finding, text in zip(report.findings, sections, strict=False):
        blocks.append(section(text))
        blocks.extend(actions(finding) if actions else ())
    folded = report.findings[len(sections) :]
    if folded:
        blocks.append(section(f"…and {len(folded)} more: {_class_counts(folded)} — {more}"))
    if report.errors:
        blocks.append(section(_errors_text(report.errors)))
    return fit(blocks, _app_fallback(report), more=more)


def stuck_app(stuck: StuckApp, now: datetime, *, actions: Sequence[Block] = ()) -> Message:
    """`/drift logs NAME`: why the workload is unhealthy, with the decisive log lines.

    ``actions`` (Slack's buttons) go right under the header.
    """
    more = "run " + code_span(f"drift-bot logs {stuck.app}")
    since = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    blocks = [header(f"{stuck.app} · {stuck.health}{since}")]
    blocks.extend(actions)
    if not stuck.pods:
        blocks.append(section("No unhealthy pods found for this app's workloads."))
    blocks.extend(pod_sections(stuck, now, more))
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
    blocks = [header("drift-bot"), section("\n".join(lines))]
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
        f"Acked {code_span(str(ack.scope))} for {format_duration(ack.expires_at - now)} "
        f"(until {when(ack.expires_at)}); it {covers}.\n"
        f"Ack id {code_span(ack.id)} · reason: {escape(ack.reason)}"
    )
    fallback = f"Acked {ack.scope} until {when(ack.expires_at)} (id {ack.id})"
    return fit([section(text)], escape(fallback))


def unack_confirmation(ack: Ack) -> Message:
    """What `/drift unack` did."""
    text = (
        f"Removed ack {code_span(ack.id)} on {code_span(str(ack.scope))}; "
        "its drift is reported again."
    )
    return fit([section(text)], escape(f"Removed ack {ack.id} on {ack.scope}"))


def acks_list(acks: Sequence[Ack], now: datetime) -> Message:
    """`/drift acks`: id, scope, who (a real mention), why and expiry of each ack."""
    if not acks:
        return fit([section("No acks in force.")], "No acks in force.")
    ordered = sorted(acks, key=lambda a: a.expires_at)
    lines = [_ack_line(ack, now) for ack in ordered]
    texts = chunks(lines, MAX_SECTION_CHARS)
    blocks = [header(f"Acks in force ({len(acks)})")]
    shown = fill(texts, used=blocks, reserve=1)
    blocks.extend(section(text) for text in shown)
    hidden = len(lines) - sum(text.count("\n") + 1 for text in shown)
    if hidden:
        blocks.append(section(f"…and {hidden} more — run `drift-bot acks`"))
    return fit(blocks, f"{plural(len(acks), 'ack')} in force", more="run `drift-bot acks`")


# --- errors -------------------------------------------------------------------------------


def unknown_app(exc: UnknownAppError) -> Message:
    """No such app; suggest the close matches the service found."""
    text = f"No Argo CD Application named {code_span(exc.name)}."
    if exc.matches:
        text += f" Did you mean: {_SLACK.names(exc.matches)}?"
    return fit([section(text)], escape(str(exc)))


def input_error(exc: InputError) -> Message:
    """A malformed command (the parser's message ends with the usage line) or bad input."""
    first = str(exc).splitlines()[0] if str(exc) else ""
    return fit([section(escape(str(exc)))], escape(first))


def upstream_error(exc: UpstreamError) -> Message:
    """Kubernetes or Argo CD could not be read; name the setting that points at it."""
    source = _SOURCE_NAME.get(exc.source, exc.source or "Upstream")
    setting = exc.setting or _SETTING_OF.get(exc.source, "ARGOCD_SERVER")
    detail = escape(shorten(str(exc), MAX_ERROR_CHARS))
    text = f"*{escape(source)} unreachable*: {detail} — check `{escape(setting)}`."
    fallback = f"{escape(source)} unreachable: {detail} (check {escape(setting)})"
    return fit([section(text)], fallback)


def store_error(exc: StoreError) -> Message:
    """Redis is down: acks cannot answer, everything else still does."""
    detail = escape(shorten(str(exc), MAX_ERROR_CHARS))
    text = (
        f"*Acks unavailable*: {detail} — check `REDIS_URL`.\n"
        "Other commands (`/drift app`, `/drift logs`, `/drift digest`) still work."
    )
    return fit([section(text)], f"Acks unavailable: {detail}")


def ack_forbidden(group: str) -> Message:
    """The user is not in ``DRIFT_ACK_GROUP`` (named by id: naming it as a mention would ping)."""
    text = (
        f"Only members of the ack user group {code_span(group)} (`DRIFT_ACK_GROUP`) "
        "may ack or unack."
    )
    return fit([section(text)], "Only members of the ack user group may ack or unack.")


def ack_group_unavailable(group: str, error: str) -> Message:
    """Membership of ``DRIFT_ACK_GROUP`` could not be checked, so the ack is refused."""
    text = (
        f"Could not check membership of the ack user group {code_span(group)} "
        f"(`DRIFT_ACK_GROUP`): Slack said {code_span(error)}. The app needs the "
        "`usergroups:read` scope; nothing was acked."
    )
    return fit([section(text)], "Could not check the ack user group; nothing was acked.")


def internal_error() -> Message:
    """Something unexpected broke; the details are in the bot's log, not in the channel."""
    text = "Something went wrong inside drift-bot; the details are in its log."
    return fit([section(text)], text)


# --- pieces -------------------------------------------------------------------------------


def pod_sections(stuck: StuckApp, now: datetime, more: str) -> list[Block]:
    """One section per unhealthy pod (the first `MAX_PODS`), then a count of the rest."""
    sections = [section(_pod_text(pod, now)) for pod in stuck.pods[:MAX_PODS]]
    hidden = len(stuck.pods) - MAX_PODS
    if hidden > 0:
        sections.append(section(f"…and {plural(hidden, 'more unhealthy pod')} — {more}"))
    return sections


def _fresh(report: AppReport) -> str:
    """How current serve's watched app list was (answers from a fresh list say nothing)."""
    if report.fleet_as_of is None:
        return ""
    age = max(0, int((report.generated_at - report.fleet_as_of).total_seconds()))
    return f" (app list watched, {age}s old)"


def _overview(report: AppReport) -> str:
    since = (
        f" for {format_duration(report.generated_at - report.health_since)}"
        if report.health_since
        else ""
    )
    health = escape(report.health_status)
    lines = [f"Health *{health}*{since} · as of {when(report.generated_at)}{_fresh(report)}"]
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


def _stuck_lead(stuck: StuckApp, now: datetime) -> str:
    since = f" for {format_duration(now - stuck.since)}" if stuck.since else ""
    return (
        f":rotating_light: *Stuck*: {escape(stuck.health)}{since} while its pods fail; "
        "fix this before the drift below."
    )


def _pod_text(pod: PodDiagnosis, now: datetime) -> str:
    age = f" · age {format_duration(now - pod.started_at)}" if pod.started_at else ""
    where = code_span(f"{pod.namespace}/{pod.name}")
    lines = [
        f"*{escape(pod.reason)}* · pod {where} · container {code_span(pod.container)}",
        f"{plural(pod.restarts, 'restart')}{age}",
    ]
    if pod.message:
        lines.append(mrkdwn(pod.message, MAX_ERROR_CHARS))
    if pod.log:
        log = [middle(line, MAX_LOG_LINE_CHARS) for line in pod.log[-MAX_LOG_LINES:]]
        hidden = len(pod.log) - MAX_LOG_LINES
        if hidden > 0:
            log.insert(0, f"… {hidden} earlier lines not shown")
        lines.append(code_block(log))
    return "\n".join(lines)


def _ack_line(ack: Ack, now: datetime) -> str:
    left = (
        f"expires in {format_duration(ack.expires_at - now)}" if ack.expires_at > now else "expired"
    )
    reason = mrkdwn(" ".join(ack.reason.split()), MAX_ERROR_CHARS)
    return (
        f"{code_span(ack.id)} · {code_span(str(ack.scope))} · by {who(ack.by)} · {left} "
        f"({when(ack.expires_at)}) · {reason}"
    )


def _errors_text(errors: Sequence[ScanError]) -> str:
    lines = [f"*Could not read ({len(errors)})*"]
    for error in errors[:SLACK_MAX_NAMES]:
        message = mrkdwn(error.message, MAX_ERROR_CHARS)
        lines.append(f"• {code_span(error.app)} [{escape(error.source)}]: {message}")
    if len(errors) > SLACK_MAX_NAMES:
        lines.append(f"…and {len(errors) - SLACK_MAX_NAMES} more")
    return "\n".join(lines)


def _app_fallback(report: AppReport) -> str:
    counts = _class_counts(report.findings, plain=True) if report.findings else "no drift"
    stuck = ", stuck" if report.stuck else ""
    return escape(f"{report.app}: {report.sync_status}/{report.health_status}{stuck}; {counts}")


def _stuck_fallback(stuck: StuckApp, since: str) -> str:
    pods = "; ".join(
        f"{p.name} {p.reason}, {plural(p.restarts, 'restart')}" for p in stuck.pods[:MAX_PODS]
    )
    return escape(f"{stuck.app}: {stuck.health}{since}" + (f"; {pods}" if pods else ""))


def _class_counts(findings: Iterable[Finding], *, plain: bool = False) -> str:
    counts = Counter(f.drift_class for f in findings)
    ordered = [(cls, counts[cls]) for cls in DriftClass if counts[cls]]  # precedence order
    if plain:
        return ", ".join(f"{n} {cls.value}" for cls, n in ordered)
    return ", ".join(f"{n}× [{cls.letter}] {escape(cls.title)}" for cls, n in ordered)


def full_text(message: Message) -> str:
    """What the person was told, in full (the fallback ``text`` is often a summary)."""
    sections = [
        str(block["text"]["text"])
        for block in message.blocks or []
        if block.get("type") == "section" and isinstance(block.get("text"), dict)
    ]
    return "\n".join(sections) or message.text
