"""Reading the live ownership metadata against the apps that list an object (classes C and E).

Both ownership rules compare the same three things: the metadata Argo CD would stamp for this
app, what the live object carries, and which apps claim the object (their ``status.resources``
listings and this app's ``SharedResourceWarning`` conditions). What counts as the live claim
follows the tracking method (`bot.core.tracking.TrackingConfig`): the tracking-id annotation,
or under label tracking the instance label. A chart's ``app.kubernetes.io/instance`` label is
never read as a claim under annotation tracking: it is usually the Helm release name.

The evidence they show is that metadata itself, since Argo CD's diff as the bot reads it keeps
it apart (see `bot.core.argo_diff.TrackingChange`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from bot.core import fixes, tracking
from bot.core.model import TRACKING_ID_ANNOTATION, DiffOp, Evidence, Fix, FixKind, ResourceKey
from bot.core.paths import pointer
from bot.core.raw import TrackingName
from bot.core.redact import redact_value
from bot.core.rules.context import Context


@dataclass(frozen=True, slots=True)
class Claim:
    """What the live object says about its owner."""

    expected: str
    """The id (or label value) this app would stamp."""
    raw: str | None
    """The live annotation (or label), if any."""
    parsed: tracking.TrackingId | None
    path: str
    """The JSON pointer of that metadata."""

    @property
    def app(self) -> TrackingName | None:
        """The app the live metadata names (``None`` without a readable claim)."""
        return self.parsed.app if self.parsed else None

    def evidence(self) -> Evidence:
        """The claim as evidence: git = what Argo CD expects, live = what is there."""
        git = redact_value(self.expected, path=self.path)
        if self.raw is None:
            return Evidence(self.path, DiffOp.REMOVED, git=git)
        live = redact_value(self.raw, path=self.path)
        return Evidence(self.path, DiffOp.CHANGED, git=git, live=live)


def claim(ctx: Context) -> Claim:
    key = ctx.key
    if ctx.tracking.by_label:
        label = tracking.live_label(ctx.live, ctx.tracking.label_key)
        parsed = (
            tracking.TrackingId(TrackingName(label), key.group, key.kind, key.namespace, key.name)
            if label
            else None
        )
        path = pointer(("metadata", "labels", ctx.tracking.label_key))
        return Claim(ctx.app.tracking_name, label, parsed, path)
    raw = tracking.live_id(ctx.live)
    return Claim(
        expected=tracking.format_id(ctx.app, key),
        raw=raw,
        parsed=tracking.parse_id(raw) if raw else None,
        path=pointer(("metadata", "annotations", TRACKING_ID_ANNOTATION)),
    )


def claimants(ctx: Context) -> tuple[TrackingName, ...]:
    """Every app that claims the object: status listings, shared-resource warnings, this app."""
    return tuple(dict.fromkeys((*ctx.owners, *ctx.shared_with, ctx.app.tracking_name)))


def adopt(ctx: Context, seen: Claim) -> Fix:
    """The command that makes Argo CD adopt the object under the active tracking method."""
    if not ctx.tracking.by_label:
        return fixes.annotate(seen.expected, ctx.key)
    return relabel(ctx.tracking.label_key, seen.expected, ctx.key)


def relabel(label_key: str, app: str, key: ResourceKey) -> Fix:
    ns = f" -n {shlex.quote(key.namespace)}" if key.namespace else ""
    pair = shlex.quote(f"{label_key}={app}")
    return Fix(
        FixKind.ANNOTATE,
        "# Adopt it: label tracking reads the instance label.\n"
        f"kubectl label{ns} {fixes.kubectl_type(key)} {shlex.quote(key.name)} {pair} --overwrite",
    )
