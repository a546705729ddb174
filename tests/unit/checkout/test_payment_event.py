"""A checkout maps to PaymentApproved or PaymentDeclined with token, BIN, last four, sense key."""

from __future__ import annotations

from consumer.checkout.payment_event import payment_event
from consumer.events import PaymentApproved, PaymentDeclined, derive_id
from tests.unit.checkout.support import (
    ANSWERED_AT,
    CARD,
    SENSE_KEY,
    TOKEN,
    a_form,
    an_authorization,
)


def test_an_approval_becomes_payment_approved_with_the_vaulted_card() -> None:
    event = payment_event(
        a_form(), TOKEN, an_authorization(), merchant_order_id="chk-1", customer_ip="10.1.2.3"
    )
    assert isinstance(event, PaymentApproved)
    assert (event.card.token, event.card.bin, event.card.last4) == (TOKEN, "400000", "3184")
    assert (event.card.expiry_month, event.card.expiry_year) == (9, 2030)
    assert (event.card.brand, event.card.country, event.card.holder_name) == (
        "VISA", "US", "Jane Doe",
    )  # fmt: skip
    assert event.sense_key == SENSE_KEY
    assert (event.transaction_id, event.merchant_order_id) == ("psp-tx-1", "chk-1")
    assert (event.amount_minor, event.currency, event.occurred_at) == (4999, "USD", ANSWERED_AT)
    assert (event.is_mit, event.is_recurring, event.order_source) == (False, False, "checkout")
    assert (event.customer_ip, event.psp_name) == ("10.1.2.3", "simulated")
    assert (event.checks.avs, event.checks.cvv) == ("Y", "M")
    assert event.payer.email == "jane@example.com"
    assert (event.billing_address.city, event.billing_address.country_code) == ("Austin", "US")


def test_a_decline_becomes_payment_declined_with_the_psp_code() -> None:
    event = payment_event(
        a_form(), TOKEN, an_authorization(approved=False), merchant_order_id="chk-1",
        customer_ip=None,
    )  # fmt: skip
    assert isinstance(event, PaymentDeclined)
    assert (event.decline.code, event.decline.source) == ("05", "simulated")
    assert event.decline.description == "Do not honor"
    assert event.card.token == TOKEN


def test_without_a_token_the_event_still_carries_bin_and_last_four() -> None:
    event = payment_event(
        a_form(sense_key=None), None, an_authorization(), merchant_order_id="chk-1",
        customer_ip=None,
    )  # fmt: skip
    assert (event.card.token, event.card.bin, event.card.last4) == (None, "400000", "3184")
    assert event.sense_key is None


def test_the_event_id_is_derived_from_the_transaction_id() -> None:
    event = payment_event(
        a_form(), TOKEN, an_authorization(), merchant_order_id="chk-1", customer_ip=None
    )
    assert event.event_id == str(derive_id("checkout", "psp-tx-1"))


def test_the_card_number_is_nowhere_in_the_event() -> None:
    event = payment_event(
        a_form(), TOKEN, an_authorization(), merchant_order_id="chk-1", customer_ip=None
    )
    assert CARD not in event.model_dump_json()
