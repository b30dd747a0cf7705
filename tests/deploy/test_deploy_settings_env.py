"""The manifests configure the bot only through real settings, and secrets only from Secrets.

`bot.settings.Settings` is the contract (DESIGN.md §4): a misspelt env var in a manifest is
silently ignored by pydantic-settings, and a secret written as a literal ``value`` lands in
git. Both are caught here, in patches too.
"""

from __future__ import annotations

import typing
from typing import Any
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from bot.settings import Settings
from tests.deploy.deploy_support import (
    BASE,
    BOT_IMAGE,
    DEPLOY,
    SPLIT,
    Doc,
    containers,
    docs,
    env_of,
    is_bot,
    kubernetes_yaml_files,
    load,
    one,
    resource_docs,
    secret_ref,
)

SETTINGS_VARS = {name.upper() for name in Settings.model_fields}
SECRET_VARS = {
    name.upper()
    for name, field in Settings.model_fields.items()
    if field.annotation is SecretStr or SecretStr in typing.get_args(field.annotation)
}
EXAMPLE = BASE / "secret.example.yaml"


def _all_containers() -> list[tuple[Doc, dict[str, Any]]]:
    """Containers in every workload document under deploy/, patches included."""
    found: list[tuple[Doc, dict[str, Any]]] = []
    for path in kubernetes_yaml_files():
        for doc in docs(path):
            if doc.kind in {"Deployment", "StatefulSet"}:
                found.extend((doc, c) for c in containers(doc))
    return found


CONTAINERS = _all_containers()
BOT_CONTAINERS = [(doc, c) for doc, c in CONTAINERS if is_bot(c)]
BOT_ENV = [(doc, entry) for doc, c in BOT_CONTAINERS for entry in c.get("env", [])]
BOT_ENV_IDS = [f"{doc.label}/{entry['name']}" for doc, entry in BOT_ENV]
SECRET_ENV = [(doc, entry) for doc, entry in BOT_ENV if entry["name"] in SECRET_VARS]
SECRET_ENV_IDS = [f"{doc.label}/{entry['name']}" for doc, entry in SECRET_ENV]


def _secret_refs() -> list[dict[str, Any]]:
    """Every secretKeyRef in any container env under deploy/."""
    return [
        ref
        for _, c in CONTAINERS
        for entry in c.get("env", [])
        if (ref := secret_ref(entry)) is not None
    ]


def _example() -> dict[str, str]:
    (secret,) = load(EXAMPLE)
    data: dict[str, str] = secret["stringData"]
    return data


def test_settings_model_has_secret_fields() -> None:
    """The settings model marks the tokens as SecretStr (the set this file checks against)."""
    assert {"ARGOCD_AUTH_TOKEN", "SLACK_BOT_TOKEN", "REDIS_URL", "DRIFT_API_TOKEN"} <= SECRET_VARS


def test_every_bot_image_container_is_recognised_as_the_bot() -> None:
    """Every container running the drift-bot image is named drift-bot (how patches find it)."""
    for doc, container in CONTAINERS:
        if container.get("image", "").startswith(BOT_IMAGE):
            assert is_bot(container), doc.label
    assert BOT_CONTAINERS


@pytest.mark.parametrize(("doc", "entry"), BOT_ENV, ids=BOT_ENV_IDS)
def test_bot_env_names_are_settings(doc: Doc, entry: dict[str, Any]) -> None:
    """Each env var given to the bot is an upper-cased field of the Settings model."""
    assert entry["name"] in SETTINGS_VARS


@pytest.mark.parametrize(("doc", "entry"), BOT_ENV, ids=BOT_ENV_IDS)
def test_bot_env_entries_are_well_formed(doc: Doc, entry: dict[str, Any]) -> None:
    """Each env entry is a string value, a secretKeyRef, or a patch deleting the entry."""
    keys = set(entry) - {"name"}
    assert keys in ({"value"}, {"valueFrom"}, {"$patch"})
    if "value" in entry:
        assert isinstance(entry["value"], str)
    if "$patch" in entry:
        assert entry["$patch"] == "delete"


@pytest.mark.parametrize(("doc", "entry"), SECRET_ENV, ids=SECRET_ENV_IDS)
def test_secret_settings_come_from_secrets(doc: Doc, entry: dict[str, Any]) -> None:
    """A secret setting is never a literal value: it is a secretKeyRef (or a deletion)."""
    assert "value" not in entry
    if "$patch" not in entry:
        ref = secret_ref(entry)
        assert ref is not None
        assert (ref["name"], ref["key"]) == ("drift-bot", entry["name"])


