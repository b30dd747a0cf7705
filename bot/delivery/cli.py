"""The ``drift-bot`` command line (DESIGN.md §3 is the contract: commands, flags, exit codes).

Commands validate their input, call one service use case, and print a rendering. Exit codes:
0 ok, 1 drift or stuck apps found (``scan --fail-on-drift``), 2 usage or configuration error
(the message names the flag or env var), 3 upstream unreachable or refusing us.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol, TextIO

from pydantic import SecretStr

from bot import __version__, logs
from bot.core.digest import build_digest
from bot.delivery.render.digest_text import digest_text
from bot.delivery.render.text import Style, render_app, render_logs, render_scan, to_json
from bot.errors import ConfigError, DeliveryError, InputError, StoreError, UpstreamError
from bot.ports import Classifier, StateStore
from bot.service.digest import Notifier
from bot.settings import Settings, load_settings

Role = Literal["all", "classifier", "slack"]

EXIT_OK = 0
EXIT_DRIFT = 1
EXIT_USAGE = 2
EXIT_UPSTREAM = 3

log = logging.getLogger(__name__)

DEMO_TOKEN = "demo-token"  # noqa: S105  # the simulator's own token; it guards nothing real


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


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, builders: Builders
) -> int:
    """Run one command; return the exit code (`bot.wiring.main` passes the real builders)."""
    out = stdout or sys.stdout
    parser = _parser()
    args = parser.parse_args(argv)
    args.builders = builders
    try:
        settings = load_settings()
        # Commands print their answer on stdout; stderr stays quiet unless asked (-v) or serving.
        quiet = logging.INFO if args.command == "serve" else logging.WARNING
        logs.configure(settings.drift_log_format, logging.DEBUG if args.verbose else quiet)
        command: Callable[[argparse.Namespace, Settings, TextIO], int] = args.run
        return command(args, settings, out)
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
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drift-bot",
        description="Why is each Argo CD Application OutOfSync, what is the narrowest fix, "
        "and which apps hide a broken workload behind Progressing.",
    )
    parser.add_argument("--version", action="version", version=f"drift-bot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging on stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    scan = sub.add_parser("scan", help="classify every OutOfSync app and find stuck ones")
    _output_flags(scan)
    scan.add_argument(
        "--app", action="append", default=[], metavar="NAME", help="only this app (repeatable)"
    )
    scan.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when unacknowledged drift or stuck apps are found (for CI gates)",
    )
    scan.set_defaults(run=_scan)

    app = sub.add_parser("app", help="classified drift and health of one app")
    app.add_argument("name", metavar="NAME")
    _output_flags(app)
    app.set_defaults(run=_app)

    logs_cmd = sub.add_parser("logs", help="why one app is stuck: pods, restarts, decisive logs")
    logs_cmd.add_argument("name", metavar="NAME")
    _output_flags(logs_cmd)
    logs_cmd.set_defaults(run=_logs)

    digest = sub.add_parser("digest", help="print today's digest; --post sends it to DRIFT_CHANNEL")
    digest.add_argument(
        "--post", action="store_true", help="post to DRIFT_CHANNEL (at most once per day)"
    )
    digest.add_argument(
        "--force", action="store_true", help="post even if today's digest was already posted"
    )
    digest.set_defaults(run=_digest)

    serve = sub.add_parser("serve", help="Slack app, scheduler and classification API")
    serve.add_argument("--port", type=int, default=None, help="HTTP port (default DRIFT_PORT)")
    serve.add_argument("--role", choices=("all", "classifier", "slack"), default="all")
    serve.set_defaults(run=_serve)

    demo = sub.add_parser(
        "demo", help="scan a built-in simulated cluster (the seed's 52 apps); needs nothing else"
    )
    _output_flags(demo)
    demo.set_defaults(run=_demo)
    return parser


def _output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text output (auto: only on a terminal)",
    )


def _scan(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    with args.builders.session(settings) as (classifier, _):
        report = classifier.scan(args.app)
    if args.format == "json":
        out.write(to_json(report.to_json()))
    else:
        out.write(render_scan(report, _style(args, out)))
    drifting = any(not f.acked for f in report.findings) or bool(report.stuck)
    return EXIT_DRIFT if args.fail_on_drift and drifting else EXIT_OK


def _app(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    with args.builders.session(settings) as (classifier, _):
        report = classifier.app_report(args.name)
    if args.format == "json":
        out.write(to_json(report.to_json()))
    else:
        out.write(render_app(report, _style(args, out)))
    return EXIT_OK


def _logs(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    with args.builders.session(settings, acks=False) as (classifier, _):
        stuck = classifier.logs_report(args.name)
    if args.format == "json":
        out.write(to_json(stuck.to_json()))
    else:
        out.write(render_logs(stuck, datetime.now(UTC), _style(args, out)))
    return EXIT_OK


def _digest(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    if args.force and not args.post:
        msg = "--force only makes sense with --post (it re-posts today's digest)"
        raise InputError(msg)
    builders: Builders = args.builders
    with builders.session(settings) as (classifier, store):
        notifier = builders.notifier(settings, classifier, store, post=args.post)
        if not args.post:
            out.write(digest_text(notifier.build_digest()))
            return EXIT_OK
        outcome = notifier.post_digest(force=args.force)
    out.write(f"digest {'posted' if outcome.posted else 'not posted'}: {outcome.reason}\n")
    return EXIT_OK


def _serve(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    builders: Builders = args.builders
    return builders.serve(settings, role=args.role, port=args.port)


def _demo(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    # Imported here: the simulator is a test double, only the demo needs it at run time.
    from bot.simulator import Simulator, scenarios

    with (
        tempfile.TemporaryDirectory(prefix="drift-bot-demo-") as tmp,
        Simulator(scenarios.seed(now=datetime.now(UTC)), token=DEMO_TOKEN) as sim,
    ):
        demo_settings = settings.model_copy(
            update={
                "kubeconfig": str(sim.write_kubeconfig(Path(tmp) / "kubeconfig")),
                "argocd_server": sim.argocd_url,
                "argocd_auth_token": SecretStr(DEMO_TOKEN),
                "argocd_insecure": False,
                "argocd_namespace": "argocd",
                "drift_app_namespaces": [],
            }
        )
        service = args.builders.service(demo_settings)
        try:
            report = service.scan()
        finally:
            service.close()
    if args.format == "json":
        out.write(to_json(report.to_json()))
        return EXIT_OK
    style = _style(args, out)
    out.write(
        style.dim(
            "Simulated cluster: the seed write-up's 52 Argo CD apps, served over loopback "
            "to the real kubernetes and Argo CD clients. No cluster or Slack needed.\n\n"
        )
    )
    out.write(render_scan(report, style))
    # The digest as the channel would get it on its first day (no acks, no yesterday yet).
    digest = build_digest(report, previous=None, acks=(), now=report.generated_at)
    out.write("\n" + style.bold("DAILY DIGEST (what #your-channel would read)") + "\n")
    out.write(digest_text(digest))
    return EXIT_OK


def _style(args: argparse.Namespace, out: TextIO) -> Style:
    if args.color == "always":
        return Style(enabled=True)
    if args.color == "never":
        return Style.plain()
    return Style(enabled=out.isatty())


def _fail(message: str, code: int) -> int:
    print(f"drift-bot: {message}", file=sys.stderr)
    return code
