"""Rules of the code's shape that no linter checks for us.

import-linter (pyproject) checks who imports whom inside ``bot``; these tests check what it
cannot: that importing the pure core in a fresh interpreter loads none of the I/O libraries
(also not indirectly, through a shared helper), that modules stay small enough to read in one
sitting, and that every test can fail (it asserts, or expects an exception).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MAX_LINES = 400

IO_LIBRARIES = ("kubernetes", "slack_bolt", "slack_sdk", "redis", "httpx", "apscheduler")
"""Client libraries only adapters and delivery may load."""

SCENARIO_DATA = frozenset(
    {
        # Scenario data: one function per seed app, read like the write-up; long is fine.
        "bot/simulator/scenarios/seed_cluster.py",
        "bot/simulator/scenarios/seed_common.py",
        "bot/simulator/scenarios/seed_platform.py",
        "bot/simulator/scenarios/seed_tekton.py",
        "bot/simulator/scenarios/seed_workloads.py",
    }
)
"""Modules allowed past `MAX_LINES` for good."""

BEING_SPLIT: frozenset[str] = frozenset()
"""Today's offenders; each entry goes once its module is split (a test below says when)."""

_IMPORT_CORE = """
import json, pkgutil, sys
import bot.core
for module in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
    __import__(module.name)
loaded = {name.partition(".")[0] for name in sys.modules}
print(json.dumps(sorted(loaded & set(sys.argv[1:]))))
"""


def _line_counts() -> dict[str, int]:
    return {
        path.relative_to(REPO).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted((REPO / "bot").rglob("*.py"))
    }


def test_importing_the_core_loads_no_io_library() -> None:
    """Every module of bot.core, imported in a fresh interpreter, leaves the clients unloaded."""
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_CORE, *IO_LIBRARIES],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def test_no_module_exceeds_the_line_limit() -> None:
    """Modules stay under MAX_LINES, except scenario data and those being split."""
    too_long = {
        path: lines
        for path, lines in _line_counts().items()
        if lines > MAX_LINES and path not in SCENARIO_DATA | BEING_SPLIT
    }
    assert too_long == {}


def test_every_module_being_split_is_still_too_long() -> None:
    """An exemption whose module is gone or short again must leave `BEING_SPLIT`."""
    counts = _line_counts()
    stale = sorted(path for path in BEING_SPLIT if counts.get(path, 0) <= MAX_LINES)
    assert stale == []


def test_every_scenario_data_exemption_exists() -> None:
    """The scenario-data exemptions name real modules (a rename must update the list)."""
    assert sorted(SCENARIO_DATA - _line_counts().keys()) == []


# --- every test can fail ----------------------------------------------------------------------


def _functions(tree: ast.AST) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _checks_directly(function: ast.AST) -> bool:
    """An ``assert``, or ``pytest.raises``/``warns``/``fail``."""
    return any(
        isinstance(node, ast.Assert)
        or (isinstance(node, ast.Attribute) and node.attr in {"raises", "warns", "fail"})
        for node in ast.walk(function)
    )


def _called_names(function: ast.AST) -> set[str]:
    return {
        node.func.id
        for node in ast.walk(function)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }


def _tests_without_a_check() -> list[str]:
    """Test functions that neither check anything nor call a helper (by name) that does.

    Helpers are matched by their plain name across the whole tests tree, which is enough for
    the module-level ``_assert_...``/``_balanced`` style helpers the suite uses.
    """
    functions = [
        (path, function)
        for path in sorted((REPO / "tests").rglob("*.py"))
        if "data" not in path.relative_to(REPO / "tests").parts
        for function in _functions(ast.parse(path.read_text(encoding="utf-8")))
    ]
    checking = {f.name for _, f in functions if _checks_directly(f)}
    calls: dict[str, set[str]] = {}
    for _, f in functions:
        calls.setdefault(f.name, set()).update(_called_names(f))
    grew = True
    while grew:  # a helper calling a checking helper checks too
        more = {name for name, called in calls.items() if called & checking} - checking
        checking |= more
        grew = bool(more)
    return [
        f"{path.relative_to(REPO)}:{f.lineno} {f.name}"
        for path, f in functions
        if f.name.startswith("test_") and not (_checks_directly(f) or _called_names(f) & checking)
    ]


def test_every_test_checks_something() -> None:
    """No test passes merely by not crashing: each asserts, or expects an exception."""
    assert _tests_without_a_check() == []
