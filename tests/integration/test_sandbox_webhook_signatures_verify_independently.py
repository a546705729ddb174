"""Webhooks for orders FlexClient creates verify under HMAC-SHA512 written here from §7.4 alone."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime

import pytest

from consumer.flex import FlexClient
from consumer.sandbox.ledger import Ledger
from consumer.sandbox.server import RunningSandbox
from tests.sandbox_client import DECLINED_CARD, a_declined_renewal, flex_settings
from tests.webhook_receiver import Receiver, serving

pytestmark = pytest.mark.integration

# The receiver's host name as configured: no scheme, no port, no path (§7.4).
HOST = "127.0.0.1"
SIGNED_HEADERS = "HMAC-SHA512 SignedHeaders=x-fc-nonce;x-fc-date;host;x-fc-content-sha512"
RFC_1123 = re.compile(r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$")
BLOCK = 128  # SHA-512's block size in bytes


def hmac_sha512(key: bytes, message: bytes) -> bytes:
    """HMAC as RFC 2104 defines it, over hashlib's SHA-512: no code shared with the signer."""
    if len(key) > BLOCK:
        key = hashlib.sha512(key).digest()
    key = key.ljust(BLOCK, b"\0")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in key) + inner).digest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def verifies(body: bytes, headers: dict[str, str], subscriber_key: str, host: str) -> bool:
    """The receiver algorithm of §7.4: content hash, canonical string, both signatures."""
    key = base64.b64decode(subscriber_key)
    content = b64(hashlib.sha512(body).digest())
    canonical = f"POST\n{headers['x-fc-nonce']};{headers['x-fc-date']};{host};{content}"
    expected = f"{SIGNED_HEADERS}&Signature={b64(hmac_sha512(key, canonical.encode('utf-8')))}"
    return (
        headers["x-fc-content-sha512"] == content
        and headers["x-fc-authorization"] == expected
        and headers["x-fc-signature"] == b64(hmac_sha512(key, body))
    )


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as state:
        yield state


def acknowledged(count: int) -> Callable[[Ledger], bool]:
    return lambda ledger: sum(1 for d in ledger.webhooks if d.response_code == 200) == count


async def test_every_order_event_is_signed_as_the_contract_describes(
    flex_sandbox_factory: Callable[..., RunningSandbox], receiver: Receiver
) -> None:
    # 3e6 virtual seconds per real second: a 21-day window passes in about 0.6 s.
    sandbox = flex_sandbox_factory(time_scale=3e6, webhook_url=receiver.url)
    async with FlexClient.open(flex_settings(sandbox)) as flex:
        rescued = await flex.evaluate(a_declined_renewal())
        expiring = await flex.evaluate(a_declined_renewal(card=DECLINED_CARD))
        cancelled = await flex.evaluate(a_declined_renewal())
        await flex.cancel(str(cancelled.flex_order_id))
        approved = await flex.evaluate(a_declined_renewal(managed=False))
        await flex.refund(str(approved.flex_order_id), amount_minor=1, currency="USD", message="r")
    sandbox.admin.wait_for(acknowledged(5))

    events = {}
    for headers, body in receiver.deliveries():
        assert verifies(body, headers, sandbox.webhook_key, HOST), body
        assert re.fullmatch(r"[0-9a-f]{32}", headers["x-fc-nonce"])
        assert RFC_1123.match(headers["x-fc-date"])
        assert parsedate_to_datetime(headers["x-fc-date"]).tzinfo is not None
        payload = json.loads(body)
        events[payload["OrderId"], payload["Event"]] = payload
    assert set(events) == {
        (rescued.flex_order_id, "order.completed"),
        (expiring.flex_order_id, "order.expired"),
        (cancelled.flex_order_id, "order.cancelled"),
        (approved.flex_order_id, "order.completed"),
        (approved.flex_order_id, "order.refunded"),
    }


async def test_the_independent_check_refuses_a_changed_body_host_or_key(
    flex_sandbox_factory: Callable[..., RunningSandbox], receiver: Receiver
) -> None:
    sandbox = flex_sandbox_factory(webhook_url=receiver.url)
    async with FlexClient.open(flex_settings(sandbox)) as flex:
        await flex.evaluate(a_declined_renewal(managed=False))
    sandbox.admin.wait_for(acknowledged(1))
    [(headers, body)] = receiver.deliveries()

    other_key = b64(b"another subscriber's key")
    assert verifies(body, headers, sandbox.webhook_key, HOST)
    assert not verifies(body.replace(b'"IsResent":false', b'"IsResent":true'), headers,
                        sandbox.webhook_key, HOST)  # fmt: skip
    assert not verifies(body, headers, sandbox.webhook_key, "merchant.example")
    assert not verifies(body, headers, other_key, HOST)
