"""The sandbox's book of record, served as JSON at GET /_sandbox/ledger.

It counts every call and keeps every effect, keyed the way exactly-once is judged: calls per
endpoint, evaluations per merchant orderId and per idempotencyKey, transmits per transaction id,
refunds and cancels per order, every order with its history, every webhook delivery attempt,
every card vaulted (by token) and every sense key the stand-in SenseJS issued.
Recording is a few dict operations per request; rendering the JSON is the only O(n) step.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from consumer.sandbox.orders import Order, Record


class EndpointStats(Record):
    """Calls of one endpoint (``POST /v1/evaluate``) and the HTTP statuses answered."""

    calls: int = 0
    statuses: dict[str, int] = Field(default_factory=dict)


class OrderIdStats(Record):
    """Evaluate calls for one merchant orderId and the Flex orders they produced."""

    calls: int = 0
    flex_order_ids: list[str] = Field(default_factory=list)


class KeyStats(Record):
    """Evaluate calls for one idempotencyKey."""

    calls: int = 0
    replays: int = 0
    conflicts: int = 0
    order_id: str
    flex_order_id: str


class Evaluations(Record):
    """Evaluate calls, by merchant orderId and by idempotencyKey."""

    by_order_id: dict[str, OrderIdStats] = Field(default_factory=dict)
    by_idempotency_key: dict[str, KeyStats] = Field(default_factory=dict)


class TransmitRecord(Record):
    """The one stored copy of a transmitted transaction, and how often it was sent."""

    calls: int = 1
    transmit_id: str
    mid: str
    order_id: str
    is_declined: bool
    amount: int
    currency: str


class RefundRecord(Record):
    """One refund request as answered; ``replays`` counts identical repeats."""

    at: datetime
    amount_to_refund: Decimal
    refund_message: str | None
    status: str
    response_code: str
    transaction_id: str | None
    replays: int = 0


class OperationStats(Record):
    """Cancel or capture calls for one order."""

    calls: int = 0
    effective: int = 0
    replays: int = 0
    conflicts: int = 0
    refused: int = 0


class Delivery(Record):
    """One webhook delivery attempt."""

    delivery_id: str
    event: str
    order_id: str
    external_order_id: str
    attempt: int
    is_resent: bool
    duplicate: bool = False
    response_code: int | None = None
    error: str | None = None
    at: datetime


class SenseSession(Record):
    """A sense key the stand-in SenseJS issued, the signals it came with, and its later uses."""

    mid: str
    site_id: str
    issued_at: datetime
    origin: str | None = None
    signals: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    tokenizations: int = 0


class VaultEntry(Record):
    """A card /tokenize vaulted, as the vault keeps it (never the number or the CVV)."""

    bin: str
    last4: str
    month: int
    year: int
    sense_key: str | None = None


class Ledger(Record):
    """Everything the sandbox saw and did since start or the last reset."""

    endpoints: dict[str, EndpointStats] = Field(default_factory=dict)
    evaluations: Evaluations = Field(default_factory=Evaluations)
    transmits: dict[str, TransmitRecord] = Field(default_factory=dict)
    refunds: dict[str, list[RefundRecord]] = Field(default_factory=dict)
    cancels: dict[str, OperationStats] = Field(default_factory=dict)
    captures: dict[str, OperationStats] = Field(default_factory=dict)
    orders: dict[str, Order] = Field(default_factory=dict)
    webhooks: list[Delivery] = Field(default_factory=list)
    tokens_issued: int = 0
    cards_tokenized: int = 0
    vaulted_cards: dict[str, VaultEntry] = Field(default_factory=dict)
    sense_keys: dict[str, SenseSession] = Field(default_factory=dict)

    def count_call(self, endpoint: str, status: int) -> None:
        """Count one answered call."""
        stats = self.endpoints.get(endpoint)
        if stats is None:
            stats = self.endpoints[endpoint] = EndpointStats()
        stats.calls += 1
        key = str(status)
        stats.statuses[key] = stats.statuses.get(key, 0) + 1

    def cancel_stats(self, order_id: str) -> OperationStats:
        """The cancel counters of one order."""
        return self.cancels.setdefault(order_id, OperationStats())

    def capture_stats(self, order_id: str) -> OperationStats:
        """The capture counters of one order."""
        return self.captures.setdefault(order_id, OperationStats())
