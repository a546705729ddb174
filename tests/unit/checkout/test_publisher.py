"""Approvals and declines go to their topics as JSON, keyed by the PSP transaction id."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from consumer.checkout.payment_event import payment_event
from consumer.checkout.publisher import KafkaPublisher
from consumer.events import PaymentApproved, PaymentDeclined
from consumer.kafka.producer import Delivered
from consumer.settings import Topics
from tests.unit.checkout.support import TOKEN, a_form, an_authorization


@dataclass
class Sent:
    """A producer that records (topic, value, key)."""

    records: list[tuple[str, bytes | None, bytes | None]] = field(default_factory=list)

    async def send(
        self,
        topic: str,
        value: bytes | None,
        key: bytes | None = None,
        headers: Sequence[tuple[str, bytes]] | None = None,
    ) -> Delivered:
        self.records.append((topic, value, key))
        return Delivered(0, len(self.records) - 1)


async def test_each_outcome_goes_to_its_topic_keyed_by_transaction_id() -> None:
    sent = Sent()
    publisher = KafkaPublisher(sent, Topics(approved="ok", declined="ko"))
    for approved in (True, False):
        authorization = an_authorization(approved, transaction_id=f"tx-{approved}")
        await publisher.publish(
            payment_event(a_form(), TOKEN, authorization, merchant_order_id="o", customer_ip=None)
        )
    (topic_ok, value_ok, key_ok), (topic_ko, value_ko, key_ko) = sent.records
    assert (topic_ok, key_ok) == ("ok", b"tx-True")
    assert (topic_ko, key_ko) == ("ko", b"tx-False")
    assert PaymentApproved.model_validate_json(value_ok or b"").card.token == TOKEN
    assert PaymentDeclined.model_validate_json(value_ko or b"").decline.code == "05"
