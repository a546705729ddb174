"""POST /v1/orders/{id}/refund (contract §6.2).

only captured orders (Completed, or Returned with nothing left) have anything to refund;
several partial refunds are allowed, their sum capped by the captured amount;
asking for more answers HTTP 200 with success:false, status FAILED, responseCode 2001;
an identical request (same order, amountToRefund, refundMessage) after a success replays
the original answer and refunds nothing; failed refunds are not remembered;
a partial refund leaves the order Completed, the one that refunds the rest makes it Returned;
with partial_refund_limit set (0.6 = the 60 % account rule), a partial refund may not bring
the refunded total above that share of the captured amount (responseCode 2002).
"""

from __future__ import annotations

import uuid
from typing import Any

from consumer.sandbox.amounts import minor, text
from consumer.sandbox.bodies import RefundRequest
from consumer.sandbox.clock import VirtualClock
from consumer.sandbox.envelope import envelope, failure_items
from consumer.sandbox.ledger import RefundRecord
from consumer.sandbox.lifecycle import Lifecycle
from consumer.sandbox.orders import Order
from consumer.sandbox.problems import validation
from consumer.sandbox.state import State, StoredRefund

OVER_REFUND, OVER_PARTIAL_LIMIT = "2001", "2002"


class Refunds:
    """Answers refund requests."""

    def __init__(
        self, state: State, lifecycle: Lifecycle, clock: VirtualClock, limit: float | None
    ) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._clock = clock
        self._limit = limit

    def refund(self, order: Order, request: RefundRequest) -> dict[str, Any]:
        """The answer to one refund request for ``order``."""
        cents = minor(request.amount_to_refund, order.currency)
        if cents is None:
            raise validation({"AmountToRefund": ["The field AmountToRefund is invalid."]})
        key = (order.id, cents, request.refund_message or "")
        done = self._state.refunds.get(key)
        if done is not None:
            done.record.replays += 1
            return done.body
        refused = self._refusal(order, cents)
        if refused is not None:
            code, message = refused
            body = envelope(
                _fields(code, message, None),
                success=False,
                status="FAILED",
                errors=failure_items(message, code),
            )
            self._note(order, request, body)
            return body
        transaction_id = str(uuid.uuid4())
        self._lifecycle.refunded(order, cents, transaction_id)
        body = envelope(_fields("0", "APPROVED", transaction_id), status="SUCCESS")
        self._state.refunds[key] = StoredRefund(body, self._note(order, request, body))
        return body

    def _refusal(self, order: Order, cents: int) -> tuple[str, str] | None:
        remaining = order.refundable_minor()
        if cents > remaining:
            asked, most = text(cents, order.currency), text(remaining, order.currency)
            # The doubled parenthesis is how the API writes it (contract §6.2).
            return OVER_REFUND, (
                f"Amount to refund ({asked}) is greater than maximum refund amount in ({most}))"
            )
        total = order.refunded_amount + cents
        partial = total < order.captured_amount
        if self._limit is not None and partial and total > order.captured_amount * self._limit:
            return OVER_PARTIAL_LIMIT, (
                f"Partial refunds are limited to {self._limit:.0%} of the order amount"
                f" ({text(order.captured_amount, order.currency)})"
            )
        return None

    def _note(self, order: Order, request: RefundRequest, body: dict[str, Any]) -> RefundRecord:
        record = RefundRecord(
            at=self._clock.now(),
            amount_to_refund=request.amount_to_refund,
            refund_message=request.refund_message,
            status=body["status"],
            response_code=body["responseCode"],
            transaction_id=body["transactionId"],
        )
        self._state.ledger.refunds.setdefault(order.id, []).append(record)
        return record


def _fields(code: str, message: str, transaction_id: str | None) -> dict[str, Any]:
    return {"responseCode": code, "responseMessage": message, "transactionId": transaction_id}
