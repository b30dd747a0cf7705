"""The ``drift-bot`` arguments: every command, flag and help text (DESIGN.md §3 contract).

The global flags (``-v``, ``--color``, ``--context``) are accepted before or after the command:
each command's parser repeats them with SUPPRESS defaults, so a value given before the command
survives and one given after it wins. ``--port`` is checked here, before anything connects or
listens.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot import __version__
from bot.delivery import sandbox


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; ``command`` names the one given (`cli.COMMANDS` runs it)."""
    parser = argparse.ArgumentParser(
        prog="drift-bot",
        description="Why is each Argo CD Application OutOfSync, what is the narrowest fix, "
        "and which apps hide a broken workload behind Progressing.",
        epilog="New here? `drift-bot demo` needs nothing else; `drift-bot simulate` serves a "
        "simulated cluster to try every other command against.",
    )
    parser.add_argument("--version", action="version", version=f"drift-bot {__version__}")
    _global_flags(parser, defaults=True)
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="what to do (each has --help)"
    )

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=summary, description=summary)
        _global_flags(cmd, defaults=False)
        return cmd

    scan = command("scan", "classify every OutOfSync app and find stuck ones")
    _format(scan, ("text", "json"))
    scan.add_argument(
        "--app", action="append", default=[], metavar="NAME", help="only this app (repeatable)"
    )
    scan.add_argument(
        "--fail-on-drift",
        action="store_true",
        help="exit 1 when unacknowledged drift or stuck apps are found (for CI gates)",
    )

    app = command("app", "classified drift and health of one app (as /drift app)")
    app.add_argument("name", metavar="NAME", help="the Argo CD Application's name")
    _format(app, ("text", "json", "blocks"))

    logs_cmd = command(
        "logs", "why one app is stuck: pods, restarts, decisive logs (as /drift logs)"
    )
    logs_cmd.add_argument("name", metavar="NAME", help="the Argo CD Application's name")
    _format(logs_cmd, ("text", "json", "blocks"))

    digest = command("digest", "print today's digest; --post sends it to DRIFT_CHANNEL")
    _format(digest, ("text", "json", "blocks"))
    digest.add_argument(
        "--post", action="store_true", help="post to DRIFT_CHANNEL (at most once per day)"
    )
    digest.add_argument(
        "--force", action="store_true", help="post even if today's digest was already posted"
    )

    command(
        "escalate",
        "one escalation check, as the scheduler runs it (pings on-call once per incident)",
    )

    serve = command("serve", "Slack app, scheduler and classification API")
    serve.add_argument(
        "--port", type=_port, default=None, help="HTTP port, 1-65535 (default: DRIFT_PORT, 3000)"
    )
    serve.add_argument(
        "--role",
        choices=("all", "classifier", "slack"),
        default="all",
        help="all: everything in one process; classifier: only the API reading the cluster; "
        "slack: only the Slack app, asking DRIFT_CLASSIFIER_URL (default: all)",
    )

    simulate = command(
        "simulate",
        "serve a simulated Kubernetes + Argo CD on loopback and print the export lines that "
        "point the other commands at it; runs until Ctrl-C",
    )
    simulate.add_argument(
        "--scenario",
        choices=sandbox.SCENARIOS,
        default="seed",
        help="seed: the write-up's 52 apps (default); fleet: a generated fleet",
    )
    simulate.add_argument(
        "--apps",
        type=int,
        default=None,
        metavar="N",
        help=f"apps in the fleet (default {sandbox.FLEET_APPS}; one in ten drifts)",
    )
    simulate.add_argument(
        "--env-file",
        type=Path,
        default=None,
        metavar="F",
        help="also write the export lines to F (mode 0600), to `source F` in another shell",
    )

    demo = command(
        "demo", "scan a built-in simulated cluster (the seed's 52 apps); needs nothing else"
    )
    _format(demo, ("text", "json"))
    return parser


def _global_flags(parser: argparse.ArgumentParser, *, defaults: bool) -> None:
    """-v, --color and --context, on the top level and (without defaults) on each command.

    On a command the defaults are SUPPRESS, so a flag given before the command is not reset
    by the command's parser; given after it, it wins.
    """

    def default(value: Any) -> Any:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default(False), help="debug logs on stderr"
    )
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default=default("auto"),
        help="colour text output; auto: only on a terminal, and not with NO_COLOR or TERM=dumb",
    )
    parser.add_argument(
        "--context",
        default=default(None),
        metavar="NAME",
        help="kubeconfig context to use (default: DRIFT_KUBE_CONTEXT, else current-context)",
    )


def _format(parser: argparse.ArgumentParser, choices: tuple[str, ...]) -> None:
    what = {
        "text": "text: for people",
        "json": "json: the DESIGN.md §3 document",
        "blocks": "blocks: the exact Block Kit message Slack gets (paste into Block Kit Builder)",
    }
    parser.add_argument(
        "--format",
        choices=choices,
        default="text",
        help="; ".join(what[c] for c in choices) + " (default: text)",
    )


def _port(value: str) -> int:
    """A TCP port, checked before anything listens or connects."""
    try:
        port = int(value)
    except ValueError:
        msg = f"{value!r} is not a port number (1-65535)"
        raise argparse.ArgumentTypeError(msg) from None
    if not 1 <= port <= 65535:
        msg = f"{port} is out of range: a port is 1-65535"
        raise argparse.ArgumentTypeError(msg)
    return port
