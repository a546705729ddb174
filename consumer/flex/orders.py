"""A Flex order as ``GET /v1/orders/{id}`` returns it, and the order entity's status codes.

The numeric ``status`` is authoritative; ``statusName`` varies in case between the docs
(``Capturerequired``) and the sandbox (``CAPTUREREQUIRED``), so it is compared ignoring case
and only used when the number is missing or unknown. Personal data in the response (names,
e-mail, addresses) is deliberately not modelled, so it is dropped at parsing.
"""

from __future__ import annotations

from enum import IntEnum

from consumer.flex.responses import FlexResponse


class OrderStatus(IntEnum):
    """Order entity status (contract §8.1); UNKNOWN for a code or name not published."""

    UNKNOWN = -1
    DRAFT = 0
    ONHOLD = 1
    CANCELLED = 2
    PROBLEM = 3
    PROCESSING = 4
    CAPTUREREQUIRED = 5
    RETURNED = 6
    COMPLETED = 7


class Order(FlexResponse):
    """The order Flex created from an /evaluate."""

    id: str | None = None
    correlation_id: str | None = None
    reference_number: str | None = None
    status: int | None = None
    status_name: str | None = None
    order_placed_date: str | None = None
    expiry_date: str | None = None
    currency_code: str | None = None

    @property
    def state(self) -> OrderStatus:
        """The status as an enum, from the code, else from the name ignoring case."""
        if self.status is not None and self.status in OrderStatus._value2member_map_:
            return OrderStatus(self.status)
        name = (self.status_name or "").strip().upper()
        return OrderStatus.__members__.get(name, OrderStatus.UNKNOWN)
