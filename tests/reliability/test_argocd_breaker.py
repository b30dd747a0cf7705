"""The Argo CD client's circuit breaker and what its error messages may quote.

Against ``httpx.MockTransport`` with an injected clock: the breaker's timing is decided by the
test, not by the wall clock, and no request leaves the process.
"""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.adapters.argocd import ArgoClient
from bot.errors import InputError, UpstreamError, UpstreamUnavailableError

BASE = "https://argocd.example.test"


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Server:
    """Answers each request with the next scripted response (the last one repeats)."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.sent = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


def client(server: Server, clock: Clock, **kwargs: object) -> ArgoClient:
    return ArgoClient(
        BASE,
        "t0ken",
        transport=httpx.MockTransport(server),
        sleep=lambda _s: None,
        retries=0,
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )


def fail_times(argo: ArgoClient, n: int) -> None:
    for _ in range(n):
        with pytest.raises(UpstreamError):
            argo.managed_resources("gitea", "argocd")


DOWN = [
    pytest.param(httpx.ConnectError("refused"), id="refused"),
    pytest.param(httpx.ReadTimeout("slow"), id="timeout"),
    pytest.param(httpx.Response(503, text="upstream connect error"), id="503"),
    pytest.param(httpx.Response(502, text="bad gateway"), id="502"),
    pytest.param(httpx.Response(429, text="slow down"), id="429"),
]


@pytest.mark.parametrize("answer", DOWN)
def test_five_unanswered_requests_in_a_row_open_the_breaker(
    answer: httpx.Response | Exception,
) -> None:
    """After five requests without an answer, the next fails at once without being sent."""
    server, clock = Server(answer), Clock()
    with client(server, clock) as argo:
        fail_times(argo, 5)
        assert server.sent == 5
        with pytest.raises(UpstreamUnavailableError) as info:
            argo.managed_resources("other", "argocd")
    assert server.sent == 5
    assert info.value.setting == "ARGOCD_SERVER"
    assert "did not answer 5 requests in a row" in str(info.value)
    assert "not calling it again for 30 s" in str(info.value)
    assert "check ARGOCD_SERVER" in str(info.value)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(httpx.Response(500, json={"message": "app broken"}), id="500"),
        pytest.param(httpx.Response(403, json={"code": 7, "message": "denied"}), id="403"),
        pytest.param(httpx.Response(200, json={}), id="200"),
    ],
)
def test_any_answer_resets_the_count(answer: httpx.Response) -> None:
    """A 500 about one app, a 403 or a 200 proves the server is up: the count starts over."""
    down = httpx.ConnectError("refused")
    server, clock = Server(down, down, down, down, answer, down, down, down, down, answer), Clock()
    with client(server, clock) as argo:
        for _ in range(10):
            try:
                argo.managed_resources("gitea", "argocd")
            except UpstreamError:
                continue
    assert server.sent == 10, "never refused: no five failures in a row"


def test_the_breaker_lets_requests_through_again_after_30_seconds() -> None:
    """Open for 30 s; then a request is sent, and one success closes the breaker."""
    server, clock = (
        Server(*[httpx.ConnectError("refused")] * 5, httpx.Response(200, json={})),
        Clock(),
    )
    with client(server, clock) as argo:
        fail_times(argo, 6)
        assert server.sent == 5
        clock.now += 29.9
        fail_times(argo, 1)
        assert server.sent == 5
        clock.now += 0.2
        assert argo.managed_resources("gitea", "argocd") == {}
        assert argo.managed_resources("gitea", "argocd") == {}
    assert server.sent == 7


def test_one_more_failure_after_the_pause_reopens_at_once() -> None:
    """Still down after the pause: the first failure reopens the breaker for another 30 s."""
    server, clock = Server(httpx.ConnectError("refused")), Clock()
    with client(server, clock) as argo:
        fail_times(argo, 5)
        clock.now += 31
        fail_times(argo, 3)
    assert server.sent == 6


def test_a_threshold_of_zero_disables_the_breaker() -> None:
    """``breaker_failures=0``: every request is sent, however many failed before."""
    server, clock = Server(httpx.ConnectError("refused")), Clock()
    with client(server, clock, breaker_failures=0) as argo:
        fail_times(argo, 12)
    assert server.sent == 12


def test_retries_that_end_in_success_do_not_count() -> None:
    """A request that succeeds on its retry was answered: it never moves the breaker."""
    answers: list[httpx.Response | Exception] = []
    for _ in range(6):
        answers += [httpx.Response(503, text="busy"), httpx.Response(200, json={})]
    server, clock = Server(*answers), Clock()
    with ArgoClient(
        BASE,
        "t0ken",
        transport=httpx.MockTransport(server),
        sleep=lambda _s: None,
        retries=1,
        clock=clock,
    ) as argo:
        for _ in range(6):
            assert argo.managed_resources("gitea", "argocd") == {}
    assert server.sent == 12


def test_opening_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """One warning when the breaker opens, not one per thread that keeps failing."""
    server, clock = Server(httpx.ConnectError("refused")), Clock()
    with (
        caplog.at_level(logging.WARNING, logger="bot.adapters.argocd"),
        client(server, clock) as argo,
    ):
        fail_times(argo, 9)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "failing requests at once for 30 s" in warnings[0].getMessage()


class TestQuotedText:
    def test_an_error_message_echoing_a_repo_password_is_redacted(self) -> None:
        """Argo CD's error text is quoted redacted: a repo URL keeps its host, not its password."""
        message = (
            "rpc error: repository not accessible: https://bot:Hunter2Secret@git.example/x.git"
        )
        server, clock = Server(httpx.Response(500, json={"message": message})), Clock()
        with client(server, clock) as argo, pytest.raises(UpstreamError) as info:
            argo.managed_resources("gitea", "argocd")
        assert "Hunter2Secret" not in str(info.value)
        assert "git.example" in str(info.value)

    def test_an_html_error_page_is_quoted_redacted(self) -> None:
        """A proxy's HTML page is quoted (useful to debug), with any token in it masked."""
        page = "<html>login required; session token=9a8b7c6d5e4f3a2b1c0d</html>"
        server, clock = Server(httpx.Response(200, text=page)), Clock()
        with client(server, clock) as argo, pytest.raises(InputError) as info:
            argo.managed_resources("gitea", "argocd")
        assert "login required" in str(info.value)
        assert "9a8b7c6d5e4f3a2b1c0d" not in str(info.value)

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param('{"items": [{"liveState": "{\\"data\\": \\"c2VjcmV0dmFsdWU', id="cut"),
            pytest.param('[{"data": {"password": "c2VjcmV0dmFsdWU"}}]', id="list"),
        ],
    )
    def test_json_bodies_are_described_never_quoted(self, body: str) -> None:
        """JSON that is broken or not an object may carry Secrets: only its shape is told."""
        server, clock = Server(httpx.Response(200, text=body)), Clock()
        with client(server, clock) as argo, pytest.raises(InputError) as info:
            argo.managed_resources("gitea", "argocd")
        assert "c2VjcmV0dmFsdWU" not in str(info.value)
        assert "managed-resources" in str(info.value)

    def test_a_garbled_log_line_is_quoted_redacted(self) -> None:
        """A log stream line that is not JSON is quoted, with the secret in it masked."""
        line = "password=Sup3rSecretLog not json"
        server, clock = Server(httpx.Response(200, text=line + "\n")), Clock()
        with client(server, clock) as argo, pytest.raises(InputError) as info:
            argo.pod_logs(
                "a", "argocd", pod="p", container="c", namespace="n", previous=True, tail_lines=5
            )
        assert "Sup3rSecretLog" not in str(info.value)
        assert "password=" in str(info.value)
