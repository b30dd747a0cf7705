"""The simulator's Argo CD diff (`cluster.predict`) on real objects, against Argo CD's verdicts.

Every case is a real config/live pair from gitops-engine's ``pkg/diff/testdata`` with what
gitops-engine's own ``diff_test.go`` asserts about it (see the README next to the files). For
server-side diff the recorded dry-run answers are used twice: as the API server's answer (the
steps after it must reach Argo CD's verdict) and as the reference the simulated dry-run must
reproduce.
"""

from __future__ import annotations

import copy
from typing import Final

import pytest

from bot.simulator.cluster import predict, server_defaults, server_side
from bot.simulator.cluster.predict import DiffMode, DiffOptions
from tests.simulator.realdata import keyed_leaves, load

LEGACY_NOT_MODIFIED: Final = (
    "deployment",
    "elasticsearch",
    "mutatingwebhookconfig",
    "spinnaker-sa",
    "grafana-clusterrole",
    "sealedsecret",
    "endpoints",
    "wordpress",
)
SMD = DiffOptions(mode=DiffMode.STRUCTURED_MERGE)
SSD = DiffOptions(mode=DiffMode.SERVER_SIDE)


def differing(result: predict.DiffResult) -> set[str]:
    """Keyed paths where normalized live and predicted live differ (what Argo CD's UI shows)."""
    live = dict(keyed_leaves(result.normalized_live))
    predicted = dict(keyed_leaves(result.predicted_live))
    return {p for p in live.keys() | predicted.keys() if live.get(p, ...) != predicted.get(p, ...)}


# --- legacy three-way diff ---------------------------------------------------------------------


@pytest.mark.parametrize("name", LEGACY_NOT_MODIFIED)
def test_legacy_pairs_argo_cd_calls_synced_predict_live_exactly(name: str) -> None:
    ext = "json"
    result = predict.diff(load(f"{name}-config.{ext}"), load(f"{name}-live.{ext}"), DiffOptions())
    assert differing(result) == set()
    assert result.predicted_live == result.normalized_live
    assert not result.modified


def test_legacy_real_change_shows_exactly_the_changed_labels() -> None:
    config, live = load("elasticsearch-config.json"), load("elasticsearch-live.json")
    labels = config["metadata"]["labels"]
    labels["foo"] = "bar"
    labels["chart"] = "elasticsearch-1.7.1"
    del labels["release"]
    result = predict.diff(config, live, DiffOptions())
    assert result.modified
    assert differing(result) == {
        "/metadata/labels/foo",
        "/metadata/labels/chart",
        "/metadata/labels/release",
    }


def test_legacy_field_removed_from_git_is_removed_from_the_prediction() -> None:
    """Three-way: last-applied had it, git dropped it, so applying deletes it (drift)."""
    config, live = load("deployment-config.json"), load("deployment-live.json")
    del config["spec"]["revisionHistoryLimit"]
    result = predict.diff(config, live, DiffOptions())
    assert differing(result) == {"/spec/revisionHistoryLimit"}
    # A field nobody applied (live-only env var VAR2) survives: no drift.
    assert "VAR2" in str(result.predicted_live)


def test_aggregated_cluster_role_rules_are_drift_unless_ignored() -> None:
    config, live = load("aggr-clusterrole-config.json"), load("aggr-clusterrole-live.json")
    shown = predict.diff(config, live, DiffOptions())
    assert shown.modified
    assert {p.split("/")[1] for p in differing(shown)} == {"rules"}
    hidden = predict.diff(config, live, DiffOptions(ignore_aggregated_roles=True))
    assert not hidden.modified


def test_secret_masked_differently_is_modified() -> None:
    config, live = load("wordpress-config.json"), load("wordpress-live.json")
    config["data"] = {"wordpress-password": "++++++++", "smtp-password": "++++++++"}
    live["data"] = {"wordpress-password": "++++++++++++", "smtp-password": "++++++++++++"}
    assert predict.diff(config, live, DiffOptions()).modified


