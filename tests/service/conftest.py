"""Fixtures of the digest, escalation and ack tests: the fake Slack and stores on real Redis."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from tests.conftest import free_port
from tests.service.support import FlakySlackApi, StoreFactory


@pytest.fixture
def slack() -> Iterator[FlakySlackApi]:
    """The recording fake Slack Web API, able to fail on demand."""
    fake = FlakySlackApi()
    fake.start()
    try:
        yield fake
    finally:
        fake.close()


@pytest.fixture
def stores(redis_url: str) -> Iterator[StoreFactory]:
    """Builds stores on the test redis-server (one per replica); ``down=True``: unreachable."""
    made: list[RedisStore] = []

    def make(*, down: bool = False) -> RedisStore:
        url = f"redis://127.0.0.1:{free_port()}/0" if down else redis_url
        store = RedisStore.from_url(url, prefix="test", timeout_s=0.5)
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client to look at TTLs and keys, or to play a crashed replica's leftovers."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()
