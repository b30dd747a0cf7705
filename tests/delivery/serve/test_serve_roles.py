"""``serve --role classifier`` and ``--role slack``: the two halves of a split deployment."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from bot.delivery.serve import Role
from bot.errors import ConfigError
from bot.settings import Settings, load_settings
from bot.simulator import Simulator
from bot.wiring import build_server, main
from tests.delivery.serve.conftest import (
    API_TOKEN,
    SIM_TOKEN,
    Running,
    StartFn,
    cluster_settings,
    slack_values,
)
from tests.e2e.conftest import settings_for
from tests.fakes.slack_api import FakeSlackApi


@pytest.fixture
def classifier(start: StartFn, live_sim: Simulator, tmp_path: Path) -> Running:
    """A classifier-role server over the seed simulator (no Slack settings at all)."""
    return start(cluster_settings(live_sim, tmp_path), "classifier")


def slack_only_settings(classifier_url: str, fake: FakeSlackApi) -> Settings:
    """A Slack-role process's settings: a classifier URL, and no cluster credentials."""
    return load_settings(
        drift_classifier_url=classifier_url, drift_api_token=API_TOKEN, **slack_values(fake)
    )


def cli_scan_findings(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: str
) -> list[dict[str, Any]]:
    """``drift-bot scan --format json --app APP`` run as a user would, its findings."""
    monkeypatch.setenv("KUBECONFIG", str(sim.write_kubeconfig(tmp_path / "cli-kubeconfig")))
    monkeypatch.setenv("ARGOCD_SERVER", sim.argocd_url)
    monkeypatch.setenv("ARGOCD_AUTH_TOKEN", SIM_TOKEN)
    out = io.StringIO()
    assert main(["scan", "--format", "json", "--app", app], stdout=out) == 0
    findings: list[dict[str, Any]] = json.loads(out.getvalue())["findings"]
    return findings


class TestClassifierRole:
    def test_app_endpoint_matches_the_cli_scan(
        self,
        classifier: Running,
        live_sim: Simulator,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """GET /api/v1/apps/gitea returns the findings `drift-bot scan --format json` prints."""
        status, report = classifier.get_json("/api/v1/apps/gitea", token=API_TOKEN)
        assert status == 200
        expected = cli_scan_findings(live_sim, tmp_path, monkeypatch, "gitea")
        assert len(expected) == 5
        assert report["findings"] == expected

    def test_api_needs_the_token(self, classifier: Running) -> None:
        """Without the bearer token, or with a wrong one, the API answers 401."""
        assert classifier.get("/api/v1/apps/gitea")[0] == 401
        assert classifier.get("/api/v1/apps/gitea", token="wrong")[0] == 401

    def test_serves_no_slack_endpoint(self, classifier: Running) -> None:
        """/slack/events does not exist in the classifier; probes and metrics do."""
        status, _ = classifier.get("/slack/events")
        assert status == 404
        assert classifier.command("app gitea")[0] == 404
        assert classifier.get("/healthz")[0] == 200
        assert classifier.get("/readyz")[0] == 200

    def test_metrics_time_the_api(self, classifier: Running) -> None:
        """An API call shows up on the classifier's own /metrics."""
        classifier.get("/api/v1/apps/gitea", token=API_TOKEN)
        _, metrics = classifier.get("/metrics")
        assert 'drift_scan_duration_seconds_count{use_case="api_app"} 1.0' in metrics


class TestSlackRole:
    def test_answers_end_to_end_through_the_classifier(
        self,
        start: StartFn,
        classifier: Running,
        live_sim: Simulator,
        fake_slack: FakeSlackApi,
    ) -> None:
        """Slack process → classifier process → simulator: `/drift app gitea` gets the findings."""
        settings = slack_only_settings(classifier.url, fake_slack)
        assert settings.kubeconfig is None
        assert settings.argocd_server is None
        assert settings.argocd_auth_token is None
        bot = start(settings, "slack")
        fetched = live_sim.count("argocd", "gitea/managed-resources")

        status, _, seconds = bot.command("app gitea")
        assert (status, seconds < 3) == (200, True)
        text = bot.answer().text_of_blocks
        assert "[A] CRD schema defaults" in text
        assert "[D] zombie" in text
        assert "deletionPolicy: Retain" in text
        assert live_sim.count("argocd", "gitea/managed-resources") > fetched
        _, metrics = classifier.get("/metrics")
        assert 'drift_scan_duration_seconds_count{use_case="api_app"} 1.0' in metrics

    def test_serves_no_api(
        self, start: StartFn, classifier: Running, fake_slack: FakeSlackApi
    ) -> None:
        """The Slack process does not re-export the API it calls."""
        bot = start(slack_only_settings(classifier.url, fake_slack), "slack")
        assert bot.get("/api/v1/apps/gitea", token=API_TOKEN)[0] == 404

    def test_readyz_follows_the_classifier(
        self, start: StartFn, classifier: Running, fake_slack: FakeSlackApi
    ) -> None:
        """The Slack process is ready while its classifier answers, and names it when not."""
        bot = start(slack_only_settings(classifier.url, fake_slack), "slack")
        assert bot.get_json("/readyz") == (200, {"status": "ready", "checks": {"classifier": True}})
        classifier.server.stop_background()
        status, body = bot.get_json("/readyz")
        assert status == 503
        assert body["down"] == ["classifier"]


@pytest.mark.parametrize(
    ("role", "values", "named"),
    [
        pytest.param("slack", {}, ["DRIFT_CLASSIFIER_URL"], id="slack-without-classifier"),
        pytest.param(
            "slack",
            {"drift_classifier_url": "http://127.0.0.1:9"},
            ["DRIFT_API_TOKEN"],
            id="slack-without-api-token",
        ),
        pytest.param("classifier", {}, ["DRIFT_API_TOKEN"], id="classifier-without-api-token"),
        pytest.param(
            "all",
            {},
            ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "--role classifier"],
            id="all-without-slack",
        ),
        pytest.param(
            "all",
            {"slack_bot_token": "xoxb-1"},
            ["SLACK_SIGNING_SECRET", "--role classifier"],
            id="all-without-signing-secret",
        ),
    ],
)
def test_missing_settings_fail_naming_them(
    role: Role,
    values: dict[str, Any],
    named: list[str],
    live_sim: Simulator,
    tmp_path: Path,
) -> None:
    """A role missing what it needs fails with a ConfigError naming the settings to set."""
    settings = settings_for(live_sim, tmp_path, **values)
    with pytest.raises(ConfigError) as raised:
        build_server(settings, role=role, port=0, host="127.0.0.1")
    for name in named:
        assert name in str(raised.value)
