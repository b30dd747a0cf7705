"""The benchmark scripts run end to end at toy sizes and end with their one summary line.

Not timed tests: they prove each script still runs against the current code (real clients,
simulator in a child process or in-process) and that its own checks pass: both scan paths
find the same drift, the app report finds the ground truth, the digest stays within Slack's
limits.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _summary(script: str, *args: str) -> dict[str, str]:
    """Run ``bench/<script>``; its last line must be the only ``SUMMARY`` line (as key=value)."""
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    summaries = [line for line in lines if line.startswith("SUMMARY ")]
    assert summaries == [lines[-1]], done.stdout
    kind, *pairs = lines[-1].split()[1:]
    return {"kind": kind, **dict(pair.split("=", 1) for pair in pairs)}


def test_scan_bench_matches_the_baseline_with_the_simulator_in_a_child() -> None:
    """scan.py finds the same drift on both paths and reports requests, floor and ratios."""
    out = _summary(
        "scan.py",
        *("--apps", "60", "--drifting", "16", "--latency-ms", "0", "--repeat", "1"),
        "--baseline",
    )
    assert out["kind"] == "scan"
    assert out["match"] == "yes"
    # 16 drifts over every class, plus the realistic fleet's extra leftovers on 5 of those apps
    assert out["findings"] == "21/21"
    assert int(out["requests_fast"]) > 0
    assert int(out["requests_baseline"]) > 0
    assert float(out["ratio"]) > 0
    assert float(out["floor_s"]) > 0
    assert float(out["over_floor"]) > 0
    assert float(out["cpu_s"]) > 0


def test_scan_bench_prints_the_cost_per_app_table() -> None:
    """--sizes runs each fleet size in its own process and prints one row per size."""
    out = _summary("scan.py", "--sizes", "20,40", "--latency-ms", "0", "--repeat", "1")
    assert out["kind"] == "scan-table"
    assert out["sizes"] == "20/40"
    assert len(out["ms_per_app"].split("/")) == 2


def test_app_bench_reports_the_big_apps_ground_truth() -> None:
    """app.py times /drift app on a many-resource app and finds exactly its drifting ones."""
    out = _summary(
        "app.py",
        *("--resources", "24", "--drifting", "8", "--apps", "5"),
        *("--latency-ms", "0", "--repeat", "1", "--sim", "inprocess"),
    )
    assert out["kind"] == "app"
    assert out["match"] == "yes"
    assert out["findings"] == "8/8"


def test_digest_bench_stays_within_slacks_limits() -> None:
    """digest.py renders its findings in at most 50 blocks and says so."""
    out = _summary(
        "digest.py", "--findings", "400", "--acks", "20", "--source-apps", "40", "--repeat", "1"
    )
    assert out["kind"] == "digest"
    assert out["findings"] == "400"
    assert out["within_limits"] == "yes"
    assert int(out["blocks"]) <= 50
    assert int(out["baseline_blocks"]) == 400


def test_watched_bench_answers_from_the_model_without_listing() -> None:
    """watched.py: one-app answers from the watched model, a change seen, no Application list."""
    out = _summary(
        "watched.py",
        *("--apps", "30", "--drifting", "10", "--questions", "5"),
        *("--latency-ms", "0", "--sim", "inprocess"),
    )
    assert out["kind"] == "watched"
    assert out["ok"] == "yes"
    assert out["lists"] == "0"
    assert float(out["change_seen_s"]) >= 0


def test_scenario_bench_builds_the_requested_fleet() -> None:
    """scenario.py times generated fleets and checks each has the requested totals."""
    out = _summary("scenario.py", "--apps", "50", "--drifting", "17", "--repeat", "2")
    assert out["kind"] == "scenario"
    assert out["match"] == "yes"
    assert (out["apps"], out["drifting"]) == ("50", "17")
    assert len(out["runs_s"].split("/")) == 2
    assert float(out["build_s"]) > 0


def test_redact_bench_leaks_nothing() -> None:
    """redact.py times redaction of log lines and checks no secret survives it."""
    out = _summary("redact.py", "--lines", "200", "--repeat", "2")
    assert out["kind"] == "redact"
    assert out["match"] == "yes"
    assert out["lines"] == "200"
    assert float(out["redact_s"]) > 0


def test_redact_bench_views_are_the_same_with_every_memo() -> None:
    """redact.py --fleet redacts a fleet's views per view, per app and per scan, alike."""
    out = _summary("redact.py", "--fleet", "60", "--repeat", "1")
    assert out["kind"] == "redact-views"
    assert out["match"] == "yes"
    assert int(out["resources"]) > 0


def test_endpoint_bench_refuses_abuse_and_acks_once() -> None:
    """endpoint.py: unsigned bodies refused, malformed headers 4xx, a replayed ack made once."""
    out = _summary("endpoint.py", "--body-mb", "1", "--idle", "20", "--skip-naive")
    assert out["kind"] == "endpoint"
    assert out["malformed"] == "401/401/401"
    assert out["acks_of_3"] == "1"
    assert out["healthz"].startswith("200@")
    assert out["command"].startswith("200@")
    assert int(out["log_kb"]) < 200


def test_argo_bench_reads_every_diff_through_each_transport() -> None:
    """argo.py: the same managed-resources requests through urllib3, httpx's pool and raw."""
    out = _summary(
        "argo.py", *("--apps", "40", "--requests", "30", "--rounds", "1", "--latency-ms", "0")
    )
    assert out["kind"] == "argo"
    assert out["requests"] == "30"
    assert float(out["urllib3_cpu_ms"]) > 0
    assert float(out["httpx_cpu_ms"]) > 0
