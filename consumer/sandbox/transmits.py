"""POST /v1/transmit (contract §3): keep one copy per (mid, transaction id), count every call.

Transmit carries no card number; a body whose ``paymentMethod.cardNumber`` looks like one is
refused (400) so that a client leaking a PAN is caught in the sandbox rather than in production.
"""

from __future__ import annotations

import uuid
from typing import Any

from consumer.events import looks_like_pan
from consumer.sandbox.bodies import TransmitRequest
from consumer.sandbox.envelope import envelope
from consumer.sandbox.ledger import TransmitRecord
from consumer.sandbox.problems import Problem, validation
from consumer.sandbox.state import State


def transmit(state: State, request: TransmitRequest, mid: str) -> dict[str, Any]:
    """Record the copy (once) and answer with its transmitId."""
    if request.mid is not None and request.mid != mid:
        raise Problem(403, "The mid does not belong to this API client.")
    if request.payment_method.card_number and looks_like_pan(request.payment_method.card_number):
        raise validation({"PaymentMethod.CardNumber": ["Card numbers must not be transmitted."]})
    record = state.ledger.transmits.get(request.transaction.id)
    if record is None:
        record = state.ledger.transmits[request.transaction.id] = TransmitRecord(
            transmit_id=str(uuid.uuid4()),
            mid=mid,
            order_id=request.order_id,
            is_declined=request.is_declined,
            amount=request.transaction.amount,
            currency=request.transaction.currency.upper(),
        )
    else:
        record.calls += 1
    return envelope({"transmitId": record.transmit_id}, status=0)
