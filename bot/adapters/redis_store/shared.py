"""What replicas share besides acks: the digest snapshot, locks and idempotency keys,
escalation incidents, and the Slack user-group cache.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta

from redis.client import Pipeline
from redis.typing import EncodableT, FieldT

from bot.adapters.redis_store.connection import Plan, RedisConnection, ms, text
from bot.core.digest import Snapshot
from bot.errors import InputError

log = logging.getLogger(__package__)


class SharedState(RedisConnection):
    """Snapshot, locks, marks, incidents and user-group cache (`bot.ports.StateStore`)."""

    # --- digest snapshot ------------------------------------------------------------------

    def load_snapshot(self) -> Snapshot | None:
        """Yesterday's snapshot; ``None`` when there is none or it cannot be read."""
        with self._errors("read the digest snapshot"):
            raw = self._client.get(self._key("digest:snapshot"))
        if raw is None:
            return None
        try:
            return Snapshot.from_json(json.loads(text(raw)))
        except (ValueError, InputError) as exc:
            log.warning("ignoring unreadable digest snapshot in Redis: %s", exc)
            return None

    def save_snapshot(self, s: Snapshot) -> None:
        with self._errors("save the digest snapshot"):
            self._client.set(self._key("digest:snapshot"), json.dumps(s.to_json()))

    # --- the digest messages of a day (edited in place as acks change) ---------------------

    def save_message_record(self, key: str, data: Mapping[str, str], *, ttl: timedelta) -> None:
        """Remember where a posted message (and its thread replies) are, for ``ttl``."""
        with self._errors(f"save message record {key}"):
            self._client.set(self._key(f"message:{key}"), json.dumps(dict(data)), px=ms(ttl))

    def message_record(self, key: str) -> dict[str, str] | None:
        """What `save_message_record` stored under ``key``; ``None`` if nothing (or unreadable)."""
        with self._errors(f"read message record {key}"):
            raw = self._client.get(self._key(f"message:{key}"))
        if raw is None:
            return None
        try:
            data = json.loads(text(raw))
        except ValueError as exc:
            log.warning("ignoring unreadable message record %s: %s", key, exc)
            return None
        if not isinstance(data, dict):
            return None
        return {str(k): str(v) for k, v in data.items()}

    # --- coordination between replicas ----------------------------------------------------

    def try_lock(self, name: str, *, ttl: timedelta, owner: str) -> bool:
        """Take lock ``name`` for ``owner`` unless someone holds it; it expires after ``ttl``,
        so a crashed holder blocks the others for at most that long."""
        with self._errors(f"take lock {name}"):
            return bool(self._client.set(self._key(f"lock:{name}"), owner, nx=True, px=ms(ttl)))

    def release_lock(self, name: str, *, owner: str) -> None:
        """Release lock ``name`` only if ``owner`` still holds it (not after it expired and
        another replica took it)."""
        with self._errors(f"release lock {name}"):
            self._release(keys=[self._key(f"lock:{name}")], args=[owner])

    def mark_once(self, key: str, *, ttl: timedelta) -> bool:
        """``True`` for the first caller of ``key`` within ``ttl``, ``False`` for every other."""
        with self._errors(f"set idempotency key {key}"):
            return bool(self._client.set(self._key(f"once:{key}"), "1", nx=True, px=ms(ttl)))

    def clear_mark(self, key: str) -> None:
        """Forget ``key`` (e.g. the post failed, so the next run should try again)."""
        with self._errors(f"clear idempotency key {key}"):
            self._client.delete(self._key(f"once:{key}"))

    # --- escalation incidents -------------------------------------------------------------

    def incident(self, app: str) -> dict[str, str] | None:
        """The open incident of ``app`` (first/last ping, thread ts…), ``None`` if none."""
        with self._errors(f"read the incident of {app}"):
            data = self._client.hgetall(self._key(f"incident:{app}"))
        return {text(k): text(v) for k, v in data.items()} or None

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
        return sorted(text(m) for m in members)

    # --- Slack user-group cache -----------------------------------------------------------

    def user_group_members(self, group: str) -> frozenset[str] | None:
        """Cached members of a Slack user group; ``None`` when not cached (or unreadable)."""
        with self._errors(f"read the members of user group {group}"):
            raw = self._client.get(self._key(f"usergroup:{group}"))
        if raw is None:
            return None
        try:
            members = json.loads(text(raw))
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
            self._client.set(self._key(f"usergroup:{group}"), payload, px=ms(ttl))
