"""Refund and cancel commands: checked against the store first, sent to Flex at most once each.

    refund: reserve the amount (only an approved order, never past what was captured)
            -> /orders/{id}/refund with the command id in the message (Flex de-duplicates
            identical requests) -> REFUNDED / PARTIALLY_REFUNDED, or REFUND_FAILED with
            Flex's code (a 200 with ``success: false`` is a failure).
    cancel: only an order Flex still holds -> /orders/{id}/cancel, or, when /evaluate never
            answered, /orders/{merchant order id}/external-cancel -> CANCELLED / CANCEL_FAILED.

Every command gets exactly one result event (id derived from the command id), also when it
is refused before reaching Flex.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from consumer import events, lifecycle
from consumer.errors import TransientError
from consumer.events import CancelRequested, OrderStatus, OrderStatusChanged, RefundRequested
from consumer.flex import FlexClient, FlexRejected
from consumer.processing import statuses
from consumer.processing.outcome import (
    PARKING,
    Backoff,
    ClaimBusy,
    Outcome,
    Publish,
)
from consumer.store import Claim, ClaimState, Order, Store

log = logging.getLogger(__name__)

Command = RefundRequested | CancelRequested

_REFUSALS = {
    "UNKNOWN_TRANSACTION": "no Flex order is known for this transaction",
    "NOT_REFUNDABLE": "only a payment Flex rescued (APPROVED) can be refunded",
    "EXCEEDS_REMAINING": "the refunds would exceed the captured amount",
}


@dataclass(frozen=True)
class CommandPolicy:
    """Time limits of the command handler."""

    call_budget: float = 30.0
    give_up_after: timedelta = timedelta(hours=24)
    parking: Backoff = PARKING


class CommandHandler:
    """Handles records of ``flex-commands`` (and their parked retries)."""

    def __init__(
        self,
        store: Store,
        flex: FlexClient,
        publish: Publish,
        policy: CommandPolicy,
        now: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._flex = flex
        self._publish = publish
        self._policy = policy
        self._now = now

    async def handle(self, raw: bytes | None) -> Outcome:
        """Settle one command record; raises InvalidEvent or TransientError."""
        command = events.decode_command(raw)
        claim = await self._store.claim("command", command.command_id)
        if claim.state is ClaimState.DONE:
            await self._publish_claim(command, claim)
            return Outcome.DUPLICATE
        if claim.state is ClaimState.SCHEDULED:
            return Outcome.PARKED
        if claim.state is ClaimState.BUSY:
            raise ClaimBusy(f"command {command.command_id} is being handled elsewhere")
        async with self._store.held("command", command.command_id):
            try:
                async with asyncio.timeout(self._policy.call_budget):
                    if isinstance(command, RefundRequested):
                        return await self._refund(command)
                    return await self._cancel(command)
            except (TransientError, TimeoutError) as exc:
                return await self._park_or_give_up(command, claim, raw or b"", exc)

    async def _refund(self, command: RefundRequested) -> Outcome:
        reservation = await self._store.reserve_refund(
            command.transaction_id, command.command_id, command.amount_minor
        )
        order = reservation.order
        if reservation.refused is not None or order is None or order.flex_order_id is None:
            code = reservation.refused or "UNKNOWN_TRANSACTION"
            await self._answer(command, order, OrderStatus.REFUND_FAILED, reason_code=code,
                               reason=_REFUSALS[code])  # fmt: skip
            return Outcome.REFUSED
        try:
            response = await self._flex.refund(
                order.flex_order_id,
                amount_minor=reservation.amount_minor,
                currency=order.currency,
                message=_refund_message(command),
            )
        except FlexRejected as exc:
            return await self._refund_failed(command, order, str(exc.status), str(exc))
        if not response.succeeded:
            return await self._refund_failed(
                command, order, response.response_code, response.response_message
            )
        refunded = order.refunded_minor + reservation.amount_minor
        status = (
            OrderStatus.REFUNDED if refunded >= order.amount_minor
            else OrderStatus.PARTIALLY_REFUNDED
        )  # fmt: skip
        remaining = order.amount_minor - refunded
        event = self._event(
            command, order, status, refunded_minor=refunded, remaining_minor=remaining,
            reason=command.reason,
        )  # fmt: skip
        claim = await self._store.settle_refund(command.command_id, True, event)
        await self._publish_claim(command, claim)
        return Outcome.REFUNDED

    async def _refund_failed(
        self, command: RefundRequested, order: Order, code: str | None, message: str | None
    ) -> Outcome:
        # Releases the reservation, so the amount stays available to a later command.
        event = self._event(command, order, OrderStatus.REFUND_FAILED, reason_code="FLEX_REFUSED",
                            reason="Flex refused the refund", flex_code=code,
                            flex_message=(message or "")[:500] or None)  # fmt: skip
        claim = await self._store.settle_refund(command.command_id, False, event)
        await self._publish_claim(command, claim)
        return Outcome.FAILED

    async def _cancel(self, command: CancelRequested) -> Outcome:
        order = await self._store.get_order(command.transaction_id)
        refused = _cancel_refusal(order)
        if refused is not None or order is None:
            code, reason = refused or ("UNKNOWN_TRANSACTION", _REFUSALS["UNKNOWN_TRANSACTION"])
            await self._answer(command, order, OrderStatus.CANCEL_FAILED, reason_code=code,
                               reason=reason)  # fmt: skip
            return Outcome.REFUSED
        key = events.derive_id(command.command_id, "flex-cancel")
        try:
            if order.flex_order_id is None:
                # /evaluate never answered: Flex knows the order only by our order id.
                await self._flex.external_cancel(order.merchant_order_id, idempotency_key=key)
            else:
                await self._flex.cancel(order.flex_order_id, idempotency_key=key)
        except FlexRejected as exc:
            await self._answer(command, order, OrderStatus.CANCEL_FAILED,
                               reason_code="FLEX_REFUSED", reason=str(exc)[:500],
                               flex_code=str(exc.status))  # fmt: skip
            return Outcome.FAILED
        await self._answer(command, order, OrderStatus.CANCELLED, reason=command.reason)
        return Outcome.CANCELLED

    async def _park_or_give_up(
        self, command: Command, claim: Claim, raw: bytes, exc: BaseException
    ) -> Outcome:
        now = self._now()
        deadline = command.requested_at + self._policy.give_up_after
        if now < deadline:
            retry_after = getattr(exc, "retry_after", None)
            delay = self._policy.parking.delay(claim.attempts, retry_after)
            await self._store.park("command", command.command_id, raw.decode(),
                                   now.timestamp() + delay, deadline.timestamp())  # fmt: skip
            return Outcome.PARKED
        order = await self._store.get_order(command.transaction_id)
        reason = f"Flex could not be reached within {self._policy.give_up_after} ({exc})"
        if isinstance(command, RefundRequested) and order is not None:
            return await self._refund_failed(command, order, "FLEX_UNREACHABLE", reason)
        status = (
            OrderStatus.REFUND_FAILED if isinstance(command, RefundRequested)
            else OrderStatus.CANCEL_FAILED
        )  # fmt: skip
        await self._answer(command, order, status, reason_code="FLEX_UNREACHABLE", reason=reason)
        return Outcome.FAILED

    async def _answer(
        self, command: Command, order: Order | None, status: OrderStatus, **fields: Any
    ) -> None:
        event = self._event(command, order, status, **fields)
        claim = await self._store.finish("command", command.command_id, event)
        await self._publish_claim(command, claim)

    def _event(
        self, command: Command, order: Order | None, status: OrderStatus, **fields: Any
    ) -> OrderStatusChanged:
        return statuses.for_command(
            command.command_id, command.transaction_id, order, status, self._now(), **fields
        )

    async def _publish_claim(self, command: Command, claim: Claim) -> None:
        if claim.outcome is not None:
            await self._publish(command.transaction_id, claim.outcome)


def _refund_message(command: RefundRequested) -> str:
    # Stable per command: Flex treats an identical request as a replay, not a second refund.
    return f"flexmit {command.command_id}" + (f": {command.reason}" if command.reason else "")


def _cancel_refusal(order: Order | None) -> tuple[str, str] | None:
    if order is None:
        return None
    if order.status in lifecycle.REFUNDABLE or order.status == OrderStatus.REFUNDED:
        return ("ALREADY_CAPTURED", "Flex rescued and charged this payment; refund it instead")
    if order.status in lifecycle.HELD_BY_FLEX or order.status == lifecycle.PENDING:
        return None
    return ("NOT_HELD_BY_FLEX", f"Flex does not hold this order any more ({order.status})")
