"""Serving the example checkout: wired from settings, in the foreground or on a thread.

    running = start_in_background(settings)    # CheckoutCommandSettings; port 0 = a free port
    running.url                                 # "http://127.0.0.1:54321/"
    running.stop()

The page loads the SenseJS widget from ``checkout.sensejs_url`` and calls
``fc('init', flex.mid, flex.site_id)``; the backend tokenizes through ``FlexClient`` and
publishes to ``kafka.topics.approved`` / ``kafka.topics.declined``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette

from consumer import threaded_server
from consumer.checkout.app import build_app
from consumer.checkout.page import render_page
from consumer.checkout.payment import Checkout
from consumer.checkout.publisher import KafkaPublisher
from consumer.checkout.simulated_psp import SimulatedPsp
from consumer.errors import ConfigurationError
from consumer.flex import FlexClient
from consumer.kafka.producer import AsyncProducer
from consumer.kafka.topics import ensure_topics
from consumer.settings import CheckoutCommandSettings


def check(settings: CheckoutCommandSettings) -> None:
    """ConfigurationError unless the checkout can tokenize."""
    if settings.flex.tokenization_key is None:
        raise ConfigurationError("FLEXMIT_FLEX__TOKENIZATION_KEY is required by the checkout")


@contextlib.asynccontextmanager
async def open_checkout(settings: CheckoutCommandSettings) -> AsyncIterator[Checkout]:
    """A Checkout over a real FlexClient, the simulated PSP and a Kafka producer."""
    kafka, options = settings.kafka, settings.checkout
    if kafka.create_topics:
        topics = [kafka.topics.approved, kafka.topics.declined]
        ensure_topics(kafka.client_config(), topics, kafka.topic_partitions)
    psp = SimulatedPsp(
        latency_seconds=options.psp_latency.total_seconds(),
        decline_cents=options.psp_decline_cents,
    )
    async with (
        AsyncProducer(kafka.client_config()) as producer,
        FlexClient.open(settings.flex) as flex,
    ):
        yield Checkout(flex, psp, KafkaPublisher(producer, kafka.topics))


def application(settings: CheckoutCommandSettings) -> Starlette:
    """The checkout app for ``settings``."""
    check(settings)
    page = render_page(
        widget_url=str(settings.checkout.sensejs_url),
        mid=settings.flex.mid,
        site_id=settings.flex.site_id,
        currency=settings.checkout.currency,
        sense_key_wait_ms=int(settings.checkout.sense_key_wait.total_seconds() * 1000),
    )
    return build_app(page, lambda: open_checkout(settings))


def _config(settings: CheckoutCommandSettings) -> uvicorn.Config:
    return uvicorn.Config(
        application(settings),
        host=settings.checkout.host,
        port=settings.checkout.port,
        access_log=settings.checkout.access_log,
        log_config=None,
        timeout_graceful_shutdown=2,
    )


def serve(settings: CheckoutCommandSettings) -> None:
    """Run the checkout in the foreground until SIGINT/SIGTERM."""
    uvicorn.Server(_config(settings)).run()


@dataclass
class RunningCheckout:
    """A checkout serving on a background thread of this process."""

    url: str
    _served: threaded_server.ThreadedServer

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving (closing the producer and the Flex client) and wait for the thread."""
        self._served.stop(timeout)


def start_in_background(settings: CheckoutCommandSettings) -> RunningCheckout:
    """Serve on a daemon thread; the socket is bound first, so port 0 picks a free port."""
    served = threaded_server.start(_config(settings), "checkout")
    return RunningCheckout(served.root_url + "/", served)
