"""Orders and their state machine (contract §8.2), with the three status vocabularies of §8.1.

    Managed MIT: Draft -> Processing -> Completed (rescued) | Cancelled/EXPIRED
    Sync MIT, CIT: Completed (APPROVED) | Cancelled/DECLINED | Processing (CHALLENGE)
    Any AUTHORIZATION: Capturerequired -> Completed (/capture) | Cancelled (cancel, auto-void)
    Completed -> (partial refunds keep Completed) -> Returned once fully refunded

Cancel is allowed for MIT orders in Draft, Processing or Capturerequired and for CIT orders in
Capturerequired; a repeated cancel of a merchant-cancelled order succeeds again.
"""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from consumer.sandbox.decisions import Verdict


class Status(IntEnum):
    """The order entity's numeric status (``status``/``statusName`` of GET /orders/{id})."""

    DRAFT = 0
    ONHOLD = 1
    CANCELLED = 2
    PROBLEM = 3
    PROCESSING = 4
    CAPTUREREQUIRED = 5
    RETURNED = 6
    COMPLETED = 7


class Reason(StrEnum):
    """Why an order reached its status; tells EXPIRED from CANCELLED from DECLINED."""

    CREATED = "CREATED"
    PICKED_UP = "PICKED_UP"
    RESCUED = "RESCUED"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"
    EXPIRED = "EXPIRED"
    CANCELLED = "CANCELLED"
    CHALLENGE_ABANDONED = "CHALLENGE_ABANDONED"
    AUTO_VOIDED = "AUTO_VOIDED"
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"


Kind = Literal["CIT", "SYNC_MIT", "MANAGED_MIT"]


class Record(BaseModel):
    """Base of everything the ledger shows: camelCase JSON, mutable in place."""

    model_config = ConfigDict(alias_generator=to_camel, validate_by_name=True)


class Change(Record):
    """One step of an order's history."""

    at: datetime
    status: Status
    status_name: str
    reason: Reason


class Customer(Record):
    """Who the order is for, as GET /orders/{id} shows it (no card data)."""

    first_name: str
    last_name: str
    email: str
    phone: str | None = None
    country: str
    city: str
    zipcode: str
    address_line1: str


class Order(Record):
    """One Flex order as the sandbox holds it."""

    id: str
    external_order_id: str
    mid: str
    kind: Kind
    status: Status
    status_name: str
    reason: Reason
    verdict: Verdict
    amount: int
    currency: str
    captured_amount: int = 0
    refunded_amount: int = 0
    placed_at: datetime
    # expiryDateUtc as the client sent it (its clock), and the same window on virtual time.
    expiry_date: datetime | None = None
    expires_at: datetime | None = None
    planned_outcome: Literal["rescue", "expire"] | None = None
    planned_at: datetime | None = None
    confirmation_id: str
    reference_number: str
    correlation_id: str | None = None
    sense_key: str | None = None
    customer: Customer
    history: list[Change] = Field(default_factory=list)

    def move(self, status: Status, reason: Reason, at: datetime) -> None:
        """Enter ``status`` for ``reason`` and record it in the history."""
        self.status, self.status_name, self.reason = status, status.name, reason
        self.history.append(Change(at=at, status=status, status_name=status.name, reason=reason))

    def pending(self) -> bool:
        """Still being worked by Flex: the only states a timer may move on from."""
        return self.status in (Status.DRAFT, Status.ONHOLD, Status.PROCESSING)

    def cancellable(self) -> bool:
        """Allowed by the contract's cancel rules (§6.3)."""
        if self.status == Status.CAPTUREREQUIRED:
            return True
        return self.kind != "CIT" and self.status in (Status.DRAFT, Status.PROCESSING)

    def refundable_minor(self) -> int:
        """What may still be refunded: captured minus refunded (0 unless captured)."""
        if self.status not in (Status.COMPLETED, Status.RETURNED):
            return 0
        return self.captured_amount - self.refunded_amount


def evaluate_view(order: Order) -> Verdict:
    """The /evaluate ``status`` for an order that already exists (same merchant orderId)."""
    if order.status == Status.CAPTUREREQUIRED:
        return Verdict.CAPTUREREQUIRED
    if order.status in (Status.COMPLETED, Status.RETURNED):
        return Verdict.APPROVED
    if order.pending():
        return Verdict.CHALLENGE if order.kind == "CIT" else Verdict.SUBMITTED
    return Verdict.DECLINED


def outcome_view(order: Order) -> str:
    """The deprecated /outcome ``status`` (§5.1)."""
    if order.status == Status.CANCELLED:
        return {Reason.EXPIRED: "EXPIRED", Reason.DECLINED: "DECLINED"}.get(
            order.reason, "CANCELLED"
        )
    if order.status in (Status.COMPLETED, Status.RETURNED):
        return "APPROVED"
    if order.status == Status.PROCESSING:
        return "PROCESSING"
    if order.status == Status.CAPTUREREQUIRED:
        return "CAPTUREREQUIRED"
    return "SUBMITTED"
