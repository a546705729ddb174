"""Orders: what we know of each declined payment's rescue, and every status we published."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from consumer import lifecycle
from consumer.events import OrderStatus, OrderStatusChanged, StatusSource
from consumer.store.database import Row, Tx

_COLUMNS = (
    "transaction_id, merchant_order_id, flex_order_id, status, amount_minor, currency, "
    "refunded_minor, expires_at"
)


@dataclass(frozen=True)
class Order:
    """One declined payment as Flex holds it (or not)."""

    transaction_id: str
    merchant_order_id: str
    flex_order_id: str | None
    status: str  # an OrderStatus, or lifecycle.PENDING
    amount_minor: int
    currency: str
    refunded_minor: int
    expires_at: float | None

    @property
    def remaining_minor(self) -> int:
        """What can still be refunded."""
        return self.amount_minor - self.refunded_minor


@dataclass(frozen=True)
class Applied:
    """The result of applying a status: the move, and the event that stands for it."""

    move: lifecycle.Move
    event: str | None  # JSON of the event to publish (new, or recorded earlier); None if none
    order: Order | None


def _order(row: Row) -> Order:
    return Order(str(row[0]), str(row[1]), row[2], str(row[3]), int(row[4]), str(row[5]),
                 int(row[6]), row[7])  # fmt: skip


def open_pending(
    tx: Tx,
    transaction_id: str,
    merchant_order_id: str,
    amount_minor: int,
    currency: str,
    now: float,
) -> Order:
    """The order of ``transaction_id``, created PENDING if we have not seen it before."""
    tx.execute(
        "INSERT INTO orders (transaction_id, merchant_order_id, status, amount_minor, currency, "
        "updated_at) VALUES (:tx, :mo, :status, :amount, :currency, :now) "
        "ON CONFLICT (transaction_id) DO NOTHING",
        {"tx": transaction_id, "mo": merchant_order_id, "status": lifecycle.PENDING,
         "amount": amount_minor, "currency": currency, "now": now},
    )  # fmt: skip
    found = get(tx, transaction_id)
    assert found is not None  # inserted or already there, inside this transaction
    return found


def get(tx: Tx, transaction_id: str, lock: bool = False) -> Order | None:
    """The order of a transaction; ``lock`` holds its row until the transaction ends."""
    row = tx.one(
        f"SELECT {_COLUMNS} FROM orders WHERE transaction_id = :tx"
        + (tx.dialect.for_update if lock else ""),
        {"tx": transaction_id},
    )
    return None if row is None else _order(row)


def find(tx: Tx, flex_order_id: str | None, merchant_order_id: str | None) -> Order | None:
    """The order Flex calls ``flex_order_id``, else the latest one for the merchant's order id."""
    if flex_order_id:
        row = tx.one(f"SELECT {_COLUMNS} FROM orders WHERE flex_order_id = :id",
                     {"id": flex_order_id})  # fmt: skip
        if row is not None:
            return _order(row)
    if merchant_order_id:
        row = tx.one(
            f"SELECT {_COLUMNS} FROM orders WHERE merchant_order_id = :mo "
            "ORDER BY (flex_order_id IS NULL), updated_at DESC LIMIT 1",
            {"mo": merchant_order_id},
        )
        if row is not None:
            return _order(row)
    return None


def held_elsewhere(tx: Tx, merchant_order_id: str, transaction_id: str) -> Order | None:
    """Another transaction of the same merchant order that Flex already holds."""
    clause, params = _status_in(lifecycle.HELD_BY_FLEX)
    row = tx.one(
        f"SELECT {_COLUMNS} FROM orders WHERE merchant_order_id = :mo AND transaction_id <> :tx "
        f"AND {clause} LIMIT 1",
        {"mo": merchant_order_id, "tx": transaction_id, **params},
    )
    return None if row is None else _order(row)


def apply(
    tx: Tx,
    event: OrderStatusChanged,
    now: float,
    flex_order_id: str | None = None,
    expires_at: float | None = None,
    refunded_minor: int | None = None,
) -> Applied:
    """Apply ``event`` to its order by the lifecycle rules; record it when it is published.

    A command's result is always recorded (the command is owed an answer), but moves the
    order only where the lifecycle allows.
    """
    recorded = recorded_event(tx, str(event.event_id))
    current = get(tx, event.transaction_id, lock=True)  # serialises sequence numbers
    if recorded is not None:
        return Applied(lifecycle.Move.UNCHANGED, recorded, current)
    move = (
        lifecycle.Move.UNCHANGED
        if event.status in lifecycle.COMMAND_RESULTS
        else lifecycle.move(current.status if current else lifecycle.PENDING, event.status)
    )
    if move is lifecycle.Move.APPLIED:
        tx.execute(
            "UPDATE orders SET status = :status, flex_order_id = COALESCE(:flex, flex_order_id), "
            "expires_at = COALESCE(:expires, expires_at), "
            "refunded_minor = COALESCE(:refunded, refunded_minor), updated_at = :now "
            "WHERE transaction_id = :tx",
            {"status": event.status.value, "flex": flex_order_id, "expires": expires_at,
             "refunded": refunded_minor, "now": now, "tx": event.transaction_id},
        )  # fmt: skip
    elif event.source is not StatusSource.COMMAND:
        return Applied(move, None, current)
    return Applied(move, _record(tx, event, now), get(tx, event.transaction_id))


