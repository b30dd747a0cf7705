"""The one place that reads the environment (DESIGN.md §4 names are a contract).

Build `Settings` once at the entry point with `load_settings()` and pass it (or the part a
component needs) explicitly; nothing else in ``bot`` touches ``os.environ``. Field names are the
env var names in lower case, so the mapping stays obvious and greppable. Secrets are
`SecretStr`: they print as ``**********`` in reprs, logs and tracebacks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.durations import parse_duration
from bot.errors import ConfigError, InputError


def _duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    try:
        return parse_duration(str(value))
    except InputError as exc:
        raise ValueError(str(exc)) from exc


class Settings(BaseSettings):
    """drift-bot configuration. Every field is one environment variable (upper-case name)."""

    model_config = SettingsConfigDict(
        case_sensitive=False, extra="ignore", env_file=None, validate_default=True
    )

    # --- Kubernetes -------------------------------------------------------------------------
    kubeconfig: str | None = Field(
        None,
        description="Path of a kubeconfig file (several joined with ':' are merged, as kubectl "
        "does). Unset: in-cluster service-account credentials when running as a pod, else "
        "~/.kube/config.",
    )
    drift_kube_context: str | None = Field(
        None,
        description="kubeconfig context to use (`--context` overrides it). Unset: the "
        "kubeconfig's current-context.",
    )
    argocd_namespace: str = Field(
        "argocd",
        description="Argo CD's control-plane namespace, where Applications live by default.",
    )
    drift_app_namespaces: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Extra namespaces holding Applications (Argo CD 'apps in any namespace'), "
        "comma-separated. Empty: only ARGOCD_NAMESPACE.",
    )

    # --- Argo CD ----------------------------------------------------------------------------
    argocd_server: str | None = Field(
        None,
        description="Argo CD API base URL with scheme, e.g. https://argocd.example.com. "
        "Needed for diffs (managed-resources).",
    )
    argocd_auth_token: SecretStr | None = Field(
        None,
        description="Argo CD API token (a read-only account: applications get, logs get).",
    )
    argocd_url: str | None = Field(
        None,
        description="Argo CD UI base URL for the 'Open in Argo CD' buttons, with scheme. "
        "Unset: ARGOCD_SERVER (the API and the UI usually share one host).",
    )
    argocd_insecure: bool = Field(
        False,
        description="Skip TLS verification of ARGOCD_SERVER. Only for self-signed test installs.",
    )
    argocd_ca_file: str | None = Field(
        None,
        description="PEM file of the CA that signed ARGOCD_SERVER's certificate (Argo CD's own "
        "self-signed one: mount the argocd-server-tls secret's ca.crt/tls.crt). Unset: the "
        "system trust store.",
    )

    # --- Redis ------------------------------------------------------------------------------
    redis_url: SecretStr | None = Field(
        None,
        description="redis:// URL for acks, digest snapshots and locks. It may embed a "
        "password, hence secret. Unset: acks are unavailable and say so.",
    )

    # --- Slack ------------------------------------------------------------------------------
    slack_bot_token: SecretStr | None = Field(
        None, description="xoxb- bot token (OAuth & Permissions)."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, description="Signing secret (Basic Information > App Credentials); verifies requests."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="xapp- app-level token; when set, serve uses Socket Mode instead of HTTP."
    )
    slack_api_url: str | None = Field(
        None, description="Slack Web API base URL override (tests, proxies). Default: Slack's."
    )
    drift_channel: str | None = Field(None, description="Channel id the daily digest is posted to.")
    drift_oncall_group: str | None = Field(
        None, description="Slack user-group id pinged as <!subteam^ID> when an app is stuck."
    )
    drift_ack_group: str | None = Field(
        None, description="User-group id whose members may ack. Unset: anyone in the channel."
    )
    drift_read_channels: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Channel ids where /drift app and /drift logs show diffs and logs, "
        "comma-separated; * allows every channel. Empty: DRIFT_CHANNEL.",
    )
    drift_read_groups: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="User-group ids whose members may read diffs and logs in any channel, "
        "comma-separated. Empty: DRIFT_ACK_GROUP.",
    )

    # --- Schedule and thresholds --------------------------------------------------------------
    drift_digest_cron: str = Field(
        "0 9 * * 1-5", description="Crontab (5 fields) for the digest: 09:00 on weekdays."
    )
    drift_timezone: str = Field("UTC", description="IANA zone the digest cron is read in.")
    drift_stuck_after: timedelta = Field(
        timedelta(minutes=30),
        description="How long an app may be Progressing/Degraded before it counts as stuck. "
        "30m: longer than any healthy rollout we have seen, short enough to page the same day.",
    )
    drift_reping_after: timedelta = Field(
        timedelta(hours=4),
        description="Re-ping on-call about a still-stuck, un-acked app after this long.",
    )
    drift_cache_ttl: timedelta = Field(
        timedelta(seconds=30),
        description="How long a scan result is reused by commands and the API. 30s: ten people "
        "typing the same command cost one scan, and nobody reads a minute-old answer as stale.",
    )

    # --- Serving ----------------------------------------------------------------------------
    drift_port: int = Field(3000, ge=1, le=65535, description="HTTP port of `serve`.")
    drift_log_format: Literal["text", "json"] = Field(
        "text", description="Log line format: text for people, json for log pipelines."
    )
    drift_api_token: SecretStr | None = Field(
        None, description="Bearer token required by the classification API (/api/v1/...)."
    )
    drift_classifier_url: str | None = Field(
        None, description="Use a remote classification service at this URL instead of in-process."
    )
    drift_concurrency: int = Field(
        16,
        ge=1,
        le=256,
        description="Parallel upstream requests per scan. 16 keeps Argo CD's API server "
        "comfortable while hiding per-request latency.",
    )
    argocd_tracking_method: Literal["annotation", "label", "annotation+label"] = Field(
        "annotation",
        description="Argo CD's resource tracking method: set it to argocd-cm's "
        "application.resourceTrackingMethod (annotation, the default since Argo CD 3; label; "
        "annotation+label). It decides which metadata says who owns an object.",
    )
    argocd_instance_label_key: str = Field(
        "app.kubernetes.io/instance",
        min_length=1,
        description="argocd-cm's application.instanceLabelKey: the label label tracking reads.",
    )
    drift_http_timeout: timedelta = Field(
        timedelta(seconds=10), description="Timeout of one upstream HTTP request."
    )

    @field_validator(
        "drift_stuck_after",
        "drift_reping_after",
        "drift_cache_ttl",
        "drift_http_timeout",
        mode="before",
    )
    @classmethod
    def _parse_duration(cls, value: Any) -> timedelta:
        return _duration(value)

    @field_validator(
        "drift_app_namespaces", "drift_read_channels", "drift_read_groups", mode="before"
    )
    @classmethod
    def _split_comma_list(cls, value: Any) -> list[str]:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return list(value or [])

    @field_validator("argocd_server", "argocd_url", "slack_api_url", "drift_classifier_url")
    @classmethod
    def _url_has_scheme(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            scheme, sep, rest = value.partition("://")
            if sep:
                msg = f"{value!r} has scheme {scheme}://; use http:// or https://, like https://{rest}"
            else:
                msg = f"{value!r} needs a scheme, like https://{value}"
            raise ValueError(msg)
        return value.rstrip("/") if value else value

    @property
    def argocd_ui_url(self) -> str | None:
        """Where people open Argo CD: ARGOCD_URL, else ARGOCD_SERVER, else nowhere."""
        return self.argocd_url or self.argocd_server

    @property
    def app_namespaces(self) -> tuple[str, ...]:
        """Every namespace to list Applications in, control plane first, no duplicates."""
        extra = [ns for ns in self.drift_app_namespaces if ns != self.argocd_namespace]
        return (self.argocd_namespace, *dict.fromkeys(extra))


def _plain(message: str) -> str:
    """Pydantic's message without its "Value error, " prefix (our validators say it all)."""
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


def load_settings(**overrides: Any) -> Settings:
    """Read the environment once; turn validation errors into a `ConfigError` naming the var."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            var = str(error["loc"][0]).upper() if error["loc"] else "environment"
            problems.append(f"{var}: {_plain(error['msg'])}")
        raise ConfigError("invalid configuration: " + "; ".join(problems)) from exc


class TerminalEnv(BaseSettings):
    """The terminal conventions every CLI honours (not drift-bot configuration, so not above).

    ``NO_COLOR`` (https://no-color.org: set and not empty turns colour off), ``TERM=dumb`` (no
    escape sequences) and ``COLUMNS`` (the width to wrap text at).
    """

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", env_file=None)

    no_color: str | None = None
    term: str | None = None
    columns: str | None = None


def load_terminal_env() -> TerminalEnv:
    """Read the terminal variables (never fails: a malformed value is treated as unset)."""
    return TerminalEnv()
