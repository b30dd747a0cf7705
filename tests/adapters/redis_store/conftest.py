"""Fixtures for the Redis store tests: stores over the session's real redis-server.

Each test gets a flushed database (the ``redis_url`` fixture) and stores built the way the
bot builds them (`RedisStore.from_url`), closed afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from bot.adapters.redis_store import RedisStore
from tests.adapters.redis_store.store_support import StoreFactory


@pytest.fixture
def new_store(redis_url: str) -> Iterator[StoreFactory]:
    """Builds independent stores on the test database: one per "replica" or "restart"."""
    made: list[RedisStore] = []

    def make() -> RedisStore:
        store = RedisStore.from_url(redis_url, prefix="test")
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


@pytest.fixture
def store(new_store: StoreFactory) -> RedisStore:
    return new_store()


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    """A plain client on the test database, to look at (or tamper with) what the store wrote."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def refuse_writes(raw: redis.Redis) -> Iterator[Callable[[], None]]:
    """Call it to make the server refuse every write until the test ends, while reads still
    work (``min-replicas-to-write`` without replicas): a failure inside a transaction."""

    def refuse() -> None:
        raw.config_set("min-replicas-to-write", 1)

    yield refuse
    raw.config_set("min-replicas-to-write", 0)
