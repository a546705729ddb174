"""The input: N declined MIT renewals, each its own transaction (its own key), preloaded in Kafka.

Every event is eligible for Flex (a fresh, recurring MIT with a vaulted card and a retryable
decline code), so every one costs a claim, an /evaluate, a recorded status and a publish.
One event is validated through our contract model; the rest are that JSON with new ids, so
preloading 200,000 events takes seconds, not minutes.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from confluent_kafka import Producer

from consumer import events

_TX = "bench-tx-placeholder"
_EVENT_ID = "00000000-0000-4000-8000-000000000000"


def transaction_id(run: str, number: int) -> str:
    """The transaction id (and Kafka key) of event ``number`` of ``run``."""
    return f"{run}-{number:07d}"


def declines(run: str, count: int) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) of ``count`` eligible declines, numbered 0..count-1."""
    template = _template()
    for number in range(count):
        tx = transaction_id(run, number)
        event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, tx))
        yield tx.encode(), template.replace(_TX, tx).replace(_EVENT_ID, event_id).encode()


def preload(bootstrap: str, topic: str, records: Iterator[tuple[bytes, bytes]]) -> int:
    """Write ``records`` to ``topic`` and wait until the broker has every one; returns the count."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all"})
    count = 0
    for key, value in records:
        while True:
            try:
                producer.produce(topic, value=value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
        count += 1
    if producer.flush(60) != 0:
        raise RuntimeError(f"preloading {topic}: records left undelivered")
    return count


def paced(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]], rate: float) -> None:
    """Write ``records`` at ``rate`` per second, each stamped when produced (a steady load)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0, "acks": "all"})
    started = time.perf_counter()
    for number, (key, value) in enumerate(records):
        delay = started + number / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        producer.produce(topic, value=value, key=key)
        producer.poll(0)
    if producer.flush(30) != 0:
        raise RuntimeError(f"pacing {topic}: records left undelivered")


def _template() -> str:
    event = events.PaymentDeclined(
        event_id=_EVENT_ID,
        transaction_id=_TX,
        merchant_order_id=f"ord-{_TX}",
        occurred_at=datetime.now(UTC),
        amount_minor=4999,
        currency="USD",
        is_mit=True,
        is_recurring=True,
        subscription=events.Subscription(
            subscription_id=f"sub-{_TX}", interval="monthly", price_minor=4999, currency="USD",
            payment_number=4,
        ),
        payer=events.Payer(email="jane@example.com", phone="+15550100"),
        billing_address=events.Address(
            first_name="Jane", last_name="Doe", address_line1="1 Main St", city="Austin",
            state="TX", zipcode="73301", country_code="US",
        ),
        card=events.Card(
            token=str(uuid.UUID(int=7)), bin="400000", last4="3184", expiry_month=9,
            expiry_year=2030, brand="VISA", country="US", holder_name="Jane Doe",
        ),
        checks=events.CardChecks(avs="Y", cvv="M"),
        sense_key=str(uuid.UUID(int=8)),
        psp_name="nmi",
        decline=events.Decline(code="05", source="nmi", description="Do not honor"),
    )  # fmt: skip
    return event.model_dump_json()
