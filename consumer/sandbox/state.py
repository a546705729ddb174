"""Everything one sandbox instance remembers, cleared as a whole by a reset.

Only tokens, BIN, last four, expiry and holder name of vaulted cards are kept; card numbers and
CVVs are read once to answer /tokenize and never stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from consumer.sandbox.ledger import Ledger, RefundRecord
from consumer.sandbox.orders import Order
from consumer.sandbox.problems import Problem


@dataclass(frozen=True)
class VaultedCard:
    """What /tokenize keeps for a token."""

    bin: str
    last4: str
    month: int
    year: int
    holder_name: str


@dataclass(frozen=True)
class Stored:
    """An answer kept under an idempotency key, with the request it answered."""

    fingerprint: str
    body: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class StoredRefund:
    """A successful refund, replayed for an identical request."""

    body: dict[str, Any]
    record: RefundRecord


def fingerprint(*parts: Any) -> str:
    """A digest of a request, insensitive to key order, spacing and key casing (keys folded)."""
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class State:
    """The sandbox's memory: ledger (with the orders), vault and idempotency records."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Forget everything."""
        self.ledger = Ledger()
        self.vault: dict[str, VaultedCard] = {}
        self.evaluations: dict[str, Stored] = {}
        self.by_merchant_order: dict[str, str] = {}
        self.cancels: dict[str, Stored] = {}
        self.captures: dict[str, Stored] = {}
        self.refunds: dict[tuple[str, int, str], StoredRefund] = {}

    def order(self, order_id: str) -> Order:
        """The order with this Flex id, or a 404 Problem."""
        order = self.ledger.orders.get(order_id.lower())
        if order is None:
            raise Problem(404, f"Order {order_id} was not found.")
        return order

    def order_by_merchant_id(self, merchant_order_id: str) -> Order:
        """The order created for this merchant orderId, or a 404 Problem."""
        order_id = self.by_merchant_order.get(merchant_order_id)
        if order_id is None:
            raise Problem(404, f"No order with external order id {merchant_order_id}.")
        return self.ledger.orders[order_id]
