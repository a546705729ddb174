"""Baseline (a): the naive consumer. Poll one record, call Flex, publish, commit; then the next.

At-least-once the simple way: the status is acknowledged by the broker before the offset is
committed, synchronously, one record at a time. No store, no idempotency: it does less work per
event than the worker, and still waits one Flex round trip per event.

    FLEXMIT_... .venv/bin/python -m bench.sequential     # the worker's variables
"""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from confluent_kafka import Consumer, Message, Producer

from consumer import events, settings
from consumer.eventloop import run
from consumer.events import OrderStatus, PaymentDeclined
from consumer.flex import FlexClient
from consumer.flex.responses import EvaluateStatus
from consumer.processing import statuses
from consumer.processing.requests import evaluate_request

log = logging.getLogger("bench.sequential")


async def consume(config: settings.WorkerCommandSettings, stop: asyncio.Event) -> None:
    """Handle records of the declined topic one by one until ``stop``."""
    kafka, topics = config.kafka, config.kafka.topics
    consumer = Consumer(
        kafka.consumer_config() | {"enable.auto.commit": False, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topics.declined], on_assign=lambda _, parts: log.info("assigned %s", parts))
    producer = Producer(kafka.client_config() | {"acks": "all", "enable.idempotence": True})
    async with FlexClient.open(config.flex) as flex:
        while not stop.is_set():
            message = consumer.poll(0.1)  # blocks the loop: nothing else runs here anyway
            if message is None or message.error() is not None:
                continue
            payload = await _status(flex, message, config.worker.rescue_window.total_seconds())
            producer.produce(topics.order_status, payload, message.key())
            producer.flush()
            consumer.commit(message=message, asynchronous=False)
    consumer.close()


async def _status(flex: FlexClient, message: Message, window: float) -> bytes:
    declined = events.decode(PaymentDeclined, message.value())
    expires = declined.occurred_at.timestamp() + window
    request = evaluate_request(declined, datetime.fromtimestamp(expires, UTC), 0)
    answer = await flex.evaluate(request)
    submitted = answer.decision is EvaluateStatus.SUBMITTED
    status = OrderStatus.SUBMITTED if submitted else OrderStatus.FAILED
    event = statuses.for_decline(declined, status, datetime.now(UTC),
                                 order_session_key=answer.flex_order_id)  # fmt: skip
    return event.model_dump_json().encode()


async def main() -> None:
    """Read the worker's settings, consume until SIGTERM."""
    config = settings.load(settings.WorkerCommandSettings)
    logging.basicConfig(level=logging.INFO)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await consume(config, stop)


if __name__ == "__main__":
    run(main())
