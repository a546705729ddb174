"""A stand-in PSP for the example checkout: deterministic answers after a short delay.

The first matching rule wins:

    card 4000000000000002                  declined 05 Do not honor
    card 4000000000009995                  declined 51 Insufficient funds
    card 4000000000000069                  declined 54 Expired card
    expiry before the current month        declined 54 Expired card
    amount in minor units ending in CENTS   declined 51 Insufficient funds (CENTS: 51 by default)
    anything else                          approved 00

It knows no issuer table: the brand comes from the leading digits and the card's country is
reported as the billing country. Transaction ids are fresh per call (``sim_<hex>``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from consumer.checkout.authorization import Authorization, AuthorizationRequest

PSP_NAME = "simulated"

_APPROVED = ("00", "Approved")
_DO_NOT_HONOR = ("05", "Do not honor")
_INSUFFICIENT_FUNDS = ("51", "Insufficient funds")
_EXPIRED_CARD = ("54", "Expired card")
# Public test card numbers, compared in memory only.
_DECLINED_CARDS = {
    "4000000000000002": _DO_NOT_HONOR,
    "4000000000009995": _INSUFFICIENT_FUNDS,
    "4000000000000069": _EXPIRED_CARD,
}
_BRANDS = (
    ("34", "AMEX"),
    ("37", "AMEX"),
    ("4", "VISA"),
    ("5", "MASTERCARD"),
    ("2", "MASTERCARD"),
    ("6", "DISCOVER"),
)


def brand(card_number: str) -> str:
    """The card network, from the number's leading digits."""
    return next((name for prefix, name in _BRANDS if card_number.startswith(prefix)), "UNKNOWN")


class SimulatedPsp:
    """An ``Authorizer`` that decides by the rules above."""

    def __init__(
        self,
        *,
        latency_seconds: float = 0.05,
        decline_cents: str | None = "51",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._latency = latency_seconds
        self._decline_cents = decline_cents
        self._clock = clock

    async def authorize(self, request: AuthorizationRequest) -> Authorization:
        """Approve or decline after the configured latency."""
        await asyncio.sleep(self._latency)
        code, description = self._decide(request)
        return Authorization(
            approved=code == _APPROVED[0],
            transaction_id=f"sim_{uuid.uuid4().hex}",
            response_code=code,
            description=description,
            psp_name=PSP_NAME,
            brand=brand(request.card_number.get_secret_value()),
            card_country=request.country_code,
            avs="Y",
            cvv="M",
            answered_at=self._clock(),
        )

    def _decide(self, request: AuthorizationRequest) -> tuple[str, str]:
        declined = _DECLINED_CARDS.get(request.card_number.get_secret_value())
        if declined is not None:
            return declined
        today = self._clock()
        if (request.expiry_year, request.expiry_month) < (today.year, today.month):
            return _EXPIRED_CARD
        cents = f"{request.amount_minor:02d}"[-2:]
        if cents == self._decline_cents:
            return _INSUFFICIENT_FUNDS
        return _APPROVED
