"""The Redis connection every part of the store shares: the client, key prefix,
WATCH/MULTI transactions, and errors translated into `StoreError` naming ``REDIS_URL``.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Final, Self, TypeVar
from urllib.parse import unquote

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.client import Pipeline
from redis.retry import Retry

from bot.errors import ConfigError, StoreError, truncate_body

log = logging.getLogger(__package__)

T = TypeVar("T")
Write = Callable[[Pipeline], None]
Plan = tuple[T, Write | None]
"""What a transaction body returns: its result and the writes to queue (``None``: nothing)."""

TIMEOUT_S: Final = 0.5
"""One Redis command's socket (and connect) timeout. Redis answers in well under a millisecond;
a command that takes half a second is a hung server, and a `/drift ack` against a hung Redis
must fail within 2 s with a clear message, not after 12 (three 2 s attempts, twice)."""
HUNG_COOLDOWN_S: Final = 2.0
"""After a timeout, every command fails at once for this long instead of waiting again: one
slash command touches Redis several times (replay check, acks applied, the ack itself)."""

TX_ATTEMPTS: Final = 10
"""Retries when another replica changes a watched key between our read and our write."""

_USERINFO: Final = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*://)([^@/?#]*)@")
_QUERY_PASSWORD: Final = re.compile(r"(?i)([?&]password=)([^&#]*)")

_RELEASE_LOCK: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""
# Compare-and-delete must be one server-side step: a GET then DEL from here could delete a
# lock that expired in between and now belongs to another replica.


class RedisConnection:
    """The client under one key prefix; the parts of `RedisStore` build on it."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "driftbot", location: str | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        kwargs = client.connection_pool.connection_kwargs
        self._location = location or describe_location(kwargs)
        password = kwargs.get("password")
        self._secrets = tuple(s for s in (password,) if isinstance(s, str) and s)
        self._release = client.register_script(_RELEASE_LOCK)
        self._hung: tuple[float, str] | None = None
        """When the last timeout happened, and its message (see `HUNG_COOLDOWN_S`)."""

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = TIMEOUT_S, prefix: str = "driftbot") -> Self:
        """A store over ``REDIS_URL`` with socket timeouts, few fast retries, health checks.

        Dropped connections are retried twice (a reconnect takes milliseconds); timeouts are
        not: a server that did not answer in ``timeout_s`` will not answer the retry either.

        Nothing connects yet; the first command does (and raises `StoreError` if it cannot).

        Raises:
            ConfigError: the URL is not a ``redis://``, ``rediss://`` or ``unix://`` URL.
        """
        try:
            client = redis.Redis.from_url(
                url,
                socket_timeout=timeout_s,
                socket_connect_timeout=timeout_s,
                health_check_interval=30,
                decode_responses=True,
                # A slash command must answer in 3 s: fail over to "Redis is down" quickly.
                retry=Retry(
                    ExponentialWithJitterBackoff(base=0.05, cap=0.5),
                    retries=2,
                    supported_errors=(redis.ConnectionError,),
                ),
            )
        except ValueError as exc:
            msg = (
                f"REDIS_URL {redact_url(url)!r} is not usable: {exc}; use redis://HOST:PORT/DB, "
                "rediss://… or unix:///path.sock"
            )
            raise ConfigError(msg) from exc
        store = cls(client, prefix=prefix, location=redact_url(url))
        store._secrets += url_secrets(url)
        return store

    def close(self) -> None:
        """Close the client's connections (the store is unusable afterwards)."""
        self._client.close()

    def ping(self) -> None:
        """Raise `StoreError` unless Redis answers (readiness probe)."""
        with self._errors("answer PING"):
            self._client.ping()

    # --- plumbing -------------------------------------------------------------------------

    def _key(self, name: str) -> str:
        return f"{self._prefix}:{name}"

    def _transact(
        self, action: str, watched: Mapping[str, str], body: Callable[[Pipeline], Plan[T]]
    ) -> T:
        """Run ``body`` between WATCH and MULTI/EXEC, retrying when a watched key changes.

        ``watched`` maps each key to the Redis type it must have (or be absent): a wrong
        type fails here, before anything is queued, instead of half-way through EXEC.
        """
        with self._errors(action):
            for attempt in range(TX_ATTEMPTS):
                with self._client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch(*watched)  # type: ignore[no-untyped-call]  # untyped upstream
                        self._check_types(pipe, watched)
                        result, write = body(pipe)
                        if write is not None:
                            pipe.multi()
                            write(pipe)
                            pipe.execute()
                        return result
                    except redis.WatchError:
                        log.debug("%s: a watched key changed, retrying", action)
                # Jittered backoff: two replicas retrying in lockstep would collide again.
                time.sleep(random.uniform(0, min(0.05, 0.001 * 2**attempt)))  # noqa: S311
        msg = (
            f"Redis at {self._location} (REDIS_URL): gave up trying to {action} after "
            f"{TX_ATTEMPTS} conflicting concurrent writes; try again"
        )
        raise StoreError(msg)

    def _check_types(self, pipe: Pipeline, watched: Mapping[str, str]) -> None:
        for key, expected in watched.items():
            actual = text(pipe.type(key))
            if actual not in ("none", expected):
                msg = (
                    f"Redis at {self._location} (REDIS_URL): key {key!r} holds a {actual}, "
                    f"expected a {expected}; does something else use the prefix "
                    f"{self._prefix!r}? Nothing was written."
                )
                raise StoreError(msg)

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn any redis-py error into a `StoreError` that names REDIS_URL, never a secret."""
        hung = self._hung
        if hung is not None and time.monotonic() - hung[0] < HUNG_COOLDOWN_S:
            ago = time.monotonic() - hung[0]
            msg = (
                f"Redis at {self._location} (REDIS_URL) cannot {action}: it did not answer "
                f"{ago:.1f} s ago ({hung[1]}), and is not asked again for {HUNG_COOLDOWN_S:.0f} s"
            )
            raise StoreError(msg)
        try:
            yield
        except redis.RedisError as exc:
            detail = truncate_body(str(exc)) or "no detail"
            for secret in self._secrets:
                detail = detail.replace(secret, "***")
            msg = (
                f"Redis at {self._location} (REDIS_URL) failed to {action}: "
                f"{type(exc).__name__}: {detail}"
            )
            if isinstance(exc, redis.TimeoutError):
                self._hung = (time.monotonic(), f"{type(exc).__name__}: {detail}")
            raise StoreError(msg) from exc
        self._hung = None


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (userinfo and ``?password=``).

    Works on the string rather than re-assembling parsed parts, which would turn
    ``unix:///path`` into ``unix:/path`` and show the operator a URL they never wrote.
    """

    def userinfo(match: re.Match[str]) -> str:
        user, colon, _password = match.group(2).partition(":")
        return f"{match.group(1)}{user}:***@" if colon else f"{match.group(1)}***@"

    redacted = _USERINFO.sub(userinfo, url, count=1)
    return _QUERY_PASSWORD.sub(r"\1***", redacted)


def url_secrets(url: str) -> tuple[str, ...]:
    """Secrets in ``url`` to scrub from error text, raw and percent-decoded."""
    found: list[str] = []
    match = _USERINFO.match(url)
    if match:
        user, colon, password = match.group(2).partition(":")
        found.append(password if colon else user)
    found += (m.group(2) for m in _QUERY_PASSWORD.finditer(url))
    return tuple({form for s in found if s for form in (s, unquote(s))})


def describe_location(kwargs: Mapping[str, Any]) -> str:
    """Where a client points, from its connection settings (which never render a password)."""
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}"
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


def text(value: bytes | str | Any) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def ms(ttl: timedelta) -> int:
    ms = int(ttl / timedelta(milliseconds=1))
    if ms < 1:
        msg = f"a TTL must be at least 1 ms, got {ttl}"
        raise ValueError(msg)
    return ms
