"""Settle every record: route it to its handler, and turn every failure into a decision.

    handled                 -> outcome counted
    InvalidEvent, Rejected,
    any other PermanentError -> dead-letter topic with the reason (and, for a decline whose
                               transaction id can be read, a FAILED status)
    TransientError          -> wait with backoff and try again: delayed, never dropped
    an unexpected exception -> dead-letter topic ("internal error"), so one poisoned record
                               cannot stall its partition; ``flexmit dlq replay`` after a fix

Only after the record is settled (its outputs acknowledged by Kafka) is it marked done.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from pydantic import TypeAdapter, ValidationError

from consumer import events
from consumer.errors import InvalidEvent, PermanentError, TransientError
from consumer.events import OrderStatus, OrderStatusChanged, StatusSource
from consumer.kafka.dead_letter import DeadLetterWriter
from consumer.kafka.records import Record
from consumer.logs import redact
from consumer.metrics import Metrics
from consumer.processing.outcome import Backoff, Outcome, Publish

log = logging.getLogger(__name__)


# A transient failure (the store or Kafka briefly away) is retried here, in process.
IN_PROCESS = Backoff(base=0.5, cap=30.0)


class Handler(Protocol):
    """Settles the value of one record of its topic."""

    async def handle(self, raw: bytes | None) -> Outcome:
        """Do the record's work; raise what the module docstring lists."""


class Router:
    """Routes records by topic and settles them whatever happens."""

    def __init__(
        self,
        handlers: dict[str, Handler],
        dead_letters: DeadLetterWriter,
        publish: Publish,
        metrics: Metrics,
        declined_topic: str,
        retrying: Backoff = IN_PROCESS,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._handlers = handlers
        self._dead_letters = dead_letters
        self._publish = publish
        self._metrics = metrics
        self._declined_topic = declined_topic
        self._retrying = retrying
        self._now = now

    async def settle(self, record: Record) -> Outcome:
        """Handle ``record`` until it is settled; returns how it ended."""
        self._metrics.consumed(record.topic)
        outcome = await self._attempts(record)
        event_time = None if record.timestamp_ms is None else record.timestamp_ms / 1000
        self._metrics.handled(record.topic, outcome, event_time)
        return outcome

    async def _attempts(self, record: Record) -> Outcome:
        handler = self._handlers[record.topic]
        attempt = 0
        while True:
            attempt += 1
            try:
                return await handler.handle(record.value)
            except PermanentError as exc:
                return await self._dead_letter(record, _reason(exc))
            except TransientError as exc:
                self._metrics.retried(type(exc).__name__)
                delay = self._retrying.delay(attempt)
                log.warning("%s[%d]@%d: %s; retrying in %.1f s", record.topic,
                            record.partition, record.offset, exc, delay)  # fmt: skip
                await asyncio.sleep(delay)
            except Exception as exc:
                log.exception("%s[%d]@%d failed unexpectedly", record.topic, record.partition,
                              record.offset)  # fmt: skip
                return await self._dead_letter(record, f"internal error: {type(exc).__name__}")

    async def _dead_letter(self, record: Record, reason: str) -> Outcome:
        # The FAILED status first: the dead letter is what lets the record be marked done.
        failed = self._failed_status(record, reason)
        if failed is not None:
            await self._publish(failed.transaction_id, failed.model_dump_json())
        await self._dead_letters.send(record, reason)
        self._metrics.dead_lettered(record.topic)
        log.warning("dead-lettered %s[%d]@%d: %s", record.topic, record.partition,
                    record.offset, reason)  # fmt: skip
        return Outcome.DEAD_LETTERED

    def _failed_status(self, record: Record, reason: str) -> OrderStatusChanged | None:
        """A FAILED status for a decline we could not handle, if its transaction id is readable."""
        if record.topic != self._declined_topic:
            return None
        fields = _usable_fields(_readable_fields(record.value))
        transaction_id = fields.pop("transaction_id")
        if not isinstance(transaction_id, str):
            return None
        return OrderStatusChanged.model_validate({
            **fields,
            "event_id": events.derive_id(transaction_id, "status", OrderStatus.FAILED),
            "causation_id": transaction_id,
            "transaction_id": transaction_id,
            "status": OrderStatus.FAILED,
            "reason_code": "INVALID_EVENT",
            "reason": reason[:500],
            "source": StatusSource.WORKER,
            "occurred_at": self._now(),
        })  # fmt: skip


# The fields a FAILED status copies from a broken decline, each kept only if valid on its own.
_COPIED: dict[str, TypeAdapter[object]] = {
    "transaction_id": TypeAdapter(events.Identifier),
    "merchant_order_id": TypeAdapter(events.Identifier),
    "amount_minor": TypeAdapter(events.MinorUnits),
    "currency": TypeAdapter(events.Currency),
}


def _usable_fields(fields: dict[str, object]) -> dict[str, object]:
    usable: dict[str, object] = {}
    for name, adapter in _COPIED.items():
        try:
            usable[name] = adapter.validate_python(fields.get(name))
        except ValidationError:
            usable[name] = None
    return usable


def _readable_fields(raw: bytes | None) -> dict[str, object]:
    try:
        parsed = json.loads(raw or b"")
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _reason(exc: PermanentError) -> str:
    reason = exc.reason if isinstance(exc, InvalidEvent) else str(exc)
    return redact(f"{type(exc).__name__}: {reason}")[:2000]
