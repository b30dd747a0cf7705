"""What the API server writes into built-in objects when a manifest leaves a field out.

Built-in kinds have no CRD to read defaults from; their defaults live in Go
(``pkg/apis/*/v1/defaults.go``). The well-known ones are transcribed here as schema nodes in the
same shape `bot.core.schema` walks (``properties``/``items``/``default``), so a Deployment's
``progressDeadlineSeconds: 600`` is recognised exactly like an ExternalSecret's
``deletionPolicy: Retain``.

A few defaults depend on a sibling value: ``imagePullPolicy`` follows the image tag, a Service
port's ``targetPort`` copies ``port``, a pod's deprecated ``serviceAccount`` mirrors
``serviceAccountName``, a Namespace's ``kubernetes.io/metadata.name`` label is its name. Those
nodes carry an ``x-drift-computed`` marker instead of a ``default``.

The table errs on the side of leaving things out: a missing entry only costs a benign finding
falling to ``unexplained``, while a wrong one would hide a real change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from bot.core import schema
from bot.core.model import ABSENT, RawObject
from bot.core.paths import Segment, json_equal, resolve
from bot.core.schema import SchemaNode

_COMPUTED: Final = "x-drift-computed"


def _d(value: Any, **properties: SchemaNode) -> SchemaNode:
    """A node with a default (and optionally defaulted children)."""
    node: SchemaNode = {"default": value}
    if properties:
        node["properties"] = properties
    return node


def _obj(**properties: SchemaNode) -> SchemaNode:
    return {"type": "object", "properties": properties}


def _arr(items: SchemaNode) -> SchemaNode:
    return {"type": "array", "items": items}


def _computed(rule: str) -> SchemaNode:
    return {_COMPUTED: rule}


_PROBE: Final = _obj(
    timeoutSeconds=_d(1),
    periodSeconds=_d(10),
    successThreshold=_d(1),
    failureThreshold=_d(3),
    httpGet=_obj(scheme=_d("HTTP")),
)
_CONTAINER: Final = _obj(
    terminationMessagePath=_d("/dev/termination-log"),
    terminationMessagePolicy=_d("File"),
    imagePullPolicy=_computed("image-pull-policy"),
    resources=_d({}),
    ports=_arr(_obj(protocol=_d("TCP"))),
    livenessProbe=_PROBE,
    readinessProbe=_PROBE,
    startupProbe=_PROBE,
    env=_arr(_obj(valueFrom=_obj(fieldRef=_obj(apiVersion=_d("v1"))))),
)
_VOLUME: Final = _obj(
    configMap=_obj(defaultMode=_d(420)),
    secret=_obj(defaultMode=_d(420)),
    projected=_obj(defaultMode=_d(420)),
    downwardAPI=_obj(defaultMode=_d(420)),
    hostPath=_obj(type=_d("")),
)
_POD_SPEC: Final = _obj(
    restartPolicy=_d("Always"),
    dnsPolicy=_d("ClusterFirst"),
    schedulerName=_d("default-scheduler"),
    securityContext=_d({}),
    terminationGracePeriodSeconds=_d(30),
    serviceAccount=_computed("sibling:serviceAccountName"),
    containers=_arr(_CONTAINER),
    initContainers=_arr(_CONTAINER),
    volumes=_arr(_VOLUME),
)
# Pod templates come back with ``creationTimestamp: null`` in their metadata.
_TEMPLATE: Final = _obj(metadata=_obj(creationTimestamp=_d(None)), spec=_POD_SPEC)
_JOB_SPEC: Final = _obj(
    backoffLimit=_d(6),
    completions=_d(1),
    parallelism=_d(1),
    completionMode=_d("NonIndexed"),
    suspend=_d(False),
    podReplacementPolicy=_d("TerminatingOrFailed"),
    template=_TEMPLATE,
)
_WEBHOOK: Final = _obj(
    matchPolicy=_d("Equivalent"),
    timeoutSeconds=_d(10),
    failurePolicy=_d("Fail"),
    namespaceSelector=_d({}),
    objectSelector=_d({}),
    reinvocationPolicy=_d("Never"),
    clientConfig=_obj(service=_obj(port=_d(443))),
    rules=_arr(_obj(scope=_d("*"))),
)

_TABLE: Final[dict[tuple[str, str], SchemaNode]] = {
    ("", "Pod"): _obj(spec=_POD_SPEC),
    ("apps", "Deployment"): _obj(
        spec=_obj(
            replicas=_d(1),
            progressDeadlineSeconds=_d(600),
            revisionHistoryLimit=_d(10),
            strategy=_d(
                {
                    "type": "RollingUpdate",
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                },
                rollingUpdate=_obj(maxSurge=_d("25%"), maxUnavailable=_d("25%")),
            ),
            template=_TEMPLATE,
        )
    ),
    ("apps", "StatefulSet"): _obj(
        spec=_obj(
            replicas=_d(1),
            podManagementPolicy=_d("OrderedReady"),
            revisionHistoryLimit=_d(10),
            updateStrategy=_d(
                {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                rollingUpdate=_obj(partition=_d(0)),
            ),
            persistentVolumeClaimRetentionPolicy=_d(
                {"whenDeleted": "Retain", "whenScaled": "Retain"},
                whenDeleted=_d("Retain"),
                whenScaled=_d("Retain"),
            ),
            template=_TEMPLATE,
            volumeClaimTemplates=_arr(
                _obj(
                    apiVersion=_d("v1"),
                    kind=_d("PersistentVolumeClaim"),
                    metadata=_obj(creationTimestamp=_d(None)),
                    spec=_obj(volumeMode=_d("Filesystem")),
                    status=_d({"phase": "Pending"}),
                )
            ),
        )
    ),
    ("apps", "DaemonSet"): _obj(
        spec=_obj(
            revisionHistoryLimit=_d(10),
            updateStrategy=_d(
                {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
                rollingUpdate=_obj(maxSurge=_d(0), maxUnavailable=_d(1)),
            ),
            template=_TEMPLATE,
        )
    ),
    ("apps", "ReplicaSet"): _obj(spec=_obj(replicas=_d(1), template=_TEMPLATE)),
    ("batch", "Job"): _obj(spec=_JOB_SPEC),
    ("batch", "CronJob"): _obj(
        spec=_obj(
            concurrencyPolicy=_d("Allow"),
            suspend=_d(False),
            successfulJobsHistoryLimit=_d(3),
            failedJobsHistoryLimit=_d(1),
            jobTemplate=_obj(spec=_JOB_SPEC),
        )
    ),
    ("", "Service"): _obj(
        spec=_obj(
            sessionAffinity=_d("None"),
            type=_d("ClusterIP"),
            ipFamilyPolicy=_d("SingleStack"),
            internalTrafficPolicy=_d("Cluster"),
            ports=_arr(_obj(protocol=_d("TCP"), targetPort=_computed("sibling:port"))),
        )
    ),
    ("", "Secret"): _obj(type=_d("Opaque")),
    ("", "PersistentVolumeClaim"): _obj(spec=_obj(volumeMode=_d("Filesystem"))),
    ("", "Namespace"): _obj(
        metadata=_obj(labels=_obj(**{"kubernetes.io/metadata.name": _computed("object-name")})),
        spec=_d({"finalizers": ["kubernetes"]}),
    ),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"): _obj(
        webhooks=_arr(_WEBHOOK)
    ),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"): _obj(webhooks=_arr(_WEBHOOK)),
}


def schema_for(group: str, kind: str) -> SchemaNode | None:
    """The built-in defaults of a kind as a schema node, ``None`` for kinds we do not know."""
    return _TABLE.get((group, kind))


def is_default(
    group: str, kind: str, segments: Sequence[Segment], value: Any, live: RawObject
) -> bool:
    """Whether ``value``, added live at ``segments``, is what the API server defaults there.

    Args:
        group: API group of the object ("" for core).
        kind: Its kind.
        segments: Path of the added value.
        value: The live value at that path.
        live: The whole live object (computed defaults read siblings from it).
    """
    node = schema.node_at(schema_for(group, kind), segments)
    parent = resolve(live, segments[:-1])
    return _matches(node, value, parent, live)


def _matches(node: SchemaNode | None, value: Any, parent: Any, root: RawObject) -> bool:
    if node is None:
        return False
    rule = node.get(_COMPUTED)
    if isinstance(rule, str):
        expected = _compute(rule, parent, root)
        return expected is not ABSENT and json_equal(value, expected)
    if "default" in node and json_equal(value, schema.apply_defaults(node, node["default"])):
        return True
    if isinstance(value, dict) and value:
        return all(_matches(schema.child(node, k), v, value, root) for k, v in value.items())
    return False


def _compute(rule: str, parent: Any, root: RawObject) -> Any:
    if rule == "object-name":
        return (root.get("metadata") or {}).get("name", ABSENT)
    if not isinstance(parent, dict):
        return ABSENT
    if rule == "image-pull-policy":
        image = parent.get("image")
        return image_pull_policy(image) if isinstance(image, str) else ABSENT
    sibling = rule.removeprefix("sibling:")
    return parent.get(sibling, ABSENT)


def image_pull_policy(image: str) -> str:
    """The API server's default: ``Always`` for ``:latest`` or no tag, else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    _name, colon, tag = last.partition(":")
    if not colon or tag == "latest":
        return "Always"
    return "IfNotPresent"
