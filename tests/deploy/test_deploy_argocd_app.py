"""The Argo CD Application that deploys drift-bot follows drift-bot's own advice.

It must not carry the phantom defaults the bot reports in others (``prune: false``,
``group: ""``), nor need an ignoreDifferences. Its fields are checked against Argo CD's real
Application CRD schema (v3.5.1), so a misspelt key cannot slip through.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings
from tests.deploy.deploy_support import (
    BASE,
    DEPLOY,
    NAMESPACE,
    REPO,
    load,
    one,
    resource_docs,
    walk,
)

APP_FILE = DEPLOY / "argocd-application.yaml"
# The verbatim upstream CRD (shared/realdata) the simulator already ships inside the repo.
CRD_FILE = REPO / "bot" / "simulator" / "data" / "argocd-v3.5.1-application-crd.yaml"
PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "object": dict,
    "array": list,
}


def _app() -> dict[str, Any]:
    (app,) = load(APP_FILE)
    return app


@functools.cache
def _schema() -> dict[str, Any]:
    with CRD_FILE.open(encoding="utf-8") as handle:
        crd = yaml.safe_load(handle)
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


def _schema_errors(node: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Structural errors of ``node`` against an OpenAPI schema: types, unknown keys, required."""
    expected = schema.get("type")
    if expected and not isinstance(node, PY_TYPES[expected]):
        return [f"{path}: expected {expected}"]
    errors: list[str] = []
    if isinstance(node, dict) and "properties" in schema:
        errors += [
            f"{path}/{key}: missing" for key in schema.get("required", []) if key not in node
        ]
        for key, value in node.items():
            if key not in schema["properties"]:
                errors.append(f"{path}/{key}: unknown field")
            else:
                errors += _schema_errors(value, schema["properties"][key], f"{path}/{key}")
    if isinstance(node, list) and "items" in schema:
        for index, item in enumerate(node):
            errors += _schema_errors(item, schema["items"], f"{path}/{index}")
    return errors


def test_it_is_an_application_in_the_control_plane_namespace() -> None:
    """The file holds one Application in ARGOCD_NAMESPACE's default namespace."""
    app = _app()
    assert (app["apiVersion"], app["kind"]) == ("argoproj.io/v1alpha1", "Application")
    assert app["metadata"]["namespace"] == Settings.model_fields["argocd_namespace"].default


def test_it_matches_the_real_application_crd() -> None:
    """Every field of the Application exists in Argo CD's CRD schema with the right type."""
    assert _schema_errors(_app(), _schema()) == []


def test_schema_check_rejects_a_misspelt_field() -> None:
    """The schema check used above reports an unknown key (it is not a no-op)."""
    app = _app()
    broken = {**app, "spec": {**app["spec"], "syncPolicy": {"automated": {"selfheal": True}}}}
    assert _schema_errors(broken, _schema()) == [
        "/spec/syncPolicy/automated/selfheal: unknown field"
    ]


def test_it_self_heals_without_phantom_defaults() -> None:
    """syncPolicy.automated is exactly {selfHeal: true}: no ``prune: false`` line."""
    assert _app()["spec"]["syncPolicy"] == {"automated": {"selfHeal": True}}


@pytest.mark.parametrize(
    ("what", "bad"),
    [
        pytest.param("false booleans", lambda k, v: v is False, id="false"),
        pytest.param("empty group", lambda k, v: k == "group" and v == "", id="empty-group"),
        pytest.param("ignoreDifferences", lambda k, v: k == "ignoreDifferences", id="ignore"),
        pytest.param("empty values", lambda k, v: v in ("", {}, []), id="empty"),
    ],
)
def test_it_writes_no_value_argo_cd_strips(what: str, bad: Any) -> None:
    """The Application holds no false boolean, empty value, ``group: ""`` or ignoreDifferences."""
    hits = [path for path, value in walk(_app()) if bad(path.rsplit("/", 1)[-1], value)]
    assert hits == [], what


def test_it_deploys_the_base_into_the_bot_namespace() -> None:
    """The source path is deploy/base and the destination its Namespace, in-cluster."""
    spec = _app()["spec"]
    assert spec["source"]["path"] == "deploy/base"
    assert Path(REPO / spec["source"]["path"]) == BASE
    assert (BASE / "kustomization.yaml").is_file()
    assert spec["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": NAMESPACE,
    }
    one(resource_docs(BASE), "Namespace", NAMESPACE)


def test_repo_url_is_an_obvious_placeholder() -> None:
    """repoURL is an example.com placeholder, so nobody deploys from a stranger's repository."""
    assert ".example.com/" in _app()["spec"]["source"]["repoURL"]
