"""An approved payment: copy it to Flex (/transmit) once. Nobody waits for it; nothing loses it.

A transmit that cannot reach Flex is parked in the store and retried for a week; one Flex
refuses, or one still unsent after that, goes to the dead-letter topic, from which
``flexmit dlq replay`` sends it again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from consumer import events
from consumer.errors import PermanentError, TransientError
from consumer.events import PaymentApproved
from consumer.flex import FlexClient, FlexRejected
from consumer.processing.outcome import PARKING, Backoff, ClaimBusy, Outcome, Rejected
from consumer.processing.requests import transmit_request
from consumer.store import Claim, ClaimState, Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApprovedPolicy:
    """Time limits of the transmit handler."""

    call_budget: float = 30.0
    give_up_after: timedelta = timedelta(days=7)
    parking: Backoff = PARKING


class TransmitExpired(PermanentError):
    """A transmit could not reach Flex within its time limit."""


class ApprovedHandler:
    """Handles records of ``payment-approved`` (and their parked retries)."""

    def __init__(
        self, store: Store, flex: FlexClient, policy: ApprovedPolicy, now: Callable[[], datetime]
    ) -> None:
        self._store = store
        self._flex = flex
        self._policy = policy
        self._now = now

    async def handle(self, raw: bytes | None) -> Outcome:
        """Settle one approved-payment record; raises InvalidEvent, PermanentError or Transient."""
        approved = events.decode(PaymentApproved, raw)
        claim = await self._store.claim("transmit", approved.transaction_id)
        if claim.state is ClaimState.DONE:
            return Outcome.DUPLICATE
        if claim.state is ClaimState.SCHEDULED:
            return Outcome.PARKED
        if claim.state is ClaimState.BUSY:
            raise ClaimBusy(f"transmit {approved.transaction_id} is being handled elsewhere")
        async with self._store.held("transmit", approved.transaction_id):
            return await self._transmit(approved, claim, raw or b"")

    async def _transmit(self, approved: PaymentApproved, claim: Claim, raw: bytes) -> Outcome:
        try:
            async with asyncio.timeout(self._policy.call_budget):
                await self._flex.transmit(transmit_request(approved))
        except FlexRejected as exc:
            await self._store.fail("transmit", approved.transaction_id, None)
            raise Rejected(str(exc)) from None
        except (TransientError, TimeoutError) as exc:
            return await self._park(approved, claim, raw, exc)
        await self._store.finish("transmit", approved.transaction_id, None)
        return Outcome.TRANSMITTED

    async def _park(
        self, approved: PaymentApproved, claim: Claim, raw: bytes, exc: BaseException
    ) -> Outcome:
        now = self._now()
        deadline = approved.occurred_at + self._policy.give_up_after
        if now >= deadline:
            await self._store.fail("transmit", approved.transaction_id, None)
            raise TransmitExpired(f"Flex unreachable for {self._policy.give_up_after}: {exc}")
        retry_after = getattr(exc, "retry_after", None)
        delay = self._policy.parking.delay(claim.attempts, retry_after)
        await self._store.park("transmit", approved.transaction_id, raw.decode(),
                               now.timestamp() + delay, deadline.timestamp())  # fmt: skip
        log.info("parked transmit %s for %.0f s: %s", approved.transaction_id, delay, exc)
        return Outcome.PARKED
