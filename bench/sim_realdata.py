"""How real the simulator is: server defaults and Argo CD's diff against real data, and how the
classifier fares on Argo CD's own diff of realized scenarios.

    .venv/bin/python bench/sim_realdata.py                # defaults + predictions + accuracy
    .venv/bin/python bench/sim_realdata.py --fleet 2000   # also a realized 2,000-app fleet

1. Server defaults: for each real config/live pair of Argo CD's diff test data
   (``tests/data/realdata/gitops-engine-diff``), git's manifest defaulted by the simulator vs
   the fields the real API server added (``tests/simulator/test_server_defaults_realdata.py``).
2. Predictions: the simulator's ``modified`` verdict vs gitops-engine's for every pair
   (``tests/simulator/test_predict_realdata.py`` checks the same in detail).
3. Accuracy: the bot (real adapters over loopback HTTP) scanning the seed, the
   ``argo_diff_cases`` and optionally a generated fleet, each realized (Argo CD's own diff),
   against their ground-truth classes.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.settings import load_settings  # noqa: E402
from bot.simulator import Scenario, Simulator, scenarios  # noqa: E402
from bot.simulator.cluster import predict  # noqa: E402
from bot.simulator.cluster.predict import DiffMode, DiffOptions  # noqa: E402
from bot.wiring import build_service  # noqa: E402
from tests.simulator import test_server_defaults_realdata as defaults_test  # noqa: E402
from tests.simulator.realdata import load  # noqa: E402

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
TOKEN = "bench-token"

VERDICTS = (
    # (config, live, mode, gitops-engine's "modified")
    ("deployment-config.json", "deployment-live.json", DiffMode.LEGACY, False),
    ("elasticsearch-config.json", "elasticsearch-live.json", DiffMode.LEGACY, False),
    (
        "mutatingwebhookconfig-config.json",
        "mutatingwebhookconfig-live.json",
        DiffMode.LEGACY,
        False,
    ),
    ("spinnaker-sa-config.json", "spinnaker-sa-live.json", DiffMode.LEGACY, False),
    ("grafana-clusterrole-config.json", "grafana-clusterrole-live.json", DiffMode.LEGACY, False),
    ("sealedsecret-config.json", "sealedsecret-live.json", DiffMode.LEGACY, False),
    ("endpoints-config.json", "endpoints-live.json", DiffMode.LEGACY, False),
    ("wordpress-config.json", "wordpress-live.json", DiffMode.LEGACY, False),
    ("aggr-clusterrole-config.json", "aggr-clusterrole-live.json", DiffMode.LEGACY, True),
    ("smd-deploy-config.yaml", "smd-deploy-live.yaml", DiffMode.STRUCTURED_MERGE, False),
    ("smd-service-config.yaml", "smd-service-live.yaml", DiffMode.STRUCTURED_MERGE, True),
    ("smd-service-config-2-ports.yaml", "smd-service-live.yaml", DiffMode.STRUCTURED_MERGE, True),
    ("smd-service-config-ports.yaml", "smd-service-live.yaml", DiffMode.STRUCTURED_MERGE, True),
    ("smd-service-config.yaml", "smd-service-live-with-type.yaml", DiffMode.STRUCTURED_MERGE, True),
)


def report_defaults() -> str:
    print(f"{'live object':40} {'defaults':>9} {'invented':>9}")
    for config, live, version in defaults_test.PAIRS:
        real, covered, invented = defaults_test.measure(config, live, version)
        print(f"{live:40} {len(covered):>4}/{len(real):<4} {len(invented):>9}")
    total, hit, extra = defaults_test.coverage()
    print(f"server defaults covered {hit}/{total} ({hit / total:.1%}), invented {extra}\n")
    return f"defaults={hit}/{total} invented={extra}"


def report_verdicts() -> str:
    agree = 0
    for config, live, mode, expected in VERDICTS:
        result = predict.diff(load(config), load(live), DiffOptions(mode=mode))
        agree += result.modified == expected
        print(f"{live:40} {mode:17} modified={result.modified!s:5} argo-cd={expected}")
    print(f"modified verdicts agreeing with gitops-engine: {agree}/{len(VERDICTS)}\n")
    return f"verdicts={agree}/{len(VERDICTS)}"


def accuracy(name: str, scenario: Scenario) -> str:
    with Simulator(scenario, token=TOKEN) as sim, tempfile.TemporaryDirectory() as tmp:
        kubeconfig = sim.write_kubeconfig(Path(tmp) / "kubeconfig")
        settings = load_settings(
            kubeconfig=str(kubeconfig),
            argocd_server=sim.argocd_url,
            argocd_auth_token=TOKEN,
            drift_app_namespaces=[scenarios.SECOND_NAMESPACE],  # generated fleets use it
        )
        service = build_service(settings, clock=lambda: scenario.now)
        try:
            report = service.scan()
        finally:
            service.close()
    classes = {(_app_name(f.app), f.key): str(f.drift_class) for f in report.findings}
    right = sum(1 for k, v in scenario.expected.items() if classes.get(k) == v)
    total = len(scenario.expected)
    print(f"{name:28} {right}/{total} drifting resources in their class ({right / total:.1%})")
    for (app, key), expected in scenario.expected.items():
        if classes.get((app, key)) != expected:
            got = classes.get((app, key), "no finding")
            print(f"    {app}: {key} -> {got} (truth: {expected})")
    return f"{name}={right}/{total}"


def _app_name(app: str) -> str:
    """Findings name an app outside Argo CD's namespace ``<namespace>_<name>``; truth by name."""
    prefix = f"{scenarios.SECOND_NAMESPACE}_"
    return app.removeprefix(prefix)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fleet", type=int, default=0, help="also a realized fleet of N apps")
    args = parser.parse_args(argv)
    figures = [report_defaults(), report_verdicts()]
    figures.append(accuracy("seed (Argo CD diff)", scenarios.seed(NOW, argo_diff=True)))
    figures.append(accuracy("argo_diff_cases", scenarios.argo_diff_cases(NOW)))
    if args.fleet:
        started = time.perf_counter()
        fleet = scenarios.generated(args.fleet, args.fleet // 4, NOW, argo_diff=True)
        print(f"realized {args.fleet} apps in {time.perf_counter() - started:.1f} s")
        figures.append(accuracy(f"generated {args.fleet}", fleet))
    print("SUMMARY " + " ".join(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
