"""Moves orders through their states and emits the webhook each move implies (§7.2, §8.2).

Every timer action re-checks the order's state first, so an order cancelled while a rescue or
expiry timer is pending never produces a later ``order.completed``/``order.expired``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from consumer.sandbox.amounts import major
from consumer.sandbox.clock import VirtualClock
from consumer.sandbox.decisions import Decision, Verdict
from consumer.sandbox.delivery import Dispatcher, payload
from consumer.sandbox.orders import Order, Reason, Status
from consumer.sandbox.scheduler import Scheduler
from consumer.sandbox.state import State
from consumer.settings import SandboxSettings

# Flex picks up a managed MIT shortly after it arrives (Draft -> Processing).
PICK_UP_DELAY = timedelta(minutes=1)

INITIAL_STATUS = {
    Verdict.SUBMITTED: (Status.DRAFT, Reason.CREATED),
    Verdict.CHALLENGE: (Status.PROCESSING, Reason.CREATED),
    Verdict.CAPTUREREQUIRED: (Status.CAPTUREREQUIRED, Reason.CREATED),
    Verdict.APPROVED: (Status.COMPLETED, Reason.APPROVED),
    Verdict.DECLINED: (Status.CANCELLED, Reason.DECLINED),
}


class Lifecycle:
    """The order state machine, with its timers and webhooks."""

    def __init__(
        self,
        state: State,
        clock: VirtualClock,
        scheduler: Scheduler,
        dispatcher: Dispatcher,
        settings: SandboxSettings,
    ) -> None:
        self._state = state
        self._clock = clock
        self._scheduler = scheduler
        self._dispatcher = dispatcher
        self._settings = settings

    def opened(self, order: Order, decision: Decision) -> None:
        """Start the life of a new order: immediate webhooks and the timers its verdict needs."""
        if order.status == Status.COMPLETED:
            order.captured_amount = order.amount
            self._emit("order.completed", order)
        elif order.status == Status.CAPTUREREQUIRED:
            self._emit("order.capturerequired", order)
            self._at(order.placed_at + self._settings.capture_window, order, self._auto_void)
        elif order.kind == "CIT" and order.status == Status.PROCESSING:
            self._at(order.placed_at + self._settings.challenge_timeout, order, self._abandon)
        elif order.kind == "MANAGED_MIT" and order.expires_at is not None:
            self._plan_managed(order, decision)

    def cancel(self, order: Order) -> None:
        """Merchant cancel (/cancel or /external-cancel)."""
        self._finish(order, Status.CANCELLED, Reason.CANCELLED, "order.cancelled")

    def capture(self, order: Order) -> None:
        """A successful /capture."""
        order.captured_amount = order.amount
        self._finish(order, Status.COMPLETED, Reason.CAPTURED, "order.completed")

    def refunded(self, order: Order, amount_minor: int, transaction_id: str) -> None:
        """Book a successful refund; the order is Returned once nothing is left to refund."""
        order.refunded_amount += amount_minor
        full = order.refunded_amount >= order.captured_amount
        status, reason = (
            (Status.RETURNED, Reason.REFUNDED)
            if full
            else (Status.COMPLETED, Reason.PARTIALLY_REFUNDED)
        )
        data = {
            "TransactionId": transaction_id,
            "Amount": float(major(amount_minor, order.currency)),
            "TotalRefunded": float(major(order.refunded_amount, order.currency)),
            "Currency": order.currency,
            "IsPartialRefund": not full,
        }
        self._finish(order, status, reason, "order.refunded", data)

    def _plan_managed(self, order: Order, decision: Decision) -> None:
        assert order.expires_at is not None
        self._at(order.placed_at + PICK_UP_DELAY, order, self._pick_up)
        if decision.rescued:
            window = order.expires_at - order.placed_at
            order.planned_outcome, order.planned_at = (
                "rescue",
                order.placed_at + window * (decision.rescue_point),
            )
            self._at(order.planned_at, order, self._rescue)
        else:
            order.planned_outcome, order.planned_at = "expire", order.expires_at
            self._at(order.expires_at, order, self._expire)

    def _pick_up(self, order: Order, at: datetime) -> None:
        if order.status == Status.DRAFT:
            order.move(Status.PROCESSING, Reason.PICKED_UP, at)

    def _rescue(self, order: Order, at: datetime) -> None:
        if order.pending():
            order.captured_amount = order.amount
            self._finish(order, Status.COMPLETED, Reason.RESCUED, "order.completed", at=at)

    def _expire(self, order: Order, at: datetime) -> None:
        if order.pending():
            self._finish(order, Status.CANCELLED, Reason.EXPIRED, "order.expired", at=at)

    def _abandon(self, order: Order, at: datetime) -> None:
        if order.pending():
            reason = Reason.CHALLENGE_ABANDONED
            self._finish(order, Status.CANCELLED, reason, "order.cancelled", at=at)

    def _auto_void(self, order: Order, at: datetime) -> None:
        if order.status == Status.CAPTUREREQUIRED:
            self._finish(order, Status.CANCELLED, Reason.AUTO_VOIDED, "order.cancelled", at=at)

    def _finish(
        self,
        order: Order,
        status: Status,
        reason: Reason,
        event: str,
        data: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        # Timers pass their due instant, so history and TimeStamp show when it happened in
        # virtual time even when a clock jump runs many timers at once.
        moment = at or self._clock.now()
        order.move(status, reason, moment)
        self._dispatcher.send(payload(event, order, moment, data))

    def _emit(self, event: str, order: Order) -> None:
        self._dispatcher.send(payload(event, order, self._clock.now(), None))

    def _at(self, due: datetime, order: Order, action: Callable[[Order, datetime], None]) -> None:
        # Timers hold the order id, not the order: after a reset the id is simply gone.
        order_id = order.id

        def fire() -> None:
            current = self._state.ledger.orders.get(order_id)
            if current is not None:
                action(current, due)

        self._scheduler.at(due, fire)
