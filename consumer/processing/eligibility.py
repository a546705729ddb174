"""Which declines may go to Flex: just-failed MITs with a vaulted card and a retryable code.

Flex is tuned for merchant-initiated renewals submitted the day they fail. Card networks forbid
retrying some declines at all (the card is lost, stolen or closed, or the issuer said never
again); sending those costs fees and can only fail, so they are refused here with a reason and
the merchant's dunning decides what comes next.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from consumer.events import PaymentDeclined

# Visa "category 1" (issuer will never approve) and their ISO 8583 twins, plus the stop-payment
# codes; PSPs that report words rather than numbers get the same meaning by name.
DO_NOT_RETRY_CODES: frozenset[str] = frozenset(
    {
        "04",  # pick up card
        "07",  # pick up card, special condition
        "12",  # invalid transaction
        "14",  # invalid account number
        "15",  # no such issuer
        "41",  # lost card
        "43",  # stolen card
        "46",  # closed account
        "57",  # transaction not permitted to cardholder
        "R0",  # stop payment order
        "R1",  # revocation of authorization order
        "R3",  # revocation of all authorizations
        "pickup_card",
        "lost_card",
        "stolen_card",
        "invalid_account",
        "restricted_card",
        "stop_payment_order",
        "revocation_of_authorization",
        "revocation_of_all_authorizations",
    }
)

# Mastercard Merchant Advice Codes that forbid another attempt.
DO_NOT_RETRY_ADVICE: dict[str, str] = {
    "03": "Mastercard advice 03: do not try again",
    "21": "Mastercard advice 21: payment cancelled by the cardholder (stop recurring)",
}


@dataclass(frozen=True)
class Refusal:
    """Why a decline is not sent to Flex."""

    code: str
    reason: str


@dataclass(frozen=True)
class Rules:
    """The eligibility rules of one deployment."""

    max_age: timedelta
    do_not_retry_codes: frozenset[str] = DO_NOT_RETRY_CODES

    @classmethod
    def with_extra_codes(cls, max_age: timedelta, extra: Iterable[str]) -> Rules:
        """The built-in rules plus a merchant's own list of codes never to send."""
        return cls(max_age, DO_NOT_RETRY_CODES | {code.strip() for code in extra})


def refusal(declined: PaymentDeclined, rules: Rules) -> Refusal | None:
    """The reason ``declined`` must never go to Flex, whenever it is looked at, or None."""
    if not declined.is_mit:
        return Refusal("CUSTOMER_INITIATED", "customer-initiated declines are not sent to Flex")
    if declined.card.token is None:
        return Refusal("NO_CARD_TOKEN", "the card was not vaulted with Flex (/tokenize)")
    code = declined.decline.code
    if code in rules.do_not_retry_codes or code.lower() in rules.do_not_retry_codes:
        return Refusal("DO_NOT_RETRY_CODE", f"card networks forbid retrying decline code {code}")
    advice = declined.decline.merchant_advice_code
    if advice in DO_NOT_RETRY_ADVICE:
        return Refusal("DO_NOT_RETRY_ADVICE", DO_NOT_RETRY_ADVICE[advice])
    return None


def deadline(declined: PaymentDeclined, rules: Rules) -> datetime:
    """The last instant Flex may still be handed this decline (it takes same-day MITs)."""
    return declined.occurred_at + rules.max_age


def staleness(declined: PaymentDeclined, now: datetime, rules: Rules) -> Refusal | None:
    """Refusal of a decline seen for the first time after its deadline."""
    if now <= deadline(declined, rules):
        return None
    hours = (now - declined.occurred_at).total_seconds() / 3600
    return Refusal("STALE_DECLINE", f"declined {hours:.0f} h ago; Flex takes same-day MITs")
