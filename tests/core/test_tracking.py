"""Tracking ids: the exact format Argo CD stamps, and reading one back from a live object."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import tracking
from bot.core.model import ResourceKey
from tests.core.conftest import K8s


@pytest.mark.parametrize(
    ("app_namespace", "dest", "key", "expected"),
    [
        pytest.param(
            "argocd",
            "",
            ResourceKey(
                "apiextensions.k8s.io", "CustomResourceDefinition", "", "rollouts.argoproj.io"
            ),
            "argo-rollouts:apiextensions.k8s.io/CustomResourceDefinition:/rollouts.argoproj.io",
            id="cluster_scoped_no_destination",
        ),
        pytest.param(
            "argocd",
            "infisical",
            ResourceKey("networking.k8s.io", "IngressClass", "", "nginx"),
            "argo-rollouts:networking.k8s.io/IngressClass:infisical/nginx",
            id="cluster_scoped_takes_destination",
        ),
        pytest.param(
            "argocd",
            "gitea",
            ResourceKey("", "ServiceAccount", "gitea", "redis"),
            "argo-rollouts:/ServiceAccount:gitea/redis",
            id="core_group_is_empty",
        ),
        pytest.param(
            "team-a",
            "gitea",
            ResourceKey("apps", "Deployment", "gitea", "web"),
            "team-a_argo-rollouts:apps/Deployment:gitea/web",
            id="app_outside_control_plane",
        ),
    ],
)
def test_format_id(app_namespace: str, dest: str, key: ResourceKey, expected: str) -> None:
    """Ids follow ``<app>:<group>/<kind>:<namespace>/<name>`` with Argo CD's three special cases."""
    app = K8s.app("argo-rollouts", namespace=app_namespace, dest=dest)
    assert tracking.format_id(app, key) == expected


def test_parse_round_trips_a_formatted_id() -> None:
    """A formatted id parses back into its parts."""
    parsed = tracking.parse_id("team-a_gitea:apps/Deployment:gitea/web")
    assert parsed == tracking.TrackingId("team-a_gitea", "apps", "Deployment", "gitea", "web")


def test_parse_core_and_cluster_scoped() -> None:
    """Empty group and empty namespace survive parsing."""
    assert tracking.parse_id("a:/Namespace:/team") == tracking.TrackingId(
        "a", "", "Namespace", "", "team"
    )


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("gitea", id="no_colons"),
        pytest.param("gitea:apps/Deployment", id="two_parts"),
        pytest.param(":apps/Deployment:ns/web", id="no_app"),
        pytest.param("gitea:Deployment:ns/web", id="no_group_slash"),
        pytest.param("gitea:apps/Deployment:web", id="no_namespace_slash"),
        pytest.param("gitea:apps/:ns/web", id="no_kind"),
        pytest.param("gitea:a/b:c/d:e", id="four_parts"),
    ],
)
def test_malformed_ids_do_not_parse(text: str) -> None:
    """Anything not in the four-part shape is rejected."""
    assert tracking.parse_id(text) is None


def test_names_ignores_the_namespace() -> None:
    """An id names a cluster-scoped object whatever destination namespace it carries."""
    parsed = tracking.parse_id("a:networking.k8s.io/IngressClass:infisical/nginx")
    assert parsed is not None
    assert parsed.names(ResourceKey("networking.k8s.io", "IngressClass", "", "nginx"))
    assert not parsed.names(ResourceKey("networking.k8s.io", "IngressClass", "", "traefik"))


@pytest.mark.parametrize(
    ("live", "expected"),
    [
        pytest.param(None, None, id="no_object"),
        pytest.param({}, None, id="no_metadata"),
        pytest.param({"metadata": {"annotations": None}}, None, id="null_annotations"),
        pytest.param(
            {"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": ""}}}, None, id="empty"
        ),
        pytest.param(
            {"metadata": {"annotations": {"argocd.argoproj.io/tracking-id": "a:/K:n/x"}}},
            "a:/K:n/x",
            id="set",
        ),
    ],
)
def test_live_id(live: dict[str, Any] | None, expected: str | None) -> None:
    """The annotation is read when present and non-empty."""
    assert tracking.live_id(live) == expected
