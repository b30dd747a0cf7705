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
