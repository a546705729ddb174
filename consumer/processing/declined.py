"""A declined payment: refuse it with a reason, or hand it to Flex once, and say what happened.

decode -> claim (DONE: re-publish the recorded status) -> eligibility (NOT_ELIGIBLE)
       -> /evaluate with a stable key -> record + publish SUBMITTED (or Flex's answer)
Flex unreachable: park in the store and retry later, until the same-day deadline passes;
then make sure Flex holds nothing (external-cancel) and publish NOT_SUBMITTED.
Flex refuses the request (4xx): publish FAILED; the record goes to the dead-letter topic.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from consumer import events
from consumer.errors import TransientError
from consumer.events import OrderStatus, PaymentDeclined
from consumer.flex import FlexClient, FlexRejected
from consumer.flex.responses import EvaluateResponse, EvaluateStatus
from consumer.processing import eligibility, statuses
from consumer.processing.outcome import (
    PARKING,
    Backoff,
    ClaimBusy,
    Outcome,
    Publish,
    Rejected,
)
from consumer.processing.requests import evaluate_request
from consumer.store import ClaimState, Evaluation, Store

log = logging.getLogger(__name__)

_STATUS = {
    EvaluateStatus.SUBMITTED: OrderStatus.SUBMITTED,
    EvaluateStatus.APPROVED: OrderStatus.APPROVED,
    EvaluateStatus.DECLINED: OrderStatus.DECLINED,
    EvaluateStatus.CHALLENGE: OrderStatus.CHALLENGE,
    EvaluateStatus.CAPTUREREQUIRED: OrderStatus.CAPTURE_REQUIRED,
}
_OUTCOME = {
    OrderStatus.SUBMITTED: Outcome.SUBMITTED,
    OrderStatus.APPROVED: Outcome.APPROVED,
    OrderStatus.DECLINED: Outcome.DECLINED,
}


@dataclass(frozen=True)
class DeclinedPolicy:
    """The rules and time limits of the declined-payment handler."""

    rules: eligibility.Rules
    rescue_window: timedelta
    call_budget: float = 30.0  # seconds one attempt (with the client's own retries) may take
    parking: Backoff = PARKING


class DeclinedHandler:
    """Handles records of ``payment-declined`` (and their parked retries)."""

    def __init__(
        self,
        store: Store,
        flex: FlexClient,
        publish: Publish,
        policy: DeclinedPolicy,
        now: Callable[[], datetime],
        observe: Callable[[str, str], None] = lambda code, outcome: None,
    ) -> None:
        self._observe = observe  # (decline code, outcome): flexmit_declines_total
        self._store = store
        self._flex = flex
        self._publish = publish
        self._policy = policy
        self._now = now

    async def handle(self, raw: bytes | None) -> Outcome:
        """Settle one declined-payment record; raises InvalidEvent, Rejected or TransientError."""
        declined = events.decode(PaymentDeclined, raw)
        evaluation = await self._store.begin_evaluation(
            declined.transaction_id, declined.merchant_order_id, declined.amount_minor,
            declined.currency,
        )  # fmt: skip
        state = evaluation.claim.state
        if state is ClaimState.DONE:
            # Sent again even if the order has moved on since: the crash may have come before
            # the first send, and its sequence number tells consumers it is older.
            if evaluation.claim.outcome is not None:
                await self._publish(declined.transaction_id, evaluation.claim.outcome)
            return Outcome.DUPLICATE
        if state is ClaimState.SCHEDULED:
            return Outcome.PARKED
        if state is ClaimState.BUSY:
            raise ClaimBusy(f"evaluate {declined.transaction_id} is being handled elsewhere")
        async with self._store.held("evaluate", declined.transaction_id):
            outcome = await self._settle(declined, evaluation, raw or b"")
        self._observe(declined.decline.code, outcome)
        return outcome

    async def _settle(self, declined: PaymentDeclined, ev: Evaluation, raw: bytes) -> Outcome:
        if ev.order.status == OrderStatus.CANCELLED:
            # Cancelled (external-cancel) while Flex had not answered: nothing more to send.
            await self._store.finish("evaluate", declined.transaction_id, None)
            return Outcome.SKIPPED
        refusal = self._refusal(declined, ev)
        if refusal is not None:
            event = statuses.for_decline(
                declined, OrderStatus.NOT_ELIGIBLE, self._now(), reason_code=refusal.code,
                reason=refusal.reason,
            )  # fmt: skip
            await self._finish(declined, event)
            return Outcome.NOT_ELIGIBLE
        if self._now() > eligibility.deadline(declined, self._policy.rules):
            # Eligible when first seen, then parked until the deadline passed.
            return await self._give_up(declined, "no attempt reached Flex before the deadline")
        return await self._evaluate(declined, ev, raw)

    def _refusal(self, declined: PaymentDeclined, ev: Evaluation) -> eligibility.Refusal | None:
        rules = self._policy.rules
        refusal = eligibility.refusal(declined, rules)
        if refusal is None and ev.held_elsewhere is not None:
            held = ev.held_elsewhere.transaction_id
            refusal = eligibility.Refusal(
                "ALREADY_HELD_BY_FLEX", f"Flex already holds this order (transaction {held})"
            )
        if refusal is None and ev.claim.attempts == 1:
            refusal = eligibility.staleness(declined, self._now(), rules)
        return refusal

    async def _evaluate(self, declined: PaymentDeclined, ev: Evaluation, raw: bytes) -> Outcome:
        expires_at = declined.occurred_at + self._policy.rescue_window
        request = evaluate_request(declined, expires_at, ev.claim.generation)
        try:
            async with asyncio.timeout(self._policy.call_budget):
                response = await self._flex.evaluate(request)
        except FlexRejected as exc:
            await self._reject(declined, exc)
            raise Rejected(str(exc)) from None
        except (TransientError, TimeoutError) as exc:
            return await self._park_or_give_up(declined, ev, raw, exc)
        return await self._record(declined, response, expires_at)

    async def _record(
        self, declined: PaymentDeclined, response: EvaluateResponse, expires_at: datetime
    ) -> Outcome:
        status = _STATUS.get(response.decision, OrderStatus.FAILED)
        held = status in (
            OrderStatus.SUBMITTED,
            OrderStatus.CHALLENGE,
            OrderStatus.CAPTURE_REQUIRED,
        )
        event = statuses.for_decline(
            declined, status, self._now(),
            order_session_key=response.flex_order_id,
            do_not_retry_until=expires_at if held else None,
            expires_at=expires_at if held else None,
            reason=None if status is not OrderStatus.FAILED else f"Flex answered {response.status}",
        )  # fmt: skip
        await self._finish(declined, event, response.flex_order_id, expires_at.timestamp())
        return _OUTCOME.get(status, Outcome.FAILED)

    async def _park_or_give_up(
        self, declined: PaymentDeclined, ev: Evaluation, raw: bytes, exc: BaseException
    ) -> Outcome:
        now = self._now()
        deadline = eligibility.deadline(declined, self._policy.rules)
        if now >= deadline:
            return await self._give_up(declined, str(exc))
        retry_after = getattr(exc, "retry_after", None)
        delay = self._policy.parking.delay(ev.claim.attempts, retry_after)
        due = min(now.timestamp() + delay, deadline.timestamp())
        await self._store.park("evaluate", declined.transaction_id, raw.decode(), due,
                               deadline.timestamp())  # fmt: skip
        log.info("parked %s for %.0f s: %s", declined.transaction_id, delay, exc)
        return Outcome.PARKED

    async def _give_up(self, declined: PaymentDeclined, why: str) -> Outcome:
        # Flex may have received an attempt whose answer we lost: make sure it holds nothing
        # before dunning resumes, or the subscriber could be charged twice.
        reason = f"Flex could not be reached before the same-day deadline ({why})"
        try:
            await self._flex.external_cancel(declined.merchant_order_id)
        except Exception as cancel_error:  # noqa: BLE001 - reported in the status, never raised
            reason += f"; external-cancel failed too ({type(cancel_error).__name__})"
        event = statuses.for_decline(
            declined, OrderStatus.NOT_SUBMITTED, self._now(), reason_code="FLEX_UNREACHABLE",
            reason=reason[:500],
        )  # fmt: skip
        await self._finish(declined, event)
        return Outcome.NOT_SUBMITTED

    async def _reject(self, declined: PaymentDeclined, exc: FlexRejected) -> None:
        event = statuses.for_decline(
            declined, OrderStatus.FAILED, self._now(), reason_code="FLEX_REJECTED",
            reason=str(exc)[:500], flex_code=str(exc.status),
        )  # fmt: skip
        recorded = await self._store.fail("evaluate", declined.transaction_id, event)
        if recorded is not None:
            await self._publish(declined.transaction_id, recorded)

    async def _finish(
        self,
        declined: PaymentDeclined,
        event: events.OrderStatusChanged,
        flex_order_id: str | None = None,
        expires_at: float | None = None,
    ) -> None:
        claim = await self._store.finish(
            "evaluate", declined.transaction_id, event, flex_order_id, expires_at
        )
        if claim.outcome is not None:
            await self._publish(declined.transaction_id, claim.outcome)
