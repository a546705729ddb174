"""POST /v1/tokenize (contract §2): vault a card, answer with a token; never echo PAN or CVV.

The answer follows the Spreedly-style shape the clients read (``transaction.payment_method.
token``); the vault keeps the token with BIN, last four, expiry and holder name only.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from consumer.sandbox.bodies import CreditCard, TokenizeRequest
from consumer.sandbox.clock import iso
from consumer.sandbox.envelope import envelope
from consumer.sandbox.ledger import VaultEntry
from consumer.sandbox.state import State, VaultedCard

_BRANDS = (
    ("4", "visa"),
    ("5", "master"),
    ("2", "master"),
    ("34", "american_express"),
    ("37", "american_express"),
    ("6", "discover"),
)


def card_type(digits: str) -> str:
    """Spreedly's ``card_type`` name for a card number, from its leading digits."""
    return next((name for prefix, name in _BRANDS if digits.startswith(prefix)), "unknown")


def tokenize(state: State, request: TokenizeRequest, now: datetime) -> dict[str, Any]:
    """Vault the card and build the answer."""
    card = request.payment_method.credit_card
    digits = card.number
    token = str(uuid.uuid4())
    state.vault[token] = VaultedCard(
        bin=digits[:6],
        last4=digits[-4:],
        month=card.month,
        year=card.year,
        holder_name=f"{card.first_name} {card.last_name}",
    )
    state.ledger.cards_tokenized += 1
    _record(state, token, request.payment_method.sense_key)
    method = _payment_method(token, card, digits, request.payment_method.email, iso(now))
    transaction = {
        "succeeded": True,
        "on_test_gateway": True,
        "created_at": iso(now),
        "updated_at": iso(now),
        "state": "succeeded",
        "token": str(uuid.uuid4()),
        "transaction_type": "AddPaymentMethod",
        "message_key": "messages.transaction_succeeded",
        "message": "Succeeded!",
        "payment_method": method,
    }
    return envelope({"transaction": transaction, "cardBinInfo": None})


def _record(state: State, token: str, sense_key: str | None) -> None:
    card = state.vault[token]
    state.ledger.vaulted_cards[token] = VaultEntry(
        bin=card.bin, last4=card.last4, month=card.month, year=card.year, sense_key=sense_key
    )
    # Any string is accepted as a sense key (§10.1); the ones our widget issued are counted.
    session = state.ledger.sense_keys.get(sense_key or "")
    if session is not None:
        session.tokenizations += 1


def _payment_method(
    token: str, card: CreditCard, digits: str, email: str | None, at: str
) -> dict[str, Any]:
    return {
        "token": token,
        "created_at": at,
        "updated_at": at,
        "email": email,
        "first_six_digits": digits[:6],
        "last_four_digits": digits[-4:],
        "first_name": card.first_name,
        "last_name": card.last_name,
        "full_name": f"{card.first_name} {card.last_name}",
        "month": card.month,
        "year": card.year,
        "card_type": card_type(digits),
        "payment_method_type": "credit_card",
        "storage_state": "retained",
        "test": True,
        "number": None,
        "verification_value": None,
        "errors": [],
    }
