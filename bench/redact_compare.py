"""Redaction: leaks on the planted-secret corpus and speed on a realistic 400-line log tail.

Compares, on the same inputs:
- ``baseline``: the hand-written redactor before issue #15 (``bot/core/redact.py`` at commit
  b0dedaa, loaded from git), the figures the issue's "before" refers to;
- ``current``: `bot.core.redact` as it is now;
- ``detect-secrets`` / ``bc-detect-secrets`` when importable (they are not project
  dependencies: run this script with a virtualenv that has one installed, see bench/README.md).
  A library is used as a redactor on its own: every value its plugins report on a line
  (``scan_line``, all default plugins, eager search) is replaced by ``[REDACTED]``.

Leaks: corpus cases whose secret still appears in the output (single lines and multi-line log
tails). False positives: benign corpus lines that come back changed. Speed: one 400-line tail
(the bot's LOG_TAIL_LINES) of realistic controller output, one line in ten carrying a secret,
redacted as the bot does it, best of ``--repeat`` runs. Prints a table and one SUMMARY line.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.core.redaction_corpus import BENIGN, LOG_TAILS, SECRETS  # noqa: E402

BASELINE_COMMIT: Final = "b0dedaa"
REDACTED: Final = "[REDACTED]"

_PLAIN: Final = (
    'time="2026-04-16T21:10:{s:02d}Z" level=info msg="reconciled" app=gitea duration=12ms',
    "I0416 21:10:{s:02d}.123456       1 controller.go:118] Syncing Deployment payments/api",
    '{{"level":"info","ts":"2026-04-16T21:10:{s:02d}Z","msg":"request done","status":200}}',
    "2026-04-16 21:10:{s:02d},512 INFO  [main] o.s.b.w.e.tomcat.TomcatWebServer: started on 8080",
    "GET /api/v1/applications?project=default 200 4.1ms user-agent=argocd-client/2.10",
)

Redactor = Callable[[str], str]


def tail(lines: int = 400) -> str:
    """A log tail: realistic lines, every tenth one from the secret corpus, plus the tails."""
    corpus = [text for _, text, _ in SECRETS]
    out: list[str] = []
    for i in range(lines):
        if i % 10 == 0:
            out.append(corpus[(i // 10) % len(corpus)].replace("\n", " "))
        else:
            out.append(_PLAIN[i % len(_PLAIN)].format(s=i % 60))
    return "\n".join(out)


def baseline() -> types.ModuleType:
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{BASELINE_COMMIT}:bot/core/redact.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType("baseline_redact")
    exec(compile(source, "baseline_redact.py", "exec"), module.__dict__)
    return module


def _log_redactor(module: types.ModuleType) -> Redactor:
    """Redact a whole log the way the bot does: multi-line pass, then line by line."""
    across = getattr(module, "redact_across_lines", None) or module.redact_private_keys

    def run(text: str) -> str:
        return "\n".join(module.redact(line) for line in across(text).split("\n"))

    return run


def _library(name: str) -> Redactor | None:
    if importlib.util.find_spec("detect_secrets") is None:
        return None
    from importlib.metadata import PackageNotFoundError, version

    try:
        version(name)
    except PackageNotFoundError:
        return None
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import default_settings

    def run(text: str) -> str:
        out = []
        with default_settings():
            for line in text.split("\n"):
                found = {s.secret_value for s in scan_line(line) if s.secret_value}
                for value in sorted(found, key=len, reverse=True):
                    line = line.replace(value, REDACTED)
                out.append(line)
        return "\n".join(out)

    return run


def _library_providers(name: str) -> Redactor | None:
    """Only the library's per-provider regex detectors (no keyword, no entropy plugins)."""
    if _library(name) is None:
        return None
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector
    from detect_secrets.plugins.keyword import KeywordDetector

    plugins = [
        cls()
        for cls in get_mapping_from_secret_type_to_class().values()
        if issubclass(cls, RegexBasedDetector) and cls is not KeywordDetector
    ]

    def run(text: str) -> str:
        out = []
        for line in text.split("\n"):
            found = {v for p in plugins for v in p.analyze_string(line) if v}
            for value in sorted(found, key=len, reverse=True):
                line = line.replace(value, REDACTED)
            out.append(line)
        return "\n".join(out)

    return run


