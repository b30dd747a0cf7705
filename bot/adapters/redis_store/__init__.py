"""Shared state of every replica in Redis: acks and their audit trail, yesterday's digest
snapshot, locks and idempotency keys, escalation incidents, and a user-group cache.

This is the only package that imports ``redis``. Every client error becomes a `StoreError`
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

from bot.adapters.redis_store.acks import AckRecords
from bot.adapters.redis_store.connection import TX_ATTEMPTS, redact_url
from bot.adapters.redis_store.shared import SharedState

__all__ = ["TX_ATTEMPTS", "RedisStore", "redact_url"]


class RedisStore(AckRecords, SharedState):
    """Acks, audit, snapshot, locks, idempotency keys and incidents under one key prefix."""
