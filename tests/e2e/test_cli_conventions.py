"""Issue #17: the command line behaves like the CLIs a newcomer knows, and says what is wrong.

Global flags after the command, help for every argument, NO_COLOR / TERM=dumb / --color,
wrapping to COLUMNS, --port checked before anything listens, a busy port as a message, the
exact wording of the configuration errors, `--format blocks` being the Slack rendering, and
the scan report's order (stuck, then unexplained, then the benign classes by OutOfSync app).
"""

from __future__ import annotations

import argparse
import http.server
import io
import json
import re
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot import wiring
from bot.core.codec import app_report_from_json
from bot.delivery import cli_args
from bot.delivery.render.answers import fit
from bot.delivery.render.digest import digest_blocks
from bot.delivery.slack import buttons, ids
from bot.delivery.slack.links import ArgoLinks
from bot.settings import load_settings
from bot.simulator import Simulator, scenarios
from bot.wiring import build_classifier, build_notifier, main

TOKEN = "sim-token"
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Tty(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(scenarios.seed(now=NOW), token=TOKEN) as simulator:
        yield simulator


@pytest.fixture
def env(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """The exports `drift-bot simulate` prints."""
    monkeypatch.setenv("KUBECONFIG", str(sim.write_kubeconfig(tmp_path / "kubeconfig")))
    monkeypatch.setenv("ARGOCD_SERVER", sim.argocd_url)
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", TOKEN)
    for name in ("TERM", "COLUMNS"):
        monkeypatch.delenv(name, raising=False)
    return sim


@pytest.fixture
def fixed_clock(env: Simulator, monkeypatch: pytest.MonkeyPatch) -> Simulator:
    """The scenario's clock for the commands, so two runs render the same ages.

    Only for tests that never build ``serve``: bot.wiring.server binds ``utc_now`` when first
    imported, and would keep this one for the rest of the session.
    """
    monkeypatch.setattr(wiring, "utc_now", lambda: NOW)
    return env


def run(*argv: str, out: io.StringIO | None = None) -> tuple[int, str]:
    stdout = out if out is not None else io.StringIO()
    code = main(list(argv), stdout=stdout)
    return code, stdout.getvalue()


# --- flags and help -------------------------------------------------------------------------


def _every_action() -> list[tuple[str, argparse.Action]]:
    parser = cli_args.build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = [("drift-bot", a) for a in parser._actions]
    for name, command in sub.choices.items():
        found += [(name, a) for a in command._actions]
    return found


def test_every_argument_has_help_text() -> None:
    """`--format`, `--role`, `NAME`... each explain themselves in `--help`."""
    missing = [
        f"{cmd} {action.dest}"
        for cmd, action in _every_action()
        if not action.help or action.help == argparse.SUPPRESS
    ]
    assert missing == []


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_works_before_or_after_the_command(
    env: Simulator, where: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`drift-bot -v app gitea` and `drift-bot app gitea -v` both log the requests on stderr."""
    argv = ["-v", "app", "gitea"] if where == "before" else ["app", "gitea", "-v"]
    code, _ = run(*argv)
    assert code == 0
    assert "argocd GET /api/v1/applications/gitea/managed-resources -> 200" in (
        capsys.readouterr().err
    )


def test_without_verbose_stderr_stays_quiet(
    env: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("app", "gitea")
    assert code == 0
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("port", "said"),
    [
        ("99999", "argument --port: 99999 is out of range: a port is 1-65535"),
        ("0", "argument --port: 0 is out of range: a port is 1-65535"),
        ("http", "argument --port: 'http' is not a port number (1-65535)"),
    ],
)
def test_port_is_checked_before_anything_runs(
    port: str, said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """`serve --port 99999` is a usage error (exit 2), not a server on a random port."""
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", port])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == f"drift-bot serve: error: {said}"


def test_a_busy_port_is_a_message_naming_the_settings(
    env: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another process on the port: exit 2 and the flag and variable that change it."""
    monkeypatch.setenv("DRIFT_API_TOKEN", "local")
    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))  # noqa: S104 - serve binds every interface too
        busy.listen()
        port = busy.getsockname()[1]
        code, _ = run("serve", "--role", "classifier", "--port", str(port))
    assert code == 2
    assert capsys.readouterr().err == (
        f"drift-bot: configuration error: port {port} is already in use (another drift-bot "
        "serve?): choose a free one with --port or DRIFT_PORT\n"
    )


def test_context_after_the_command_picks_the_kubeconfig_context(
    env: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--context` like kubectl's: the simulator's context works, an unknown one is named."""
    code, out = run("app", "gitea", "--context", "sim")
    assert code == 0
    assert out.startswith("gitea  OutOfSync")
    code, _ = run("app", "gitea", "--context", "prod")
    assert code == 2
    assert "has no context 'prod' (from --context or DRIFT_KUBE_CONTEXT)" in capsys.readouterr().err


# --- colour and width -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "flag", "coloured"),
    [
        ({}, [], True),
        ({"NO_COLOR": "1"}, [], False),
        ({"NO_COLOR": ""}, [], True),  # no-color.org: set *and not empty*
        ({"TERM": "dumb"}, [], False),
        ({"NO_COLOR": "1"}, ["--color", "always"], True),  # the flag beats the environment
        ({}, ["--color", "never"], False),
    ],
)
def test_colour_follows_no_color_term_and_the_flag(
    env: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    flag: list[str],
    coloured: bool,
) -> None:
    """On a terminal: colour unless NO_COLOR (non-empty) or TERM=dumb; --color decides first."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, out = run("app", "gitea", *flag, out=Tty())
    assert code == 0
    assert ("\x1b[" in out) is coloured


def test_a_pipe_gets_no_colour_and_whole_lines(env: Simulator) -> None:
    """Not a terminal and no COLUMNS: plain text, lines as long as they are (for grep)."""
    code, out = run("app", "gitea")
    assert code == 0
    assert "\x1b[" not in out
    assert max(len(line) for line in out.splitlines()) > 100


def _fix_block_lines(lines: list[str]) -> set[int]:
    """Indexes of the command/YAML lines under a fix heading (deeper than the heading)."""
    inside: set[int] = set()
    heading: int | None = None
    for i, line in enumerate(lines):
        indent = len(line) - len(line.lstrip(" "))
        if heading is not None and indent > heading and line.strip():
            inside.add(i)
            continue
        heading = indent if line.lstrip().startswith(("Fix (", "Keep it for now")) else None
    return inside


def test_demo_fits_80_columns_except_what_cannot_be_broken(monkeypatch: pytest.MonkeyPatch) -> None:
    """COLUMNS=80: every line fits, but fix commands/YAML and single long tokens (URLs).

    Those are copied and pasted, so breaking them would break the paste; they overflow.
    (tests/delivery/render/test_wrap.py checks that wrapping loses no word.)
    """
    monkeypatch.setenv("COLUMNS", "80")
    code, wrapped = run("demo")
    assert code == 0
    lines = wrapped.splitlines()
    blocks = _fix_block_lines(lines)
    too_wide = [
        line
        for i, line in enumerate(lines)
        if len(line) > 80
        and i not in blocks
        and not any(len(word) > 80 - 8 for word in line.split())  # an unbreakable token
    ]
    assert too_wide == []
    assert len(blocks) > 100  # the fix blocks are there, kept whole


# --- messages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "message"),
    [
        (
            "ARGOCD_SERVER",
            "ftp://x",
            "ARGOCD_SERVER: 'ftp://x' has scheme ftp://; use http:// or https://, like https://x",
        ),
        (
            "ARGOCD_SERVER",
            "argocd.example.com",
            "ARGOCD_SERVER: 'argocd.example.com' needs a scheme, like https://argocd.example.com",
        ),
        (
            "DRIFT_STUCK_AFTER",
            "soon",
            "DRIFT_STUCK_AFTER: 'soon' is not a duration; use whole numbers with a unit "
            "(s, m, h, d, w), like 30m, 4h, 1d, 7d or 1d12h",
        ),
    ],
)
def test_configuration_errors_in_their_exact_words(
    env: Simulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    var: str,
    value: str,
    message: str,
) -> None:
    """Never "like https://ftp://x", never pydantic's "Value error," prefix."""
    monkeypatch.setenv(var, value)
    code, _ = run("app", "gitea")
    assert code == 2
    err = capsys.readouterr().err
    assert err == f"drift-bot: configuration error: invalid configuration: {message}\n"
    assert "Value error" not in err


def test_a_missing_kubeconfig_says_so_and_names_kubeconfig(
    env: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not "Invalid kube-config file. No configuration found.": the file is missing."""
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    code, _ = run("app", "gitea")
    assert code == 2
    assert capsys.readouterr().err == (
        "drift-bot: configuration error: KUBECONFIG=/nonexistent: the file does not exist. "
        "Point KUBECONFIG at a kubeconfig file, or unset it to use the pod's service account "
        "or ~/.kube/config.\n"
    )


def test_a_404_from_a_server_that_is_not_argo_cd(
    env: Simulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """ARGOCD_SERVER pointing at another server (here a plain web server answering 404)."""
    with _NotFoundServer() as url:
        monkeypatch.setenv("ARGOCD_SERVER", url)
        code, _ = run("app", "gitea")
    assert code == 3
    assert capsys.readouterr().err == (
        "drift-bot: argocd unreachable or refusing: Argo CD answered 404 Not Found for the "
        f"managed resources of app 'gitea' (GET {url}/api/v1/applications/gitea/"
        "managed-resources?appNamespace=argocd); is ARGOCD_SERVER the Argo CD API server's URL?\n"
    )


class _NotFoundServer:
    """A loopback web server that is not Argo CD: every GET is an empty 404."""

    def __enter__(self) -> str:
        class NotFound(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# --- --format blocks ------------------------------------------------------------------------


def test_app_blocks_are_the_slack_rendering(fixed_clock: Simulator) -> None:
    """`app gitea --format blocks` is exactly what `/drift app gitea` answers, buttons too."""
    code, blocks = run("app", "gitea", "--format", "blocks")
    _, as_json = run("app", "gitea", "--format", "json")
    assert code == 0
    settings = load_settings()
    links = ArgoLinks(settings.argocd_ui_url, settings.argocd_namespace)
    panel = buttons.Buttons(links, now=NOW, surface=ids.SURFACE_APP)
    message = buttons.app_answer(app_report_from_json(json.loads(as_json)), panel)
    assert json.loads(blocks) == {"blocks": message.blocks, "text": message.text}
    assert any(block["type"] == "actions" for block in message.blocks)


def test_digest_blocks_are_what_drift_digest_answers(fixed_clock: Simulator) -> None:
    """`digest --format blocks` is `/drift digest`'s answer: the whole digest, one message."""
    code, out = run("digest", "--format", "blocks")
    settings = load_settings()
    classifier = build_classifier(settings, None)
    try:
        blocks, text = digest_blocks(
            build_notifier(settings, classifier, None, None).build_digest()
        )
    finally:
        classifier.close()
    message = fit(blocks, text, more="run `drift-bot digest`")
    assert code == 0
    assert json.loads(out) == {"blocks": message.blocks, "text": message.text}


def test_logs_blocks_name_the_crash(env: Simulator) -> None:
    code, out = run("logs", "argo-rollouts", "--format", "blocks")
    message = json.loads(out)
    assert code == 0
    assert set(message) == {"blocks", "text"}
    assert message["blocks"][0]["text"]["text"].startswith("argo-rollouts · Progressing for")
    assert "CrashLoopBackOff" in message["text"]


def test_post_with_a_format_is_a_usage_error(
    env: Simulator, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = run("digest", "--post", "--format", "blocks")
    assert code == 2
    assert "drop --post to preview it" in capsys.readouterr().err


# --- the scan report's order --------------------------------------------------------------


def test_scan_reads_stuck_then_unexplained_then_benign_by_out_of_sync_app(env: Simulator) -> None:
    """DRIFT BY APP lists exactly the headline's OutOfSync apps; a Synced app's leftovers
    (argocd's hook leftovers) come after, under a heading that says why."""
    code, out = run("scan")
    assert code == 0
    stuck = out.index("STUCK (")
    unexplained = out.index("UNEXPLAINED (6)")
    by_app = out.index("DRIFT BY APP")
    synced = out.index("IN APPS NOT COUNTED AS OutOfSync")
    assert stuck < unexplained < by_app < synced
    listed = re.findall(r"^  (\S+)  (\S+) · ", out[by_app:synced], flags=re.MULTILINE)
    assert {sync for _, sync in listed} == {"OutOfSync"}
    assert len(listed) <= 20
    assert "  argocd  Synced · Healthy" in out[synced:]
    assert "[?]" not in out[by_app:]