def recorded_event(tx: Tx, event_id: str) -> str | None:
    """The payload of an event we published before."""
    row = tx.one("SELECT payload FROM status_events WHERE event_id = :id", {"id": event_id})
    return None if row is None else str(row[0])


class Receipt(StrEnum):
    """What became of a Flex notification."""

    APPLIED = "applied"  # a new status, published
    UNCHANGED = "unchanged"  # the order already had that status
    REGRESSION = "regression"  # arrived out of order; recorded, never published
    DUPLICATE = "duplicate"  # seen before: the same event (if any) is re-published
    UNKNOWN_ORDER = "unknown_order"  # no order of ours matches
    NOT_READY = "not_ready"  # we have not recorded Flex's answer to /evaluate yet


@dataclass(frozen=True)
class WebhookResult:
    """The receipt of a notification and the event that stands for it, if any."""

    receipt: Receipt
    event: str | None
    order: Order | None


def apply_webhook(
    tx: Tx,
    flex_order_id: str,
    merchant_order_id: str | None,
    flex_event: str,
    build: Callable[[Order], OrderStatusChanged | None],
    now: float,
) -> WebhookResult:
    """Apply a Flex notification once per (order, event)."""
    order = find(tx, flex_order_id, merchant_order_id)
    receipt = tx.one(
        "SELECT event_id FROM webhook_receipts WHERE flex_order_id = :id AND flex_event = :event",
        {"id": flex_order_id, "event": flex_event},
    )
    if receipt is not None:
        recorded = recorded_event(tx, receipt[0]) if receipt[0] else None
        return WebhookResult(Receipt.DUPLICATE, recorded, order)
    if order is None:
        return WebhookResult(Receipt.UNKNOWN_ORDER, None, None)
    if order.status == lifecycle.PENDING:
        return WebhookResult(Receipt.NOT_READY, None, order)
    event = build(order)
    applied = (
        apply(tx, event, now, flex_order_id=flex_order_id)
        if event is not None
        else Applied(lifecycle.Move.UNCHANGED, None, order)
    )
    result = WebhookResult(Receipt(applied.move.value), applied.event, applied.order)
    published = event.event_id if event is not None and result.receipt is Receipt.APPLIED else None
    tx.execute(
        "INSERT INTO webhook_receipts (flex_order_id, flex_event, transaction_id, result, "
        "event_id, received_at) VALUES (:id, :event, :tx, :result, :event_id, :now)",
        {"id": flex_order_id, "event": flex_event, "tx": order.transaction_id,
         "result": result.receipt.value, "now": now,
         "event_id": None if published is None else str(published)},
    )  # fmt: skip
    return result


def overdue(
    tx: Tx,
    status: OrderStatus,
    expired_before: float,
    limit: int,
    after: tuple[float, str] | None = None,
) -> list[Order]:
    """Orders still in ``status`` whose expiry passed before ``expired_before``, by expiry.

    ``after`` (expiry, transaction id) of the last order of a previous page continues there.
    """
    since, last = after if after is not None else (float("-inf"), "")
    rows = tx.all(
        f"SELECT {_COLUMNS} FROM orders WHERE status = :status AND expires_at < :before "
        "AND (expires_at > :since OR (expires_at = :since AND transaction_id > :last)) "
        "ORDER BY expires_at, transaction_id LIMIT :limit",
        {"status": status.value, "before": expired_before, "limit": limit, "since": since,
         "last": last},
    )  # fmt: skip
    return [_order(row) for row in rows]


def count_in(tx: Tx, statuses: frozenset[OrderStatus]) -> int:
    """How many orders are in any of ``statuses``."""
    clause, params = _status_in(statuses)
    row = tx.one(f"SELECT count(*) FROM orders WHERE {clause}", params)
    return int(row[0]) if row else 0


def _status_in(statuses: frozenset[OrderStatus]) -> tuple[str, dict[str, str]]:
    params = {f"status{i}": status.value for i, status in enumerate(sorted(statuses))}
    return f"status IN ({', '.join(':' + name for name in params)})", params


def _record(tx: Tx, event: OrderStatusChanged, now: float) -> str:
    row = tx.one("SELECT count(*) FROM status_events WHERE transaction_id = :tx",
                 {"tx": event.transaction_id})  # fmt: skip
    sequence = (int(row[0]) if row else 0) + 1
    payload = event.model_copy(update={"sequence": sequence}).model_dump_json()
    tx.execute(
        "INSERT INTO status_events (event_id, transaction_id, status, payload, created_at) "
        "VALUES (:id, :tx, :status, :payload, :now)",
        {"id": str(event.event_id), "tx": event.transaction_id, "status": event.status.value,
         "payload": payload, "now": now},
    )  # fmt: skip
    return payload
