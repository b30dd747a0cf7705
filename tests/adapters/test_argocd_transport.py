"""The Argo CD transport against real loopback servers: TLS, proxies, gzip, timeouts.

`Urllib3Transport` replaced httpx's own transport (for speed); these pin what httpx did for us
by default and a user relies on: verification against the default bundle (certifi's),
ARGOCD_CA_FILE or none (ARGOCD_INSECURE), ``HTTP(S)_PROXY``/``NO_PROXY`` (credentials
included), compressed answers, a timeout.
"""

from __future__ import annotations

import base64
import gzip
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import trustme

from bot.adapters.argocd import ArgoClient
from bot.errors import ConfigError, UpstreamUnavailableError
from bot.settings import Settings, load_settings

LOGGED_IN = json.dumps({"loggedIn": True}).encode()


class _Recorded(BaseHTTPRequestHandler):
    """Answers every GET as a logged-in session; records the request line and headers."""

    seen: list[tuple[str, dict[str, str]]]
    stall: threading.Event
    gzip_body = False

    def do_GET(self) -> None:
        self.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        if "/stall/" in self.path:
            self.stall.wait(5)
        body = gzip.compress(LOGGED_IN) if self.gzip_body else LOGGED_IN
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if self.gzip_body:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        """Quiet: the tests read what the server saw, not its access log."""


def _serve(context: ssl.SSLContext | None = None, **attrs: object) -> Iterator[ThreadingHTTPServer]:
    handler = type("Handler", (_Recorded,), {"seen": [], "stall": threading.Event(), **attrs})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    if context is not None:
        server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        handler.stall.set()
        server.shutdown()
        server.server_close()


def _seen(server: ThreadingHTTPServer) -> list[tuple[str, dict[str, str]]]:
    seen: list[tuple[str, dict[str, str]]] = server.RequestHandlerClass.seen  # type: ignore[attr-defined]
    return seen


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[ThreadingHTTPServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(context)
    yield from _serve(context)


@pytest.fixture
def plain_server() -> Iterator[ThreadingHTTPServer]:
    yield from _serve()


@pytest.fixture
def gzip_server() -> Iterator[ThreadingHTTPServer]:
    yield from _serve(gzip_body=True)


def _proxy_env(monkeypatch: pytest.MonkeyPatch, variable: str, proxy: str) -> None:
    """Only ``variable`` names a proxy: whatever NO_PROXY the machine has is cleared."""
    monkeypatch.setenv(variable, proxy)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


def _settings(url: str, **more: object) -> Settings:
    return load_settings(argocd_server=url, argocd_auth_token="t0ken", **more)


def test_tls_verified_against_argocd_ca_file(
    tls_server: ThreadingHTTPServer, ca: trustme.CA, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.crt"
    ca.cert_pem.write_to_path(str(bundle))
    url = f"https://localhost:{tls_server.server_port}"
    with ArgoClient.from_settings(_settings(url, argocd_ca_file=str(bundle))) as client:
        client.check()
    ((path, headers),) = _seen(tls_server)
    assert path == "/api/v1/session/userinfo"
    assert headers["authorization"] == "Bearer t0ken"


def test_tls_without_the_ca_is_refused_and_names_the_setting(
    tls_server: ThreadingHTTPServer,
) -> None:
    url = f"https://localhost:{tls_server.server_port}"
    with (
        ArgoClient.from_settings(_settings(url)) as client,
        pytest.raises(UpstreamUnavailableError, match="CERTIFICATE_VERIFY_FAILED") as info,
    ):
        client.check()
    assert "ARGOCD_SERVER" in str(info.value)
    assert _seen(tls_server) == []


def test_insecure_skips_verification_without_a_warning_per_request(
    tls_server: ThreadingHTTPServer,
) -> None:
    """pytest turns warnings into errors here: urllib3's InsecureRequestWarning would fail."""
    url = f"https://localhost:{tls_server.server_port}"
    with ArgoClient.from_settings(_settings(url, argocd_insecure=True)) as client:
        client.check()
        client.check()
    assert len(_seen(tls_server)) == 2


def test_gzip_answers_are_asked_for_and_decoded(gzip_server: ThreadingHTTPServer) -> None:
    with ArgoClient(f"http://127.0.0.1:{gzip_server.server_port}", "t") as client:
        client.check()
    ((_, headers),) = _seen(gzip_server)
    assert "gzip" in headers["accept-encoding"]


def test_the_environment_proxy_is_used_and_no_proxy_bypasses_it(
    plain_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like httpx's ``trust_env``: the request goes to the proxy in absolute form."""
    _proxy_env(monkeypatch, "HTTP_PROXY", f"http://127.0.0.1:{plain_server.server_port}")
    with ArgoClient("http://argocd.invalid", "t") as client:
        client.check()
    ((path, _),) = _seen(plain_server)
    assert path == "http://argocd.invalid/api/v1/session/userinfo"

    monkeypatch.setenv("NO_PROXY", "argocd.invalid")
    with (
        ArgoClient("http://argocd.invalid", "t", retries=0) as client,
        pytest.raises(UpstreamUnavailableError, match="cannot reach Argo CD"),
    ):
        client.check()
    assert len(_seen(plain_server)) == 1


def test_proxy_credentials_in_the_url_are_sent_to_the_proxy(
    plain_server: ThreadingHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``HTTP_PROXY=http://user:pa%40ss@proxy`` authenticates to the proxy (as httpx did)."""
    port = plain_server.server_port
    _proxy_env(monkeypatch, "HTTP_PROXY", f"http://bot:pa%40ss@127.0.0.1:{port}")
    with ArgoClient("http://argocd.invalid", "t") as client:
        client.check()
    ((_, headers),) = _seen(plain_server)
    assert headers["proxy-authorization"] == "Basic " + base64.b64encode(b"bot:pa@ss").decode()


def test_a_socks_proxy_is_a_clear_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not a traceback from urllib3, and the proxy's credentials are not echoed."""
    _proxy_env(monkeypatch, "HTTPS_PROXY", "socks5://bot:s3cret@127.0.0.1:1080")
    with pytest.raises(ConfigError, match=r"NO_PROXY=argocd\.example\.com") as info:
        ArgoClient.from_settings(_settings("https://argocd.example.com"))
    assert "socks5://" in str(info.value)
    assert "s3cret" not in str(info.value)


def test_an_answer_that_never_comes_times_out(plain_server: ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{plain_server.server_port}"
    sleeps: list[float] = []
    with (
        ArgoClient(url, "t", timeout_s=0.3, retries=1, sleep=sleeps.append) as client,
        pytest.raises(UpstreamUnavailableError, match="timed out 2 times"),
    ):
        client.managed_resources("stall", "")
    assert len(sleeps) == 1
    stalled = "/api/v1/applications/stall/managed-resources"
    assert [path for path, _ in _seen(plain_server)] == [stalled, stalled]
