"""POST /v1/orders/{id}/cancel and /v1/orders/{orderId}/external-cancel (contract §6.3).

    allowed: MIT orders in Draft, Processing or Capturerequired; CIT orders in Capturerequired;
    answer: 200 with an empty body; order -> Cancelled, ``order.cancelled`` webhook;
    an order the merchant already cancelled: 200 again, nothing else happens;
    any other state (Completed, Returned, expired, declined): 409 ProblemDetails
      (the contract leaves 400 vs 409 open; 409 says "the order's state forbids it");
    optional idempotencyKey: the same key and request within 24 h replays the answer,
      the same key with another order or body -> 409.
Both paths address the same order, so /cancel and /external-cancel collapse into one cancel.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from consumer.sandbox.bodies import CancelRequest
from consumer.sandbox.clock import VirtualClock
from consumer.sandbox.lifecycle import Lifecycle
from consumer.sandbox.orders import Order, Reason, Status
from consumer.sandbox.problems import Problem
from consumer.sandbox.state import State, Stored, fingerprint

REPLAY_WINDOW = timedelta(hours=24)


class Cancellations:
    """Answers cancel requests."""

    def __init__(self, state: State, lifecycle: Lifecycle, clock: VirtualClock) -> None:
        self._state = state
        self._lifecycle = lifecycle
        self._clock = clock

    def cancel(self, order: Order, request: CancelRequest, document: dict[str, Any]) -> None:
        """Cancel ``order`` or raise a 409 Problem."""
        stats = self._state.ledger.cancel_stats(order.id)
        stats.calls += 1
        key = str(request.idempotency_key) if request.idempotency_key else None
        digest = fingerprint(order.id, document)
        stored = self._state.cancels.get(key) if key else None
        if stored is not None and self._clock.now() - stored.at < REPLAY_WINDOW:
            if stored.fingerprint != digest:
                stats.conflicts += 1
                raise Problem(409, "The idempotency key was already used with a different request.")
            stats.replays += 1
            return
        if order.status == Status.CANCELLED and order.reason == Reason.CANCELLED:
            stats.replays += 1
        elif order.cancellable():
            self._lifecycle.cancel(order)
            stats.effective += 1
        else:
            stats.refused += 1
            raise Problem(409, f"Order cannot be cancelled in status {order.status_name}.")
        if key:
            self._state.cancels[key] = Stored(digest, {}, self._clock.now())
