"""Baseline (c): our evaluate handler hosted by faststream, as a Python team would write it.

The handler is the worker's own ``DeclinedHandler`` (same store, same Flex client, same
idempotency), so the comparison is of the hosting: faststream's subscriber against our
worker loop. At-least-once is ``AckPolicy.NACK_ON_ERROR``: the offset is committed after the
handler returned (its status acknowledged by the broker, ``acks=all``), and a failure seeks
back so the record is delivered again. faststream refuses ``max_workers > 1`` with any policy
that commits after processing ("Max workers not work with manual commit mode"), so an
at-least-once faststream subscriber handles one record at a time.

``--at-most-once N`` is the concurrent variant faststream does allow: ``AckPolicy.ACK_FIRST``
with ``max_workers=N``, which commits a record when it is received: a crash loses the records
in flight. It is measured to show what that concurrency buys, not as an alternative.

Runs in the benchmark's own venv (``bench.venv``), which has faststream; the product does not.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from faststream.confluent import KafkaBroker, KafkaMessage
from faststream.middlewares import AckPolicy

from consumer import settings
from consumer.eventloop import run
from consumer.flex import FlexClient
from consumer.processing.declined import DeclinedHandler, DeclinedPolicy
from consumer.processing.eligibility import Rules
from consumer.store import Store, open_store

log = logging.getLogger("bench.faststream")


def handler(config: settings.WorkerCommandSettings, store: Store, flex: FlexClient,
            broker: Any) -> DeclinedHandler:  # fmt: skip
    """The worker's declined-payment handler, publishing through faststream's producer."""
    topic = config.kafka.topics.order_status

    async def publish(transaction_id: str, payload: str) -> None:
        await broker.publish(payload.encode(), topic, key=transaction_id.encode())

    rules = config.worker
    policy = DeclinedPolicy(Rules.with_extra_codes(rules.max_decline_age, []), rules.rescue_window)
    return DeclinedHandler(store, flex, publish, policy, lambda: datetime.now(UTC))


def subscribe(config: settings.WorkerCommandSettings, broker: Any, declined: DeclinedHandler,
              at_most_once: int) -> None:  # fmt: skip
    """Register the handler on the declined topic with the delivery guarantee asked for."""

    async def handle(message: KafkaMessage) -> None:
        await declined.handle(message.body)

    concurrency: dict[str, Any] = {"ack_policy": AckPolicy.NACK_ON_ERROR}
    if at_most_once:
        concurrency = {"ack_policy": AckPolicy.ACK_FIRST, "max_workers": at_most_once,
                       "auto_commit_interval_ms": 500}  # fmt: skip
    subscriber = broker.subscriber(
        config.kafka.topics.declined, group_id=config.kafka.group_id,
        auto_offset_reset="earliest", on_assign=lambda *_: log.info("assigned partitions"),
        **concurrency,
    )  # fmt: skip
    subscriber(handle)


async def main(at_most_once: int) -> None:
    """Serve until SIGTERM."""
    config = settings.load(settings.WorkerCommandSettings)
    logging.basicConfig(level=logging.INFO)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    broker = KafkaBroker(config.kafka.bootstrap_servers, acks="all", enable_idempotence=True,
                         linger_ms=5, logger=None)  # fmt: skip
    store = open_store(config.store.url, f"faststream-{os.getpid()}")
    try:
        async with FlexClient.open(config.flex) as flex:
            subscribe(config, broker, handler(config, store, flex, broker), at_most_once)
            await broker.start()
            await stop.wait()
            await broker.stop()
    finally:
        store.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--at-most-once", type=int, default=0, metavar="N",
                        help="ACK_FIRST with N workers instead of at-least-once")  # fmt: skip
    run(main(parser.parse_args(sys.argv[1:]).at_most_once))
