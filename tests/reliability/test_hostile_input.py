"""Hostile input: fuzzed commands and durations, and cluster text written to cause trouble.

The parsers are fuzzed with hypothesis, 10,000 examples each (cheap strategies keep that to a
few seconds): nothing but `InputError` may escape, and whatever parses obeys the grammar's
limits. Cluster text — annotation values, ConfigMap data, a pod's status message and its crash
log, under an Application name at the 253-character limit — goes through the real scan into
every Slack rendering: no mention, link or broken code span may come out, and every message
stays within Slack's limits. The pure classifier is fuzzed with malformed custom resources
and CRD schemas: it must always return one finding per drifting resource.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import classify
from bot.core.digest import build_digest
from bot.core.durations import parse_duration
from bot.core.model import Application, ManagedResource, ResourceKey, ResourceStatus, ScanReport
from bot.delivery.render import answers as render
from bot.delivery.render import digest as digest_render
from bot.delivery.slack import commands
from bot.errors import InputError
from bot.simulator import Fault, Simulator
from tests.fakes.slack_api import limit_problem
from tests.reliability import scenes
from tests.reliability.support import NOW, make_service

FUZZ = settings(
    max_examples=10_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

# --- the slash-command parser -----------------------------------------------------------------

_PREFIXES = st.sampled_from(
    [
        "",
        "app ",
        "logs ",
        "ack ",
        "ack gitea ",
        "ack gitea 4h ",
        "ack gitea/ExternalSecret/gitea-admin 7d ",
        "ACK a 31d ",
        "ack a 99999999999w x",
        "unack ",
        "acks",
        "digest ",
        "help",
        "app " + "a" * 260,
    ]
)
_ALPHABET = "aA0/._-:hdwms <>!@#`*_~&|^\n\t\r ä٣\u200b\u202e\x00日🚀"


@FUZZ
@given(text=st.tuples(_PREFIXES, st.text(alphabet=_ALPHABET, max_size=40)).map("".join))
def test_the_command_parser_raises_nothing_but_input_error(text: str) -> None:
    """Any text parses into a command within the grammar's limits, or raises InputError."""
    try:
        command: commands.Command | InputError = commands.parse(text)
    except InputError as exc:
        command = exc
    match command:
        case InputError():
            assert str(command).splitlines()[-1].startswith("Usage: ")
        case commands.AppCmd(name) | commands.LogsCmd(name):
            assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,252}", name)
        case commands.AckCmd(scope, duration, reason):
            assert timedelta(0) < duration <= commands.MAX_ACK_DURATION
            assert reason.strip()
            assert len(reason) <= commands.MAX_REASON_CHARS
            assert scope.app.isascii()
        case commands.UnackCmd(ack_id):
            assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", ack_id)


# --- the duration parser ----------------------------------------------------------------------

_DURATION_PREFIXES = st.sampled_from(["", "1", "30m", "4h", "1h30m", "7d", "0", "999999", "2w"])


@FUZZ
@given(
    text=st.tuples(
        _DURATION_PREFIXES, st.text(alphabet="0123456789smhdwSMHDWx ٣\t-+.", max_size=16)
    ).map("".join)
)
def test_the_duration_parser_raises_nothing_but_input_error(text: str) -> None:
    """Any text is a positive duration of at most a year, or an InputError."""
    try:
        duration: timedelta | InputError = parse_duration(text)
    except InputError as exc:
        duration = exc
    if isinstance(duration, InputError):
        assert repr(text) in str(duration), "the message quotes what was typed"
    else:
        assert timedelta(0) < duration <= timedelta(days=366)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4h", timedelta(hours=4)),
        (" 1H30m ", timedelta(minutes=90)),
        ("2w", timedelta(weeks=2)),
        ("366d", timedelta(days=366)),
    ],
)
def test_ordinary_durations_still_parse(text: str, expected: timedelta) -> None:
    """The fuzzed parser still reads what people type."""
    assert parse_duration(text) == expected


# --- hostile cluster text into Slack ----------------------------------------------------------

_MARKUP = re.compile(r"<[!@#]|<(?:https?|mailto):")


