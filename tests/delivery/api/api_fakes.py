"""Shared pieces of the classification-API tests: model samples, a fake classifier, a server.

A uniquely named module rather than ``conftest`` so test modules can import it unambiguously.

The API is always exercised through a real HTTP client talking to a real (stdlib, threaded)
WSGI server on an ephemeral loopback port, wrapped in `wsgiref.validate` so any breach of the
WSGI protocol fails the test. The fake classifier returns hand-built model objects shaped like
the seed scenario (gitea's ExternalSecret defaults and zombies, argo-rollouts crash-looping).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from socketserver import ThreadingMixIn
from typing import Any, TypeVar
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from wsgiref.types import WSGIApplication
from wsgiref.validate import validator

from bot.core.model import (
    AppReport,
    DiffOp,
    DriftClass,
    Evidence,
    Finding,
    Fix,
    FixKind,
    PodDiagnosis,
    ResourceKey,
    ScanError,
    ScanReport,
    StuckApp,
    Totals,
)

T = TypeVar("T")

NOW = datetime(2026, 4, 25, 9, 0, tzinfo=UTC)
API_TOKEN = "api-token-for-tests"


# --- model samples ----------------------------------------------------------------------------


def schema_defaults_finding(app: str = "gitea", name: str = "gitea-admin") -> Finding:
    """An ExternalSecret whose live side gained CRD defaults git never had."""
    return Finding(
        app=app,
        drift_class=DriftClass.SCHEMA_DEFAULTS,
        key=ResourceKey("external-secrets.io", "ExternalSecret", app, name),
        summary="3 fields defaulted by the CRD schema",
        evidence=(
            Evidence("/spec/target/deletionPolicy", DiffOp.ADDED, live="Retain"),
            Evidence("/spec/data/0/remoteRef/conversionStrategy", DiffOp.ADDED, live="Default"),
            Evidence("/spec/refreshInterval", DiffOp.CHANGED, git=None, live="1h"),
        ),
        fix=Fix(FixKind.PIN_IN_GIT, "spec:\n  target:\n    deletionPolicy: Retain\n"),
    )


def zombie_finding(app: str = "gitea") -> Finding:
    """A Service no longer in git that nothing uses."""
    return Finding(
        app=app,
        drift_class=DriftClass.ZOMBIE,
        key=ResourceKey("", "Service", app, "gitea-redis-cluster"),
        summary="in the cluster, not in git, unused",
        evidence=(Evidence("", DiffOp.ADDED, live={"kind": "Service"}),),
        fix=Fix(FixKind.DELETE, "kubectl -n gitea delete service gitea-redis-cluster"),
        safe_to_delete=True,
        users=(),
        acked=True,
    )


def stuck_app(app: str = "argo-rollouts") -> StuckApp:
    """argo-rollouts crash-looping behind Progressing."""
    return StuckApp(
        app=app,
        health="Progressing",
        since=NOW - timedelta(days=4),
        pods=(
            PodDiagnosis(
                namespace="argo-rollouts",
                name="argo-rollouts-7c9d-abcde",
                container="argo-rollouts",
                reason="CrashLoopBackOff",
                restarts=1154,
                started_at=NOW - timedelta(days=4, minutes=3),
                message="back-off 5m0s restarting failed container",
                log=('level=fatal msg="unknown flag: --leader-elect"',),
            ),
        ),
    )


def scan_report() -> ScanReport:
    """A small scan: gitea's two findings, one stuck app and one unreadable app."""
    return ScanReport(
        generated_at=NOW,
        totals=Totals(total=3, out_of_sync=1, progressing=2, stuck=1),
        findings=(schema_defaults_finding(), zombie_finding()),
        stuck=(stuck_app(),),
        errors=(ScanError("immich", "argocd", "managed-resources: HTTP 503"),),
    )


def app_report(app: str = "gitea") -> AppReport:
    """gitea's own report: its findings, Progressing but not stuck."""
    return AppReport(
        generated_at=NOW,
        app=app,
        sync_status="OutOfSync",
        health_status="Progressing",
        health_since=NOW - timedelta(minutes=3),
        findings=(schema_defaults_finding(app), zombie_finding(app)),
    )


# --- a fake classifier ------------------------------------------------------------------------


@dataclass
class FakeClassifier:
    """A `Classifier` answering from the samples, recording calls, or raising ``error``."""

    error: BaseException | None = None
    calls: list[tuple[str, Any]] = field(default_factory=list)
    before: Callable[[], None] = lambda: None
    """Runs inside every call before it answers (tests block or count here)."""

    def reset(self) -> None:
        """Forget calls and injected behaviour (for a fake shared by a module's tests)."""
        self.error, self.before = None, lambda: None
        self.calls.clear()

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        return self._answer("scan", tuple(only), scan_report)

    def app_report(self, name: str) -> AppReport:
        return self._answer("app", name, lambda: app_report(name))

    def logs_report(self, name: str) -> StuckApp:
        return self._answer("logs", name, lambda: stuck_app(name))

    def _answer(self, method: str, arg: Any, build: Callable[[], T]) -> T:
        self.calls.append((method, arg))
        self.before()
        if self.error is not None:
            raise self.error
        return build()


# --- a real HTTP server -----------------------------------------------------------------------


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # stdlib's name
        """Keep the access log off the test output."""


@contextmanager
def serving(app: WSGIApplication) -> Iterator[str]:
    """Serve ``app`` (WSGI-validated) on an ephemeral loopback port; yield its base URL."""
    server = make_server(
        "127.0.0.1", 0, validator(app), server_class=_ThreadingServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def mounted(app: WSGIApplication, prefix: str = "/api/v1") -> WSGIApplication:
    """``app`` mounted under ``prefix`` the PEP 3333 way: the prefix moves to SCRIPT_NAME."""

    def mount(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(prefix + "/"):
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not mounted here"]
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
        environ["PATH_INFO"] = path.removeprefix(prefix)
        return app(environ, start_response)

    return mount
