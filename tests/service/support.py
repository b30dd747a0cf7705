"""Helpers of the digest, escalation and ack tests: a clock, a failing fake Slack, model builders.

The Slack side is the recording fake Web API (`tests.fakes.slack_api`) behind the bot's own
`SlackPoster`, with one addition here: failures Slack really produces (HTTP 500, ``ok: false``
errors) on demand. The classifier is either a fake returning `ScanReport` objects built in the
test (so stuck/since are under control) or the real service against the seed simulator.
Replicas are separate `Notifier` + `RedisStore` instances on the same redis-server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.adapters.redis_store import RedisStore
from bot.adapters.slack_poster import SlackPoster, build_web_client
from bot.core.model import (
    ABSENT,
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
from bot.delivery.render.digest import digest_blocks
from bot.delivery.render.escalation import escalation_message, recovered_message
from bot.errors import UnknownAppError
from bot.ports import Classifier, StateStore
from bot.service.digest import Notifier, Renderers
from bot.settings import Settings, load_settings
from bot.simulator import Simulator
from tests.fakes.slack_api import FakeSlackApi

CHANNEL = "C0DRIFT"
ONCALL = "S0ONCALL"
T0 = datetime(2026, 1, 14, 8, 0, tzinfo=UTC)
SIM_TOKEN = "sim-token"
POST = "/api/chat.postMessage"
FATAL = 'level=fatal msg="Failed to download plugins: response code Not Found"'
RENDERERS = Renderers(
    digest=digest_blocks, escalation=escalation_message, recovered=recovered_message
)


class Clock:
    """A clock the test moves by hand (`advance`); every component reads it by calling it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class FlakySlackApi(FakeSlackApi):
    """The recording fake Slack, plus failures queued per path (status, Slack error code)."""

    failures: dict[str, list[tuple[int, str]]] = field(default_factory=dict)

    def fail(self, path: str, *, status: int = 500, error: str = "internal_error") -> None:
        """Answer the next request to ``path`` with ``status`` and ``{"ok": false}``."""
        with self._lock:
            # slack_sdk retries a 500/503 once: queue one failure per attempt.
            attempts = 2 if status in (500, 503) else 1
            self.failures.setdefault(path, []).extend([(status, error)] * attempts)

    def _answer(self, path: str, headers: Any, body: Any) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            queued = self.failures.get(path)
            failure = queued.pop(0) if queued else None
        if failure is not None:
            return failure[0], {}, {"ok": False, "error": failure[1]}
        return super()._answer(path, headers, body)

    def posts(self) -> list[Any]:
        """chat.postMessage requests Slack accepted, oldest first."""
        return [r for r in self.calls(POST) if r.accepted]

    def top_posts(self) -> list[Any]:
        """Accepted posts that start a message (the digest summary), not thread replies."""
        return [r for r in self.posts() if not r.body.get("thread_ts")]


@dataclass
class FakeClassifier:
    """A `Classifier` answering with a report the test sets (and changes) directly."""

    report: ScanReport
    scans: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def scan(self, only: Sequence[str] = ()) -> ScanReport:
        with self._lock:
            self.scans += 1
            report = self.report
        if not only:
            return report
        for name in only:
            if name not in report.health:
                raise UnknownAppError(name)
        wanted = set(only)
        return replace(
            report,
            findings=tuple(f for f in report.findings if f.app in wanted),
            stuck=tuple(s for s in report.stuck if s.app in wanted),
            health={a: h for a, h in report.health.items() if a in wanted},
        )

    def app_report(self, name: str) -> AppReport:
        report = self.scan([name])
        stuck = report.stuck[0] if report.stuck else None
        return AppReport(
            generated_at=report.generated_at,
            app=name,
            sync_status="OutOfSync" if report.findings else "Synced",
            health_status=report.health[name],
            health_since=stuck.since if stuck else None,
            findings=report.findings,
            stuck=stuck,
        )

    def logs_report(self, name: str) -> StuckApp:
        report = self.scan([name])
        return report.stuck[0] if report.stuck else StuckApp(name, report.health[name], None)

    def close(self) -> None:
        """Nothing to release."""


# --- model builders --------------------------------------------------------------------------


