"""Acks and their audit trail in Redis (`bot.ports.AckStore`)."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from redis.client import Pipeline
from redis.typing import EncodableT, FieldT

from bot.adapters.redis_store.connection import Plan, RedisConnection, text
from bot.core import acks as acks_core
from bot.core.model import Ack, AckScope
from bot.errors import InputError, StoreError

log = logging.getLogger(__package__)

AUDIT_MAXLEN: Final = 10_000
"""Audit entries kept (approximately); the stream has no TTL, so it outlives every ack."""
_AUDIT_TEXT: Final = 500
_ID_EPOCH_MINUTE: Final = 29_453_760
"""2026-01-01T00:00Z in minutes since the Unix epoch: ids start short."""
_CROCKFORD: Final = "0123456789abcdefghjkmnpqrstvwxyz"
"""Base 32 without i, l, o, u: nothing to misread when typing an id from a screenshot."""
SYSTEM_ACTOR: Final = "drift-bot"
"""Who the audit trail names for an expiry (nobody removed it; time did)."""


class AckRecords(RedisConnection):
    """Acks by id, their expiry, and the audit stream of every change."""

    def new_ack_id(self) -> str:
        """A short id people can type (``a0jx4kq7m2zb``), never one an earlier ack had.

        Not a Redis counter: a Redis that lost its data would count from ``a1`` again and an
        old id quoted in chat would name a new ack. Instead: ``a``, the minute of creation
        (5 Crockford base-32 digits, so ids sort by age for 60 years) and 30 random bits. Two
        acks can only share an id within the same minute, about one chance in a billion per
        pair (and `add_ack` refuses it rather than overwrite). No I/O: Redis down costs no id.
        """
        minute = max(int(time.time() // 60) - _ID_EPOCH_MINUTE, 0)
        return "a" + _base32(minute, 5) + _base32(secrets.randbits(30), 6)

    def record_refusal(self, *, by: str, command: str, why: str, at: datetime) -> None:
        """Audit a refused ack or unack (not allowed, bad input, nothing to ack): who, what, why."""
        entry: dict[FieldT, EncodableT] = {
            "action": "refused",
            "by": by,
            "command": command[:_AUDIT_TEXT],
            "why": why[:_AUDIT_TEXT],
            "at": at.isoformat(),
        }
        with self._errors("audit a refused ack"):
            self._client.xadd(self._key("audit"), entry, maxlen=AUDIT_MAXLEN, approximate=True)

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
            ack = self._decode_ack(ack_id, text(raw)) or _unreadable_ack(ack_id, now)

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
            ack_id, blob = text(raw_id), text(raw)
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
                if raw is not None and text(raw) == expired[i][0]
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
            {"event": text(event_id), **{text(k): text(v) for k, v in (fields or {}).items()}}
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


def _base32(value: int, digits: int) -> str:
    out = []
    for _ in range(digits):
        value, digit = divmod(value, 32)
        out.append(_CROCKFORD[digit])
    return "".join(reversed(out))


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
