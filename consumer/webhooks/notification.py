"""A Flex webhook body (contract §7.3), parsed from the raw bytes whatever the Content-Type.

Flex sends PascalCase keys (``OrderId``); its TypeScript sample reads camelCase. Keys are
matched ignoring case, unknown keys are ignored, and only ``Event`` is required: a payout or
payment event may carry no order at all. This is Flex's contract, not ours (``events.py``).
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from consumer.errors import PermanentError

# Ids are stored and republished: printable ASCII without spaces, as in our own contract.
Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")]


class MalformedNotification(PermanentError):
    """A signed body that is not a Flex notification (not JSON, or no ``Event``)."""


class _FlexModel(BaseModel):
    """PascalCase on the wire (each field's alias), any case accepted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _any_case(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        wanted = {(field.alias or name).lower(): field.alias for name, field in
                  cls.model_fields.items()}  # fmt: skip
        return {wanted.get(str(key).lower(), key): value for key, value in data.items()}


class FlexWebhook(_FlexModel):
    """One notification: an order, payment or payout event."""

    event: str = Field(alias="Event", min_length=1, max_length=64, examples=["order.completed"])
    time_stamp: str | None = Field(None, alias="TimeStamp", description="ISO 8601 UTC")
    event_data: dict[str, Any] | None = Field(None, alias="EventData")
    external_order_id: Identifier | None = Field(
        None, alias="ExternalOrderId", description="The merchant's orderId"
    )
    order_id: Identifier | None = Field(None, alias="OrderId", description="Flex's order id")
    confirmation_id: str | None = Field(None, alias="ConfirmationId")
    is_test_mode: bool = Field(False, alias="IsTestMode")
    is_resent: bool = Field(False, alias="IsResent")

    def timestamp(self) -> datetime | None:
        """``TimeStamp`` as a datetime, or None when absent or unreadable."""
        if not self.time_stamp:
            return None
        try:
            return datetime.fromisoformat(self.time_stamp.replace("Z", "+00:00"))
        except ValueError:
            return None


class RefundData(_FlexModel):
    """``EventData`` of ``order.refunded`` as the sandbox sends it; every field may be missing."""

    transaction_id: str | None = Field(None, alias="TransactionId", max_length=128)
    amount: Decimal | None = Field(None, alias="Amount")
    total_refunded: Decimal | None = Field(None, alias="TotalRefunded")
    currency: str | None = Field(None, alias="Currency")
    is_partial_refund: bool | None = Field(None, alias="IsPartialRefund")


def parse(body: bytes) -> FlexWebhook:
    """The notification in ``body``; MalformedNotification when it is not one."""
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        # RecursionError: json refuses nesting deeper than the interpreter's stack.
        raise MalformedNotification("the body is not JSON") from None
    if not isinstance(document, dict):
        raise MalformedNotification("the body is not a JSON object")
    try:
        return FlexWebhook.model_validate(document)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors(include_input=False))
        raise MalformedNotification(f"not a Flex notification ({fields})") from None


def refund_data(notification: FlexWebhook) -> RefundData | None:
    """``EventData`` read as a refund's details, or None when absent or not of that shape."""
    if not notification.event_data:
        return None
    try:
        return RefundData.model_validate(notification.event_data)
    except ValidationError:
        return None
