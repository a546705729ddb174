"""Flex's response bodies (contract §0.3, §1-§6): tolerant of unknown and missing fields.

Flex promises to add response fields without a version bump, so every model ignores what it
does not know and nearly every field is optional. Status texts are kept as sent; the typed
view (``decision``, ``outcome``) maps anything unrecognised to ``UNKNOWN`` instead of failing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, SecretStr
from pydantic.alias_generators import to_camel

E = TypeVar("E", bound=StrEnum)


class FlexResponse(BaseModel):
    """The envelope most Flex responses share."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        frozen=True,
        extra="ignore",
    )

    success: bool | None = None
    result: str | None = None
    status_code: str | None = None
    errors: list[Any] | None = None
    custom_properties: dict[str, Any] | None = None


class TokenResponse(FlexResponse):
    """``POST /v1/oauth2/token``: ``expires`` is milliseconds since the Unix epoch."""

    access_token: SecretStr
    expires: int
    refresh_token: SecretStr | None = None
    id: str | None = None


class TransmitResponse(FlexResponse):
    """``POST /v1/transmit``; ``status`` is a number here, unlike elsewhere."""

    transmit_id: str | None = None
    status: int | str | None = None


class EvaluateStatus(StrEnum):
    """Flex's decision on an /evaluate."""

    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    CHALLENGE = "CHALLENGE"
    SUBMITTED = "SUBMITTED"
    CAPTUREREQUIRED = "CAPTUREREQUIRED"
    FAILED = "FAILED"
    UNKNOWN = "UNKNOWN"


class EvaluateResponse(FlexResponse):
    """``POST /v1/evaluate``: ``order_id`` is FLEX's order id (= ``orderSessionKey``)."""

    order_session_key: str | None = None
    order_id: str | None = None
    sense_key: str | None = None
    status: str | None = None

    @property
    def decision(self) -> EvaluateStatus:
        """The status as an enum; UNKNOWN for anything the contract does not list."""
        return _member(EvaluateStatus, self.status)

    @property
    def flex_order_id(self) -> str | None:
        """The id to use for orders/{id}, refund and cancel."""
        return self.order_session_key or self.order_id


class OutcomeStatus(StrEnum):
    """Status vocabulary of the deprecated /outcome."""

    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    SUBMITTED = "SUBMITTED"
    PROCESSING = "PROCESSING"
    NOTFOUND = "NOTFOUND"
    UNKNOWN = "UNKNOWN"


class OutcomeResponse(FlexResponse):
    """``POST /v1/outcome`` (deprecated in favour of ``GET /v1/orders/{id}``)."""

    status: str | None = None
    confirmation_id: str | None = None

    @property
    def outcome(self) -> OutcomeStatus:
        """The status as an enum; UNKNOWN for anything the contract does not list."""
        return _member(OutcomeStatus, self.status)


class RefundResponse(FlexResponse):
    """``POST /v1/orders/{id}/refund``. Flex answers 200 even when it refuses the refund.

    A refused refund (e.g. ``responseCode`` "2001", more than the refundable amount) is not an
    exception: it is Flex's final answer to this request, like an evaluate DECLINED. Check
    ``succeeded`` and report ``response_code``/``response_message`` when it is False.
    """

    status: str | None = None
    response_code: str | None = None
    response_message: str | None = None
    transaction_id: str | None = None

    @property
    def succeeded(self) -> bool:
        """True only when Flex says both ``success`` and status SUCCESS (or no status)."""
        return self.success is True and (self.status or "SUCCESS").upper() == "SUCCESS"


def _member(kind: type[E], text: str | None) -> E:
    try:
        return kind((text or "").strip().upper())
    except ValueError:
        return kind("UNKNOWN")
