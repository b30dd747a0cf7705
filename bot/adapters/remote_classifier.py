"""A `Classifier` that asks a remote classification service over HTTP.

With ``DRIFT_CLASSIFIER_URL`` set, the Slack bot (or a CI job) holds no Kubernetes or Argo CD
credentials: it calls the service's ``/api/v1/`` (`bot.delivery.api`) with
``DRIFT_API_TOKEN`` and decodes the same objects the in-process service returns
(`bot.core.codec`), so handlers cannot tell the difference.

Errors keep their meaning across the hop: an unknown app is still `UnknownAppError` with close
matches, and Kubernetes being down behind the service is still an `UpstreamError` whose
``source`` is ``kubernetes``. Problems with the hop itself name the setting to check:
``DRIFT_CLASSIFIER_URL`` (unreachable, wrong URL) or ``DRIFT_API_TOKEN`` (refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import quote

import httpx

from bot import __version__
from bot.core.codec import app_report_from_json, scan_report_from_json, stuck_app_from_json
from bot.core.model import AppReport, ScanReport, StuckApp
from bot.errors import (
    ConfigError,
    InputError,
    UnknownAppError,
    UpstreamAuthError,
    UpstreamError,
    UpstreamNotFoundError,
    UpstreamUnavailableError,
    truncate_body,
)
from bot.settings import Settings

T = TypeVar("T")

API_PATH: Final = "/api/v1/"
SOURCE: Final = "classifier"
URL_SETTING: Final = "DRIFT_CLASSIFIER_URL"
AUTH_SETTING: Final = "DRIFT_API_TOKEN"

DEFAULT_TIMEOUT_S: Final = 30.0
"""A full scan of a few hundred apps takes seconds; 30 s fails a hung service without cutting
off a slow but honest one."""


class RemoteClassifier:
    """`Classifier` over the classification API at ``base_url`` (e.g. ``http://classifier:3000``).

    Thread-safe: one pooled `httpx.Client` serves every caller.
    """

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._client = httpx.Client(
            base_url=self._base_url + API_PATH,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"drift-bot/{__version__}",
            },
            timeout=timeout_s,
            transport=transport,
            # The API never redirects; following one could send the token elsewhere.
            follow_redirects=False,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteClassifier:
        """The client ``DRIFT_CLASSIFIER_URL`` and ``DRIFT_API_TOKEN`` describe.

        Raises:
            ConfigError: the URL is unset, or set without a token.
        """
        url = settings.drift_classifier_url
        if not url:
            raise ConfigError(f"{URL_SETTING} is unset; there is no remote classifier to call")
        token = settings.drift_api_token
        if token is None or not token.get_secret_value():
            raise ConfigError(
                f"{URL_SETTING} is set but {AUTH_SETTING} is not; the classification API "
                "needs its bearer token"
            )
        return cls(url, token.get_secret_value())

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        """The remote ``GET scan`` (``?app=`` per name in ``only``)."""
        return self._get("scan", {"app": list(only)}, "", scan_report_from_json)

    def app_report(self, name: str) -> AppReport:
        """The remote ``GET apps/{name}``; `UnknownAppError` with its close matches."""
        return self._get(f"apps/{_segment(name)}", {}, name, app_report_from_json)

    def logs_report(self, name: str) -> StuckApp:
        """The remote ``GET apps/{name}/logs``; `UnknownAppError` with its close matches."""
        return self._get(f"apps/{_segment(name)}/logs", {}, name, stuck_app_from_json)

    def close(self) -> None:
        """Close pooled connections."""
        self._client.close()

    def _get(
        self,
        path: str,
        params: Mapping[str, list[str]],
        app: str,
        decode: Callable[[object, str], T],
    ) -> T:
        response = self._send(path, params)
        if response.status_code != httpx.codes.OK:
            raise self._error(response, app)
        try:
            return decode(response.json(), "$")
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError
            raise InputError(
                f"the classifier at {self._base_url} sent a body that is not JSON: "
                f"{truncate_body(response.content)}"
            ) from exc
        except InputError as exc:
            raise InputError(f"the classifier at {self._base_url} sent {exc}") from exc

    def _send(self, path: str, params: Mapping[str, list[str]]) -> httpx.Response:
        try:
            return self._client.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise self._unavailable(f"timed out ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise self._unavailable(f"is unreachable ({exc})") from exc

    def _unavailable(self, what: str) -> UpstreamUnavailableError:
        return UpstreamUnavailableError(
            f"the classifier at {self._base_url} {what}; check {URL_SETTING}",
            source=SOURCE,
            setting=URL_SETTING,
        )

    def _error(self, response: httpx.Response, app: str) -> InputError | UpstreamError:
        """The `bot.errors` exception a non-200 answer of the API stands for."""
        body = _error_body(response)
        status = response.status_code
        message = str(body.get("message") or truncate_body(response.content))
        if status in (httpx.codes.UNAUTHORIZED, httpx.codes.FORBIDDEN):
            return UpstreamAuthError(
                f"the classifier at {self._base_url} refused our token ({message}); "
                f"check {AUTH_SETTING}",
                source=SOURCE,
                setting=AUTH_SETTING,
            )
        if status == httpx.codes.NOT_FOUND and body.get("error") == "unknown_app":
            matches = body.get("matches")
            names = [m for m in matches if isinstance(m, str)] if isinstance(matches, list) else []
            return UnknownAppError(str(body.get("app") or app), names)
        if status == httpx.codes.NOT_FOUND:
            return UpstreamNotFoundError(
                f"the classifier at {self._base_url} does not serve {response.url.path} "
                f"({message}); check {URL_SETTING}",
                source=SOURCE,
                setting=URL_SETTING,
            )
        if status == httpx.codes.BAD_REQUEST:
            return InputError(message)
        return self._relayed(status, body, message)

    def _relayed(self, status: int, body: dict[str, Any], message: str) -> UpstreamError:
        """An upstream error the service reported (its source and setting kept), or its own."""
        source = str(body.get("source") or SOURCE)
        setting = str(body.get("setting") or URL_SETTING)
        via = f"{message} (reported by the classifier at {self._base_url})"
        if status == httpx.codes.BAD_GATEWAY and body.get("error") == "upstream_auth":
            return UpstreamAuthError(via, source=source, setting=setting)
        if status == httpx.codes.SERVICE_UNAVAILABLE and "error" in body:
            return UpstreamUnavailableError(via, source=source, setting=setting)
        return UpstreamUnavailableError(
            f"the classifier at {self._base_url} answered HTTP {status}: {message}; "
            f"check {URL_SETTING}",
            source=SOURCE,
            setting=URL_SETTING,
        )


def _segment(name: str) -> str:
    """``name`` as one URL path segment (a ``/`` in it must not become a new segment)."""
    return quote(name, safe="")


def _error_body(response: httpx.Response) -> dict[str, Any]:
    """The API's JSON error object, or ``{}`` when a proxy answered with something else."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class ClassifierProbe:
    """Readiness of a remote classifier: does its process answer ``/healthz`` at all.

    A ``--role slack`` process asks only this, not ``/readyz``: when the cluster is down behind
    the classifier, the bot should stay in service and say so in its answers.
    """

    def __init__(self, base_url: str, *, timeout_s: float) -> None:
        self._client = httpx.Client(base_url=base_url, timeout=timeout_s)

    def check(self) -> None:
        """Raise `UpstreamUnavailableError` unless the classifier answers ``/healthz``."""
        try:
            response = self._client.get("/healthz")
        except httpx.HTTPError as exc:
            msg = f"the classifier is unreachable ({exc}); check DRIFT_CLASSIFIER_URL"
            raise UpstreamUnavailableError(
                msg, source="classifier", setting="DRIFT_CLASSIFIER_URL"
            ) from exc
        if response.status_code != httpx.codes.OK:
            msg = f"the classifier answered /healthz with HTTP {response.status_code}"
            raise UpstreamUnavailableError(msg, source="classifier", setting="DRIFT_CLASSIFIER_URL")

    def close(self) -> None:
        self._client.close()
