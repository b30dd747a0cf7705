"""Decoding large JSON bodies fast, only as far as the bot reads them, with the collector paused.

A page of 500 Applications is ~6 MB of JSON and a page of pods ~2.5 MB; decoding one allocates
~70,000 dicts and lists. With the collector running, every young collection during the decode
re-walks the page decoded so far: measured on a realistic 2,000-app fleet, decoding its pods
took 5.0 s with the collector on and 1.1 s with it paused (`bot.collector`). JSON decoding
creates no reference cycles, so pausing it there frees nothing late.

The decoder is msgspec's: the same dicts, lists and scalars as `json.loads`, about twice as
fast. The two biggest lists are decoded through a *view* (a `TypedDict` msgspec fills, skipping
every other key without building it):

* `APPLICATION_LIST`: exactly what `bot.core.parse.parse_application` reads (and the uid the
  reader de-duplicates a restarted list by): name and namespace, project and destination,
  sync status, health, conditions and the identity and status of each ``status.resources``
  entry. An Application's ``status.history`` and ``operationState`` alone are two thirds of
  its JSON (10 of 15 kB in the realistic fleet); ``managedFields``, annotations, the source
  (Helm values, plugin env) and each entry's ``health`` go too. A page of 500: 47 ms
  (`json.loads`) → 9 ms (history and operation state skipped) → 6 ms (only what is parsed).
  `tests/adapters/test_kube_decoding.py` parses real Applications both ways and fails if the
  parser starts reading a field the view drops.
* `POD_LIST` (usage lists): the reference index reads of a pod its name, namespace, uid,
  template-hash label and owners, and of its ``spec`` only what names another object (service
  account, priority class, pull secrets, volume sources, container env sources). Its
  ``status``, ``managedFields``, images, probes, mounts, tolerations, env values... are
  skipped. A page of 500 realistic pods: 4.1 ms (whole ``spec``) → 2.2 ms, and the objects
  built, then freed, are a fraction.

A body that does not fit its view (an item or its ``status`` not an object...) is decoded
whole instead, so malformed input meets the same checks and errors as before.
"""

from __future__ import annotations

from typing import Any, Final, TypedDict

import msgspec

from bot import collector
from bot.core.model import ResourceStatus


class _AppMetadata(TypedDict, total=False):
    name: Any
    namespace: Any
    uid: Any  # the reader skips objects already yielded when an expired list restarts


class _AppSpec(TypedDict, total=False):
    project: Any
    destination: Any


class _SyncStatus(TypedDict, total=False):
    status: Any


class _AppStatus(TypedDict, total=False):
    sync: _SyncStatus
    health: Any
    resources: list[ResourceStatus]  # decoded straight into the model's entries
    conditions: Any


class _Application(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _AppMetadata
    spec: _AppSpec
    status: _AppStatus


class _ApplicationList(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: Any
    items: list[_Application]


# --- pods, as far as the reference index reads them ----------------------------------------
#
# Mirrors what `bot.core.references.pod_references`, `bot.core.usage._pod_owners` and the
# index builder read (tests/adapters/test_kube_pod_view.py fails if they read anything more).
# Typed parts accept ``null`` like the readers do (``x or {}``); anything else that does not fit
# (a volume that is a string...) sends the whole page to whole decoding.


class _Named(TypedDict, total=False):
    name: Any


class _SecretVolume(TypedDict, total=False):
    secretName: Any


class _ClaimVolume(TypedDict, total=False):
    claimName: Any


class _Projection(TypedDict, total=False):
    configMap: _Named | None
    secret: _Named | None


class _Projected(TypedDict, total=False):
    sources: list[_Projection] | None


class _Volume(TypedDict, total=False):
    name: Any
    configMap: _Named | None
    secret: _SecretVolume | None
    persistentVolumeClaim: _ClaimVolume | None
    projected: _Projected | None


class _EnvSource(TypedDict, total=False):
    configMapKeyRef: _Named | None
    secretKeyRef: _Named | None


class _EnvVar(TypedDict, total=False):
    valueFrom: _EnvSource | None


class _EnvFrom(TypedDict, total=False):
    configMapRef: _Named | None
    secretRef: _Named | None


class _Container(TypedDict, total=False):
    name: Any
    env: list[_EnvVar] | None
    envFrom: list[_EnvFrom] | None


class _PodSpec(TypedDict, total=False):
    serviceAccountName: Any
    serviceAccount: Any
    priorityClassName: Any
    imagePullSecrets: list[_Named] | None
    volumes: list[_Volume] | None
    initContainers: list[_Container] | None
    containers: list[_Container] | None
    ephemeralContainers: list[_Container] | None


_PodLabels = TypedDict("_PodLabels", {"pod-template-hash": Any}, total=False)


class _OwnerReference(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    name: Any


class _PodMetadata(TypedDict, total=False):
    name: Any
    namespace: Any
    uid: Any
    labels: _PodLabels | None
    ownerReferences: list[_OwnerReference] | None


class _Pod(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: _PodMetadata
    spec: _PodSpec


class _PodList(TypedDict, total=False):
    apiVersion: Any
    kind: Any
    metadata: Any
    items: list[_Pod]


View = msgspec.json.Decoder[Any]
"""A decoder that keeps only part of a body (see the module docstring)."""

APPLICATION_LIST: Final[View] = msgspec.json.Decoder(_ApplicationList)
POD_LIST: Final[View] = msgspec.json.Decoder(_PodList)
_WHOLE: Final[View] = msgspec.json.Decoder()


def loads(body: bytes | str, view: View | None = None) -> Any:
    """`json.loads` with the cyclic collector paused, through ``view`` if given.

    Raises `ValueError` like `json.loads` (msgspec's `DecodeError` is one).
    """
    with collector.paused():
        if view is not None:
            try:
                return view.decode(body)
            except msgspec.ValidationError:
                pass  # valid JSON of another shape: decoded whole, for the caller's checks
        return _WHOLE.decode(body)
