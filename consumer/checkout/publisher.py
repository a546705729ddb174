"""Where checkout events go: the approved or the declined topic, keyed by transaction id."""

from __future__ import annotations

from typing import Protocol

from consumer.checkout.payment_event import PaymentEvent
from consumer.events import PaymentApproved
from consumer.kafka.producer import Sender
from consumer.settings import Topics


class EventPublisher(Protocol):
    """Anything that can publish a checkout's event."""

    async def publish(self, event: PaymentEvent) -> None:
        """Publish ``event``; KafkaUnavailable when the broker did not take it."""
        ...


class KafkaPublisher:
    """Publishes to ``topics.approved`` or ``topics.declined`` and waits for the broker."""

    def __init__(self, producer: Sender, topics: Topics) -> None:
        self._producer = producer
        self._topics = topics

    async def publish(self, event: PaymentEvent) -> None:
        """Send the event as JSON; the key keeps one transaction's records in order."""
        approved = isinstance(event, PaymentApproved)
        topic = self._topics.approved if approved else self._topics.declined
        value = event.model_dump_json().encode()
        await self._producer.send(topic, value, event.transaction_id.encode())
