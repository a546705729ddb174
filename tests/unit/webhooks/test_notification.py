"""A webhook body parses from raw bytes in any key case; anything else is MalformedNotification."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from consumer.webhooks.notification import MalformedNotification, parse

SAMPLE = (
    b'{"Event":"order.expired","TimeStamp":"2026-01-26T10:00:03.512345Z","EventData":null,'
    b'"ExternalOrderId":"ORD-100045","OrderId":"e3b2c1d0-1111-4a2b-8c3d-4e5f60718293",'
    b'"ConfirmationId":"5D0C11AB","IsTestMode":true,"IsResent":false}'
)


def test_the_contract_sample_parses() -> None:
    parsed = parse(SAMPLE)
    assert (parsed.event, parsed.order_id, parsed.external_order_id) == (
        "order.expired", "e3b2c1d0-1111-4a2b-8c3d-4e5f60718293", "ORD-100045",
    )  # fmt: skip
    assert (parsed.is_test_mode, parsed.is_resent, parsed.event_data) == (True, False, None)
    assert parsed.timestamp() == datetime(2026, 1, 26, 10, 0, 3, 512345, tzinfo=UTC)


def test_camel_case_and_unknown_keys_are_accepted() -> None:
    parsed = parse(b'{"event":"order.completed","orderId":"o-1","isResent":true,"New":1}')
    assert (parsed.event, parsed.order_id, parsed.is_resent) == ("order.completed", "o-1", True)


def test_an_unreadable_timestamp_is_kept_but_not_interpreted() -> None:
    parsed = parse(b'{"Event":"payout.created","TimeStamp":"yesterday"}')
    assert (parsed.time_stamp, parsed.timestamp()) == ("yesterday", None)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\xff\xfe",
        b"{not json",
        b'"order.completed"',
        b'{"OrderId":"o-1"}',
        b'{"Event":""}',
        b'{"Event":"order.completed","OrderId":"has spaces in it"}',
        b'{"Event":"order.completed","OrderId":"' + b"x" * 200 + b'"}',
    ],
)
def test_anything_else_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedNotification):
        parse(body)
