"""Benchmark: one-app answers in ``serve``, from the watched fleet model.

    python bench/watched.py --apps 2000 --drifting 200 --latency-ms 25

The classifier chain ``serve`` builds (`bot.wiring.build_watched_service` behind
`build_classifier`: cache keyed by the app's resourceVersion, watched model, service) against
the realistic fleet in a child simulator. After the informer's first list of every app
namespace, ``--questions`` (15) distinct drifting apps are asked in a row (each a cold
answer: that app's managed-resources, its CRDs and usage lists, its pods if unhealthy — no
Application list), then the same apps again (repeat answers). Then one app is marked Degraded
in the simulator and the time until an answer shows it is measured (the watch delivers it;
no relist). Failing checks (an answer with errors, a relist, a change never seen) exit 1.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from functools import partial

import _support

from bot.core.model import AppReport
from bot.simulator import scenarios
from bot.wiring import build_classifier, build_watched_service, tune_gc


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    tune_gc()  # what the CLI and serve entry (bot.wiring.main) do
    build = partial(scenarios.fleet, apps=args.apps, drifting=args.drifting, now=_support.NOW)
    with _support.simulator(build, args.latency_ms, args.sim) as sim, _support.workdir() as tmp:
        settings = _support.settings_for(sim, tmp, concurrency=args.concurrency)
        service, fleet, start = build_watched_service(settings, clock=lambda: _support.NOW)
        classifier = build_classifier(settings, None, service=service, fleet=fleet)
        try:
            started = time.perf_counter()
            start()
            if not fleet.wait_ready(600):
                print("MISMATCH the informer never listed every namespace", file=sys.stderr)
                return 1
            ready_s = time.perf_counter() - started
            drifting = sorted({app for app, *_ in sim.expected})
            asked = random.Random(1).sample(drifting, min(args.questions, len(drifting)))
            sim.reset()
            cold = [_timed(classifier.app_report, name) for name in asked]
            lists = sum(
                1
                for api, path in sim.requests()
                if path.split("?")[0].endswith("/applications") and "watch=" not in path
            )
            warm = [_timed(classifier.app_report, name) for name in asked]
            target = asked[0]
            before = classifier.app_report(target).health_status
            changed_at = time.perf_counter()
            sim.degrade(target)
            seen_s = -1.0
            while time.perf_counter() - changed_at < 30:
                if classifier.app_report(target).health_status == "Degraded":
                    seen_s = time.perf_counter() - changed_at
                    break
                time.sleep(0.05)
        finally:
            classifier.close()
    errors = [r for r, _ in cold if r.errors]
    failed = []
    if errors:
        failed.append(f"{len(errors)} answers with errors: {errors[0].errors[0].message}")
    if lists:
        failed.append(f"{lists} Application lists during one-app answers")
    if seen_s < 0 or before == "Degraded":
        failed.append("the change was never seen")
    cold_s = sorted(s for _, s in cold)
    warm_s = sorted(s for _, s in warm)
    print(
        f"fleet        {args.apps} apps, {args.drifting} drifting, {args.latency_ms:g} ms/request"
    )
    print(f"informer     first list of every namespace: {ready_s:.2f} s")
    print(f"{'':12} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, values in (("distinct", cold_s), ("repeat", warm_s)):
        print(
            f"{label:12} {1000 * _pct(values, 50):8.0f} {1000 * _pct(values, 95):8.0f} "
            f"{1000 * values[-1]:8.0f}"
        )
    print(f"change       seen by the next answer after {seen_s:.2f} s (watch, no relist)")
    for problem in failed:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(
        f"SUMMARY watched apps={args.apps} drifting={args.drifting} "
        f"latency_ms={args.latency_ms:g} ready_s={ready_s:.2f} "
        f"distinct_p50_ms={1000 * _pct(cold_s, 50):.0f} "
        f"distinct_p95_ms={1000 * _pct(cold_s, 95):.0f} "
        f"repeat_p95_ms={1000 * _pct(warm_s, 95):.1f} change_seen_s={seen_s:.2f} "
        f"lists={lists} ok={'no' if failed else 'yes'}"
    )
    return 1 if failed else 0


def _timed(ask: Callable[[str], AppReport], name: str) -> tuple[AppReport, float]:
    started = time.perf_counter()
    report = ask(name)
    return report, time.perf_counter() - started


def _pct(values: list[float], pct: int) -> float:
    return values[min(len(values) - 1, round(pct / 100 * (len(values) - 1)))]


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=2_000)
    parser.add_argument("--drifting", type=int, default=200)
    parser.add_argument("--questions", type=int, default=15)
    _support.common_arguments(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
