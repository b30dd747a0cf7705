"""What became of one ``/drift`` command: the answer to show, and an outcome for metrics.

Every exception a use case may raise maps to an answer here, in one place: a refusal (not in
``DRIFT_ACK_GROUP``), an unknown app, bad input, an upstream or Redis failure, or anything else
(logged with its traceback, shown as an internal error: the delivery edge's broad ``except``).

Refused acks and unacks (`AUDITED_VERBS` with a `REFUSALS` outcome) go to the ack audit
trail, so who tried to silence what, and why they could not, is on record next to the acks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from bot.delivery.metrics import Metrics
from bot.delivery.render import answers as render
from bot.errors import InputError, StoreError, UnknownAppError, UpstreamError

log = logging.getLogger("bot.delivery.slack.app")

AUDITED_VERBS: Final = frozenset({"ack", "unack"})
REFUSALS: Final = frozenset({"refused", "unknown_app", "input_error"})


class Refusal(Exception):
    """Stops a command with a ready-made answer (e.g. not allowed to ack)."""

    def __init__(self, message: render.Message) -> None:
        super().__init__(message.text)
        self.message = message


def outcome(
    run: Callable[[], render.Message], verb: str, metrics: Metrics
) -> tuple[render.Message, str]:
    """``run()``'s answer and ``"ok"``, or the answer and outcome its exception calls for."""
    try:
        return run(), "ok"
    except Refusal as refusal:
        return refusal.message, "refused"
    except UnknownAppError as exc:
        return render.unknown_app(exc), "unknown_app"
    except InputError as exc:
        return render.input_error(exc), "input_error"
    except UpstreamError as exc:
        metrics.upstream_errors.labels(exc.source or "unknown").inc()
        log.warning("/drift %s: %s unreachable: %s", verb, exc.source, exc)
        return render.upstream_error(exc), "upstream_error"
    except StoreError as exc:
        metrics.upstream_errors.labels("redis").inc()
        log.warning("/drift %s: Redis failed: %s", verb, exc)
        return render.store_error(exc), "store_error"
    except Exception:  # the delivery edge: log everything, show nothing internal
        log.exception("/drift %s failed", verb)
        return render.internal_error(), "internal_error"


def audited(verb: str, result: str) -> bool:
    """Whether a command with this outcome goes to the ack audit trail as refused."""
    return verb in AUDITED_VERBS and result in REFUSALS


def typed_verb(text: str) -> str:
    """The sub-command someone typed, even when the rest did not parse."""
    return (text.split() or [""])[0].lower()
