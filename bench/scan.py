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
import re
import subprocess
import sys
from functools import partial
from pathlib import Path

import _floor
import _support

from bot.settings import Settings
from bot.simulator import scenarios
from bot.wiring import build_service, tune_gc


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    tune_gc()  # what the CLI and serve entry (bot.wiring.main) do
    if args.sizes:
        return _table(args)
    scenario = scenarios.fleet if args.scenario == "fleet" else scenarios.generated
    build = partial(scenario, apps=args.apps, drifting=args.drifting, now=_support.NOW)
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
                scan = partial(_support.profiled, service.scan, args.profile)
                runs.append(_support.timed_with_cpu(scan))
            finally:
                service.close()
        report, fast_s, cpu_s = sorted(runs, key=lambda run: run[1])[len(runs) // 2]  # median
        fast_rss = _support.peak_rss_mb()
        recorded = sim.requests()  # the last timed scan's (counters reset before each)
        fast_requests = len(recorded)
        urls = {"kube": sim.kube_url, "argocd": sim.argocd_url}
        # The floor: the same requests again, raw (median of three replays).
        floors = sorted(_floor.replay(recorded, urls, _support.TOKEN)[0] for _ in range(3))
        floor_s = floors[1]

        sim.reset()
        baseline, naive_s = _support.NaiveResult(), 0.0
        if args.baseline:
            naive = _support.NaiveScanner(settings)
            try:
                baseline, naive_s = _support.timed(naive.scan)
            finally:
                naive.close()
        naive_requests, naive_rss = sim.count(), _support.peak_rss_mb()
        expected = _support.expected_ids(sim.expected)

    fast = _support.finding_ids(report.findings)
    slow = _support.finding_ids(baseline.findings) if args.baseline else fast
    problems = [
        _support.mismatch("fast vs baseline findings", fast, slow),
        _support.mismatch(
            "fast findings vs the scenario's ground truth",
            _support.plain_ids(report.findings),
            expected,
        ),
        _stuck_mismatch(sorted(s.app for s in report.stuck), sorted(baseline.stuck))
        if args.baseline
        else "",
        "\n".join(f"scan error: {e.app}: {e.message}" for e in report.errors),
    ]
    ratio = naive_s / fast_s if fast_s else float("inf")
    over_floor = fast_s / floor_s if floor_s else float("inf")
    concurrency = settings.drift_concurrency
    print(
        f"fleet        {args.scenario}: {args.apps} apps, {args.drifting} drifting, "
        f"{args.latency_ms:g} ms/request"
    )
    print(f"simulator    {args.sim}, warmed by one untimed scan ({warmup_s:.2f} s)")
    print(f"service      DRIFT_CONCURRENCY={concurrency}; fast = median of {args.repeat} scans")
    print(f"{'':12} {'wall s':>8} {'requests':>9} {'findings':>9} {'stuck':>6} {'peak RSS MB':>12}")
    print(
        f"{'fast':12} {fast_s:8.2f} {fast_requests:9d} {len(fast):9d} "
        f"{len(report.stuck):6d} {fast_rss:12.0f}"
    )
    where = "the simulator's included" if args.sim == "inprocess" else "the simulator's not"
    print(f"{'':12} {cpu_s:8.2f} s of CPU in this process during that scan ({where})")
    print(
        f"{'baseline':12} {naive_s:8.2f} {naive_requests:9d} {len(slow):9d} "
        f"{len(baseline.stuck):6d} {naive_rss:12.0f} (process peak after both)"
    )
    print(
        f"{'floor':12} {floor_s:8.2f} {fast_requests:9d} (the same requests, raw http.client, "
        f"32 threads, no parsing; median of 3: {'/'.join(f'{f:.2f}' for f in floors)})"
    )
    print(f"ratio        {over_floor:.2f}x the floor; {ratio:.1f}x faster than the baseline")
    failed = [p for p in problems if p]
    for problem in failed:
        print(f"MISMATCH {problem}", file=sys.stderr)
    runs_s = "/".join(f"{seconds:.2f}" for _, seconds, _ in runs)
    print(
        f"SUMMARY scan apps={args.apps} drifting={args.drifting} latency_ms={args.latency_ms:g} "
        f"concurrency={concurrency} fast_s={fast_s:.2f} fast_runs_s={runs_s} cpu_s={cpu_s:.2f} "
        f"floor_s={floor_s:.2f} over_floor={over_floor:.2f} "
        f"baseline_s={naive_s:.2f} ratio={ratio:.1f} requests_fast={fast_requests} "
        f"requests_baseline={naive_requests} peak_rss_mb={fast_rss:.0f} "
        f"findings={len(fast)}/{len(slow)} match={'no' if failed else 'yes'}"
    )
    return 1 if failed else 0


def _table(args: argparse.Namespace) -> int:
    """Cost per app across fleet sizes: each size in its own process (its own peak RSS)."""
    rows = []
    for apps in args.sizes:
        command = [
            sys.executable,
            str(Path(__file__)),
            f"--apps={apps}",
            f"--drifting={apps // 10}",
            f"--latency-ms={args.latency_ms:g}",
            f"--repeat={args.repeat}",
            f"--scenario={args.scenario}",
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        summary = next((ln for ln in done.stdout.splitlines() if ln.startswith("SUMMARY")), "")
        if done.returncode or not summary:
            print(done.stdout + done.stderr, file=sys.stderr)
            return 1
        fields = dict(re.findall(r"(\w+)=(\S+)", summary))
        rows.append((apps, fields))
    print(
        f"{'apps':>7} {'drifting':>8} {'scan s':>7} {'floor s':>7} {'ratio':>6} "
        f"{'ms/app':>7} {'CPU ms/app':>10} {'floor ms/app':>12} {'requests':>8} {'peak RSS MB':>11}"
    )
    for apps, f in rows:
        scan_s, floor_s, cpu_s = float(f["fast_s"]), float(f["floor_s"]), float(f["cpu_s"])
        print(
            f"{apps:7d} {apps // 10:8d} {scan_s:7.2f} {floor_s:7.2f} {f['over_floor']:>6} "
            f"{1000 * scan_s / apps:7.3f} {1000 * cpu_s / apps:10.3f} "
            f"{1000 * floor_s / apps:12.3f} "
            f"{f['requests_fast']:>8} {f['peak_rss_mb']:>11}"
        )
    per_app = "/".join(f"{1000 * float(f['fast_s']) / apps:.3f}" for apps, f in rows)
    print(f"SUMMARY scan-table sizes={'/'.join(str(a) for a, _ in rows)} ms_per_app={per_app}")
    return 0


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
    parser.add_argument(
        "--scenario",
        choices=("fleet", "generated"),
        default="fleet",
        help="fleet: realistic workloads and sizes (default); generated: few pods per app",
    )
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run the naive baseline (slow: minutes on a realistic fleet of 2,000 apps)",
    )
    parser.add_argument(
        "--sizes",
        type=lambda text: [int(n) for n in text.split(",")],
        default=None,
        help="comma list of fleet sizes: print the cost-per-app table (drifting = apps/10)",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
