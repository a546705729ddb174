"""A request that fails to prove it is Flex's gets 401, is counted by reason, changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from consumer.store import Store
from consumer.webhooks import signature
from consumer.webhooks.authenticity import strip_port
from tests.unit.webhooks.support import (
    HOST,
    KEY,
    NEXT_KEY,
    NOW,
    Published,
    Receiver,
    app_client,
    notification,
    signed,
    submitted,
)

BODY = notification("order.completed")


async def assert_refused(receiver: Receiver, reason: str, *, headers: dict[str, str],
                         body: bytes = BODY) -> None:  # fmt: skip
    response = await receiver.post(body, headers)
    assert response.status_code == 401
    assert response.json() == {"error": "not signed by Flex"}  # never which check failed
    assert receiver.count("flexmit_webhook_signature_failures_total", reason=reason) == 1
    assert receiver.published.statuses == []
    assert receiver.published.notifications == []
    order = await receiver.store.get_order("tx-1")
    assert order is not None
    assert order.status == "SUBMITTED"


@pytest.fixture(autouse=True)
async def an_order_flex_holds(store: Store) -> None:
    await submitted(store)


@pytest.mark.parametrize(
    "missing", ["x-fc-date", "x-fc-nonce", "x-fc-content-sha512", "x-fc-authorization",
                "x-fc-signature"],
)  # fmt: skip
async def test_each_missing_header_is_refused(receiver: Receiver, missing: str) -> None:
    headers = signed(BODY)
    del headers[missing]
    await assert_refused(receiver, "missing_header", headers=headers)


async def test_a_key_we_do_not_hold_is_refused(receiver: Receiver) -> None:
    await assert_refused(receiver, "signature", headers=signed(BODY, key=NEXT_KEY))


async def test_an_altered_body_is_refused(receiver: Receiver) -> None:
    altered = notification("order.cancelled")
    await assert_refused(receiver, "content_hash", headers=signed(BODY), body=altered)


async def test_an_altered_body_with_its_hash_recomputed_is_refused(receiver: Receiver) -> None:
    altered = notification("order.cancelled")
    headers = signed(BODY) | {"x-fc-content-sha512": signature.content_sha512(altered)}
    await assert_refused(receiver, "signature", headers=headers, body=altered)


@pytest.mark.parametrize("offset", [timedelta(minutes=-6), timedelta(minutes=6)])
async def test_a_date_outside_the_clock_skew_is_refused(
    receiver: Receiver, offset: timedelta
) -> None:
    await assert_refused(receiver, "stale", headers=signed(BODY, at=NOW + offset))


async def test_a_malformed_authorization_is_refused(receiver: Receiver) -> None:
    headers = signed(BODY) | {"x-fc-authorization": "Bearer 1234"}
    await assert_refused(receiver, "malformed", headers=headers)


async def test_a_signature_for_another_host_is_refused(receiver: Receiver) -> None:
    await assert_refused(receiver, "signature", headers=signed(BODY, host="elsewhere.example"))


async def test_a_replayed_request_is_refused_and_publishes_nothing_more(
    receiver: Receiver,
) -> None:
    headers = signed(BODY)
    assert (await receiver.post(BODY, headers)).status_code == 200
    replay = await receiver.post(BODY, headers)
    assert replay.status_code == 401
    assert receiver.count("flexmit_webhook_signature_failures_total", reason="replayed") == 1
    assert len(receiver.published.statuses) == 1


async def test_a_date_within_the_clock_skew_is_accepted(receiver: Receiver) -> None:
    late = await receiver.post(BODY, signed(BODY, at=NOW - timedelta(minutes=4)))
    assert late.status_code == 200


async def test_both_keys_are_accepted_during_a_rotation(store: Store, published: Published) -> None:
    rotating = app_client(store, published, keys=[KEY, NEXT_KEY])
    old = await rotating.post(BODY, signed(BODY, key=KEY))
    new = await rotating.post(notification("order.cancelled"), key=NEXT_KEY)
    assert (old.status_code, new.status_code) == (200, 200)


async def test_the_configured_public_host_is_signed_not_the_host_header(
    store: Store, published: Published
) -> None:
    # Behind an ingress the request says Host: merchant.example, Flex signed the public name.
    proxied = app_client(store, published, public_host="hooks.example.com")
    refused = await proxied.post(BODY, signed(BODY, host=HOST))
    accepted = await proxied.post(BODY, signed(BODY, host="hooks.example.com"))
    assert (refused.status_code, accepted.status_code) == (401, 200)


async def test_without_a_public_host_the_host_header_counts_without_its_port(
    receiver: Receiver,
) -> None:
    response = await receiver.http.post(
        "/webhooks/flex", content=BODY, headers=signed(BODY) | {"host": f"{HOST}:8443"}
    )
    assert response.status_code == 200


async def test_a_missing_body_signature_may_be_allowed_by_configuration(
    store: Store, published: Published
) -> None:
    lenient = app_client(store, published, require_body_signature=False)
    headers = signed(BODY)
    del headers["x-fc-signature"]
    assert (await lenient.post(BODY, headers)).status_code == 200


@pytest.mark.parametrize(
    ("host", "bare"),
    [
        ("merchant.example", "merchant.example"),
        ("merchant.example:8443", "merchant.example"),
        ("[2001:db8::1]:443", "[2001:db8::1]"),
        ("[2001:db8::1]", "[2001:db8::1]"),
        ("2001:db8::1", "2001:db8::1"),
    ],
)
def test_the_port_is_dropped_from_a_host_header(host: str, bare: str) -> None:
    assert strip_port(host) == bare
