"""Fixtures of the classification-API tests (helpers live in `tests.delivery.api.api_fakes`)."""

from __future__ import annotations

import pytest

from tests.delivery.api.api_fakes import FakeClassifier


@pytest.fixture
def fake() -> FakeClassifier:
    """A fresh fake classifier answering from the model samples."""
    return FakeClassifier()
