"""The commands that run against the built-in simulator: ``demo`` and ``simulate``.

The simulator (`bot.simulator`) is a test double; this is the one production module allowed to
load it (import-linter says so), and only inside these functions, so no other command pays
for it. ``demo`` scans the seed cluster in-process and prints the report; ``simulate`` serves
the same cluster (or a generated fleet) on loopback until interrupted and prints the
``export`` lines that point every other command — ``app``, ``logs``, ``digest``, ``serve`` — at
it, so a newcomer can try them all without a cluster and without writing a script.
"""

from __future__ import annotations

import secrets
import shlex
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Final, TextIO

from pydantic import SecretStr

from bot.core.model import ScanReport
from bot.errors import InputError
from bot.ports import Classifier
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.simulator import Scenario

SCENARIOS: Final = ("seed", "fleet")
FLEET_APPS: Final = 200
"""Default size of ``--scenario fleet``: big enough to feel a real fleet, built in a second."""
FLEET_DRIFTING_SHARE: Final = 10
"""One app in ten drifts in a generated fleet (the seed cluster has one in three)."""
MAX_APPS: Final = 10_000
DEMO_TOKEN: Final = "demo-token"  # noqa: S105  # the simulator's own token; it guards nothing real


def demo_report(settings: Settings, service: Callable[[Settings], Classifier]) -> ScanReport:
    """Scan the seed cluster served in-process by the simulator (no cluster, no Slack)."""
    from bot.simulator import Simulator, scenarios

    with (
        tempfile.TemporaryDirectory(prefix="drift-bot-demo-") as tmp,
        Simulator(scenarios.seed(now=datetime.now(UTC)), token=DEMO_TOKEN) as sim,
    ):
        demo_settings = settings.model_copy(
            update={
                "kubeconfig": str(sim.write_kubeconfig(Path(tmp) / "kubeconfig")),
                "drift_kube_context": None,
                "argocd_server": sim.argocd_url,
                "argocd_auth_token": SecretStr(DEMO_TOKEN),
                "argocd_insecure": False,
                "argocd_ca_file": None,
                "argocd_namespace": "argocd",
                "drift_app_namespaces": [],
            }
        )
        classifier = service(demo_settings)
        try:
            return classifier.scan()
        finally:
            classifier.close()


def check_simulate_args(scenario: str, apps: int | None) -> None:
    """`InputError` naming the flag when ``--apps`` does not fit ``--scenario``."""
    if apps is not None and scenario != "fleet":
        msg = "--apps only applies to --scenario fleet (the seed cluster always has 52 apps)"
        raise InputError(msg)
    if apps is not None and not 1 <= apps <= MAX_APPS:
        msg = f"--apps must be between 1 and {MAX_APPS:,}, got {apps}"
        raise InputError(msg)


def simulate(
    scenario: str,
    apps: int | None,
    env_file: Path | None,
    out: TextIO,
    err: TextIO,
) -> int:
    """Serve the simulated APIs until SIGINT or SIGTERM; returns 0 (a clean stop).

    The ``export`` lines go to ``out`` (and ``env_file``, mode 0600: it holds the token); what
    to do next goes to ``err``, so ``out`` stays valid shell.
    """
    from bot.simulator import Simulator

    check_simulate_args(scenario, apps)
    built = _scenario(scenario, apps)
    token = secrets.token_urlsafe(18)
    # The handlers are in place before the export lines go out: whoever reads them may stop
    # us at once, and that must still be a clean stop.
    with (
        _stop_signals() as stopped,
        tempfile.TemporaryDirectory(prefix="drift-bot-simulate-") as tmp,
        Simulator(built, token=token) as sim,
    ):
        kubeconfig = sim.write_kubeconfig(Path(tmp) / "kubeconfig")
        exports = "".join(
            f"export {name}={shlex.quote(value)}\n"
            for name, value in (
                ("KUBECONFIG", str(kubeconfig)),
                ("ARGOCD_SERVER", sim.argocd_url),
                ("ARGOCD_AUTH_TOKEN", token),
            )
        )
        if env_file is not None:
            _write_private(env_file, exports)
        out.write(exports)
        out.flush()
        err.write(_explain(scenario, len(built.applications), env_file))
        err.flush()
        while not stopped.wait(0.5):
            pass
    err.write("drift-bot simulate: stopped\n")
    return 0


def _scenario(name: str, apps: int | None) -> Scenario:
    from bot.simulator import scenarios

    now = datetime.now(UTC)
    if name == "seed":
        return scenarios.seed(now=now)
    count = apps or FLEET_APPS
    return scenarios.generated(count, max(1, count // FLEET_DRIFTING_SHARE), now=now)


def _write_private(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600, exist_ok=True)
        path.chmod(0o600)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        msg = f"--env-file {path}: cannot write it ({exc.strerror or exc})"
        raise InputError(msg) from exc


def _explain(scenario: str, apps: int, env_file: Path | None) -> str:
    source = f"source {shlex.quote(str(env_file))}" if env_file else "paste the export lines"
    tries = (
        ("app gitea", "logs argo-rollouts", "digest --format blocks")
        if scenario == "seed"
        else ("scan", "digest --format blocks")
    )
    steps = "".join(f"\n    drift-bot {step}" for step in tries)
    return (
        f"drift-bot simulate: {scenario} cluster ({apps} apps) on loopback; Ctrl-C stops it.\n"
        f"  In another shell: {source}, then{steps}\n"
    )


@contextmanager
def _stop_signals() -> Iterator[threading.Event]:
    """An event SIGINT and SIGTERM set (instead of raising), the old handlers restored after."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
