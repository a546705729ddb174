"""The life of a declined payment at Flex, as the statuses we publish: which moves are allowed.

    PENDING ─┬─> SUBMITTED ─┬─> APPROVED ─┬─> PARTIALLY_REFUNDED ─┬─> REFUNDED
             │              ├─> EXPIRED   ├─> REFUNDED            └─> CHARGEBACK
             │              ├─> CANCELLED └─> CHARGEBACK
             │              └─> CAPTURE_REQUIRED ─> APPROVED | CANCELLED
             ├─> APPROVED | DECLINED | CHALLENGE | CAPTURE_REQUIRED   (synchronous answers)
             └─> NOT_ELIGIBLE | NOT_SUBMITTED | FAILED | CANCELLED    (never held by Flex)

FAILED (Flex refused the request itself) may start over like PENDING when a corrected record
is replayed from the dead-letter topic.

PENDING is ours alone: the decline is being handed to Flex and no answer has come back yet. It
is stored, never published. Command results (REFUND_FAILED, CANCEL_FAILED) report on a command
and leave the order where it is.
"""

from __future__ import annotations

from enum import StrEnum

from consumer.events import OrderStatus

PENDING = "PENDING"

_S = OrderStatus
_ALLOWED: dict[str, frozenset[OrderStatus]] = {
    PENDING: frozenset({
        _S.SUBMITTED, _S.APPROVED, _S.DECLINED, _S.CHALLENGE, _S.CAPTURE_REQUIRED,
        _S.NOT_ELIGIBLE, _S.NOT_SUBMITTED, _S.FAILED, _S.CANCELLED,
    }),
    _S.SUBMITTED: frozenset({
        _S.APPROVED, _S.EXPIRED, _S.CANCELLED, _S.CAPTURE_REQUIRED, _S.CHALLENGE,
    }),
    _S.CHALLENGE: frozenset({_S.APPROVED, _S.CANCELLED, _S.EXPIRED}),
    _S.CAPTURE_REQUIRED: frozenset({_S.APPROVED, _S.CANCELLED, _S.EXPIRED}),
    _S.APPROVED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.CHARGEBACK}),
    _S.PARTIALLY_REFUNDED: frozenset({_S.PARTIALLY_REFUNDED, _S.REFUNDED, _S.CHARGEBACK}),
    _S.REFUNDED: frozenset({_S.CHARGEBACK}),
}  # fmt: skip
# Flex refused the submission for good (a 400): a corrected record may be submitted afresh.
_ALLOWED[_S.FAILED] = _ALLOWED[PENDING]

COMMAND_RESULTS = frozenset({OrderStatus.REFUND_FAILED, OrderStatus.CANCEL_FAILED})

# Flex still holds the order and may yet charge it: dunning must wait, cancel is possible.
HELD_BY_FLEX = frozenset({_S.SUBMITTED, _S.CHALLENGE, _S.CAPTURE_REQUIRED})

REFUNDABLE = frozenset({_S.APPROVED, _S.PARTIALLY_REFUNDED})


class Move(StrEnum):
    """What applying a status to an order amounts to."""

    APPLIED = "applied"  # a new status: store it and publish it
    UNCHANGED = "unchanged"  # the order already has it: a duplicate, publish nothing new
    REGRESSION = "regression"  # not reachable from the current status: record, never publish


def move(current: str, new: OrderStatus) -> Move:
    """Classify the move from ``current`` (an OrderStatus or PENDING) to ``new``."""
    if new in _ALLOWED.get(current, frozenset()):
        return Move.APPLIED
    if current == new:
        return Move.UNCHANGED
    return Move.REGRESSION


def is_terminal(status: str) -> bool:
    """True when no further status can follow (refunds aside, nothing changes any more)."""
    return status != PENDING and not _ALLOWED.get(status)
