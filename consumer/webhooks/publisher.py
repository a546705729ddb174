"""Where webhook results go: order statuses and raw Flex notifications, each acknowledged."""

from __future__ import annotations

from typing import Protocol

from consumer.events import FlexNotification
from consumer.kafka.producer import AsyncProducer
from consumer.settings import Topics


class Publisher(Protocol):
    """Publishes and returns once the broker acknowledged; raises a TransientError otherwise."""

    async def status(self, transaction_id: str, payload: str) -> None:
        """An ``OrderStatusChanged`` (JSON) on the order-status topic, keyed by transaction."""

    async def raw(self, key: str, notification: FlexNotification) -> None:
        """A notification with no status on the raw Flex-events topic."""


class KafkaPublisher:
    """``Publisher`` over the idempotent ``acks=all`` producer."""

    def __init__(self, producer: AsyncProducer, topics: Topics) -> None:
        self._producer = producer
        self._topics = topics

    async def status(self, transaction_id: str, payload: str) -> None:
        """See ``Publisher.status``."""
        await self._producer.send(
            self._topics.order_status, payload.encode(), transaction_id.encode()
        )

    async def raw(self, key: str, notification: FlexNotification) -> None:
        """See ``Publisher.raw``."""
        value = notification.model_dump_json().encode()
        await self._producer.send(self._topics.flex_events, value, key.encode())
