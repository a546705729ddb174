"""POST /v1/capture (contract §6.1), for orders answered CAPTUREREQUIRED.

Only the authorized amount and currency can be captured (no partial or over-capture); anything
else, or an order not awaiting capture, answers 200 with status/captureStatus FAILED. The
required idempotencyKey replays the answer; reused with another body it is a 409.
"""

from __future__ import annotations

from typing import Any

from consumer.sandbox.bodies import CaptureRequest
from consumer.sandbox.clock import VirtualClock
from consumer.sandbox.envelope import envelope, failure_items
from consumer.sandbox.lifecycle import Lifecycle
from consumer.sandbox.orders import Status
from consumer.sandbox.problems import Problem
from consumer.sandbox.state import State, Stored, fingerprint


class Captures:
    """Answers capture requests."""

    def __init__(self, state: State, lifecycle: Lifecycle, clock: VirtualClock) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._clock = clock

    def capture(self, request: CaptureRequest, document: dict[str, Any]) -> dict[str, Any]:
        """The answer to one capture request."""
        order = self._state.order(request.order_id)
        stats = self._state.ledger.capture_stats(order.id)
        stats.calls += 1
        key, digest = str(request.idempotency_key), fingerprint(document)
        stored = self._state.captures.get(key)
        if stored is not None:
            if stored.fingerprint != digest:
                stats.conflicts += 1
                raise Problem(409, "The idempotency key was already used with a different request.")
            stats.replays += 1
            return stored.body
        if order.status != Status.CAPTUREREQUIRED:
            body = _failed(f"Order is not awaiting capture (status {order.status_name}).")
            stats.refused += 1
        elif request.amount != order.amount or request.currency.upper() != order.currency:
            body = _failed("Amount and currency must equal the authorized amount.")
            stats.refused += 1
        else:
            self._lifecycle.capture(order)
            stats.effective += 1
            body = envelope({"orderId": order.id, "captureStatus": "SUCCESS"}, status="SUCCESS")
        self._state.captures[key] = Stored(digest, body, self._clock.now())
        return body


def _failed(message: str) -> dict[str, Any]:
    return envelope(
        {"captureStatus": "FAILED", "responseMessage": message},
        success=False,
        status="FAILED",
        errors=failure_items(message, "400"),
    )
