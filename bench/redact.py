"""Benchmark: redacting 10,000 log lines, one in ten carrying a secret (or a fleet's views).

    python bench/redact.py --lines 10000
    python bench/redact.py --fleet 2000      # the views classification redacts, see _views

Every log line shown in Slack or on the terminal goes through `bot.core.redact.redact` first,
so a stuck app's 400-line tail, times the pods of a fleet, is this loop. Timed: the median of
``--repeat`` passes over the same lines (secrets from the test corpus, plain lines shaped like
Argo Rollouts' logfmt). The budget (1 s for 10,000 lines) is printed, not enforced: this figure
used to be a test assert and failed on the shared 2-core machine. Enforced (exit 1): no secret
survives and no plain line changes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bot.core.model import Application, ManagedResource
from bot.core.parse import parse_application, parse_managed_resources
from bot.core.redact import RedactMemo, redact, redact_value
from bot.simulator import scenarios
from bot.simulator.cluster.argo_views import managed_items
from bot.simulator.cluster.index import ClusterIndex

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root, for the corpus
from tests.core.redaction_corpus import SECRETS

PLAIN = 'time="2026-04-16T21:10:14Z" level=info msg="reconciled" app=gitea duration=12ms'


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if args.fleet:
        return _views(args)
    cases = [SECRETS[i // 10 % len(SECRETS)] if i % 10 == 0 else None for i in range(args.lines)]
    lines = [PLAIN if case is None else case[1] for case in cases]
    runs: list[float] = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        out = [redact(line) for line in lines]
        runs.append(time.perf_counter() - started)
    leaks = sum(1 for c, o in zip(cases, out, strict=True) if c is not None and c[2] in o)
    changed = sum(1 for c, o in zip(cases, out, strict=True) if c is None and o != PLAIN)
    median = statistics.median(runs)
    within = median <= args.budget_s
    print(f"lines        {args.lines}, {sum(c is not None for c in cases)} with a secret")
    each = " ".join(f"{s:.3f}" for s in runs)
    print(f"redact s     median {median:.3f} of {args.repeat}: {each}")
    print(f"budget       {args.budget_s:g} s: {'met' if within else 'MISSED'} (not enforced)")
    if leaks or changed:
        print(f"MISMATCH {leaks} secrets survived, {changed} plain lines changed", file=sys.stderr)
    print(
        f"SUMMARY redact lines={args.lines} redact_s={median:.3f} "
        f"runs_s={'/'.join(f'{s:.3f}' for s in runs)} budget_s={args.budget_s:g} "
        f"within_budget={'yes' if within else 'no'} match={'no' if leaks or changed else 'yes'}"
    )
    return 1 if leaks or changed else 0


Views = list[tuple[Any, ...]]
_NOW: Final = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _views(args: argparse.Namespace) -> int:
    """Redact the git, live and predicted states of a fleet's drifting resources.

    What `bot.core.classify` does before judging (`_context`), over `scenarios.fleet`'s
    drifting tenth, read in this process (no HTTP: the simulator's own managed-resources
    items). Timed three ways, median of ``--repeat`` passes each: a fresh `RedactMemo` per
    view (what every other caller of `redact_value` gets), one per app (`classify_app`'s
    default), one per scan (what the scan service passes). Enforced (exit 1): the three give
    the same views.
    """
    apps = _drifting(args.fleet)

    def redact_all(memo_for: Callable[[], RedactMemo | None], per_app: bool) -> Views:
        shared = memo_for()
        out: Views = []
        for app, managed in apps:
            memo = memo_for() if per_app else shared
            by_key = {m.key: m for m in managed}
            for status in app.drifting_resources:
                item = by_key.get(status.key)
                if item is None:
                    continue
                kind = status.key.kind
                views = (item.target, item.live, item.predicted)
                out.append(
                    tuple(redact_value(v, kind=kind, memo=memo) if v else None for v in views)
                )
        return out

    modes = {
        "per_view": lambda: redact_all(lambda: None, per_app=True),
        "per_app": lambda: redact_all(RedactMemo, per_app=True),
        "per_scan": lambda: redact_all(RedactMemo, per_app=False),
    }
    medians: dict[str, float] = {}
    results: dict[str, Views] = {}
    for name, run in modes.items():
        runs = []
        for _ in range(args.repeat):
            started = time.process_time()
            results[name] = run()
            runs.append(time.process_time() - started)
        medians[name] = statistics.median(runs)
    match = results["per_view"] == results["per_app"] == results["per_scan"]
    count = len(results["per_view"])
    print(f"fleet        {args.fleet} apps, {len(apps)} drifting, {count} drifting resources")
    for name, median in medians.items():
        print(f"{name:12} {median * 1000:.1f} ms CPU (median of {args.repeat})")
    if not match:
        print("MISMATCH the memo changed a view", file=sys.stderr)
    figures = " ".join(f"{name}_ms={median * 1000:.1f}" for name, median in medians.items())
    print(
        f"SUMMARY redact-views apps={args.fleet} resources={count} {figures} "
        f"match={'yes' if match else 'no'}"
    )
    return 0 if match else 1


def _drifting(size: int) -> list[tuple[Application, tuple[ManagedResource, ...]]]:
    scenario = scenarios.fleet(apps=size, drifting=size // 10, now=_NOW)
    index = ClusterIndex(scenario)
    out = []
    for raw in scenario.applications:
        app = parse_application(raw, scenario.control_plane_namespace)
        if app.drifting_resources:
            out.append((app, parse_managed_resources({"items": managed_items(index, raw)})))
    return out


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5, help="passes; the median is reported")
    parser.add_argument("--budget-s", type=float, default=1.0, help="the printed target")
    parser.add_argument("--fleet", type=int, default=0, help="apps: time a fleet's views instead")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
