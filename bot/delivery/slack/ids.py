"""Every Block Kit identifier drift-bot sends or listens for, and what button values carry (pure).

Slack routes a click by ``action_id`` and a modal submission by the view's ``callback_id``; the
renderers that draw buttons and the Bolt listeners that answer them both import these names,
so a renamed id cannot leave a button without a handler. DESIGN.md §5 makes one of them a
contract: an ``action_id`` starting with ``drift_ack`` acknowledges what the button sits on.

Button values and a modal's ``private_metadata`` come back to us verbatim, so they carry what
the handler needs (which app and resource, the fingerprint the message showed, where the
message is) as compact JSON. Slack caps a button value at 2000 characters and
``private_metadata`` at 3000; `encode` refuses anything longer, and the renderer then leaves
the button out (the typed ``/drift ack`` still works) rather than sending a message Slack
rejects. Values are not secret and not trusted: every handler re-reads the current drift and
re-checks who may ack; a value only says what the person was looking at.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Final

from bot.core.model import AckScope
from bot.errors import InputError

# --- action_ids (unique within their actions block; Slack matches listeners on them) --------
ACK: Final = "drift_ack"
"""Ack… on one finding: opens the ack modal for that resource."""
ACK_APP: Final = "drift_ack_app"
"""Ack… on a stuck app (or a whole app): the modal acks the app, covering the incident."""
ACK_PREFIX: Final = "drift_ack"
"""The contract: every action_id starting with this opens the ack modal."""
UNACK: Final = "drift_unack"
SHOW_DIFF: Final = "drift_show_diff"
LOGS: Final = "drift_logs"
OPEN_ARGOCD: Final = "drift_open_argocd"
"""A URL button: Slack opens the link itself but still sends a click, which we just ack."""

# --- views ---------------------------------------------------------------------------------
ACK_MODAL: Final = "drift_ack_modal"
"""callback_id of the ack modal; its submission stores the ack."""
HOME: Final = "drift_home"
"""callback_id of the App Home view (the home tab's buttons are the same actions)."""
REASON_BLOCK: Final = "drift_ack_reason"
REASON_INPUT: Final = "reason"
DURATION_BLOCK: Final = "drift_ack_duration"
DURATION_INPUT: Final = "duration"
DURATIONS: Final = ("4h", "1d", "7d", "30d")
DEFAULT_DURATION: Final = "7d"

# --- block_ids -----------------------------------------------------------------------------
ACTIONS_BLOCK: Final = "drift_actions"
"""Prefix of every actions block: ``drift_actions:{surface}:{n}``. The surface says which
message to redraw after an ack; the counter keeps block_ids unique within a message."""
SURFACE_APP: Final = "app"
SURFACE_LOGS: Final = "logs"
SURFACE_DIGEST: Final = "digest"
SURFACE_ESCALATION: Final = "escalation"
SURFACE_HOME: Final = "home"
SURFACES: Final = (SURFACE_APP, SURFACE_LOGS, SURFACE_DIGEST, SURFACE_ESCALATION, SURFACE_HOME)


def actions_block(surface: str, serial: int) -> str:
    """The block_id of one actions block."""
    return f"{ACTIONS_BLOCK}:{surface}:{serial}"


def surface_of(block_id: object) -> str:
    """Which surface an actions block's id names ("" for ids we did not write)."""
    parts = str(block_id).split(":")
    if len(parts) == 3 and parts[0] == ACTIONS_BLOCK and parts[1] in SURFACES:
        return parts[1]
    return ""


MAX_VALUE_CHARS: Final = 2000
MAX_METADATA_CHARS: Final = 3000


@dataclass(frozen=True, slots=True)
class Target:
    """What a button acts on: an app, or one resource of it, and the drift the message showed.

    ``app`` is the tracking name (``ns_name`` for apps outside the control plane), exactly as
    ``/drift ack`` takes it. ``fingerprint`` is the finding's (or the stuck incident's) at
    render time; an empty ``kind`` means the whole app.
    """

    app: str
    kind: str = ""
    name: str = ""
    group: str = ""
    namespace: str = ""
    drift_class: str = ""
    fingerprint: str = ""

    @property
    def scope(self) -> AckScope:
        """What `/drift ack` would be given for this target."""
        return AckScope(app=self.app, kind=self.kind, name=self.name)

    def encode(self) -> str | None:
        """Compact JSON for a button value; None when it would break Slack's 2000 characters."""
        fields = {k: v for k, v in asdict(self).items() if v}
        text = json.dumps(fields, separators=(",", ":"), sort_keys=True)
        return text if len(text) <= MAX_VALUE_CHARS else None

    @classmethod
    def decode(cls, value: object) -> Target:
        """The target a button value names; `InputError` for anything we did not write."""
        data = _object(value, "button value")
        fields = {}
        for name in ("app", "kind", "name", "group", "namespace", "drift_class", "fingerprint"):
            item = data.get(name, "")
            if not isinstance(item, str):
                msg = f"button value field {name!r} is not a string"
                raise InputError(msg)
            fields[name] = item
        if not fields["app"]:
            msg = "button value names no app"
            raise InputError(msg)
        return cls(**fields)


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a click came from, so the modal's submission can edit that message in place.

    A channel message has ``channel`` + ``ts`` (chat.update); an ephemeral answer cannot be
    edited through the Web API, only through its ``response_url`` (valid 30 minutes).
    """

    surface: str = ""
    channel: str = ""
    ts: str = ""
    response_url: str = ""
    thread_ts: str = ""


def metadata(target: Target, origin: Origin) -> str:
    """The ack modal's ``private_metadata``: what to ack and which message to update."""
    payload = {"target": asdict(target), "origin": asdict(origin)}
    text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    if len(text) > MAX_METADATA_CHARS:
        # The origin is the optional half: without it the ack is stored, the source message
        # just is not edited.
        payload["origin"] = asdict(Origin())
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True)
    return text


def parse_metadata(text: object) -> tuple[Target, Origin]:
    """The inverse of `metadata`; `InputError` for metadata we did not write."""
    if not isinstance(text, str):
        msg = "modal metadata is missing"
        raise InputError(msg)
    try:
        data = json.loads(text)
    except ValueError as exc:
        msg = "modal metadata is not JSON"
        raise InputError(msg) from exc
    data = _object(data, "modal metadata")
    origin = _object(data.get("origin", {}), "modal origin")
    return Target.decode(json.dumps(data.get("target"))), Origin(
        **{
            k: str(origin.get(k, ""))
            for k in ("surface", "channel", "ts", "response_url", "thread_ts")
        }
    )


def _object(value: object, what: str) -> dict[str, object]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            msg = f"{what} is not JSON"
            raise InputError(msg) from exc
    if not isinstance(value, dict):
        msg = f"{what} is not a JSON object"
        raise InputError(msg)
    return value