def _texts(value: Any) -> Iterator[str]:
    """Every ``text`` string of a Block Kit structure."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def _assert_harmless(blocks: list[dict[str, Any]], fallback: str) -> None:
    """No mention or link, balanced code fences and spans, within Slack's limits."""
    assert limit_problem({"blocks": blocks, "text": fallback}) is None
    for text in [*_texts(blocks), fallback]:
        assert not _MARKUP.search(text), text
        assert text.count("```") % 2 == 0, text
        assert text.replace("```", "").count("`") % 2 == 0, text


@pytest.fixture(scope="module")
def hostile_scan(tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """A scan of the hostile cluster; the app's diff body is an HTML page full of markup too."""
    page = "<html><!channel> <@U0123ABCD> ```x``` `y` <https://evil.example|login></html>"
    with Simulator(scenes.hostile()) as sim:
        service = make_service(sim, tmp_path_factory.mktemp("hostile"))
        try:
            clean = service.scan()
            sim.inject(Fault(api="argocd", path_regex="managed-resources$", status=200, body=page))
            broken = service.app_report(scenes.LONG_APP)
        finally:
            service.close()
    assert [e.source for e in broken.errors] == ["argocd"]
    return ScanReport(
        generated_at=clean.generated_at,
        totals=clean.totals,
        findings=clean.findings,
        stuck=clean.stuck,
        errors=broken.errors,
        health=clean.health,
    )


def test_hostile_text_reaches_the_report_verbatim(hostile_scan: ScanReport) -> None:
    """The hostile strings are really there to render (the scan neither drops nor mangles them)."""
    shown = [str(e.live) for f in hostile_scan.findings for e in f.evidence]
    logs = [line for s in hostile_scan.stuck for p in s.pods for line in p.log]
    for text in scenes.HOSTILE:
        assert text in shown
        for part in text.splitlines():  # a log is read line by line
            assert any(part in line for line in logs)
    messages = {p.message for s in hostile_scan.stuck for p in s.pods}
    for text in scenes.POD_MESSAGES:
        assert any(text in message for message in messages)


def test_the_app_answer_cannot_ping_link_or_break_formatting(hostile_scan: ScanReport) -> None:
    """`/drift app` over hostile evidence, pod messages, logs and an HTML error body."""
    (stuck,) = hostile_scan.stuck
    report = _app_report(hostile_scan, stuck)
    message = render.app_report(report)
    _assert_harmless(message.blocks, message.text)
    header = message.blocks[0]["text"]["text"]
    assert header.startswith(scenes.LONG_APP[:100])


def test_the_logs_answer_cannot_ping_link_or_break_formatting(hostile_scan: ScanReport) -> None:
    """`/drift logs` over hostile pod messages and crash logs."""
    (stuck,) = hostile_scan.stuck
    message = render.stuck_app(stuck, NOW)
    _assert_harmless(message.blocks, message.text)
    assert any("&lt;!channel&gt;" in t for t in _texts(message.blocks))


def test_the_digest_cannot_ping_link_or_break_formatting(hostile_scan: ScanReport) -> None:
    """The daily digest over the same scan, errors entry included."""
    blocks, fallback = digest_render.digest_blocks(
        build_digest(hostile_scan, previous=None, acks=None, now=NOW)
    )
    _assert_harmless(blocks, fallback)
    assert any("Could not read" in t for t in _texts(blocks))


def _app_report(scan: ScanReport, stuck: Any) -> Any:
    from bot.core.model import AppReport

    return AppReport(
        generated_at=scan.generated_at,
        app=scenes.LONG_APP,
        sync_status="OutOfSync",
        health_status=stuck.health,
        health_since=stuck.since,
        findings=scan.findings,
        stuck=stuck,
        errors=scan.errors,
    )


# --- the classifier over malformed cluster data -----------------------------------------------

_WORDS = [
    *("properties", "items", "additionalProperties", "default", "x-kubernetes-list-type"),
    *("x-kubernetes-list-map-keys", "x-kubernetes-preserve-unknown-fields", "map", "name"),
    *("spec", "versions", "schema", "openAPIV3Schema", "v1", "status", "conditions", "type"),
    *("phase", "Succeeded", "True", "names", "group", "kind", "plural", "storage", "data"),
]
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(_WORDS), st.text(max_size=4)
)
_KEYS = st.one_of(st.sampled_from(_WORDS), st.text(max_size=4))
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=20,
)
_STRINGS = st.one_of(st.sampled_from(_WORDS), st.text(max_size=6))
_META = st.fixed_dictionaries(
    {"name": st.just("x"), "namespace": st.just("ns")},
    optional={
        "annotations": st.one_of(st.none(), st.dictionaries(_KEYS, _STRINGS, max_size=3)),
        "labels": st.one_of(st.none(), st.dictionaries(_KEYS, _STRINGS, max_size=3)),
    },
)
# Custom resources (and CRDs) are what no API-server schema constrains beyond metadata.
_CUSTOM = [
    ("example.io", "Widget"),
    ("tekton.dev", "PipelineRun"),
    ("argoproj.io", "Workflow"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
]


@st.composite
def _drifting_custom_resource(draw: st.DrawFn) -> tuple[Application, ManagedResource, Any]:
    group, kind = draw(st.sampled_from(_CUSTOM))
    body = {"apiVersion": st.just(f"{group}/v1"), "kind": st.just(kind), "metadata": _META}
    obj = st.fixed_dictionaries(body, optional={"spec": _JSON, "status": _JSON})
    key = ResourceKey(group, kind, "ns", "x")
    status = ResourceStatus.of(
        key,
        "v1",
        draw(st.sampled_from([None, "OutOfSync", "Unknown"])),
        requires_pruning=draw(st.booleans()),
        hook=draw(st.booleans()),
    )
    app = Application("a", "argocd", "argocd", "default", "OutOfSync", "Healthy", None, "ns")
    app = Application(**{**_fields(app), "resources": (status,)})
    managed = ManagedResource(key, draw(st.none() | obj), draw(st.none() | obj))
    crd_schema = st.builds(
        lambda s: {"spec": {"versions": [{"name": "v1", "schema": {"openAPIV3Schema": s}}]}},
        _JSON,
    )
    return app, managed, draw(st.one_of(_JSON, crd_schema))


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param("Workflow", {"phase": ["Succeeded"]}, id="workflow-phase-list"),
        pytest.param("PipelineRun", {"conditions": [{"type": ["x"], "status": {}}]}, id="cond"),
        pytest.param("PipelineRun", {"conditions": "Succeeded"}, id="conditions-string"),
        pytest.param("Workflow", ["Succeeded"], id="status-list"),
    ],
)
def test_a_run_with_a_status_of_the_wrong_shape_is_still_judged(kind: str, status: Any) -> None:
    """Found by the fuzzer: an unhashable or misplaced status value is "not finished", no crash."""
    group = "argoproj.io" if kind == "Workflow" else "tekton.dev"
    key = ResourceKey(group, kind, "ns", "x")
    app = Application(
        "a",
        "argocd",
        "argocd",
        "default",
        "OutOfSync",
        "Healthy",
        None,
        "ns",
        (ResourceStatus.of(key, "v1", None, requires_pruning=True),),
    )
    live = {"apiVersion": f"{group}/v1", "kind": kind, "metadata": {"name": "x"}, "status": status}
    (finding,) = classify.classify_app(app, (ManagedResource(key, None, live),), classify.Facts())
    assert finding.drift_class.value == "zombie"


def _fields(app: Application) -> dict[str, Any]:
    return {name: getattr(app, name) for name in Application.__struct_fields__}


@settings(max_examples=400, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=_drifting_custom_resource())
def test_the_classifier_explains_or_names_any_custom_resource(
    case: tuple[Application, ManagedResource, Any],
) -> None:
    """Malformed CR specs, statuses and CRD schemas: one finding per drifting resource, always."""
    app, managed, crd = case
    needs = classify.plan(app, (managed,))
    facts = classify.Facts(
        crds={k: crd for k in needs.crds} if isinstance(crd, dict) else {},
        owners=classify.index_owners([app]),
        inventory={ref: [] for ref in needs.lookups},
    )
    findings = classify.classify_app(app, (managed,), facts)
    assert len(findings) == len(app.drifting_resources)
    for finding in findings:
        assert finding.to_json()["class"]
        assert finding.fingerprint
