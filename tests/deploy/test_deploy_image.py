"""The Dockerfile builds a small, non-root image whose defaults match the manifests.

No Docker engine runs in CI, so the Dockerfile is read as text: stages, instructions and
their arguments. ``.dockerignore`` is checked with Docker's own matching rules (last matching
pattern wins, ``!`` re-includes, a match on a directory covers what is inside).
"""

from __future__ import annotations

import json
import re
import shlex
import tomllib
from dataclasses import dataclass

import pytest

from bot.settings import Settings
from tests.deploy.deploy_support import DEPLOY, REPO

DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
BUILD_TOOLS = {"gcc", "g++", "cc", "make", "build-essential", "python3-dev", "libc6-dev", "clang"}


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    args: str


def _instructions() -> list[Instruction]:
    logical: list[str] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    return [Instruction(*[*text.split(None, 1), ""][:2]) for text in logical]


def _stages() -> list[list[Instruction]]:
    stages: list[list[Instruction]] = []
    for instruction in _instructions():
        if instruction.keyword.upper() == "FROM":
            stages.append([])
        stages[-1].append(instruction)
    return stages


def _final(keyword: str) -> list[str]:
    return [i.args for i in _stages()[-1] if i.keyword.upper() == keyword]


def _ignored(path: str) -> bool:
    """Whether Docker leaves ``path`` (relative, with ``/``) out of the build context."""
    verdict = False
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = re.escape(pattern).replace(r"\*\*/", "(?:.*/)?").replace(r"\*\*", ".*")
        regex = regex.replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        regex = regex.replace(r"\[", "[").replace(r"\]", "]")
        parts = path.split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        if any(re.fullmatch(regex, prefix) for prefix in prefixes):
            verdict = not negate
    return verdict


def test_dockerfile_has_a_builder_and_a_final_stage() -> None:
    """The Dockerfile has two stages; the builder makes wheels from the project."""
    stages = _stages()
    assert len(stages) == 2
    builder_runs = [i.args for i in stages[0] if i.keyword.upper() == "RUN"]
    assert any("pip wheel" in run for run in builder_runs)


def test_final_stage_is_python_slim() -> None:
    """The final stage starts from python:3.11-slim, the Python floor of pyproject."""
    assert _final("FROM") == ["python:3.11-slim"]
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["requires-python"] == ">=3.11"


def test_final_stage_installs_only_the_built_wheels() -> None:
    """The final stage copies no sources; it installs drift-bot offline from built wheels."""
    assert _final("COPY") == []
    assert _final("ADD") == []
    (install,) = [run for run in _final("RUN") if "pip install" in run]
    assert "--no-index" in install
    assert "from=builder" in install
    assert shlex.split(install)[-1] == "drift-bot"


def test_final_stage_has_no_build_tools() -> None:
    """No final-stage command installs a compiler or build tool, nor calls a package manager."""
    for run in _final("RUN"):
        tokens = set(shlex.split(run.replace("&&", " ")))
        assert not tokens & BUILD_TOOLS, run
        assert not tokens & {"apt-get", "apt", "apk"}, run


def test_image_runs_as_the_non_root_uid_of_the_manifests() -> None:
    """The image's USER is numeric uid:gid 10001, which runAsNonRoot can verify."""
    (user,) = _final("USER")
    assert user == "10001:10001"
    keywords = [i.keyword.upper() for i in _stages()[-1]]
    assert keywords.index("USER") < keywords.index("ENTRYPOINT")


def test_image_runs_the_console_script() -> None:
    """ENTRYPOINT is the drift-bot console script and CMD is ``serve``."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "drift-bot" in project["scripts"]
    assert [json.loads(e) for e in _final("ENTRYPOINT")] == [["drift-bot"]]
    assert [json.loads(c) for c in _final("CMD")] == [["serve"]]


def test_image_exposes_the_settings_port() -> None:
    """EXPOSE names DRIFT_PORT's default."""
    assert _final("EXPOSE") == [str(Settings.model_fields["drift_port"].default)]


def test_healthcheck_asks_healthz_with_python() -> None:
    """HEALTHCHECK calls /healthz with python (the slim image has no curl) in exec form."""
    (check,) = _final("HEALTHCHECK")
    command = json.loads(check[check.index("CMD") + len("CMD") :])
    assert command[:2] == ["python", "-c"]
    assert "/healthz" in command[2]
    assert "DRIFT_PORT" in command[2]


@pytest.mark.parametrize(
    "path",
    ["pyproject.toml", "README.md", "bot/__init__.py", "bot/settings.py", "bot/core/model.py"],
)
def test_build_context_keeps_what_the_builder_copies(path: str) -> None:
    """.dockerignore keeps the files the builder stage copies."""
    assert not _ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        ".git/config",
        ".venv/bin/python",
        ".env",
        "tests/conftest.py",
        "deploy/base/secret.example.yaml",
        "bot/__pycache__/settings.cpython-311.pyc",
    ],
)
def test_build_context_leaves_out_the_rest(path: str) -> None:
    """.dockerignore keeps VCS data, virtualenvs, secrets, tests and caches out of the context."""
    assert _ignored(path)


def test_builder_copies_only_what_the_context_keeps() -> None:
    """Each source the builder COPYs is kept by .dockerignore."""
    sources = [
        src for i in _stages()[0] if i.keyword.upper() == "COPY" for src in shlex.split(i.args)[:-1]
    ]
    assert sources
    for src in sources:
        assert not _ignored(src.rstrip("/")), src
