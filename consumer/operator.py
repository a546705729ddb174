"""``flexmit refund`` / ``flexmit cancel``: publish a command, wait for its answer, say it plainly.

The command goes through ``flex-commands`` like any other (one code path, the worker's); its
answer is the ``order-status`` event whose ``causation_id`` is the command id. The reader is
positioned at the end of ``order-status`` BEFORE the command is produced, so the answer cannot
slip past it.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka import TopicPartition as KafkaTopicPartition

from consumer.errors import KafkaUnavailable
from consumer.events import CancelRequested, OrderStatus, OrderStatusChanged, RefundRequested
from consumer.money import to_major
from consumer.settings import KafkaSettings

SUCCEEDED = frozenset({OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.CANCELLED})


class NoAnswer(Exception):
    """No worker answered within the time given (the command stays queued)."""


def refund_command(
    transaction_id: str, amount_minor: int | None, reason: str | None
) -> RefundRequested:
    """A refund command with a fresh command id."""
    return RefundRequested(command_id=str(uuid.uuid4()), transaction_id=transaction_id,
                           amount_minor=amount_minor, reason=reason,
                           requested_at=datetime.now(UTC))  # fmt: skip


def cancel_command(transaction_id: str, reason: str | None) -> CancelRequested:
    """A cancel command with a fresh command id."""
    return CancelRequested(command_id=str(uuid.uuid4()), transaction_id=transaction_id,
                           reason=reason, requested_at=datetime.now(UTC))  # fmt: skip


def send_and_wait(
    kafka: KafkaSettings, command: RefundRequested | CancelRequested, within: float
) -> OrderStatusChanged:
    """Publish ``command`` and return the worker's answer; raise NoAnswer after ``within`` s."""
    try:
        reader = _reader_at_end(kafka)
        try:
            _publish(kafka, command)
            return _await_answer(reader, command.command_id, within)
        finally:
            reader.close()
    except KafkaException as exc:
        raise KafkaUnavailable(f"Kafka: {exc.args[0]}") from None


def describe(answer: OrderStatusChanged) -> str:
    """One line a person can act on."""
    amount = _money(answer.amount_minor, answer.currency)
    if answer.status in (OrderStatus.REFUNDED, OrderStatus.PARTIALLY_REFUNDED):
        refunded = _money(answer.refunded_minor, answer.currency)
        remaining = _money(answer.remaining_minor, answer.currency)
        return (f"{answer.status}: {refunded} of {amount} refunded, {remaining} remaining "
                f"(transaction {answer.transaction_id})")  # fmt: skip
    if answer.status is OrderStatus.CANCELLED:
        return f"CANCELLED: Flex no longer holds transaction {answer.transaction_id}"
    detail = answer.reason or "no reason given"
    if answer.flex_code:
        detail += f" (Flex code {answer.flex_code}: {answer.flex_message or '-'})"
    return f"{answer.status}: {detail} (transaction {answer.transaction_id})"


def _reader_at_end(kafka: KafkaSettings) -> Consumer:
    topic = kafka.topics.order_status
    reader = Consumer(kafka.client_config() | {"group.id": f"flexmit-cli-{uuid.uuid4()}",
                                               "enable.auto.commit": False})  # fmt: skip
    partitions = reader.list_topics(topic, timeout=10).topics[topic].partitions
    ends = []
    for number in partitions:
        _, high = reader.get_watermark_offsets(KafkaTopicPartition(topic, number), timeout=10)
        ends.append(KafkaTopicPartition(topic, number, high))
    reader.assign(ends)
    return reader


def _publish(kafka: KafkaSettings, command: RefundRequested | CancelRequested) -> None:
    producer = Producer(kafka.client_config() | {"enable.idempotence": True, "acks": "all"})
    producer.produce(kafka.topics.commands, key=command.transaction_id.encode(),
                     value=command.model_dump_json().encode())  # fmt: skip
    if producer.flush(30) != 0:
        raise NoAnswer("the command could not be published to Kafka")


def _await_answer(reader: Consumer, command_id: str, within: float) -> OrderStatusChanged:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for message in reader.consume(100, 0.5):
            value = message.value()
            if message.error() is not None or value is None:
                continue
            answer = OrderStatusChanged.model_validate_json(value)
            if answer.causation_id == command_id:
                return answer
    raise NoAnswer(f"no answer within {within:.0f} s; the command stays queued ({command_id})")


def _money(minor: int | None, currency: str | None) -> str:
    if minor is None or currency is None:
        return "?"
    return f"{to_major(minor, currency)} {currency}"
