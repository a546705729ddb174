"""A refund in minor units reaches Flex as the exact decimal in major units of its currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from consumer.flex import FlexClient
from consumer.flex.responses import EvaluateStatus
from consumer.sandbox.server import RunningSandbox
from tests.sandbox_client import a_declined_renewal, flex_settings

pytestmark = pytest.mark.integration

# (currency, order amount in minor units, refund in minor units, what Flex must receive)
CASES = [
    ("USD", 4999, 1234, "12.34"),  # two decimals
    ("JPY", 15000, 1234, "1234"),  # no decimals: 1234 yen, not 12.34
    ("KWD", 12345, 1234, "1.234"),  # three decimals: fils
    ("USD", 4999, 5, "0.05"),
]


@pytest.mark.parametrize(("currency", "order_minor", "refund_minor", "expected"), CASES)
async def test_the_refund_amount_flex_receives_is_exact_major_units(
    flex_sandbox: RunningSandbox,
    currency: str,
    order_minor: int,
    refund_minor: int,
    expected: str,
) -> None:
    renewal = a_declined_renewal(amount=order_minor, currency=currency, managed=False)
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        approved = await flex.evaluate(renewal)
        flex_id = str(approved.flex_order_id)
        refund = await flex.refund(
            flex_id, amount_minor=refund_minor, currency=currency, message="cmd-1"
        )

    assert approved.decision is EvaluateStatus.APPROVED
    assert refund.succeeded
    ledger = flex_sandbox.admin.ledger()
    [booked] = ledger.refunds[flex_id]
    # The text as sent: 1.234, never 1.2340 or 1.23399999; and the same number of minor units.
    assert str(booked.amount_to_refund) == expected
    assert booked.amount_to_refund == Decimal(expected)
    order = ledger.orders[flex_id]
    assert (order.currency, order.refunded_amount) == (currency, refund_minor)


async def test_refunding_the_rest_in_a_three_decimal_currency_returns_the_order(
    flex_sandbox: RunningSandbox,
) -> None:
    renewal = a_declined_renewal(amount=12345, currency="KWD", managed=False)
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        flex_id = str((await flex.evaluate(renewal)).flex_order_id)
        part = await flex.refund(flex_id, amount_minor=12000, currency="KWD", message="cmd-1")
        rest = await flex.refund(flex_id, amount_minor=345, currency="KWD", message="cmd-2")
        more = await flex.refund(flex_id, amount_minor=1, currency="KWD", message="cmd-3")

    assert part.succeeded
    assert rest.succeeded
    assert (more.succeeded, more.response_code) == (False, "2001")
    assert "(0.001)" in str(more.response_message)
    ledger = flex_sandbox.admin.ledger()
    sent = [str(record.amount_to_refund) for record in ledger.refunds[flex_id]]
    assert sent == ["12.000", "0.345", "0.001"]
    assert ledger.orders[flex_id].status_name == "RETURNED"