def leaks(redact: Redactor) -> tuple[int, int, list[str]]:
    cases = [*SECRETS, *LOG_TAILS]
    leaked = [
        f"{family}: {text[:60]!r}" for family, text, secret in cases if secret in redact(text)
    ]
    return len(leaked), len(cases), leaked


def false_positives(redact: Redactor) -> int:
    return sum(redact(line) != line for line in BENIGN)


def speed(redact: Redactor, text: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        redact(text)
        best = min(best, time.perf_counter() - start)
    return best * 1000


_HOSTILE: Final = {
    "dots+scheme": lambda n: "a." * (n // 2) + "://",
    "sk-run": lambda n: "token " + "sk-" * (n // 3),
    "eyJ-run": lambda n: "eyJ-" * (n // 4),
    "yaml-blanks": lambda n: "password: x" + " " * n + "y",
    "url-no-at": lambda n: "x://a:" + "b" * n,
}
"""Inputs that made the old patterns rescan a run from every position (quadratic)."""


def scaling(redact: Redactor, size: int) -> dict[str, tuple[float, float]]:
    """Milliseconds at ``size`` and ``4 * size`` characters: linear is ~4x, quadratic ~16x."""
    return {
        name: (speed(redact, make(size), 7), speed(redact, make(4 * size), 7))
        for name, make in _HOSTILE.items()
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=20, help="speed runs; the best counts")
    parser.add_argument("--lines", type=int, default=400, help="lines in the log tail")
    parser.add_argument("--show", action="store_true", help="list every leaked case")
    parser.add_argument("--hostile", type=int, default=2000, help="size of the hostile inputs")
    args = parser.parse_args()

    import bot.core.redact as current

    redactors: dict[str, Redactor | None] = {
        "baseline": _log_redactor(baseline()),
        "current": _log_redactor(current),
        "detect-secrets": _library("detect-secrets"),
        "bc-detect-secrets": _library("bc-detect-secrets"),
        "ds-providers": _library_providers("detect-secrets"),
        "bc-ds-providers": _library_providers("bc-detect-secrets"),
    }
    text = tail(args.lines)
    print(f"{'redactor':<18} {'leaks':>9} {'false+':>7} {'tail ms':>8} {'us/line':>8}")
    summary = []
    for name, redact in redactors.items():
        if redact is None:
            print(f"{name:<18} (not installed)")
            continue
        n, total, leaked = leaks(redact)
        fp = false_positives(redact)
        ms = speed(redact, text, args.repeat if name != "baseline" else max(3, args.repeat // 2))
        per_line = ms * 1000 / args.lines
        print(f"{name:<18} {n:>4}/{total:<4} {fp:>4}/{len(BENIGN):<2} {ms:>8.2f} {per_line:>8.1f}")
        if args.show:
            for case in leaked:
                print(f"    leak {case}")
        summary.append(f"{name}_leaks={n}/{total} {name}_fp={fp} {name}_tail_ms={ms:.2f}")
    print(f"\nhostile single lines, ms at {args.hostile} -> {4 * args.hostile} chars (x ratio)")
    for name in ("baseline", "current"):
        redact = redactors[name]
        assert redact is not None
        cells = [
            f"{case} {a:.1f}->{b:.1f} (x{b / max(a, 1e-6):.0f})"
            for case, (a, b) in scaling(redact, args.hostile).items()
        ]
        worst = max(b for _, b in scaling(redact, args.hostile).values())
        print(f"{name:<10} " + "; ".join(cells))
        summary.append(f"{name}_hostile_worst_ms={worst:.1f}")
    print("SUMMARY " + " ".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
