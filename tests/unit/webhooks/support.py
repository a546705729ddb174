"""The receiver in-process for unit tests: fakes at its seams and helpers to sign and post.

Seams, never patches: the publisher and the store are constructor arguments of the intake and
the authenticator, the clock is a callable, and the app is called through ``ASGITransport``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr
from starlette.applications import Starlette

from consumer.errors import TransientError
from consumer.events import FlexNotification, OrderStatus, OrderStatusChanged, StatusSource
from consumer.metrics import Metrics
from consumer.processing import statuses
from consumer.store import Order, Store, WebhookResult
from consumer.webhooks import openapi, signature
from consumer.webhooks.app import WebhookEndpoint, build_app
from consumer.webhooks.authenticity import Authenticator
from consumer.webhooks.intake import Intake
from consumer.webhooks.mapping import Build

NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
HOST = "merchant.example"
KEY = base64.b64encode(b"the subscriber key of this test").decode()
NEXT_KEY = base64.b64encode(b"the key the portal rotates to").decode()


@dataclass
class Published:
    """A publisher that records what it is given, or fails while ``failure`` is set."""

    statuses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    notifications: list[tuple[str, FlexNotification]] = field(default_factory=list)
    failure: BaseException | None = None

    async def status(self, transaction_id: str, payload: str) -> None:
        if self.failure is not None:
            raise self.failure
        self.statuses.append((transaction_id, json.loads(payload)))

    async def raw(self, key: str, notification: FlexNotification) -> None:
        if self.failure is not None:
            raise self.failure
        self.notifications.append((key, notification))


class BrokenStore:
    """Remembers nonces but cannot apply anything: the database went away mid-request."""

    def __init__(self, store: Store, error: TransientError) -> None:
        self._store = store
        self._error = error

    async def apply_webhook(
        self, flex_order_id: str, merchant_order_id: str | None, flex_event: str, build: Build
    ) -> WebhookResult:
        raise self._error

    async def find_order(self, flex_order_id: str | None, merchant_order_id: str | None) -> None:
        raise self._error

    async def remember_nonce(self, nonce: str) -> bool:
        return await self._store.remember_nonce(nonce)

    async def forget_nonce(self, nonce: str) -> None:
        await self._store.forget_nonce(nonce)


@dataclass
class Probe:
    """A probe whose answers the test sets."""

    healthy: bool = True

    def alive(self) -> tuple[bool, str]:
        return self.healthy, "test"

    def ready(self) -> tuple[bool, str]:
        return self.healthy, "test"


@dataclass
class Receiver:
    """The app under test and everything around it."""

    app: Starlette
    http: httpx.AsyncClient
    store: Store
    published: Published
    metrics: Metrics
    fatal: list[BaseException]
    wall: list[datetime]

    async def post(
        self, body: bytes, headers: dict[str, str] | None = None, **sign: Any
    ) -> httpx.Response:
        """POST ``body`` signed for this receiver (``sign`` overrides), or with ``headers``."""
        sent = headers if headers is not None else signed(body, **sign)
        return await self.http.post("/webhooks/flex", content=body, headers=sent)

    def count(self, name: str, **labels: str) -> float:
        """A sample of the receiver's metrics (0 when never recorded)."""
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


def signed(
    body: bytes,
    key: str = KEY,
    host: str = HOST,
    at: datetime = NOW,
    nonce: str | None = None,
    content_type: str = "text/plain",
) -> dict[str, str]:
    """The headers Flex would send with ``body``."""
    headers = signature.sign(
        body, key, host, nonce=nonce or signature.new_nonce(), date=signature.http_date(at)
    )
    return headers | {"content-type": content_type}


def notification(event: str, order_id: str = "flex-tx-1", **fields: Any) -> bytes:
    """A webhook body as Flex sends it (PascalCase, compact)."""
    body = {"Event": event, "TimeStamp": "2026-11-26T11:59:59.123456Z", "EventData": None,
            "ExternalOrderId": "ord-tx-1", "OrderId": order_id, "ConfirmationId": "5D0C11AB",
            "IsTestMode": True, "IsResent": False}  # fmt: skip
    return json.dumps(body | fields, separators=(",", ":")).encode()


def status(tx: str, value: OrderStatus) -> OrderStatusChanged:
    """A worker's status for order ``tx`` (5000 USD, Flex order ``flex-tx``)."""
    order = Order(tx, f"ord-{tx}", f"flex-{tx}", "PENDING", 5000, "USD", 0, None)
    return statuses.for_order(order, value, StatusSource.WORKER, tx, NOW)


async def submitted(store: Store, tx: str = "tx-1", expires_at: float | None = None) -> None:
    """An order Flex holds: /evaluate answered SUBMITTED."""
    await store.begin_evaluation(tx, f"ord-{tx}", 5000, "USD")
    await store.finish("evaluate", tx, status(tx, OrderStatus.SUBMITTED), f"flex-{tx}", expires_at)


def app_client(
    store: Any, published: Published, keys: list[str] | None = None, **options: Any
) -> Receiver:
    """A receiver over ``store`` (anything with the store's webhook methods)."""
    metrics, wall = Metrics(CollectorRegistry()), [NOW]
    fatal: list[BaseException] = []
    auth = Authenticator(
        [SecretStr(k) for k in keys or [KEY]], options.pop("public_host", None),
        timedelta(minutes=5), store, lambda: wall[0], **options,
    )  # fmt: skip
    intake = Intake(store, published, lambda: wall[0])
    endpoint = WebhookEndpoint(auth, intake, metrics, 4096, fatal.append)
    app = build_app(endpoint, Probe(), metrics.registry, openapi.document())
    transport = httpx.ASGITransport(app=app)
    http = httpx.AsyncClient(transport=transport, base_url=f"https://{HOST}")
    return Receiver(app, http, getattr(store, "_store", store), published, metrics, fatal, wall)
