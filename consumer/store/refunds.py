"""Refunds: reserve before calling Flex, settle after, so their sum never exceeds the capture."""

from __future__ import annotations

from dataclasses import dataclass, replace

from consumer import lifecycle
from consumer.events import OrderStatus
from consumer.store import orders
from consumer.store.database import Tx


@dataclass(frozen=True)
class Reservation:
    """An amount set aside for one refund command, or the reason it cannot be."""

    amount_minor: int
    order: orders.Order | None
    refused: str | None = None  # reason code when nothing was reserved
    settled: str | None = None  # 'succeeded' or 'failed' when the command was settled before


def reserve(tx: Tx, transaction_id: str, command_id: str, amount_minor: int | None,
            now: float) -> Reservation:  # fmt: skip
    """Reserve ``amount_minor`` (None: all that remains) of the order for ``command_id``."""
    order = orders.get(tx, transaction_id, lock=True)  # serialises refunds of one order
    existing = tx.one("SELECT amount_minor, state FROM refunds WHERE command_id = :id",
                      {"id": command_id})  # fmt: skip
    if existing is not None:
        state = str(existing[1])
        return Reservation(int(existing[0]), order, settled=None if state == "pending" else state)
    if order is None:
        return Reservation(0, None, refused="UNKNOWN_TRANSACTION")
    if order.status == OrderStatus.REFUNDED:
        return Reservation(0, order, refused="EXCEEDS_REMAINING")  # nothing remains
    if order.status not in lifecycle.REFUNDABLE:
        return Reservation(0, order, refused="NOT_REFUNDABLE")
    available = order.remaining_minor - _pending(tx, transaction_id)
    amount = available if amount_minor is None else amount_minor
    if amount <= 0 or amount > available:
        return Reservation(amount, order, refused="EXCEEDS_REMAINING")
    tx.execute(
        "INSERT INTO refunds (command_id, transaction_id, amount_minor, state, updated_at) "
        "VALUES (:id, :tx, :amount, 'pending', :now)",
        {"id": command_id, "tx": transaction_id, "amount": amount, "now": now},
    )
    return Reservation(amount, order)


def settle(tx: Tx, command_id: str, succeeded: bool, now: float) -> int:
    """Close a reservation (if one is pending); a success adds it to the refunded total."""
    row = tx.one(
        "UPDATE refunds SET state = :state, updated_at = :now "
        "WHERE command_id = :id AND state = 'pending' RETURNING transaction_id, amount_minor",
        {"id": command_id, "state": "succeeded" if succeeded else "failed", "now": now},
    )
    if row is None:
        return 0  # nothing was reserved (refused before) or it was settled already
    transaction_id, amount = str(row[0]), int(row[1])
    if succeeded:
        tx.execute(
            "UPDATE orders SET refunded_minor = refunded_minor + :amount, updated_at = :now "
            "WHERE transaction_id = :tx",
            {"amount": amount, "now": now, "tx": transaction_id},
        )
    order = orders.get(tx, transaction_id)
    return order.refunded_minor if order else 0


def with_pending(tx: Tx, order: orders.Order) -> orders.Order:
    """``order`` with the refunds reserved but not yet settled counted as refunded."""
    pending = _pending(tx, order.transaction_id)
    return replace(order, refunded_minor=order.refunded_minor + pending) if pending else order


def _pending(tx: Tx, transaction_id: str) -> int:
    row = tx.one(
        "SELECT COALESCE(SUM(amount_minor), 0) FROM refunds "
        "WHERE transaction_id = :tx AND state = 'pending'",
        {"tx": transaction_id},
    )
    return int(row[0]) if row else 0
