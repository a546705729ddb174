"""Valid Flex request bodies written from the contract text (not from any client code).

Used against the sandbox; override any top-level field by keyword.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from consumer.settings import SandboxSettings

DEFAULTS = SandboxSettings()
MID = DEFAULTS.mid
SITE_ID = DEFAULTS.site_id
APP_KEY = DEFAULTS.app_key.get_secret_value()
APP_SECRET = DEFAULTS.app_secret.get_secret_value()
TOKENIZATION_KEY = DEFAULTS.tokenization_key.get_secret_value()

RESCUED_CARD = "4000002760003184"
DECLINED_CARD = "4000300011112220"
CHALLENGE_CARD = "4111111111111111"
OTHER_CARD = "4242424242424242"


def transaction(amount: int = 4999, tx_id: str | None = None) -> dict[str, Any]:
    """The ``transaction`` object with every field the sandbox requires."""
    return {
        "id": tx_id or f"psp-{uuid.uuid4().hex[:12]}",
        "timestampUtc": "2026-01-05T10:00:00Z",
        "timezoneUtcOffset": 0,
        "amount": amount,
        "currency": "USD",
        "responseCode": "05",
        "responseCodeSource": "nmi",
        "avsResultCode": "Y",
        "cvvResultCode": "M",
        "cavvResultCode": "NA",
        "cardNotPresent": True,
    }


def payment_method(card: str = RESCUED_CARD, token: str | None = None) -> dict[str, Any]:
    """``paymentMethod`` naming a card by BIN and last four (and a token, vaulted or not)."""
    return {
        "holderName": "Jane Doe",
        "cardType": "CREDIT",
        "cardBrand": "VISA",
        "cardCountry": "US",
        "expirationMonth": 9,
        "expirationYear": 2030,
        "cardBinNumber": card[:6],
        "cardLast4Digits": card[-4:],
        "cardNumber": token or str(uuid.uuid4()),
    }


def evaluate(
    now: datetime,
    *,
    card: str = RESCUED_CARD,
    amount: int = 4999,
    managed: bool = True,
    window: timedelta = timedelta(days=21),
    **top: Any,
) -> dict[str, Any]:
    """A managed MIT by default; ``managed=False`` for a sync MIT, ``isMIT=False`` for a CIT."""
    body: dict[str, Any] = {
        "isDeclined": True,
        "idempotencyKey": str(uuid.uuid4()),
        "mid": MID,
        "siteId": SITE_ID,
        "orderId": f"ORD-{uuid.uuid4().hex[:10]}",
        "customerIp": "203.0.113.7",
        "isMIT": True,
        "isRecurring": True,
        "transaction": transaction(amount),
        "payer": {"email": "jane@example.com", "phone": "+15550100"},
        "billingInformation": {
            "firstName": "Jane",
            "lastName": "Doe",
            "country": "US",
            "countryCode": "US",
            "addressLine1": "1 Main St",
            "city": "Austin",
            "state": "TX",
            "zipcode": "73301",
        },
        "paymentMethod": payment_method(card),
        "subscription": {
            "subscriptionId": "sub_123",
            "interval": "monthly",
            "price": "49.99",
            "currency": "USD",
        },
    }
    if managed:
        body["expiryDateUtc"] = (now + window).isoformat()
    return body | top


def transmit(tx_id: str, amount: int = 4999) -> dict[str, Any]:
    """An approved copy for /transmit (no card number, BIN and last four only)."""
    method = payment_method()
    del method["cardNumber"]
    return {
        "isDeclined": False,
        "orderId": f"ORD-{tx_id}",
        "isMIT": True,
        "transaction": transaction(amount, tx_id) | {"responseCode": "00"},
        "payer": {"email": "jane@example.com"},
        "paymentMethod": method,
    }


def tokenize(number: str = RESCUED_CARD) -> dict[str, Any]:
    """The current (snake_case) /tokenize body."""
    return {
        "payment_method": {
            "email": "jane@example.com",
            "credit_card": {
                "first_name": "Jane",
                "last_name": "Doe",
                "number": number,
                "verification_value": "123",
                "month": "09",
                "year": "2030",
            },
        }
    }
