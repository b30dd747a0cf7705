"""The Slack app manifest is valid YAML that registers the ``/drift`` command.

deploy/slack-app.yaml is owned by the Slack side; this only checks what the deployment
relies on: it parses, and the slash command users type exists (DESIGN.md §5).
"""

from __future__ import annotations

from typing import Any

from tests.deploy.deploy_support import SLACK_APP, load, walk


def _manifest() -> dict[str, Any]:
    (manifest,) = load(SLACK_APP)
    assert isinstance(manifest, dict)
    return manifest


def test_slack_app_manifest_is_one_yaml_mapping() -> None:
    """deploy/slack-app.yaml parses as a single YAML mapping."""
    assert _manifest()


def test_slack_app_manifest_registers_drift() -> None:
    """The manifest declares the /drift slash command."""
    commands = [
        value["command"]
        for _, value in walk(_manifest())
        if isinstance(value, dict) and "command" in value
    ]
    assert "/drift" in commands


def test_slack_app_manifest_enables_buttons_and_app_home_on_the_events_url() -> None:
    """Interactivity and app_home_opened reach the bot where /drift does (DESIGN.md §5)."""
    manifest = _manifest()
    (command,) = manifest["features"]["slash_commands"]
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"] == command["url"]
    assert settings["event_subscriptions"]["request_url"] == command["url"]
    assert "app_home_opened" in settings["event_subscriptions"]["bot_events"]
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "chat:write" in manifest["oauth_config"]["scopes"]["bot"]
