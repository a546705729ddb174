"""Evaluate decisions are a deterministic function of card, amount and merchant orderId."""

from __future__ import annotations

import pytest

from consumer.sandbox.decisions import Card, Case, Verdict, decide
from tests import flex_requests
from tests.unit.sandbox.conftest import Harness

RESCUED, DECLINED = flex_requests.RESCUED_CARD, flex_requests.DECLINED_CARD
CHALLENGE, OTHER = flex_requests.CHALLENGE_CARD, flex_requests.OTHER_CARD


def case(number: str, amount: int = 4999, *, mit: bool = True, managed: bool = True,
         authorization: bool = False, order_id: str = "ORD-1") -> Case:  # fmt: skip
    return Case(order_id, amount, Card(number[:6], number[-4:]), mit, mit and managed,
                authorization)  # fmt: skip


@pytest.mark.parametrize(
    ("given", "verdict", "rescued"),
    [
        (case(RESCUED), Verdict.SUBMITTED, True),
        (case(DECLINED), Verdict.SUBMITTED, False),
        (case(RESCUED, 1013), Verdict.SUBMITTED, True),  # the card rule comes first
        (case(OTHER, 1013), Verdict.SUBMITTED, False),
        (case(OTHER, 4242), Verdict.SUBMITTED, True),
        (case(RESCUED, managed=False), Verdict.APPROVED, True),
        (case(DECLINED, managed=False), Verdict.DECLINED, False),
        (case(OTHER, 1013, managed=False), Verdict.DECLINED, False),
        (case(CHALLENGE, mit=False), Verdict.CHALLENGE, False),
        (case(RESCUED, mit=False), Verdict.APPROVED, False),
        (case("51002600235851", mit=False), Verdict.APPROVED, False),
        (case(OTHER, mit=False), Verdict.DECLINED, False),
        (case(CHALLENGE, 1013, mit=False), Verdict.DECLINED, False),
        (case(OTHER, authorization=True), Verdict.CAPTUREREQUIRED, False),
        (case(CHALLENGE, mit=False, authorization=True), Verdict.CAPTUREREQUIRED, False),
    ],
)
def test_decision_table(given: Case, verdict: Verdict, rescued: bool) -> None:
    decision = decide(given, rescue_rate=0.5)
    assert (decision.verdict, decision.rescued) == (verdict, rescued)


def test_other_cards_follow_the_rescue_rate_by_order_id() -> None:
    ids = [f"ORD-{n}" for n in range(400)]
    rescued = [decide(case(OTHER, order_id=i), 0.3).rescued for i in ids]
    assert 0.2 < sum(rescued) / len(ids) < 0.4
    assert rescued == [decide(case(OTHER, order_id=i), 0.3).rescued for i in ids]
    assert not any(decide(case(OTHER, order_id=i), 0.0).rescued for i in ids)
    assert all(decide(case(OTHER, order_id=i), 1.0).rescued for i in ids)


def test_rescue_happens_strictly_inside_the_window() -> None:
    points = {decide(case(RESCUED, order_id=f"ORD-{n}"), 0.5).rescue_point for n in range(200)}
    assert len(points) > 100
    assert all(0.1 <= point < 0.6 for point in points)


@pytest.mark.parametrize(
    ("overrides", "status"),
    [
        ({}, "SUBMITTED"),
        ({"managed": False}, "APPROVED"),
        ({"managed": False, "card": DECLINED}, "DECLINED"),
        ({"isMIT": False, "managed": False, "card": CHALLENGE}, "CHALLENGE"),
        ({"transactionType": "Authorization"}, "CAPTUREREQUIRED"),
    ],
)
async def test_evaluate_answers_the_table_status(
    sandbox: Harness, overrides: dict[str, object], status: str
) -> None:
    response = await sandbox.evaluate(senseKey="sense-1", **overrides)
    body = response.json()
    assert body["status"] == status
    assert body["success"] is True
    assert body["result"] == "Success"
    assert body["orderSessionKey"] == body["orderId"]
    assert body["senseKey"] == "sense-1"
