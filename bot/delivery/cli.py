"""The ``drift-bot`` command line (DESIGN.md §3 is the contract: commands, flags, exit codes).

Commands validate their input, call one service use case, and print a rendering. Exit codes:
0 ok, 1 drift or stuck apps found (``scan --fail-on-drift``), 2 usage or configuration error
(the message names the flag or env var), 3 upstream unreachable or refusing us, 130 on Ctrl-C,
141 when the reader of stdout went away (``drift-bot demo | head``: 128 + SIGPIPE, what a
shell reports for any command a closed pipe stops; no traceback).

Terminal conventions live in `bot.delivery.terminal` (colour, width); the global flags (``-v``,
``--color``, ``--context``) are accepted before or after the command.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Final, Literal, Protocol, TextIO

from bot import logs
from bot.core.digest import Digest, build_digest
from bot.core.model import EVERY_APP, AppReport, ScanError, ScanReport, StuckApp, Totals
from bot.delivery import sandbox, terminal
from bot.delivery.cli_args import build_parser
from bot.delivery.render.blocks import Block
from bot.delivery.render.digest_text import digest_text
from bot.delivery.render.text import render_app, render_logs, render_scan, to_json
from bot.errors import ConfigError, DeliveryError, InputError, StoreError, UpstreamError
from bot.ports import Classifier, StateStore
from bot.service.digest import Notifier
from bot.settings import Settings, load_settings, load_terminal_env

Role = Literal["all", "classifier", "slack"]
Preview = tuple[list[Block], str]
"""Block Kit blocks and the notification text of one Slack message."""

EXIT_OK: Final = 0
EXIT_DRIFT: Final = 1
EXIT_USAGE: Final = 2
EXIT_UPSTREAM: Final = 3
EXIT_INTERRUPTED: Final = 130
EXIT_PIPE: Final = 141

log = logging.getLogger(__name__)


class SlackPreview(Protocol):
    """The renderings the Slack app sends, for ``--format blocks`` (built by `bot.wiring`)."""

    def app(self, report: AppReport) -> Preview:
        """What ``/drift app NAME`` answers."""
        ...

    def logs(self, stuck: StuckApp, now: datetime) -> Preview:
        """What ``/drift logs NAME`` answers."""
        ...

    def digest(self, digest: Digest) -> Preview:
        """What the daily digest posts to DRIFT_CHANNEL."""
        ...


class Builders(Protocol):
    """What the commands need built; `bot.wiring.Builders` builds them over the real adapters."""

    def session(
        self, settings: Settings, *, acks: bool = True
    ) -> AbstractContextManager[tuple[Classifier, StateStore | None]]:
        """The classifier (acks applied when REDIS_URL is set) and store, closed afterwards."""
        ...

    def notifier(
        self, settings: Settings, classifier: Classifier, store: StateStore | None, *, post: bool
    ) -> Notifier:
        """Digest and escalation; with ``post``, posting to Slack with SLACK_BOT_TOKEN."""
        ...

    def service(self, settings: Settings) -> Classifier:
        """The in-process classifier, uncached (the demo scans once)."""
        ...

    def serve(self, settings: Settings, *, role: Role, port: int | None) -> int:
        """Build and run ``drift-bot serve``; returns the exit code."""
        ...

    def slack_preview(self, settings: Settings) -> SlackPreview:
        """The Slack renderings, for ``--format blocks``."""
        ...


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, builders: Builders
) -> int:
    """Run one command; return the exit code (`bot.wiring.main` passes the real builders)."""
    out = stdout or sys.stdout
    args = build_parser().parse_args(argv)
    args.builders = builders
    try:
        code = _run(args, out)
        out.flush()  # inside the try: a closed pipe surfaces here, not at interpreter exit
        return code
    except ConfigError as exc:
        return _fail(f"configuration error: {exc}", EXIT_USAGE)
    except InputError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except (StoreError, DeliveryError) as exc:
        return _fail(str(exc), EXIT_UPSTREAM)
    except UpstreamError as exc:
        hint = f" (check {exc.setting})" if exc.setting and exc.setting not in str(exc) else ""
        return _fail(f"{exc.source} unreachable or refusing: {exc}{hint}", EXIT_UPSTREAM)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        terminal.discard_output(out)
        return EXIT_PIPE


def _run(args: argparse.Namespace, out: TextIO) -> int:
    settings = load_settings()
    if args.context:
        settings = settings.model_copy(update={"drift_kube_context": args.context})
    # Commands print their answer on stdout; stderr stays quiet unless asked (-v) or serving.
    quiet = logging.INFO if args.command in ("serve", "simulate") else logging.WARNING
    logs.configure(settings.drift_log_format, logging.DEBUG if args.verbose else quiet)
    args.term = terminal.Terminal.of(out, load_terminal_env(), args.color)
    command: Callable[[argparse.Namespace, Settings, TextIO], int] = COMMANDS[args.command]
    return command(args, settings, out)


# --- the commands -------------------------------------------------------------------------


def _scan(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Print the scan; when an upstream could not be read at all, print what is known and exit 3.

    Argo CD down still leaves apps, statuses and stuck apps (all from Kubernetes) with one
    ``errors`` entry naming it; Kubernetes down leaves nothing but that entry.
    """
    with args.builders.session(settings) as (classifier, _):
        try:
            report = classifier.scan(args.app)
        except UpstreamError as exc:
            report = _nothing_read(exc)
    if args.format == "json":
        out.write(to_json(report.to_json()))
    else:
        _text(args, out, render_scan(report, args.term.style))
    for error in report.unreachable:
        _fail(f"{error.source} unreachable or refusing, the scan is partial: {error.message}", 0)
    if report.unreachable:
        return EXIT_UPSTREAM
    drifting = any(not f.acked for f in report.findings) or bool(report.stuck)
    return EXIT_DRIFT if args.fail_on_drift and drifting else EXIT_OK


