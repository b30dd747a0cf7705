"""Benchmark: how long the simulator takes to build a generated fleet.

    python bench/scenario.py --apps 10000 --drifting 2000

Times `scenarios.generated(apps, drifting, now)` in this process (no simulator is started, no
request is made): the median of ``--repeat`` builds, each from scratch. The other benchmarks and
the scale tests build such fleets before they measure anything, so this cost is their set-up
time; the generator's design note promises 10,000 apps "in well under two seconds". The budget
verdict is printed, not enforced (wall time on a shared 2-core machine is not a test). What is
enforced (exit 1): every build has exactly the requested totals.
"""

from __future__ import annotations

import argparse
import statistics
import sys

import _support

from bot.simulator import scenarios


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    runs: list[float] = []
    problems: list[str] = []
    for _ in range(args.repeat):
        built, seconds = _support.timed(
            lambda: scenarios.generated(args.apps, args.drifting, _support.NOW)
        )
        runs.append(seconds)
        totals = (built.expected_totals["total"], built.expected_totals["out_of_sync"])
        if totals != (args.apps, args.drifting):
            problems.append(f"built {totals[0]} apps, {totals[1]} drifting")
        del built  # free it first: two 10,000-app fleets at once would double the peak memory
    median = statistics.median(runs)
    within = median <= args.budget_s
    print(f"fleet        {args.apps} apps, {args.drifting} drifting")
    each = " ".join(f"{s:.2f}" for s in runs)
    print(f"build s      median {median:.2f} of {args.repeat}: {each}")
    print(f"budget       {args.budget_s:g} s: {'met' if within else 'MISSED'} (not enforced)")
    for problem in problems:
        print(f"MISMATCH {problem}", file=sys.stderr)
    print(
        f"SUMMARY scenario apps={args.apps} drifting={args.drifting} build_s={median:.2f} "
        f"runs_s={'/'.join(f'{s:.2f}' for s in runs)} budget_s={args.budget_s:g} "
        f"within_budget={'yes' if within else 'no'} match={'no' if problems else 'yes'}"
    )
    return 1 if problems else 0


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", type=int, default=10_000)
    parser.add_argument("--drifting", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3, help="builds; the median is reported")
    parser.add_argument("--budget-s", type=float, default=2.0, help="the printed target")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
