"""What the sandbox answers to /evaluate: a deterministic function of card, amount and order id.

Rules are applied top to bottom; the first that matches wins. "Card" is matched by BIN (first
six digits) and last four, taken from the vault token, a raw number, or the BIN/last-four fields.

    transactionType=AUTHORIZATION                    -> CAPTUREREQUIRED  (any kind)
    Managed MIT (isMIT and expiryDateUtc):           -> SUBMITTED, then later:
        card 4000002760003184                            rescued  (order.completed)
        card 4000300011112220                            expires  (order.expired)
        amount ending in ..13 cents (e.g. 1013)          expires
        amount ending in ..42 cents (e.g. 4242)          rescued
        otherwise: hash(orderId) < rescue_rate           rescued, else expires
      A rescue happens at 10 %..60 % of the window (by hash of the orderId); expiry at the
      end of the window (expiryDateUtc, see clock.py for compressed time).
    Sync MIT (isMIT, no expiryDateUtc):
        card 4000002760003184 -> APPROVED, card 4000300011112220 -> DECLINED,
        amount ..13 -> DECLINED, amount ..42 -> APPROVED,
        otherwise hash(orderId) < rescue_rate -> APPROVED, else DECLINED
    CIT:
        amount ..13                       -> DECLINED
        card 4111111111111111             -> CHALLENGE (abandoned after challenge_timeout)
        card 4000002760003184             -> APPROVED
        card 51002600235851 (BIN 510026)  -> APPROVED
        any other card                    -> DECLINED
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    """The ``status`` values of an /evaluate answer."""

    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CHALLENGE = "CHALLENGE"
    SUBMITTED = "SUBMITTED"
    CAPTUREREQUIRED = "CAPTUREREQUIRED"


@dataclass(frozen=True)
class Card:
    """The only card data the sandbox keeps: BIN and last four."""

    bin: str
    last4: str

    def is_(self, number: str) -> bool:
        """True when this is the test card ``number``."""
        return self.bin == number[:6] and self.last4 == number[-4:]


@dataclass(frozen=True)
class Case:
    """The inputs a decision depends on."""

    merchant_order_id: str
    amount: int
    card: Card
    is_mit: bool
    managed: bool
    authorization: bool


@dataclass(frozen=True)
class Decision:
    """The answer, and for a managed MIT what will become of it and when (share of window)."""

    verdict: Verdict
    rescued: bool = False
    rescue_point: float = 0.0


RESCUED_CARD = "4000002760003184"
DECLINED_CARD = "4000300011112220"
CHALLENGE_CARD = "4111111111111111"
MASTERCARD_SUCCESS = "51002600235851"
EXPIRING_CENTS = 13
RESCUED_CENTS = 42


def decide(case: Case, rescue_rate: float) -> Decision:
    """Apply the table in this module's docstring."""
    if case.authorization:
        return Decision(Verdict.CAPTUREREQUIRED)
    if case.is_mit:
        rescued = _mit_rescued(case, rescue_rate)
        if case.managed:
            return Decision(Verdict.SUBMITTED, rescued, 0.1 + 0.5 * _share(case, "point"))
        return Decision(Verdict.APPROVED if rescued else Verdict.DECLINED, rescued)
    return Decision(_cit(case))


def _mit_rescued(case: Case, rescue_rate: float) -> bool:
    if case.card.is_(RESCUED_CARD):
        return True
    if case.card.is_(DECLINED_CARD) or case.amount % 100 == EXPIRING_CENTS:
        return False
    if case.amount % 100 == RESCUED_CENTS:
        return True
    return _share(case, "rescue") < rescue_rate


def _cit(case: Case) -> Verdict:
    if case.amount % 100 == EXPIRING_CENTS:
        return Verdict.DECLINED
    if case.card.is_(CHALLENGE_CARD):
        return Verdict.CHALLENGE
    if case.card.is_(RESCUED_CARD) or case.card.is_(MASTERCARD_SUCCESS):
        return Verdict.APPROVED
    return Verdict.DECLINED


def _share(case: Case, purpose: str) -> float:
    """A number in [0, 1) fixed by the merchant order id, so runs are reproducible."""
    digest = hashlib.sha256(f"{purpose}:{case.merchant_order_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64
