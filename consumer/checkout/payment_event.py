"""The Kafka event of one checkout: ``PaymentApproved`` or ``PaymentDeclined`` (our contract).

The card travels as the Flex vault token, the BIN, the last four digits and the expiry; the
number itself is only read here to take its first six and last four digits.
"""

from __future__ import annotations

from consumer.checkout.authorization import Authorization
from consumer.checkout.form import CheckoutForm
from consumer.events import (
    Address,
    Card,
    CardChecks,
    Decline,
    Payer,
    PaymentApproved,
    PaymentDeclined,
    derive_id,
)

ORDER_SOURCE = "checkout"

PaymentEvent = PaymentApproved | PaymentDeclined


def payment_event(
    form: CheckoutForm,
    token: str | None,
    authorization: Authorization,
    *,
    merchant_order_id: str,
    customer_ip: str | None,
) -> PaymentEvent:
    """The event for a checkout the PSP answered; ``token`` is None when vaulting failed."""
    fields = {
        "event_id": str(derive_id("checkout", authorization.transaction_id)),
        "transaction_id": authorization.transaction_id,
        "merchant_order_id": merchant_order_id,
        "occurred_at": authorization.answered_at,
        "amount_minor": form.amount_minor,
        "currency": form.currency,
        "is_mit": False,
        "payer": Payer(email=form.email),
        "billing_address": _address(form),
        "card": _card(form, token, authorization),
        "checks": CardChecks(avs=authorization.avs, cvv=authorization.cvv),
        "sense_key": form.sense_key,
        "customer_ip": customer_ip,
        "psp_name": authorization.psp_name,
        "order_source": ORDER_SOURCE,
    }
    if authorization.approved:
        return PaymentApproved.model_validate(fields)
    decline = Decline(
        code=authorization.response_code,
        source=authorization.psp_name,
        description=authorization.description,
    )
    return PaymentDeclined.model_validate(fields | {"decline": decline})


def _address(form: CheckoutForm) -> Address:
    return Address(
        first_name=form.first_name,
        last_name=form.last_name,
        address_line1=form.address_line1,
        city=form.city,
        zipcode=form.zipcode,
        country_code=form.country_code,
    )


def _card(form: CheckoutForm, token: str | None, authorization: Authorization) -> Card:
    return Card(
        token=token,
        bin=form.bin,
        last4=form.last4,
        expiry_month=form.expiry.month,
        expiry_year=form.expiry.year,
        brand=authorization.brand,
        funding=authorization.funding,
        country=authorization.card_country,
        holder_name=form.holder_name,
    )
