"""Acks end to end: the real service on the simulated seed cluster, acks in a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from bot.core.model import AckScope, AppReport, Finding, ResourceKey, ScanReport
from bot.errors import InputError, StoreError, UnknownAppError
from bot.service.acks import ACKS_UNAVAILABLE_SOURCE, AckedClassifier, Acknowledger
from bot.service.caching import CachedClassifier
from bot.service.scan import DriftService
from bot.simulator import Simulator, scenarios
from bot.wiring import build_service
from tests.service.support import SIM_TOKEN, Clock, StoreFactory, sim_settings

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WEEK = timedelta(days=7)
ADMIN = ResourceKey("external-secrets.io", "ExternalSecret", "gitea", "gitea-admin")
ADMIN_SCOPE = AckScope("gitea", "ExternalSecret", "gitea-admin")
ROLLOUTS_APP = ResourceKey("argoproj.io", "Application", "argocd", "argo-rollouts")


@pytest.fixture(scope="module")
def seed_sim() -> Iterator[Simulator]:
    """The seed cluster, shared by the tests that do not change it."""
    with Simulator(scenarios.seed(now=NOW), token=SIM_TOKEN) as sim:
        yield sim


@pytest.fixture
def own_sim() -> Iterator[Simulator]:
    """A seed cluster of this test's own, free to change."""
    with Simulator(scenarios.seed(now=NOW), token=SIM_TOKEN) as sim:
        yield sim


def _service(sim: Simulator, tmp: Path) -> Iterator[DriftService]:
    service = build_service(sim_settings(sim, tmp), clock=lambda: NOW)
    try:
        yield service
    finally:
        service.close()


@pytest.fixture
def service(seed_sim: Simulator, tmp_path: Path) -> Iterator[DriftService]:
    yield from _service(seed_sim, tmp_path)


@pytest.fixture
def own_service(own_sim: Simulator, tmp_path: Path) -> Iterator[DriftService]:
    yield from _service(own_sim, tmp_path)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def store(stores: StoreFactory) -> RedisStore:
    return stores()


def _acked(report: ScanReport) -> set[tuple[str, str, str]]:
    return {(f.app, f.key.kind, f.key.name) for f in report.findings if f.acked}


def _one(report: ScanReport | AppReport, key: ResourceKey) -> Finding:
    (found,) = [f for f in report.findings if f.key == key]
    return found