def _nothing_read(exc: UpstreamError) -> ScanReport:
    hint = f" (check {exc.setting})" if exc.setting and exc.setting not in str(exc) else ""
    error = ScanError(app=EVERY_APP, source=exc.source or "kubernetes", message=f"{exc}{hint}")
    return ScanReport(generated_at=datetime.now(UTC), totals=Totals(0, 0, 0, 0), errors=(error,))


def _escalate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """One escalation check, the scheduler's own (`Notifier.escalate`: same lock, same keys)."""
    builders: Builders = args.builders
    with builders.session(settings) as (classifier, store):
        actions = builders.notifier(settings, classifier, store, post=True).escalate()
    out.writelines(f"{action}\n" for action in actions or ["nothing to do"])
    return EXIT_OK


def _app(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    with args.builders.session(settings) as (classifier, _):
        report = classifier.app_report(args.name)
    if args.format == "json":
        out.write(to_json(report.to_json()))
    elif args.format == "blocks":
        _blocks(out, args.builders.slack_preview(settings).app(report))
    else:
        _text(args, out, render_app(report, args.term.style))
    return EXIT_OK


def _logs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    with args.builders.session(settings, acks=False) as (classifier, _):
        stuck = classifier.logs_report(args.name)
    now = datetime.now(UTC)
    if args.format == "json":
        out.write(to_json(stuck.to_json()))
    elif args.format == "blocks":
        _blocks(out, args.builders.slack_preview(settings).logs(stuck, now))
    else:
        _text(args, out, render_logs(stuck, now, args.term.style))
    return EXIT_OK


def _digest(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.force and not args.post:
        msg = "--force only makes sense with --post (it re-posts today's digest)"
        raise InputError(msg)
    if args.post and args.format != "text":
        msg = "--format shows the digest without posting it; drop --post to preview it"
        raise InputError(msg)
    builders: Builders = args.builders
    with builders.session(settings) as (classifier, store):
        notifier = builders.notifier(settings, classifier, store, post=args.post)
        if not args.post:
            digest = notifier.build_digest()
            if args.format == "json":
                out.write(to_json(digest.to_json()))
            elif args.format == "blocks":
                _blocks(out, builders.slack_preview(settings).digest(digest))
            else:
                _text(args, out, digest_text(digest))
            return EXIT_OK
        outcome = notifier.post_digest(force=args.force)
    out.write(f"digest {'posted' if outcome.posted else 'not posted'}: {outcome.reason}\n")
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    builders: Builders = args.builders
    return builders.serve(settings, role=args.role, port=args.port)


def _simulate(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    return sandbox.simulate(args.scenario, args.apps, args.env_file, out, sys.stderr)


def _demo(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    report = sandbox.demo_report(settings, args.builders.service)
    if args.format == "json":
        out.write(to_json(report.to_json()))
        return EXIT_OK
    style = args.term.style
    intro = style.dim(
        "Simulated cluster: the seed write-up's 52 Argo CD apps, served over loopback "
        "to the real kubernetes and Argo CD clients. No cluster or Slack needed."
    )
    # The digest as the channel would get it on its first day (no acks, no yesterday yet).
    digest = build_digest(report, previous=None, acks=(), now=report.generated_at)
    heading = style.bold("DAILY DIGEST (what #your-channel would read)")
    _text(args, out, f"{intro}\n\n{render_scan(report, style)}\n{heading}\n{digest_text(digest)}")
    return EXIT_OK


def _text(args: argparse.Namespace, out: TextIO, text: str) -> None:
    out.write(args.term.fit(text))


def _blocks(out: TextIO, preview: Preview) -> None:
    blocks, text = preview
    out.write(to_json({"blocks": blocks, "text": text}))


COMMANDS: Final = {
    "scan": _scan,
    "app": _app,
    "logs": _logs,
    "digest": _digest,
    "escalate": _escalate,
    "serve": _serve,
    "simulate": _simulate,
    "demo": _demo,
}
"""Each command name of `cli_args.build_parser` and the function that runs it."""


def _fail(message: str, code: int) -> int:
    print(f"drift-bot: {message}", file=sys.stderr)
    return code
