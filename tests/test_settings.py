"""The settings model: the one reader of the environment, with errors naming the variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.errors import ConfigError
from bot.settings import Settings, load_settings


class TestLoadSettings:
    def test_defaults_follow_the_design(self) -> None:
        """Without any environment the documented defaults apply."""
        s = load_settings()
        assert s.argocd_namespace == "argocd"
        assert s.drift_stuck_after == timedelta(minutes=30)
        assert s.drift_reping_after == timedelta(hours=4)
        assert s.drift_cache_ttl == timedelta(seconds=30)
        assert s.drift_digest_cron == "0 9 * * 1-5"
        assert s.drift_timezone == "UTC"
        assert s.drift_port == 3000
        assert s.drift_log_format == "text"
        assert s.argocd_insecure is False

    def test_environment_values_are_parsed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Durations, booleans, ports and comma lists are read from their env vars."""
        monkeypatch.setenv("DRIFT_STUCK_AFTER", "1h30m")
        monkeypatch.setenv("ARGOCD_INSECURE", "true")
        monkeypatch.setenv("DRIFT_PORT", "8080")
        monkeypatch.setenv("DRIFT_APP_NAMESPACES", "team-a, team-b,,argocd")
        monkeypatch.setenv("ARGOCD_SERVER", "https://argocd.example.com/")
        s = load_settings()
        assert s.drift_stuck_after == timedelta(minutes=90)
        assert s.argocd_insecure is True
        assert s.drift_port == 8080
        assert s.app_namespaces == ("argocd", "team-a", "team-b")
        assert s.argocd_server == "https://argocd.example.com"

    @pytest.mark.parametrize(
        ("var", "value"),
        [
            pytest.param("DRIFT_STUCK_AFTER", "soon", id="duration_word"),
            pytest.param("DRIFT_CACHE_TTL", "-5m", id="duration_negative"),
            pytest.param("DRIFT_PORT", "70000", id="port_out_of_range"),
            pytest.param("DRIFT_LOG_FORMAT", "xml", id="unknown_log_format"),
            pytest.param("ARGOCD_SERVER", "argocd.example.com", id="url_without_scheme"),
            pytest.param("ARGOCD_INSECURE", "maybe", id="not_a_boolean"),
            pytest.param("ARGOCD_TRACKING_METHOD", "uid", id="unknown_tracking_method"),
        ],
    )
    def test_bad_value_names_the_variable(
        self, monkeypatch: pytest.MonkeyPatch, var: str, value: str
    ) -> None:
        """A bad value raises ConfigError whose message names the env var, in our words only."""
        monkeypatch.setenv(var, value)
        with pytest.raises(ConfigError, match=var) as info:
            load_settings()
        assert "Value error" not in str(info.value)

    def test_secrets_do_not_show_in_repr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Tokens are SecretStr: printing the settings never shows them."""
        monkeypatch.setenv("ARGOCD_AUTH_TOKEN", "argocd-very-secret")
        monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-123-456-abcdef")
        monkeypatch.setenv("REDIS_URL", "redis://:hunter2@redis:6379/0")
        text = repr(load_settings()) + str(load_settings())
        for secret in ("argocd-very-secret", "xoxb-123-456-abcdef", "hunter2"):
            assert secret not in text

    def test_every_design_env_var_is_a_field(self) -> None:
        """Every env var named in DESIGN.md §4 is read by the settings model."""
        contract = {
            "KUBECONFIG", "ARGOCD_NAMESPACE", "DRIFT_APP_NAMESPACES", "ARGOCD_SERVER",
            "ARGOCD_AUTH_TOKEN", "ARGOCD_INSECURE", "REDIS_URL", "SLACK_BOT_TOKEN",
            "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DRIFT_CHANNEL",
            "DRIFT_ONCALL_GROUP", "DRIFT_ACK_GROUP", "DRIFT_DIGEST_CRON", "DRIFT_TIMEZONE",
            "DRIFT_STUCK_AFTER", "DRIFT_REPING_AFTER", "DRIFT_PORT", "DRIFT_LOG_FORMAT",
            "DRIFT_API_TOKEN", "DRIFT_CLASSIFIER_URL", "DRIFT_CACHE_TTL",
        }  # fmt: skip
        fields = {name.upper() for name in Settings.model_fields}
        assert contract <= fields


def test_tracking_method_becomes_the_classifiers_tracking_config(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ARGOCD_TRACKING_METHOD / ARGOCD_INSTANCE_LABEL_KEY → the config classification uses."""
    from bot.core.tracking import TrackingConfig, TrackingMethod
    from bot.wiring import tracking_config

    assert tracking_config(load_settings()) == TrackingConfig()
    monkeypatch.setenv("ARGOCD_TRACKING_METHOD", "annotation+label")
    monkeypatch.setenv("ARGOCD_INSTANCE_LABEL_KEY", "team.example/app")
    expected = TrackingConfig(TrackingMethod.ANNOTATION_AND_LABEL, "team.example/app")
    assert tracking_config(load_settings()) == expected
