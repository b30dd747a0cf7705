"""The typed raw shapes: declared keys exist upstream, and giving JSON a shape costs nothing.

`bot.core.raw` declares what we read of Argo CD and Kubernetes JSON; mypy then checks the
readers against it. A key spelled wrong there (``lastTransitionTime`` as ``lastTransitionTs``)
would type-check and silently read nothing, so each declared key is checked against Argo CD's
own API description (its swagger) and against real CRDs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from bot.core import parse, raw, schema
from bot.core.references import crd_served_kind
from tests.core.conftest import REALDATA

_SWAGGER = "argocd-v3.5.1-swagger-applications-subset.json"

# TypedDict -> swagger definition that describes the same JSON object.
_ARGO_SHAPES: list[tuple[type, str]] = [
    (raw.RawManagedResources, "applicationManagedResourcesResponse"),
    (raw.RawManagedResource, "v1alpha1ResourceDiff"),
    (raw.RawAppSpec, "v1alpha1ApplicationSpec"),
    (raw.RawDestination, "v1alpha1ApplicationDestination"),
    (raw.RawAppStatus, "v1alpha1ApplicationStatus"),
    (raw.RawHealthStatus, "v1alpha1AppHealthStatus"),
    (raw.RawResourceStatus, "applicationv1alpha1ResourceStatus"),
    (raw.RawCondition, "v1alpha1ApplicationCondition"),
    (raw.RawObjectMeta, "v1ObjectMeta"),
    (raw.RawOwnerReference, "v1OwnerReference"),
]
# Type metadata: the swagger leaves ``apiVersion``/``kind`` out of every object.
_TYPE_META = {"apiVersion", "kind"}


@pytest.fixture(scope="module")
def definitions() -> dict[str, Any]:
    doc = json.loads((REALDATA / _SWAGGER).read_text())
    found: dict[str, Any] = doc["definitions"]
    return found


@pytest.mark.parametrize(("shape", "definition"), _ARGO_SHAPES, ids=lambda v: str(v))
def test_every_declared_argo_key_is_in_the_swagger(
    shape: type, definition: str, definitions: dict[str, Any]
) -> None:
    upstream = set(definitions[definition]["properties"])
    assert set(shape.__annotations__) - _TYPE_META - upstream == set()


def test_application_keys_are_in_the_swagger(definitions: dict[str, Any]) -> None:
    upstream = set(definitions["v1alpha1Application"]["properties"])
    assert set(raw.RawApplication.__annotations__) - _TYPE_META == upstream - {"operation"}


def test_every_declared_crd_key_is_in_a_real_crd() -> None:
    """Each key of the CRD shapes is used by at least one real CRD (so none is misspelt)."""
    seen: dict[str, set[str]] = {"crd": set(), "spec": set(), "names": set(), "version": set()}
    for path in sorted(REALDATA.glob("*-crd.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            seen["crd"] |= set(doc)
            seen["spec"] |= set(doc["spec"])
            seen["names"] |= set(doc["spec"]["names"])
            for version in doc["spec"]["versions"]:
                seen["version"] |= set(version)
    assert set(raw.RawCRD.__annotations__) - seen["crd"] == set()
    assert set(raw.RawCRDSpec.__annotations__) - seen["spec"] == set()
    assert set(raw.RawCRDNames.__annotations__) - seen["names"] == set()
    assert set(raw.RawCRDVersion.__annotations__) - seen["version"] == set()


def test_giving_json_its_shape_is_the_same_object() -> None:
    """The ``as_*`` helpers only declare: no copy, no check (the readers check)."""
    obj: dict[str, Any] = {"metadata": {"name": "x"}, "items": []}
    assert raw.as_application(obj) is obj
    assert raw.as_managed_resources(obj) is obj
    assert raw.as_pod(obj) is obj
    assert raw.as_crd(obj) is obj


def test_shaped_real_data_reads_as_before() -> None:
    """Real upstream JSON through the adapters' ``as_*`` step still parses and walks."""
    app_doc = yaml.safe_load(
        (REALDATA / "argocd-testdata-application-with-status.yaml").read_text()
    )
    app = parse.parse_application(raw.as_application(app_doc), "argo-cd")
    assert (app.name, app.health_status) == ("velero-test", "Healthy")

    crd = raw.as_crd(
        yaml.safe_load((REALDATA / "argo-rollouts-v1.9.1-rollout-crd.yaml").read_text())
    )
    served = crd_served_kind(crd)
    assert served is not None
    assert (served.group, served.plural) == ("argoproj.io", "rollouts")
    node = schema.version_schema(crd, "argoproj.io/v1alpha1")
    assert node is not None
    assert "spec" in node.get("properties", {})

    body = {"items": [{"kind": "Service", "name": "web", "targetState": "null"}]}
    (item,) = parse.parse_managed_resources(raw.as_managed_resources(body))
    assert (item.key.kind, item.key.name, item.target) == ("Service", "web", None)
