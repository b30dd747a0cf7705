"""Shared state of every replica in Redis: acks and their audit trail, yesterday's digest
snapshot, locks and idempotency keys, escalation incidents, and a user-group cache.

This is the only module that imports ``redis``. Every client error becomes a `StoreError`
naming ``REDIS_URL`` (with any password redacted) and chaining the cause, so callers handle one
error type and "Redis down" reads the same everywhere.

Writes that touch more than one key run as one WATCH…MULTI/EXEC transaction: an ack and its
audit entry are stored together or not at all. Before queueing, the watched keys' types are
checked, because Redis does not roll back a transaction whose command fails at run time (a
key of the wrong type would leave half of it applied). Times come in as arguments, never from
the clock here, so expiry is decided by the caller's ``now`` and tests control it. Stored
data this code cannot read is skipped with a warning, never a crash: a newer replica may
write a format an older one does not know during a rolling upgrade.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, Final, Self, TypeVar
from urllib.parse import unquote

import redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.client import Pipeline
from redis.retry import Retry
from redis.typing import EncodableT, FieldT

from bot.core import acks as acks_core
from bot.core.digest import Snapshot
from bot.core.model import Ack, AckScope
from bot.errors import ConfigError, InputError, StoreError, truncate_body

log = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[Pipeline], None]
Plan = tuple[T, Write | None]
"""What a transaction body returns: its result and the writes to queue (``None``: nothing)."""

AUDIT_MAXLEN: Final = 10_000
"""Audit entries kept (approximately); the stream has no TTL, so it outlives every ack."""
TX_ATTEMPTS: Final = 10
"""Retries when another replica changes a watched key between our read and our write."""
SYSTEM_ACTOR: Final = "drift-bot"
"""Who the audit trail names for an expiry (nobody removed it; time did)."""

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


class RedisStore:
    """Acks, audit, snapshot, locks, idempotency keys and incidents under one key prefix."""

    def __init__(
        self, client: redis.Redis, *, prefix: str = "driftbot", location: str | None = None
    ) -> None:
        self._client = client
        self._prefix = prefix
        kwargs = client.connection_pool.connection_kwargs
        self._location = location or _describe(kwargs)
        password = kwargs.get("password")
        self._secrets = tuple(s for s in (password,) if isinstance(s, str) and s)
        self._release = client.register_script(_RELEASE_LOCK)

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 2.0, prefix: str = "driftbot") -> Self:
        """A store over ``REDIS_URL`` with socket timeouts, few fast retries, health checks.

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
                retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), retries=2),
            )
        except ValueError as exc:
            msg = (
                f"REDIS_URL {redact_url(url)!r} is not usable: {exc}; use redis://HOST:PORT/DB, "
                "rediss://… or unix:///path.sock"
            )
            raise ConfigError(msg) from exc
        store = cls(client, prefix=prefix, location=redact_url(url))
        store._secrets += _url_secrets(url)
        return store

    def close(self) -> None:
        """Close the client's connections (the store is unusable afterwards)."""
        self._client.close()

    # --- acks -----------------------------------------------------------------------------

    def new_ack_id(self) -> str:
        """A short id people can type (``a17``), unique across replicas and restarts."""
        with self._errors("allocate an ack id"):
            return f"a{int(self._client.incr(self._key('ack-seq')))}"

    def add_ack(self, ack: Ack) -> None:
        """Store ``ack`` and its audit entry in one transaction.

        Raises:
            InputError: an ack with this id already exists (ids come from `new_ack_id`).
        """
        payload = json.dumps(ack.to_json(), sort_keys=True)
        acks_key = self._key("acks")

        def plan(pipe: Pipeline) -> Plan[None]:
            if pipe.hexists(acks_key, ack.id):
                msg = f"an ack with id {ack.id} already exists"
                raise InputError(msg)

            def write(p: Pipeline) -> None:
                p.hset(acks_key, ack.id, payload)
                self._audit(p, "ack", ack, by=ack.by, at=ack.created_at)

            return None, write

        self._transact("store an ack", self._ack_keys(), plan)

    def remove_ack(self, ack_id: str, *, by: str, now: datetime) -> Ack:
        """Delete one ack (audited as ``unack`` by ``by`` at ``now``) and return it.

        Raises:
            InputError: there is no ack with that id.
        """
        acks_key = self._key("acks")

        def plan(pipe: Pipeline) -> Plan[Ack]:
            raw = pipe.hget(acks_key, ack_id)
            if raw is None:
                msg = f"no ack with id {ack_id}; /drift acks lists the active ones"
                raise InputError(msg)
            ack = self._decode_ack(ack_id, _text(raw)) or _unreadable_ack(ack_id, now)

            def write(p: Pipeline) -> None:
                p.hdel(acks_key, ack_id)
                self._audit(p, "unack", ack, by=by, at=now)

            return ack, write

        return self._transact("remove an ack", self._ack_keys(), plan)

    def active_acks(self, now: datetime) -> list[Ack]:
        """Acks that have not expired at ``now``, oldest first.

        Expired ones are deleted on the way (with an ``expire`` audit entry); unreadable ones
        are skipped with a warning and left in place.
        """
        with self._errors("read acks"):
            stored = self._client.hgetall(self._key("acks"))
        active: list[Ack] = []
        expired: dict[str, tuple[str, Ack]] = {}
        for raw_id, raw in stored.items():
            ack_id, blob = _text(raw_id), _text(raw)
            ack = self._decode_ack(ack_id, blob)
            if ack is None:
                continue
            if now < ack.expires_at:
                active.append(ack)
            else:
                expired[ack_id] = (blob, ack)
        if expired:
            self._expire(expired, now)
        return sorted(active, key=lambda a: (a.created_at, a.id))

    def _expire(self, expired: Mapping[str, tuple[str, Ack]], now: datetime) -> None:
        """Delete expired acks exactly once across replicas, auditing each deletion."""
        acks_key = self._key("acks")
        ids = sorted(expired)

        def plan(pipe: Pipeline) -> Plan[None]:
            current = pipe.hmget(acks_key, ids)
            # Only what is still exactly as we read it: another replica may have cleaned it.
            gone = [
                i
                for i, raw in zip(ids, current, strict=True)
                if raw is not None and _text(raw) == expired[i][0]
            ]
            if not gone:
                return None, None

            def write(p: Pipeline) -> None:
                p.hdel(acks_key, *gone)
                for ack_id in gone:
                    self._audit(p, "expire", expired[ack_id][1], by=SYSTEM_ACTOR, at=now)

            return None, write

        try:
            self._transact("clean up expired acks", self._ack_keys(), plan)
        except StoreError as exc:
            # Expired acks are already filtered out of the answer; cleaning up can wait.
            log.warning("expired acks not cleaned up this time: %s", exc)

    def audit(self, limit: int = 100) -> list[dict[str, str]]:
        """The newest ``limit`` audit entries, newest first (``event`` is the stream id)."""
        if limit <= 0:
            return []
        with self._errors("read the audit trail"):
            entries = self._client.xrevrange(self._key("audit"), count=limit)
        return [
            {"event": _text(event_id), **{_text(k): _text(v) for k, v in (fields or {}).items()}}
            for event_id, fields in entries or []
        ]

    def _audit(self, pipe: Pipeline, action: str, ack: Ack, *, by: str, at: datetime) -> None:
        entry: dict[FieldT, EncodableT] = {
            "action": action,
            "id": ack.id,
            "scope": str(ack.scope),
            "by": by,
            "acked_by": ack.by,
            "reason": ack.reason,
            "at": at.isoformat(),
            "expires_at": ack.expires_at.isoformat(),
            "fingerprints": ",".join(sorted(ack.fingerprints)),
        }
        pipe.xadd(self._key("audit"), entry, maxlen=AUDIT_MAXLEN, approximate=True)

    def _ack_keys(self) -> dict[str, str]:
        return {self._key("acks"): "hash", self._key("audit"): "stream"}

    def _decode_ack(self, ack_id: str, blob: str) -> Ack | None:
        try:
            return acks_core.ack_from_json(json.loads(blob))
        except (ValueError, InputError) as exc:
            log.warning("skipping unreadable ack %r stored in Redis: %s", ack_id, exc)
            return None

    # --- digest snapshot ------------------------------------------------------------------

    def load_snapshot(self) -> Snapshot | None:
        """Yesterday's snapshot; ``None`` when there is none or it cannot be read."""
        with self._errors("read the digest snapshot"):
            raw = self._client.get(self._key("digest:snapshot"))
        if raw is None:
            return None
        try:
            return Snapshot.from_json(json.loads(_text(raw)))
        except (ValueError, InputError) as exc:
            log.warning("ignoring unreadable digest snapshot in Redis: %s", exc)
            return None

    def save_snapshot(self, s: Snapshot) -> None:
        with self._errors("save the digest snapshot"):
            self._client.set(self._key("digest:snapshot"), json.dumps(s.to_json()))

    # --- coordination between replicas ----------------------------------------------------

    def try_lock(self, name: str, *, ttl: timedelta, owner: str) -> bool:
        """Take lock ``name`` for ``owner`` unless someone holds it; it expires after ``ttl``,
        so a crashed holder blocks the others for at most that long."""
        with self._errors(f"take lock {name}"):
            return bool(self._client.set(self._key(f"lock:{name}"), owner, nx=True, px=_ms(ttl)))

    def release_lock(self, name: str, *, owner: str) -> None:
        """Release lock ``name`` only if ``owner`` still holds it (not after it expired and
        another replica took it)."""
        with self._errors(f"release lock {name}"):
            self._release(keys=[self._key(f"lock:{name}")], args=[owner])

    def mark_once(self, key: str, *, ttl: timedelta) -> bool:
        """``True`` for the first caller of ``key`` within ``ttl``, ``False`` for every other."""
        with self._errors(f"set idempotency key {key}"):
            return bool(self._client.set(self._key(f"once:{key}"), "1", nx=True, px=_ms(ttl)))

    def clear_mark(self, key: str) -> None:
        """Forget ``key`` (e.g. the post failed, so the next run should try again)."""
        with self._errors(f"clear idempotency key {key}"):
            self._client.delete(self._key(f"once:{key}"))

    # --- escalation incidents -------------------------------------------------------------

    def incident(self, app: str) -> dict[str, str] | None:
        """The open incident of ``app`` (first/last ping, thread ts…), ``None`` if none."""
        with self._errors(f"read the incident of {app}"):
            data = self._client.hgetall(self._key(f"incident:{app}"))
        return {_text(k): _text(v) for k, v in data.items()} or None

    def save_incident(self, app: str, data: Mapping[str, str]) -> None:
        """Replace the incident of ``app`` with ``data`` (empty ``data`` closes it)."""
        if not data:
            self.close_incident(app)
            return
        key, index = self._key(f"incident:{app}"), self._key("incidents")

        def plan(pipe: Pipeline) -> Plan[None]:
            def write(p: Pipeline) -> None:
                p.delete(key)
                mapping: dict[FieldT, EncodableT] = {k: v for k, v in data.items()}
                p.hset(key, mapping=mapping)
                p.sadd(index, app)

            return None, write

        self._transact(f"save the incident of {app}", {key: "hash", index: "set"}, plan)

    def close_incident(self, app: str) -> None:
        key, index = self._key(f"incident:{app}"), self._key("incidents")

        def plan(pipe: Pipeline) -> Plan[None]:
            def write(p: Pipeline) -> None:
                p.delete(key)
                p.srem(index, app)

            return None, write

        self._transact(f"close the incident of {app}", {key: "hash", index: "set"}, plan)

    def open_incidents(self) -> list[str]:
        """Apps with an open incident, sorted."""
        with self._errors("list open incidents"):
            members = self._client.smembers(self._key("incidents"))
        return sorted(_text(m) for m in members)

    # --- Slack user-group cache -----------------------------------------------------------

    def user_group_members(self, group: str) -> frozenset[str] | None:
        """Cached members of a Slack user group; ``None`` when not cached (or unreadable)."""
        with self._errors(f"read the members of user group {group}"):
            raw = self._client.get(self._key(f"usergroup:{group}"))
        if raw is None:
            return None
        try:
            members = json.loads(_text(raw))
        except ValueError as exc:
            log.warning("ignoring unreadable user-group cache of %s: %s", group, exc)
            return None
        if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
            log.warning("ignoring unreadable user-group cache of %s: not a list of ids", group)
            return None
        return frozenset(members)

    def cache_user_group_members(
        self, group: str, members: Iterable[str], *, ttl: timedelta
    ) -> None:
        payload = json.dumps(sorted(set(members)))
        with self._errors(f"cache the members of user group {group}"):
            self._client.set(self._key(f"usergroup:{group}"), payload, px=_ms(ttl))

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
            actual = _text(pipe.type(key))
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
            raise StoreError(msg) from exc


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


