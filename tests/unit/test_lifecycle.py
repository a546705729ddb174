"""The lifecycle allows forward moves only; terminal statuses stay put."""

from __future__ import annotations

import pytest

from consumer import lifecycle
from consumer.events import OrderStatus as S
from consumer.lifecycle import Move


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        (lifecycle.PENDING, S.SUBMITTED, Move.APPLIED),
        (S.SUBMITTED, S.APPROVED, Move.APPLIED),
        (S.SUBMITTED, S.SUBMITTED, Move.UNCHANGED),
        (S.CANCELLED, S.APPROVED, Move.REGRESSION),
        (S.EXPIRED, S.APPROVED, Move.REGRESSION),
        (S.APPROVED, S.SUBMITTED, Move.REGRESSION),
        (S.APPROVED, S.PARTIALLY_REFUNDED, Move.APPLIED),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED, Move.APPLIED),
        (S.REFUNDED, S.REFUNDED, Move.UNCHANGED),
        (S.REFUNDED, S.PARTIALLY_REFUNDED, Move.REGRESSION),
    ],
)
def test_moves(current: str, new: S, expected: Move) -> None:
    assert lifecycle.move(current, new) is expected


def test_terminal_statuses_accept_no_order_status_but_chargeback() -> None:
    for status in (S.EXPIRED, S.CANCELLED, S.NOT_ELIGIBLE, S.NOT_SUBMITTED):
        assert lifecycle.is_terminal(status)
        assert all(lifecycle.move(status, new) is not Move.APPLIED for new in S)
    assert not lifecycle.is_terminal(lifecycle.PENDING)
    assert lifecycle.move(S.FAILED, S.SUBMITTED) is Move.APPLIED  # a corrected record, replayed
    assert not lifecycle.is_terminal(S.SUBMITTED)