def test_missing_and_extraneous_states() -> None:
    config, live = load("deployment-config.json"), load("deployment-live.json")
    missing = predict.diff(config, None, DiffOptions())
    assert (missing.normalized_live, missing.modified) == (None, True)
    assert missing.predicted_live is not None
    assert missing.predicted_live["metadata"]["name"] == "guestbook-ui"
    extraneous = predict.diff(None, live, DiffOptions())
    assert (extraneous.predicted_live, extraneous.modified) == (None, False)
    with pytest.raises(ValueError, match="both"):
        predict.diff(None, None, DiffOptions())


def test_status_and_ignore_differences_leave_both_states() -> None:
    config, live = load("smd-deploy2-config.yaml"), load("smd-deploy2-live.yaml")
    config["spec"]["replicas"] = 5  # git wants 5, live has 2: ignored
    result = predict.diff(config, live, DiffOptions(ignore_pointers=("/spec/replicas",)))
    for state in (result.normalized_live, result.predicted_live):
        assert state is not None
        assert "status" not in state
        assert "creationTimestamp" not in state["metadata"]
        # Removed on both sides before the merge; the scheme default then refills both alike.
        assert state["spec"]["replicas"] == 1
    assert "/spec/replicas" not in differing(result)


# --- structured merge (ServerSideApply=true) --------------------------------------------------


def test_smd_deployment_with_only_server_defaults_is_not_modified() -> None:
    result = predict.diff(load("smd-deploy-config.yaml"), load("smd-deploy-live.yaml"), SMD)
    assert not result.modified


@pytest.mark.parametrize(
    ("config", "live", "ports", "service_type"),
    [
        ("smd-service-config.yaml", "smd-service-live.yaml", 3, "ClusterIP"),
        ("smd-service-config-2-ports.yaml", "smd-service-live.yaml", 2, "ClusterIP"),
        ("smd-service-config-ports.yaml", "smd-service-live.yaml", 5, "ClusterIP"),
        ("smd-service-config.yaml", "smd-service-live-with-type.yaml", 3, "ClusterIP"),
    ],
)
def test_smd_services_as_gitops_engine_asserts(
    config: str, live: str, ports: int, service_type: str
) -> None:
    result = predict.diff(load(config), load(live), SMD)
    assert result.modified
    predicted, normalized = result.predicted_live, result.normalized_live
    assert predicted is not None
    assert normalized is not None
    assert len(predicted["spec"]["ports"]) == ports
    assert predicted["spec"]["type"] == service_type
    assert predicted["spec"]["internalTrafficPolicy"] == "Cluster"
    assert normalized["spec"]["internalTrafficPolicy"] == "Cluster"
    for state in (predicted, normalized):
        assert predict.LAST_APPLIED not in state["metadata"].get("annotations", {})


# --- server-side diff: the steps after the dry-run, fed the recorded answers ------------------


def _ssd(name: str, live: str, options: DiffOptions = SSD) -> predict.DiffResult:
    config = predict.normalize(load(f"{name}-config.yaml"), options)
    normalized = predict.normalize(load(live), options)
    answer = load(f"{name}-predicted-live.json")
    return server_side.server_side_diff(config, normalized, options, answer)


def test_ssd_webhook_label_hidden_by_default_shown_when_included() -> None:
    hidden = _ssd("ssd-service", "ssd-service-live.yaml")
    assert hidden.modified is False or "event" not in hidden.predicted_live["metadata"]["labels"]
    assert hidden.predicted_live is not None
    assert "event" not in hidden.predicted_live["metadata"].get("labels", {})
    assert hidden.predicted_live["spec"]["internalTrafficPolicy"] == "Cluster"
    shown = _ssd(
        "ssd-service",
        "ssd-service-live.yaml",
        DiffOptions(mode=DiffMode.SERVER_SIDE, include_mutation_webhook=True),
    )
    assert shown.modified
    assert shown.predicted_live is not None
    assert shown.predicted_live["metadata"]["labels"]["event"] == "FROM-MUTATION-WEBHOOK"
    for state in (hidden.predicted_live, hidden.normalized_live, shown.predicted_live):
        assert "managedFields" not in state["metadata"]


