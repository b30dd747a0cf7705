"""Our redactor against the maintained library it borrows from: nothing detect-secrets finds
survives.

detect-secrets is a test dependency only (`bot.core.secret_shapes` explains why the core does
not import it). Its per-provider regex detectors run over every text of our corpus, plus a
sample per provider family we ported; each value one of them reports must be gone after
`redact`. When the library learns a new provider, the new detector runs here too, and a format
we do not know yet fails this test instead of leaking quietly.
"""

from __future__ import annotations

import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.keyword import KeywordDetector

from bot.core.redact import redact
from tests.core.redaction_corpus import BENIGN, LOG_TAILS, SECRETS

_DETECTORS = sorted(
    (
        cls()
        for cls in get_mapping_from_secret_type_to_class().values()
        # The keyword detector guesses from variable names in source code; our key rules
        # and corpus cover that ground for logs and manifests.
        if issubclass(cls, RegexBasedDetector) and cls is not KeywordDetector
    ),
    key=lambda detector: detector.secret_type,
)

# One made-up sample per provider the library knows and our corpus had no line for.
_PROVIDER_SAMPLES = (
    "discord bot MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB",
    # Alone on a line: no trigger word ("gh", "key"...) and no run long enough for entropy.
    "login NzkyNzE1NDU0MTk2MDg4ODQy.X-hvzA.Ovy4MCQywSkoMRRclStW4xAYK7I",
    "mailchimp key 0123456789abcdef0123456789abcdef-us12 rejected",
    "square sq0csp-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq",
    "telegram 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0",
    "stripe rk_live_0123456789abcdefABCDEFGH",
    "npm //registry.npmjs.org/:_authToken=npm_abcdefghijklmnopqrstuvwxyz0123456789",
    "openai sk-proj-abcdefghijABCDEFGHIJT3BlbkFJabcdefghijABCDEFGHIJ",
    "gitlab glrt-abcdefghijklmnopqrstuv glptt-0123456789abcdefghijklmnopqrstuvwxyzABCD",
    "AccountKey=" + "QUJD" * 21 + "QUI=",
)


def _found(text: str) -> set[str]:
    return {
        value
        for line in text.split("\n")
        for detector in _DETECTORS
        for value in detector.analyze_string(line)
        if value
    }


def _must_be_gone(value: str) -> bool:
    """The library's private-key detector reports the BEGIN marker, which we keep on purpose
    (the body goes); and a 1-3 character value (its basic-auth regex stops at the first "@" of
    ``p@ssw0rd``) would be "found" in any text, so a substring test says nothing about it."""
    return len(value) >= 4 and not value.startswith("BEGIN ")


def test_the_library_detectors_are_loaded() -> None:
    """The comparison is only worth something if the library's detectors are there."""
    assert len(_DETECTORS) >= 15


@pytest.mark.parametrize(
    "text",
    [t for _, t, _ in (*SECRETS, *LOG_TAILS)] + list(_PROVIDER_SAMPLES),
)
def test_nothing_the_library_detects_survives_redaction(text: str) -> None:
    """Every value a provider detector reports in the raw text is gone from the redacted one."""
    out = redact(text)
    assert [value for value in _found(text) if _must_be_gone(value) and value in out] == []


def test_the_samples_are_real_detections() -> None:
    """Each ported-provider sample is flagged by the library (the samples are well formed)."""
    assert [sample for sample in _PROVIDER_SAMPLES if not _found(sample)] == []


def test_the_library_finds_nothing_in_our_benign_lines() -> None:
    """Our benign lines are benign by the library's account too."""
    assert [line for line in BENIGN if _found(line)] == []
