"""Benchmark: ``/drift app`` on one big app (``DriftService.app_report``), against a naive baseline.

    python bench/app.py --resources 500 --latency-ms 25

The cluster holds ``--apps`` small Synced apps and one app, ``big``, with ``--resources``
resources of which ``--drifting`` drift (CRD schema defaults, unexplained edits, injected
checksums and unused extras in turn). An app report still lists every Application (the
ownership index needs them all), then reads the one diff, its CRDs and usage lists. The
baseline does the same sequentially, without paging, reading the CRD again for every resource.
Findings must match each other and the scenario's ground truth (else exit 1).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

import _support

from bot.settings import Settings
from bot.wiring import build_service

APP = "big"


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    build = partial(
        _support.big_app_scenario,
        resources=args.resources,
        drifting=args.drifting,
        filler_apps=args.apps,
    )
    with (
        _support.simulator(build, args.latency_ms, args.sim) as sim,
        _support.workdir() as tmp,
    ):
        settings = _support.settings_for(sim, tmp, concurrency=args.concurrency)
        _report(settings)  # warm-up: the simulator serializes each answer once
        runs = []
        for _ in range(args.repeat):
            sim.reset()
            runs.append(_support.timed(partial(_report, settings)))
        report, fast_s = sorted(runs, key=lambda run: run[1])[len(runs) // 2]  # the median
        requests, rss = sim.count(), _support.peak_rss_mb()
        sim.reset()
        naive = _support.NaiveScanner(settings)
        try:
            baseline, naive_s = _support.timed(partial(naive.scan, [APP]))
        finally:
            naive.close()
        naive_requests = sim.count()
        expected = _support.expected_ids(sim.expected, [APP])

    fast = _support.finding_ids(report.findings)
    slow = _support.finding_ids(baseline.findings)
    problems = [
        _support.mismatch("fast vs baseline findings", fast, slow),
        _support.mismatch("fast findings vs the scenario's ground truth", fast, expected),
        "\n".join(f"report error: {e.app}: {e.message}" for e in report.errors),
    ]
    failed = [p for p in problems if p]
    ratio = naive_s / fast_s if fast_s else float("inf")
    runs_s = "/".join(f"{seconds:.2f}" for _, seconds in runs)
    print(
        f"cluster      {args.apps + 1} apps; '{APP}' has {args.resources} resources, "
        f"{args.drifting} drifting; {args.latency_ms:g} ms/request"
    )
    print(f"simulator    {args.sim}, warmed by one untimed report")
    print(f"{'':12} {'wall s':>8} {'requests':>9} {'findings':>9}")
    per_run = requests  # counters are reset before each run: this is the last one
    print(f"{'fast':12} {fast_s:8.2f} {per_run:9d} {len(fast):9d}  (median of {runs_s})")
    print(f"{'baseline':12} {naive_s:8.2f} {naive_requests:9d} {len(slow):9d}")
    print(f"ratio        {ratio:.1f}x faster than the baseline; peak RSS {rss:.0f} MB")
    for problem in failed:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(
        f"SUMMARY app resources={args.resources} drifting={args.drifting} apps={args.apps + 1} "
        f"latency_ms={args.latency_ms:g} fast_s={fast_s:.2f} fast_runs_s={runs_s} "
        f"baseline_s={naive_s:.2f} ratio={ratio:.1f} requests={per_run} "
        f"findings={len(fast)}/{len(slow)} peak_rss_mb={rss:.0f} "
        f"match={'no' if failed else 'yes'}"
    )
    return 1 if failed else 0


def _report(settings: Settings) -> object:
    """One ``/drift app big`` with a fresh service, as a CLI call would make it."""
    service = build_service(settings, clock=lambda: _support.NOW)
    try:
        return service.app_report(APP)
    finally:
        service.close()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--resources", type=int, default=500, help="resources of the big app")
    parser.add_argument("--drifting", type=int, default=100, help="of them drifting")
    parser.add_argument("--apps", type=int, default=1000, help="other (Synced) apps")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs; the median counts")
    _support.common_arguments(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