def _url_secrets(url: str) -> tuple[str, ...]:
    """Secrets in ``url`` to scrub from error text, raw and percent-decoded."""
    found: list[str] = []
    match = _USERINFO.match(url)
    if match:
        user, colon, password = match.group(2).partition(":")
        found.append(password if colon else user)
    found += (m.group(2) for m in _QUERY_PASSWORD.finditer(url))
    return tuple({form for s in found if s for form in (s, unquote(s))})


def _describe(kwargs: Mapping[str, Any]) -> str:
    """Where a client points, from its connection settings (which never render a password)."""
    if kwargs.get("path"):
        return f"unix://{kwargs['path']}"
    host, port, db = kwargs.get("host", "localhost"), kwargs.get("port", 6379), kwargs.get("db", 0)
    return f"redis://{host}:{port}/{db}"


def _text(value: bytes | str | Any) -> str:
    """A Redis reply as text, whether or not the client decodes responses."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def _ms(ttl: timedelta) -> int:
    ms = int(ttl / timedelta(milliseconds=1))
    if ms < 1:
        msg = f"a TTL must be at least 1 ms, got {ttl}"
        raise ValueError(msg)
    return ms


def _unreadable_ack(ack_id: str, now: datetime) -> Ack:
    """Stands in for an ack whose stored data could not be read, so it can still be removed."""
    return Ack(
        id=ack_id,
        scope=AckScope(app="(unreadable)"),
        fingerprints=frozenset(),
        by="",
        reason="(stored data could not be read)",
        created_at=now,
        expires_at=now,
    )
