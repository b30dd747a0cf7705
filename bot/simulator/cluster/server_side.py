"""Argo CD's server-side diff (``compare-options: ServerSideDiff=true``).

gitops-engine ``serverSideDiff``: the API server answers a dry-run apply of git (simulated in
`dry_run`: server-side apply, defaults, then the scenario's mutating webhooks); unless
``IncludeMutationWebhook=true``, fields no field manager owns that the dry-run changed are
reverted to live (``removeWebhookMutation``); ``managedFields`` leave both states.
"""

from __future__ import annotations

import json
from typing import Any

from bot.core.model import RawObject
from bot.simulator.cluster import fieldsets, server_defaults
from bot.simulator.cluster.diff_model import SSA_MANAGER, DiffOptions, DiffResult, normalize
from bot.simulator.cluster.ssa import apply


def dry_run(config: RawObject, live: RawObject, options: DiffOptions) -> RawObject:
    """What the API server answers to a dry-run apply: merged, defaulted, webhook-mutated."""
    merged = apply(config, live)
    namespace = str((live.get("metadata") or {}).get("namespace") or "default")
    result = server_defaults.with_defaults(merged, namespace=namespace)
    metadata = result.setdefault("metadata", {})
    entries = [
        entry
        for entry in metadata.get("managedFields") or []
        if (entry.get("manager"), entry.get("operation")) != (SSA_MANAGER, "Apply")
    ]
    entries.append(
        {
            "manager": SSA_MANAGER,
            "operation": "Apply",
            "apiVersion": config.get("apiVersion", ""),
            "fieldsType": "FieldsV1",
            "fieldsV1": fieldsets.fields_of(_applied_body(config)),
        }
    )
    metadata["managedFields"] = entries
    for pointer, value in options.webhook_writes.items():
        fieldsets.set_pointer(result, pointer, value)  # admission runs after the field manager
    return result


def _applied_body(config: RawObject) -> dict[str, Any]:
    body = {k: v for k, v in config.items() if k not in ("apiVersion", "kind", "status")}
    kept = ("labels", "annotations", "finalizers", "ownerReferences")
    metadata = {k: v for k, v in (config.get("metadata") or {}).items() if k in kept}
    if metadata:
        body["metadata"] = metadata
    else:
        body.pop("metadata", None)
    return body


def server_side_diff(
    config: RawObject, live: RawObject, options: DiffOptions, answer: RawObject | None = None
) -> DiffResult:
    """Server-side diff given the dry-run ``answer`` (simulated with `dry_run` when absent).

    Both objects must already be normalized (`diff` does that); tests pass a real server's
    recorded answer to check the steps after the dry-run against Argo CD's own expectations.
    """
    return run(config, live, options, answer)


def run(
    config: RawObject, live: RawObject, options: DiffOptions, answer: RawObject | None = None
) -> DiffResult:
    predicted = json.loads(json.dumps(answer)) if answer else dry_run(config, live, options)
    live = json.loads(json.dumps(live))
    if not options.include_mutation_webhook:
        predicted = _revert_unowned(predicted, live)
    predicted = normalize(predicted, options)
    for state in (predicted, live):
        state.get("metadata", {}).pop("managedFields", None)
    return DiffResult(live, predicted, not fieldsets.equal(predicted, live))


def _revert_unowned(predicted: RawObject, live: RawObject) -> RawObject:
    """gitops-engine ``removeWebhookMutation``: changes no field manager owns go back to live.

    A field git dropped that ``argocd-controller`` owned in live is a real removal, not a
    webhook's: gitops-engine's test data (``ssd-svc-no-label``) expects it to stay removed.
    """
    owned = fieldsets.all_tree(predicted)
    applied_before = fieldsets.manager_tree(live, SSA_MANAGER, "Apply")
    out: dict[str, Any] = json.loads(json.dumps(predicted))
    for path in list(fieldsets.leaves(predicted)):
        if path[:2] == ("metadata", "managedFields") or fieldsets.owns(owned, predicted, path):
            continue
        before = fieldsets.at(live, path)
        if before is fieldsets.ABSENT:
            fieldsets.remove(out, path)
        elif not fieldsets.equal(before, fieldsets.at(predicted, path)):
            fieldsets.put(out, path, before)
    for path in fieldsets.leaves(live):
        if (
            fieldsets.at(out, path) is fieldsets.ABSENT
            and path[:2] != ("metadata", "managedFields")
            and not fieldsets.owns(owned, live, path)
            and not fieldsets.owns(applied_before, live, path)
        ):
            fieldsets.put(out, path, fieldsets.at(live, path))
    return out
