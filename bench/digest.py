"""Benchmark: the daily digest of 10,000 findings, as Block Kit and as terminal text.

    python bench/digest.py --findings 10000

The findings are real: one scan of a generated fleet (every drift class, zombies, a stuck app)
gives a few hundred, copied under new app names until there are ``--findings`` of them. The
digest compares them with "yesterday" (a snapshot missing the newest fifth and holding some
since resolved) and folds ``--acks`` app-level acks, some expiring within the day.

Timed, each as the median of ``--repeat`` runs: `build_digest` (compare, fold, group),
`digest_blocks` (Slack) and `digest_text` (terminal). The Block Kit message is checked against
Slack's limits (≤ 50 blocks, ≤ 3000 characters per section). The naive baseline is what the
digest would be without packing: one section per finding, 50 blocks per message.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

import _support

from bot.core import acks as acks_core
from bot.core import digest as digest_core
from bot.core.model import Ack, AckScope, Finding, ScanReport, Totals
from bot.delivery.render import digest as digest_render
from bot.delivery.render import digest_text, escape, limits
from bot.simulator import scenarios
from bot.wiring import build_service

SECTION_LIMIT = limits.MAX_SECTION_CHARS
BLOCK_LIMIT = limits.MAX_BLOCKS


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    report = _source_scan(args.source_apps)
    findings = _copies(report.findings, args.findings)
    today = replace(report, findings=findings, totals=_totals(report.totals, findings))
    previous = _yesterday(findings, report)
    acks = _acks(findings, args.acks)

    built, build_s = _median(args.repeat, partial(_build, today, previous, acks))
    (blocks, fallback), blocks_s = _median(args.repeat, partial(digest_render.digest_blocks, built))
    text, text_s = _median(args.repeat, partial(digest_text.digest_text, built))
    naive, naive_s = _median(args.repeat, partial(_naive_blocks, findings))
    messages = -(-len(naive) // BLOCK_LIMIT)
    longest = max((len(t) for t in _section_texts(blocks)), default=0)
    payload = len(json.dumps({"blocks": blocks, "text": fallback}))

    problems = []
    if len(blocks) > BLOCK_LIMIT:
        problems.append(f"{len(blocks)} blocks, Slack takes {BLOCK_LIMIT}")
    if longest > SECTION_LIMIT:
        problems.append(f"a section of {longest} characters, Slack takes {SECTION_LIMIT}")
    render_s = build_s + blocks_s
    print(
        f"digest       {len(findings)} findings ({len(built.new)} new, {len(built.resolved)} "
        f"resolved, {built.acked_count} acked), {len(report.stuck)} stuck app(s)"
    )
    print(f"build        {build_s * 1000:8.1f} ms  (compare with yesterday, fold acks, group)")
    print(
        f"blocks       {blocks_s * 1000:8.1f} ms  {len(blocks)} blocks, longest section {longest}"
    )
    print(f"             {'':8}     payload {payload} bytes")
    print(f"text         {text_s * 1000:8.1f} ms  {len(text.splitlines())} lines")
    print(
        f"baseline     {naive_s * 1000:8.1f} ms  one section per finding: {len(naive)} blocks "
        f"= {messages} messages"
    )
    for problem in problems:
        print(f"LIMIT {problem}", file=sys.stderr)
    print(
        f"SUMMARY digest findings={len(findings)} build_ms={build_s * 1000:.1f} "
        f"blocks_ms={blocks_s * 1000:.1f} render_ms={render_s * 1000:.1f} "
        f"text_ms={text_s * 1000:.1f} blocks={len(blocks)} longest_section={longest} "
        f"baseline_blocks={len(naive)} baseline_messages={messages} "
        f"within_limits={'no' if problems else 'yes'}"
    )
    return 1 if problems else 0


def _source_scan(apps: int) -> ScanReport:
    """One real scan (no latency) of a generated fleet where every app drifts."""
    build = partial(scenarios.generated, apps=apps, drifting=apps, now=_support.NOW)
    with _support.simulator(build, 0, "inprocess") as sim, _support.workdir() as tmp:
        service = build_service(_support.settings_for(sim, tmp), clock=lambda: _support.NOW)
        try:
            return service.scan()
        finally:
            service.close()


def _copies(findings: Sequence[Finding], count: int) -> tuple[Finding, ...]:
    """``count`` findings: the originals, then copies under app names ``<app>-cNN``."""
    out: list[Finding] = []
    copy = 0
    while len(out) < count:
        suffix = f"-c{copy:02d}" if copy else ""
        out.extend(replace(f, app=f"{f.app}{suffix}") for f in findings[: count - len(out)])
        copy += 1
    return tuple(out)


def _totals(base: Totals, findings: Sequence[Finding]) -> Totals:
    apps = len({f.app for f in findings})
    return replace(base, total=max(base.total, apps), out_of_sync=apps)


def _yesterday(findings: Sequence[Finding], report: ScanReport) -> digest_core.Snapshot:
    """Yesterday: all but the newest fifth, plus a few hundred resolved since."""
    kept = findings[: len(findings) * 4 // 5]
    gone = [replace(f, app=f"{f.app}-resolved") for f in findings[:300]]
    return digest_core.snapshot_of(replace(report, findings=(*kept, *gone)))


def _acks(findings: Sequence[Finding], count: int) -> list[Ack]:
    """App-level acks on the first ``count`` apps; every tenth expires within the day."""
    made = []
    for i, finding in enumerate(findings[:count]):
        made.append(
            acks_core.new_ack(
                ack_id=f"bench-{i}",
                scope=AckScope(app=finding.app),
                findings=[finding],
                by="U0BENCH",
                reason="benchmark: known and accepted",
                now=_support.NOW,
                duration=timedelta(hours=12) if i % 10 == 0 else timedelta(days=7),
            )
        )
    return made


def _build(
    report: ScanReport, previous: digest_core.Snapshot, acks: Sequence[Ack]
) -> digest_core.Digest:
    return digest_core.build_digest(report, previous=previous, acks=acks, now=_support.NOW)


def _naive_blocks(findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """The digest without packing: one escaped section per finding."""
    return [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": escape.escape(
                    f"[{f.drift_class.value}] {f.app}: {f.key.kind}/{f.key.name} — {f.summary}"
                ),
            },
        }
        for f in findings
    ]


def _section_texts(blocks: Sequence[dict[str, Any]]) -> list[str]:
    return [str(b["text"]["text"]) for b in blocks if b.get("type") == "section" and "text" in b]


def _median(repeat: int, work: Callable[[], Any]) -> tuple[Any, float]:
    runs = [_support.timed(work) for _ in range(repeat)]
    return runs[-1][0], statistics.median(seconds for _, seconds in runs)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--findings", type=int, default=10_000)
    parser.add_argument("--acks", type=int, default=500, help="app-level acks to fold")
    parser.add_argument("--source-apps", type=int, default=400, help="apps of the real scan")
    parser.add_argument("--repeat", type=int, default=5, help="runs per step; medians count")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(main())
