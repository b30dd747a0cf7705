"""Redis unreachable or misconfigured: one clear StoreError naming REDIS_URL, never a secret."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import redis

from bot.adapters.redis_store import RedisStore, redact_url
from bot.core.digest import snapshot_of
from bot.core.model import ScanReport, Totals
from bot.errors import ConfigError, StoreError
from tests.adapters.redis_store.store_support import T0, make_ack
from tests.conftest import free_port

SECRET = "hunter2-s3cret"

OPERATIONS: dict[str, Callable[[RedisStore], Any]] = {
    "ping": lambda s: s.ping(),
    "add_ack": lambda s: s.add_ack(make_ack()),
    "remove_ack": lambda s: s.remove_ack("a1", by="U1", now=T0),
    "active_acks": lambda s: s.active_acks(T0),
    "audit": lambda s: s.audit(),
    "load_snapshot": lambda s: s.load_snapshot(),
    "save_snapshot": lambda s: s.save_snapshot(
        snapshot_of(ScanReport(generated_at=T0, totals=Totals(0, 0, 0, 0)))
    ),
    "try_lock": lambda s: s.try_lock("digest", ttl=timedelta(seconds=1), owner="r1"),
    "release_lock": lambda s: s.release_lock("digest", owner="r1"),
    "mark_once": lambda s: s.mark_once("k", ttl=timedelta(seconds=1)),
    "clear_mark": lambda s: s.clear_mark("k"),
    "incident": lambda s: s.incident("web"),
    "save_incident": lambda s: s.save_incident("web", {"ts": "1"}),
    "close_incident": lambda s: s.close_incident("web"),
    "open_incidents": lambda s: s.open_incidents(),
    "user_group_members": lambda s: s.user_group_members("S1"),
    "cache_user_group_members": lambda s: s.cache_user_group_members(
        "S1", ["U1"], ttl=timedelta(seconds=1)
    ),
}


@pytest.fixture(scope="module")
def down_url() -> str:
    """A Redis URL with a password, pointing at a port nobody listens on."""
    return f"redis://default:{SECRET}@127.0.0.1:{free_port()}/0"


@pytest.mark.parametrize("operation", list(OPERATIONS), ids=list(OPERATIONS))
def test_every_operation_against_a_down_redis_raises_store_error_naming_redis_url(
    down_url: str, operation: str
) -> None:
    """Redis down: each call raises StoreError naming REDIS_URL, redacted, cause chained."""
    store = RedisStore.from_url(down_url, timeout_s=0.5)
    with pytest.raises(StoreError) as err:
        OPERATIONS[operation](store)
    message = str(err.value)
    assert "REDIS_URL" in message
    assert "redis://default:***@127.0.0.1" in message
    assert SECRET not in message
    assert isinstance(err.value.__cause__, redis.ConnectionError)


def test_a_store_built_from_a_client_never_shows_its_password() -> None:
    """A store over a ready-made client names host and port only, and scrubs the password."""
    client = redis.Redis(
        host="127.0.0.1",
        port=free_port(),
        password=SECRET,
        socket_connect_timeout=0.5,
        retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0),
    )
    with pytest.raises(StoreError) as err:
        RedisStore(client).ping()
    assert str(err.value).startswith("Redis at redis://127.0.0.1:")
    assert SECRET not in str(err.value)


def test_a_password_echoed_by_the_client_library_is_scrubbed(
    down_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if an error text contained the password, the StoreError would not."""
    store = RedisStore.from_url(down_url)

    def leaky(*_: object, **__: object) -> None:
        raise redis.ResponseError(f"WRONGPASS {SECRET} is not right")

    monkeypatch.setattr(store._client, "ping", leaky)
    with pytest.raises(StoreError) as err:
        store.ping()
    assert "WRONGPASS *** is not right" in str(err.value)


def test_a_url_with_an_unknown_scheme_is_a_config_error_naming_redis_url() -> None:
    """``http://`` is rejected up front with the accepted forms, password redacted."""
    with pytest.raises(ConfigError, match="REDIS_URL") as err:
        RedisStore.from_url(f"http://user:{SECRET}@redis:6379/0")
    assert SECRET not in str(err.value)
    assert "redis://HOST:PORT/DB" in str(err.value)


@pytest.mark.parametrize(
    ("url", "redacted"),
    [
        pytest.param("redis://redis:6379/0", "redis://redis:6379/0", id="no-credentials"),
        pytest.param(
            f"redis://user:{SECRET}@redis:6379/0",
            "redis://user:***@redis:6379/0",
            id="user-and-password",
        ),
        pytest.param(
            f"redis://:{SECRET}@redis:6379", "redis://:***@redis:6379", id="password-only"
        ),
        pytest.param(f"rediss://{SECRET}@redis", "rediss://***@redis", id="userinfo-no-colon"),
        pytest.param(
            f"unix:///run/redis.sock?db=1&password={SECRET}",
            "unix:///run/redis.sock?db=1&password=***",
            id="query-password",
        ),
        pytest.param(
            f"redis://redis?password={SECRET}&db=2",
            "redis://redis?password=***&db=2",
            id="query-password-first",
        ),
    ],
)
def test_redact_url_hides_every_password_form(url: str, redacted: str) -> None:
    """Passwords in userinfo or in the query string are replaced by ``***``."""
    assert redact_url(url) == redacted


def test_a_unix_socket_store_names_the_socket_path() -> None:
    """Errors from a unix-socket client name the socket, so the operator knows where to look."""
    client = redis.Redis(
        unix_socket_path="/nonexistent/redis.sock",
        retry=redis.retry.Retry(redis.backoff.NoBackoff(), 0),
    )
    with pytest.raises(StoreError, match=r"Redis at unix:///nonexistent/redis.sock \(REDIS_URL\)"):
        RedisStore(client).ping()
