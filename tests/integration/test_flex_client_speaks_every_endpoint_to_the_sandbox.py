"""FlexClient on its real transport drives each of its endpoints against the sandbox over HTTP."""

from __future__ import annotations

import uuid

import pytest

from consumer.flex import FlexClient, FlexConflict, FlexNotFound, evaluate_idempotency_key
from consumer.flex.orders import OrderStatus
from consumer.flex.responses import EvaluateStatus, OutcomeStatus
from consumer.sandbox.ledger import Ledger
from consumer.sandbox.server import RunningSandbox
from tests.sandbox_client import a_card, a_declined_renewal, an_approved_copy, flex_settings

pytestmark = pytest.mark.integration


def statuses(ledger: Ledger, endpoint: str) -> dict[str, int]:
    """HTTP statuses the sandbox answered on ``endpoint`` ("POST /v1/evaluate"), counted."""
    stats = ledger.endpoints.get(endpoint)
    return stats.statuses if stats else {}


async def test_a_vaulted_card_is_evaluated_once_however_often_the_renewal_is_sent(
    flex_sandbox: RunningSandbox,
) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        vaulted = await flex.tokenize(a_card())
        assert vaulted.token is not None
        renewal = a_declined_renewal(vaulted.token)
        first = await flex.evaluate(renewal)
        again = await flex.evaluate(renewal)

    assert first.decision is EvaluateStatus.SUBMITTED
    assert again.flex_order_id == first.flex_order_id
    ledger = flex_sandbox.admin.ledger()
    assert ledger.cards_tokenized == 1
    key_text = str(evaluate_idempotency_key(renewal.transaction.id))
    key = ledger.evaluations.by_idempotency_key[key_text]
    assert (key.calls, key.replays, key.flex_order_id) == (2, 1, first.flex_order_id)
    assert ledger.evaluations.by_order_id[renewal.order_id].flex_order_ids == [first.flex_order_id]
    order = ledger.orders[str(first.flex_order_id)]
    assert (order.kind, order.amount, order.currency) == ("MANAGED_MIT", 4999, "USD")
    assert ledger.tokens_issued == 1


async def test_order_and_outcome_follow_a_rescue(flex_sandbox: RunningSandbox) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        submitted = await flex.evaluate(a_declined_renewal())
        flex_id = str(submitted.flex_order_id)
        pending, pending_outcome = await flex.order(flex_id), await flex.outcome(flex_id)
        flex_sandbox.admin.advance(days=21)
        rescued, rescued_outcome = await flex.order(flex_id), await flex.outcome(flex_id)

    assert (pending.id, pending.state, pending.currency_code) == (flex_id, OrderStatus.DRAFT, "USD")
    assert pending_outcome.outcome is OutcomeStatus.SUBMITTED
    assert rescued.state is OrderStatus.COMPLETED
    assert rescued_outcome.outcome is OutcomeStatus.APPROVED
    confirmation = flex_sandbox.admin.ledger().orders[flex_id].confirmation_id
    assert rescued_outcome.confirmation_id == confirmation


async def test_cancel_and_external_cancel_stop_pending_rescues_and_refuse_a_completed_one(
    flex_sandbox: RunningSandbox,
) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        by_flex_id = await flex.evaluate(a_declined_renewal())
        by_ours = a_declined_renewal()
        await flex.evaluate(by_ours)
        approved = await flex.evaluate(a_declined_renewal(managed=False))
        await flex.cancel(str(by_flex_id.flex_order_id))
        await flex.cancel(str(by_flex_id.flex_order_id))
        await flex.external_cancel(by_ours.order_id, idempotency_key=uuid.uuid4())
        with pytest.raises(FlexConflict):
            await flex.cancel(str(approved.flex_order_id))

    ledger = flex_sandbox.admin.ledger()
    first = ledger.orders[str(by_flex_id.flex_order_id)]
    second = ledger.orders[ledger.evaluations.by_order_id[by_ours.order_id].flex_order_ids[0]]
    assert (first.status_name, second.status_name) == ("CANCELLED", "CANCELLED")
    assert (ledger.cancels[first.id].effective, ledger.cancels[first.id].replays) == (1, 1)
    assert ledger.cancels[second.id].effective == 1
    assert ledger.cancels[str(approved.flex_order_id)].refused == 1
    # A 409 is final: one call, no retry.
    assert statuses(ledger, "POST /v1/orders/{id}/cancel") == {"200": 2, "409": 1}
    assert statuses(ledger, "POST /v1/orders/{id}/external-cancel") == {"200": 1}


async def test_a_refund_is_booked_once_and_an_over_refund_is_answered_not_raised(
    flex_sandbox: RunningSandbox,
) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        approved = await flex.evaluate(a_declined_renewal(amount=4999, managed=False))
        flex_id = str(approved.flex_order_id)
        refund = await flex.refund(flex_id, amount_minor=1000, currency="USD", message="cmd-1")
        repeat = await flex.refund(flex_id, amount_minor=1000, currency="USD", message="cmd-1")
        too_much = await flex.refund(flex_id, amount_minor=4000, currency="USD", message="cmd-2")

    assert approved.decision is EvaluateStatus.APPROVED
    assert refund.succeeded
    assert repeat.transaction_id == refund.transaction_id
    assert not too_much.succeeded
    assert (too_much.status, too_much.response_code) == ("FAILED", "2001")
    ledger = flex_sandbox.admin.ledger()
    booked, refused = ledger.refunds[flex_id]
    assert (booked.status, booked.replays, refused.status) == ("SUCCESS", 1, "FAILED")
    assert ledger.orders[flex_id].refunded_amount == 1000


async def test_transmit_keeps_one_copy_per_transaction(flex_sandbox: RunningSandbox) -> None:
    copy = an_approved_copy("psp-tx-approved-1", amount=2599)
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        first, second = await flex.transmit(copy), await flex.transmit(copy)

    stored = flex_sandbox.admin.ledger().transmits["psp-tx-approved-1"]
    assert first.transmit_id == second.transmit_id == stored.transmit_id
    assert (stored.calls, stored.amount, stored.mid, stored.is_declined) == (
        2,
        2599,
        flex_sandbox.mid,
        False,
    )


async def test_an_unknown_order_is_not_found_and_not_retried(flex_sandbox: RunningSandbox) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        with pytest.raises(FlexNotFound) as raised:
            await flex.order(str(uuid.uuid4()))

    assert raised.value.problem.trace_id is not None
    ledger = flex_sandbox.admin.ledger()
    assert statuses(ledger, "GET /v1/orders/{id}") == {"404": 1}
    assert statuses(ledger, "POST /v1/oauth2/token") == {"200": 1}
