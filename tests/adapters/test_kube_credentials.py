"""Kubernetes credentials found the way kubectl users expect (issue #17).

KUBECONFIG (files joined with ':' merged, missing ones skipped), else the pod's service
account, else ~/.kube/config; ``--context``/DRIFT_KUBE_CONTEXT picks a context. Each case makes
a real request (``KubeReader.check``: GET /version) to the simulator with the real client.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.adapters.kube import KubeReader
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.simulator import Simulator, scenarios
from tests.conftest import free_port


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(scenarios.seed(now=datetime(2026, 11, 25, tzinfo=UTC))) as simulator:
        yield simulator


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home directory, and no in-cluster service account."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


@contextmanager
def reader(**settings: object) -> Iterator[KubeReader]:
    kube = KubeReader.from_settings(load_settings(**settings))
    try:
        yield kube
    finally:
        kube.close()


def two_contexts(sim: Simulator, path: Path) -> Path:
    """A kubeconfig whose current context points at a dead port; context ``sim`` works."""
    config = yaml.safe_load(sim.write_kubeconfig(path).read_text(encoding="utf-8"))
    dead = {"name": "dead", "cluster": {"server": f"http://127.0.0.1:{free_port()}"}}
    config["clusters"].append(dead)
    config["contexts"].append({"name": "dead", "context": {"cluster": "dead", "user": "sim"}})
    config["current-context"] = "dead"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_without_kubeconfig_outside_a_pod_home_kube_config_is_used(
    sim: Simulator, home: Path
) -> None:
    sim.write_kubeconfig(home / ".kube" / "config")
    with reader() as kube:
        kube.check()
        assert kube.api_client.configuration.host == sim.kube_url


def test_no_credentials_anywhere_says_what_was_tried(home: Path) -> None:
    with pytest.raises(ConfigError) as info, reader():
        pass
    assert str(info.value) == (
        "no Kubernetes credentials: KUBECONFIG is unset, this is not a pod with a service "
        f"account (Service host/port is not set.), and {home}/.kube/config does not exist. "
        "Set KUBECONFIG to a kubeconfig file, or run the bot as a pod with a service account."
    )


def test_kubeconfig_paths_are_merged_and_missing_ones_skipped(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    real = sim.write_kubeconfig(tmp_path / "real")
    with reader(kubeconfig=f"{tmp_path / 'missing'}{os.pathsep}{real}") as kube:
        kube.check()
        assert kube.api_client.configuration.host == sim.kube_url


def test_every_kubeconfig_path_missing_names_kubeconfig(home: Path, tmp_path: Path) -> None:
    joined = f"{tmp_path / 'a'}{os.pathsep}{tmp_path / 'b'}"
    with pytest.raises(ConfigError) as info, reader(kubeconfig=joined):
        pass
    assert str(info.value).startswith(f"KUBECONFIG={joined}: none of the files exists.")


def test_context_picks_a_context_of_the_kubeconfig(
    sim: Simulator, home: Path, tmp_path: Path
) -> None:
    path = two_contexts(sim, tmp_path / "kubeconfig")
    with reader(kubeconfig=str(path), drift_kube_context="sim") as kube:
        kube.check()
        assert kube.api_client.configuration.host == sim.kube_url
    with reader(kubeconfig=str(path)) as kube:  # current-context: the dead one
        assert kube.api_client.configuration.host != sim.kube_url


def test_an_unknown_context_names_the_flag(sim: Simulator, home: Path, tmp_path: Path) -> None:
    path = two_contexts(sim, tmp_path / "kubeconfig")
    with (
        pytest.raises(ConfigError) as info,
        reader(kubeconfig=str(path), drift_kube_context="prod"),
    ):
        pass
    assert str(info.value) == (
        f"KUBECONFIG={path} has no context 'prod' (from --context or DRIFT_KUBE_CONTEXT); "
        "`kubectl config get-contexts` lists them."
    )
