"""Benchmark: a full scan of a generated fleet, against a naive baseline in the same process.

    python bench/scan.py --apps 10000 --drifting 1000 --latency-ms 25

The fast path is the real thing, ``bot.wiring.build_service(settings).scan()``: paged list,
classification, stuck detection, over the real kubernetes client and httpx; one untimed scan
warms the simulator, then the median of ``--repeat`` scans counts. The baseline
(`_support.NaiveScanner`) lists without paging, then, one request at a time, fetches
managed-resources for every app listing drifting non-hook resources (the OutOfSync apps),
reads a CRD for every resource that needs its schema, the usage lists again for every app with
zombies, and the pods and logs of stuck apps. Both must report the same (app, resource, class)
set, which must also equal the scenario's ground truth; any difference fails the run (exit 1).

The fast path runs first, so the peak RSS printed for it is its own; the baseline's can only
be read as the process peak after both.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial

import _support

from bot.settings import Settings
from bot.simulator import scenarios
from bot.wiring import build_service


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    build = partial(scenarios.generated, apps=args.apps, drifting=args.drifting, now=_support.NOW)
    with (
        _support.simulator(build, args.latency_ms, args.sim) as sim,
        _support.workdir() as tmp,
    ):
        settings = _support.settings_for(sim, tmp, concurrency=args.concurrency)
        warmup_s = _warm_up(settings)
        runs = []
        for _ in range(args.repeat):
            sim.reset()
            service = build_service(settings, clock=lambda: _support.NOW)
            try:
                runs.append(_support.timed(partial(_support.profiled, service.scan, args.profile)))
            finally:
                service.close()
        report, fast_s = sorted(runs, key=lambda run: run[1])[len(runs) // 2]  # the median
        fast_requests, fast_rss = sim.count(), _support.peak_rss_mb()

        sim.reset()
        naive = _support.NaiveScanner(settings)
        try:
            baseline, naive_s = _support.timed(naive.scan)
        finally:
            naive.close()
        naive_requests, naive_rss = sim.count(), _support.peak_rss_mb()
        expected = _support.expected_ids(sim.expected)

    fast = _support.finding_ids(report.findings)
    slow = _support.finding_ids(baseline.findings)
    problems = [
        _support.mismatch("fast vs baseline findings", fast, slow),
        _support.mismatch(
            "fast findings vs the scenario's ground truth",
            _support.plain_ids(report.findings),
            expected,
        ),
        _stuck_mismatch(sorted(s.app for s in report.stuck), sorted(baseline.stuck)),
        "\n".join(f"scan error: {e.app}: {e.message}" for e in report.errors),
    ]
    ratio = naive_s / fast_s if fast_s else float("inf")
    concurrency = settings.drift_concurrency
    print(
        f"fleet        {args.apps} apps, {args.drifting} drifting, {args.latency_ms:g} ms/request"
    )
    print(f"simulator    {args.sim}, warmed by one untimed scan ({warmup_s:.2f} s)")
    print(f"service      DRIFT_CONCURRENCY={concurrency}; fast = median of {args.repeat} scans")
    print(f"{'':12} {'wall s':>8} {'requests':>9} {'findings':>9} {'stuck':>6} {'peak RSS MB':>12}")
    print(
        f"{'fast':12} {fast_s:8.2f} {fast_requests:9d} {len(fast):9d} "
        f"{len(report.stuck):6d} {fast_rss:12.0f}"
    )
    print(
        f"{'baseline':12} {naive_s:8.2f} {naive_requests:9d} {len(slow):9d} "
        f"{len(baseline.stuck):6d} {naive_rss:12.0f} (process peak after both)"
    )
    print(f"ratio        {ratio:.1f}x faster than the baseline")
    failed = [p for p in problems if p]
    for problem in failed:
        print(f"MISMATCH {problem}", file=sys.stderr)
    runs_s = "/".join(f"{seconds:.2f}" for _, seconds in runs)
    print(
        f"SUMMARY scan apps={args.apps} drifting={args.drifting} latency_ms={args.latency_ms:g} "
        f"concurrency={concurrency} fast_s={fast_s:.2f} fast_runs_s={runs_s} "
        f"baseline_s={naive_s:.2f} ratio={ratio:.1f} requests_fast={fast_requests} "
        f"requests_baseline={naive_requests} peak_rss_mb={fast_rss:.0f} "
        f"findings={len(fast)}/{len(slow)} match={'no' if failed else 'yes'}"
    )
    return 1 if failed else 0


def _warm_up(settings: Settings) -> float:
    """One untimed scan, so both timed runs meet a simulator that has its answers serialized.

    The simulator encodes each object's JSON on first request and caches it, as a real API
    server answers lists from its watch cache; without this the first timed run would pay it.
    """
    service = build_service(settings, clock=lambda: _support.NOW)
    try:
        _, seconds = _support.timed(service.scan)
    finally:
        service.close()
    return float(seconds)


def _stuck_mismatch(fast: list[str], slow: list[str]) -> str:
    return "" if fast == slow else f"stuck apps differ: fast {fast} vs baseline {slow}"


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--drifting", type=int, default=1_000)
    _support.common_arguments(parser)
    parser.add_argument(
        "--repeat", type=int, default=3, help="timed fast scans; the median is reported"
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="cProfile the fast scan, print top N"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