@pytest.mark.parametrize(
    ("directory", "name"),
    [
        pytest.param(BASE, "drift-bot", id="base"),
        pytest.param(SPLIT, "drift-bot-slack", id="split-slack"),
    ],
)
def test_plain_settings_are_valid(directory: Any, name: str) -> None:
    """The plain env values of a bot Deployment load into Settings without error."""
    (container,) = containers(one(resource_docs(directory), "Deployment", name))
    plain = {n: e["value"] for n, e in env_of(container).items() if "value" in e}
    settings = Settings(**{n.lower(): v for n, v in plain.items()})
    assert settings.drift_port == int(plain["DRIFT_PORT"])


def test_base_bot_gets_every_secret_setting() -> None:
    """The all-in-one bot receives every SecretStr setting from the Secret drift-bot."""
    (container,) = containers(one(resource_docs(BASE), "Deployment", "drift-bot"))
    wired = {n for n, e in env_of(container).items() if secret_ref(e) is not None}
    assert wired == SECRET_VARS


def test_only_socket_mode_token_is_optional() -> None:
    """Of the Secret's keys only SLACK_APP_TOKEN is optional (absent means HTTP mode)."""
    optional = {ref["key"] for ref in _secret_refs() if ref.get("optional")}
    assert optional == {"SLACK_APP_TOKEN"}


def test_example_secret_holds_every_required_key_and_no_other() -> None:
    """secret.example.yaml has a key for each required secretKeyRef, and no unused key."""
    required = {ref["key"] for ref in _secret_refs() if not ref.get("optional")}
    assert {ref["name"] for ref in _secret_refs()} == {"drift-bot"}
    assert set(_example()) == required


def test_example_secret_holds_only_placeholders() -> None:
    """Every value in secret.example.yaml is an obvious placeholder, never a real credential."""
    for key, value in _example().items():
        assert "REPLACE-WITH-" in value, key


def test_example_redis_url_matches_the_redis_service() -> None:
    """The example REDIS_URL carries REDIS_PASSWORD and points at the Redis Service and port."""
    example = _example()
    url = urlsplit(example["REDIS_URL"])
    service = one(resource_docs(BASE), "Service", "drift-bot-redis")
    assert url.scheme == "redis"
    assert url.password == example["REDIS_PASSWORD"]
    assert url.hostname == f"{service.name}.{service.namespace}.svc"
    assert url.port == service.body["spec"]["ports"][0]["port"]


def test_split_slack_asks_the_classifier_service() -> None:
    """The split Slack app's DRIFT_CLASSIFIER_URL is the classifier Service's in-cluster URL."""
    (container,) = containers(one(resource_docs(SPLIT), "Deployment", "drift-bot-slack"))
    service = one(resource_docs(BASE), "Service", "drift-bot")
    (port,) = service.body["spec"]["ports"]
    expected = f"http://{service.name}.{service.namespace}.svc:{port['port']}"
    assert env_of(container)["DRIFT_CLASSIFIER_URL"]["value"] == expected
    assert container["args"] == ["serve", "--role", "slack"]


def test_split_slack_never_gets_the_argocd_token() -> None:
    """The split Slack app has no Argo CD token: only the classifier talks to Argo CD."""
    (container,) = containers(one(resource_docs(SPLIT), "Deployment", "drift-bot-slack"))
    assert not {"ARGOCD_AUTH_TOKEN", "ARGOCD_SERVER"} & set(env_of(container))


def test_split_classifier_drops_the_slack_credentials() -> None:
    """The classifier patch runs `serve --role classifier` and deletes every Slack secret."""
    (patch,) = docs(SPLIT / "classifier-patch.yaml")
    (container,) = containers(patch)
    assert container["args"] == ["serve", "--role", "classifier"]
    deleted = {n for n, e in env_of(container).items() if e.get("$patch") == "delete"}
    assert {v for v in SECRET_VARS if v.startswith("SLACK_")} <= deleted


def test_deploy_dir_is_where_the_tests_look() -> None:
    """The deploy directory exists with its base and overlay (guards against a moved tree)."""
    assert (DEPLOY / "base" / "kustomization.yaml").is_file()
    assert (SPLIT / "kustomization.yaml").is_file()