def finding(app: str = "gitea", name: str = "gitea-admin", live: object = "Retain") -> Finding:
    """A schema-defaults finding; ``live`` changes its fingerprint."""
    return Finding(
        app=app,
        drift_class=DriftClass.SCHEMA_DEFAULTS,
        key=ResourceKey("external-secrets.io", "ExternalSecret", app, name),
        summary="1 field defaulted by the ExternalSecret CRD schema",
        evidence=(Evidence("/spec/target/deletionPolicy", DiffOp.ADDED, ABSENT, live),),
        fix=Fix(FixKind.PIN_IN_GIT, "spec:\n  target:\n    deletionPolicy: Retain"),
    )


def stuck(app: str = "argo-rollouts", since: datetime | None = None) -> StuckApp:
    """A crash-looping app, unhealthy since ``since`` (default 21 days before T0)."""
    began = since or T0 - timedelta(days=21)
    pod = PodDiagnosis(
        namespace=app,
        name=f"{app}-6b4c4dfbd9-ghl9c",
        container=app,
        reason="CrashLoopBackOff",
        restarts=1154,
        started_at=began,
        log=(FATAL,),
    )
    return StuckApp(app=app, health="Progressing", since=began, pods=(pod,))


def report(
    *,
    now: datetime = T0,
    findings: Sequence[Finding] = (),
    stuck_apps: Sequence[StuckApp] = (),
    errors: Sequence[ScanError] = (),
    apps: Sequence[str] = ("gitea", "argo-rollouts", "root"),
) -> ScanReport:
    """A scan of ``apps`` with these findings and stuck apps; totals follow from them."""
    names = list(dict.fromkeys([*apps, *(f.app for f in findings), *(s.app for s in stuck_apps)]))
    health = {name: "Healthy" for name in names}
    health.update({s.app: s.health for s in stuck_apps})
    return ScanReport(
        generated_at=now,
        totals=Totals(
            total=len(names),
            out_of_sync=len({f.app for f in findings}),
            progressing=sum(h == "Progressing" for h in health.values()),
            stuck=len(stuck_apps),
        ),
        findings=tuple(findings),
        stuck=tuple(stuck_apps),
        errors=tuple(errors),
        health=health,
    )


# --- Slack, Redis, notifiers -----------------------------------------------------------------


def slack_settings(fake: FakeSlackApi, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"slack_bot_token": fake.token, "slack_api_url": fake.api_url}
    return load_settings(**{**values, **overrides})


def poster_for(fake: FakeSlackApi, token: str | None = None) -> SlackPoster:
    """The production poster (real WebClient, retry handlers) pointed at the fake."""
    settings = slack_settings(fake, **({"slack_bot_token": token} if token else {}))
    return SlackPoster(build_web_client(settings))


StoreFactory = Callable[..., RedisStore]


def notifier(
    classifier: Classifier,
    store: StateStore | None,
    fake: FakeSlackApi,
    clock: Callable[[], datetime],
    *,
    timezone: str = "UTC",
    reping_after: timedelta = timedelta(hours=4),
    renderers: Renderers = RENDERERS,
    token: str | None = None,
    replica: str | None = None,
) -> Notifier:
    """One replica's notifier, as `serve` builds it, posting to the fake Slack."""
    return Notifier(
        classifier,
        store,
        poster_for(fake, token),
        renderers,
        channel=CHANNEL,
        oncall_group=ONCALL,
        timezone=timezone,
        reping_after=reping_after,
        clock=clock,
        replica=replica,
    )


def race(calls: Sequence[Callable[[], Any]]) -> list[Any]:
    """Run every call on its own thread, released at the same instant; their results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # surfaced below, on the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if failures:
        raise failures[0]
    return results


def sim_settings(sim: Simulator, tmp: Path, **overrides: Any) -> Settings:
    """Settings pointing the real adapters at ``sim`` (as `tests.e2e.conftest` does)."""
    values: dict[str, Any] = {
        "kubeconfig": str(sim.write_kubeconfig(tmp / "kubeconfig")),
        "argocd_server": sim.argocd_url,
        "argocd_auth_token": SIM_TOKEN,
        **overrides,
    }
    return load_settings(**values)