SSD_CASES: Final = {
    # name: (live file, fields of Argo CD's diff that git's change explains)
    "ssd-deploy-nested": ("ssd-deploy-nested-live.yaml", ("ENV_VAR2", "[name=https]")),
    "ssd-deploy-with-manual-apply": ("ssd-deploy-with-manual-apply-live.yaml", ("[name=https]",)),
    "ssd-deploy-composite-key": ("ssd-deploy-composite-key-live.yaml", ("[name=metrics]",)),
    "ssd-svc-no-label": ("ssd-svc-label-live.yaml", ("delete-me",)),
}

RECORDING_ONLY: Final[dict[str, set[str]]] = {
    # The hand-trimmed live file lacks kubectl's last-applied copy the recorded answer carries.
    "ssd-deploy-with-manual-apply": {
        "/metadata/annotations/kubectl.kubernetes.io/last-applied-configuration"
    },
    # The recorded answer comes from a later rollout (revision 1 -> 2 on the live side).
    "ssd-deploy-composite-key": {"/metadata/annotations/deployment.kubernetes.io/revision"},
    # The recorded answer dropped a label git sets (a hand-made mock of the webhook case).
    "ssd-service": {"/metadata/labels", "/metadata/labels/app.kubernetes.io/instance"},
}
"""Paths where a recorded dry-run answer differs from what a server would say for these files."""

SIMULATION_ONLY: Final[dict[str, set[str]]] = {
    # Argo CD keeps the unowned defaulted protocol of the dropped port as a remnant item
    # (its revert works on typed values); the simulation drops the whole port. Same verdict.
    "ssd-deploy-with-manual-apply": {
        "/spec/template/spec/containers/[name=main-container]/ports/[name=https]/protocol"
    },
}


@pytest.mark.parametrize("name", sorted(SSD_CASES))
def test_ssd_recorded_answers_reach_argo_cds_verdict(name: str) -> None:
    live, explained = SSD_CASES[name]
    result = _ssd(name, live)
    assert result.modified
    paths = differing(result) - RECORDING_ONLY.get(name, set())
    assert paths
    assert all(any(part in p for part in explained) for p in paths), sorted(paths)


@pytest.mark.parametrize("name", [*sorted(SSD_CASES), "ssd-service"])
def test_simulated_dry_run_matches_the_recorded_one(name: str) -> None:
    """The simulated server-side diff shows the paths the recorded answer leads to.

    gitops-engine's live files for these cases were written by hand without the server
    defaults; a real server would have stored them, so the live side is defaulted first.
    """
    live_file = SSD_CASES.get(name, ("ssd-service-live.yaml", ()))[0]
    live = load(live_file)
    live = server_defaults.with_defaults(live, namespace=live["metadata"]["namespace"])
    options = SSD
    if name == "ssd-service":
        options = DiffOptions(
            mode=DiffMode.SERVER_SIDE,
            webhook_writes={"/metadata/labels/event": "FROM-MUTATION-WEBHOOK"},
        )
    simulated = predict.diff(load(f"{name}-config.yaml"), live, options)
    recorded = _ssd(name, live_file)
    assert differing(simulated) - SIMULATION_ONLY.get(name, set()) == differing(
        recorded
    ) - RECORDING_ONLY.get(name, set())


def test_simulated_webhook_mutation_is_hidden_unless_included() -> None:
    live = load("ssd-service-live.yaml")
    webhook = {"/metadata/labels/event": "FROM-MUTATION-WEBHOOK"}
    hidden = predict.diff(
        load("ssd-service-config.yaml"),
        copy.deepcopy(live),
        DiffOptions(mode=DiffMode.SERVER_SIDE, webhook_writes=webhook),
    )
    assert not hidden.modified
    shown = predict.diff(
        load("ssd-service-config.yaml"),
        live,
        DiffOptions(
            mode=DiffMode.SERVER_SIDE, webhook_writes=webhook, include_mutation_webhook=True
        ),
    )
    assert shown.modified
    assert differing(shown) == {"/metadata/labels/event"}
