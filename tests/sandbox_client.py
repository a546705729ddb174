"""FlexClient pointed at the sandbox: its settings, and typed requests the sandbox decides on.

The bodies are the client's own models (``consumer.flex.models``), filled with the sandbox's
test cards; ``tests/flex_requests.py`` holds the raw-JSON equivalents for tests without the
client.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AnyHttpUrl, SecretStr

from consumer.flex.models import (
    Address,
    CardMetadata,
    EvaluateRequest,
    Payer,
    PaymentMethod,
    Transaction,
    TransmitRequest,
)
from consumer.flex.vault import CreditCard, TokenizeRequest, VaultPaymentMethod
from consumer.sandbox.server import RunningSandbox
from consumer.settings import FlexSettings

RESCUED_CARD = "4000002760003184"
DECLINED_CARD = "4000300011112220"


def flex_settings(sandbox: RunningSandbox, **overrides: Any) -> FlexSettings:
    """Settings of a client talking to ``sandbox`` with its credentials; quick retries."""
    values: dict[str, Any] = {
        "base_url": AnyHttpUrl(sandbox.base_url),
        "app_key": SecretStr(sandbox.app_key),
        "app_secret": SecretStr(sandbox.app_secret),
        "tokenization_key": SecretStr(sandbox.tokenization_key),
        "mid": sandbox.mid,
        "site_id": sandbox.site_id,
        "retry_base_seconds": 0.01,
        "retry_cap_seconds": 0.05,
    }
    return FlexSettings.model_validate(values | overrides)


def a_card(number: str = RESCUED_CARD) -> TokenizeRequest:
    """The /tokenize body for a test card."""
    card = CreditCard(
        first_name="Jane",
        last_name="Doe",
        number=SecretStr(number),
        verification_value=SecretStr("123"),
        month="09",
        year="2030",
    )
    return TokenizeRequest(payment_method=VaultPaymentMethod(credit_card=card, email="j@x.io"))


def a_declined_renewal(
    card_token: str | None = None,
    *,
    card: str = RESCUED_CARD,
    amount: int = 4999,
    currency: str = "USD",
    managed: bool = True,
) -> EvaluateRequest:
    """A declined subscription renewal: a managed MIT (21-day window) or a sync MIT.

    Without ``card_token`` the card is named by BIN and last four next to a random token.
    """
    suffix = uuid.uuid4().hex[:12]
    method = PaymentMethod(**_metadata(card), card_number=card_token or str(uuid.uuid4()))
    expiry = datetime.now(UTC) + timedelta(days=21) if managed else None
    return EvaluateRequest(
        order_id=f"ORD-{suffix}",
        transaction=_transaction(f"psp-{suffix}", amount, currency, "05"),
        payer=Payer(email="jane@example.com"),
        payment_method=method,
        billing_information=ADDRESS,
        is_mit=True,
        is_recurring=True,
        expiry_date_utc=expiry,
    )


def an_approved_copy(transaction_id: str, amount: int = 4999) -> TransmitRequest:
    """The /transmit copy of an approved renewal."""
    return TransmitRequest(
        order_id=f"ORD-{transaction_id}",
        transaction=_transaction(transaction_id, amount, "USD", "00"),
        payer=Payer(email="jane@example.com"),
        payment_method=CardMetadata(**_metadata(RESCUED_CARD)),
        is_mit=True,
    )


def _transaction(transaction_id: str, amount: int, currency: str, code: str) -> Transaction:
    return Transaction(
        id=transaction_id,
        timestamp_utc=datetime.now(UTC),
        amount=amount,
        currency=currency,
        response_code=code,
        response_code_source="nmi",
    )


def _metadata(card: str) -> dict[str, Any]:
    return {
        "holder_name": "Jane Doe",
        "card_type": "CREDIT",
        "card_brand": "VISA",
        "card_country": "US",
        "expiration_month": 9,
        "expiration_year": 2030,
        "card_bin_number": card[:6],
        "card_last4_digits": card[-4:],
    }


ADDRESS = Address(
    first_name="Jane",
    last_name="Doe",
    country="US",
    country_code="US",
    address_line1="1 Main St",
    city="Austin",
    zipcode="73301",
)