class TestCovering:
    def test_a_resource_ack_marks_exactly_that_finding(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """Acking gitea/ExternalSecret/gitea-admin marks that finding, in scan and JSON, only."""
        Acknowledger(service, store, clock=clock).ack(ADMIN_SCOPE, WEEK, "ESO defaults", by="U1")
        view = AckedClassifier(service, store, clock=clock)
        report = view.scan()
        assert _acked(report) == {("gitea", "ExternalSecret", "gitea-admin")}
        doc = report.to_json()
        flags = {(f["app"], f["name"]): f["acked"] for f in doc["findings"] if f["app"] == "gitea"}
        assert flags[("gitea", "gitea-admin")] is True
        assert flags[("gitea", "gitea-runner")] is False
        assert doc["errors"] == []
        assert _one(view.app_report("gitea"), ADMIN).acked

    def test_an_app_ack_marks_every_finding_of_that_app(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """An app-level ack covers all of the app's current drift and nothing elsewhere."""
        ack = Acknowledger(service, store, clock=clock).ack(
            AckScope("gitea"), WEEK, "migrating", by="U1"
        )
        report = AckedClassifier(service, store, clock=clock).scan()
        gitea = [f for f in report.findings if f.app == "gitea"]
        assert len(gitea) == 5
        assert all(f.acked for f in gitea)
        assert not any(f.acked for f in report.findings if f.app != "gitea")
        assert len(ack.fingerprints) == 5

    def test_changed_drift_is_not_covered_and_shows_again(
        self, own_sim: Simulator, own_service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """Someone changes the acked resource in the cluster: its new drift is reported again."""
        Acknowledger(own_service, store, clock=clock).ack(ADMIN_SCOPE, WEEK, "ESO", by="U1")
        view = AckedClassifier(own_service, store, clock=clock)
        before = _one(view.scan(), ADMIN)
        assert before.acked
        own_sim.scenario.set_live(ADMIN, {"/spec/target/deletionPolicy": "Delete"})
        own_sim.reload()
        after = _one(view.scan(), ADMIN)
        assert not after.acked
        assert after.fingerprint != before.fingerprint

    def test_expired_acks_stop_covering(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """A 4h ack covers for 4 hours and not a moment longer; its expiry is audited."""
        Acknowledger(service, store, clock=clock).ack(ADMIN_SCOPE, timedelta(hours=4), "x", by="U1")
        view = AckedClassifier(service, store, clock=clock)
        clock.advance(hours=3, minutes=59)
        assert _one(view.scan(), ADMIN).acked
        clock.advance(minutes=1)
        assert not _one(view.scan(), ADMIN).acked
        assert [e["action"] for e in store.audit()] == ["expire", "ack"]

    def test_unack_uncovers_and_is_audited(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """`unack` withdraws the ack; the finding is open again and the trail names who."""
        acknowledger = Acknowledger(service, store, clock=clock)
        ack = acknowledger.ack(ADMIN_SCOPE, WEEK, "ESO", by="U1")
        assert [a.id for a in acknowledger.acks()] == [ack.id]
        acknowledger.unack(ack.id, by="U2")
        assert acknowledger.acks() == []
        assert not _one(AckedClassifier(service, store, clock=clock).scan(), ADMIN).acked
        assert [(e["action"], e["by"]) for e in store.audit()] == [("unack", "U2"), ("ack", "U1")]


class TestStuckApps:
    def test_an_app_ack_of_a_stuck_app_covers_its_incident(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """argo-rollouts (stuck, with CRD drift): the ack holds the drift and the incident."""
        ack = Acknowledger(service, store, clock=clock).ack(
            AckScope("argo-rollouts"), WEEK, "plugin URL gone upstream", by="U1"
        )
        (incident,) = service.scan(["argo-rollouts"]).stuck
        assert incident.fingerprint in ack.fingerprints
        assert len(ack.fingerprints) == 6  # five CRDs and the incident

    def test_an_app_ack_of_a_stuck_app_without_drift_works(
        self, own_sim: Simulator, own_service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """With its CRDs adopted (no drift left) the stuck app can still be acked."""
        changes: dict[str, object] = {f"/status/resources/{i}/status": "Synced" for i in range(5)}
        changes["/status/sync/status"] = "Synced"
        own_sim.scenario.set_live(ROLLOUTS_APP, changes)
        own_sim.reload()
        report = own_service.scan(["argo-rollouts"])
        assert report.findings == ()
        (incident,) = report.stuck
        ack = Acknowledger(own_service, store, clock=clock).ack(
            AckScope("argo-rollouts"), WEEK, "known", by="U1"
        )
        assert ack.fingerprints == {incident.fingerprint}

    def test_a_resource_ack_does_not_cover_the_incident(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """Acking one CRD of argo-rollouts leaves its crashloop un-acked."""
        ack = Acknowledger(service, store, clock=clock).ack(
            AckScope("argo-rollouts", "CustomResourceDefinition", "rollouts.argoproj.io"),
            WEEK,
            "CRDs come from the chart",
            by="U1",
        )
        assert all(not fp.startswith("stuck:") for fp in ack.fingerprints)
        assert len(ack.fingerprints) == 1


class TestRefusals:
    def test_a_resource_ack_matching_nothing_lists_the_current_drift(
        self, service: DriftService, store: RedisStore, clock: Clock, raw: redis.Redis
    ) -> None:
        """A typo in the resource: `InputError` listing what does drift; no id spent."""
        with pytest.raises(InputError) as caught:
            Acknowledger(service, store, clock=clock).ack(
                AckScope("gitea", "ExternalSecret", "gitea-admn"), WEEK, "x", by="U1"
            )
        message = str(caught.value)
        assert "nothing drifts for gitea/ExternalSecret/gitea-admn" in message
        assert "gitea/ExternalSecret/gitea-admin" in message
        assert "gitea/Service/gitea-redis-cluster" in message
        assert store.active_acks(NOW) == []
        assert raw.get("test:ack-seq") is None

    def test_an_app_without_drift_lists_the_apps_that_drift(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """Acking a Synced app: the error names apps that do drift, not "none at all"."""
        with pytest.raises(InputError) as caught:
            Acknowledger(service, store, clock=clock).ack(AckScope("traefik"), WEEK, "x", by="U1")
        message = str(caught.value)
        assert "nothing drifts for traefik" in message
        assert "apps with drift:" in message
        assert "gitea" in message

    def test_an_unknown_app_suggests_close_names(
        self, service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """A misspelt app is refused with the names it may have meant."""
        with pytest.raises(UnknownAppError, match="gitea"):
            Acknowledger(service, store, clock=clock).ack(AckScope("gitae"), WEEK, "x", by="U1")

    @pytest.mark.parametrize(
        ("duration", "reason", "complaint"),
        [(WEEK, "   ", "needs a reason"), (timedelta(days=31), "ok", "at most 30d")],
    )
    def test_bad_requests_are_refused_before_redis_is_asked(
        self,
        service: DriftService,
        stores: StoreFactory,
        clock: Clock,
        duration: timedelta,
        reason: str,
        complaint: str,
    ) -> None:
        """No reason or too long: an `InputError`, even while Redis is down."""
        down = stores(down=True)
        with pytest.raises(InputError, match=complaint):
            Acknowledger(service, down, clock=clock).ack(ADMIN_SCOPE, duration, reason, by="U1")


class TestRedisDown:
    def test_scans_still_answer_unmarked_with_an_errors_entry(
        self, service: DriftService, store: RedisStore, stores: StoreFactory, clock: Clock
    ) -> None:
        """Redis unreachable: every finding comes back (unmarked) and ``errors`` says why."""
        Acknowledger(service, store, clock=clock).ack(ADMIN_SCOPE, WEEK, "ESO", by="U1")
        report = AckedClassifier(service, stores(down=True), clock=clock).scan()
        assert not _one(report, ADMIN).acked
        assert len(report.findings) == len(service.scan().findings)
        assert report.totals.stuck == 1
        (error,) = report.errors
        assert error.source == ACKS_UNAVAILABLE_SOURCE
        assert error.message.startswith("acks not applied: Redis at redis://127.0.0.1:")
        assert "REDIS_URL" in error.message
        # Nothing stored was lost: with Redis back the ack still covers.
        assert _one(AckedClassifier(service, store, clock=clock).scan(), ADMIN).acked

    def test_ack_commands_raise_a_clear_store_error(
        self, service: DriftService, stores: StoreFactory, clock: Clock
    ) -> None:
        """ack, acks and unack each fail with a `StoreError` naming REDIS_URL and the action."""
        acknowledger = Acknowledger(service, stores(down=True), clock=clock)
        with pytest.raises(StoreError, match=r"\(REDIS_URL\) failed to store an ack"):
            acknowledger.ack(ADMIN_SCOPE, WEEK, "ESO", by="U1")
        with pytest.raises(StoreError, match=r"\(REDIS_URL\) failed to read acks"):
            acknowledger.acks()
        with pytest.raises(StoreError, match=r"\(REDIS_URL\) failed to remove an ack"):
            acknowledger.unack("a1", by="U1")


class TestOneQuestionOneKey:
    def test_an_app_report_then_an_ack_of_that_app_lists_and_diffs_once(
        self, own_sim: Simulator, own_service: DriftService, store: RedisStore, clock: Clock
    ) -> None:
        """`/drift app gitea` then `/drift ack gitea ...`: one Application list, one diff."""
        cached = CachedClassifier(own_service, ttl=timedelta(minutes=5))
        classifier = AckedClassifier(cached, store, clock=clock)
        own_sim.reset_counters()
        report = classifier.app_report("gitea")
        ack = Acknowledger(classifier, store, clock=clock).ack(
            AckScope("gitea"), WEEK, "migrating", by="U1"
        )
        lists = own_sim.count("kube", r"/applications$")
        diffs = own_sim.count("argocd", r"/applications/gitea/managed-resources$")
        assert (lists, diffs) == (1, 1)
        assert ack.fingerprints == {f.fingerprint for f in report.findings}
        assert len(cached) == 1
