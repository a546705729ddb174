"""Wrong key, altered body, stale date, replayed nonce, missing headers: 401 and nothing published.

The receiver is a real ``flexmit webhooks`` process serving TLS itself (a throwaway certificate
from openssl), over a real store and the real broker. What it published is read back from the
topics: only the two genuine notifications, each once.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from consumer.devstack.ports import free_port
from consumer.events import OrderStatus, OrderStatusChanged, StatusSource, derive_id
from consumer.store import open_store
from consumer.webhooks import signature
from tests.worker_harness import Stack

HOST = "127.0.0.1"
OTHER_KEY = "c29tZWJvZHkgZWxzZSdzIGtleQ=="


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl not found: install the Debian package openssl")
    cert, key = directory / "tls.crt", directory / "tls.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", f"/CN={HOST}",
         "-addext", f"subjectAltName=IP:{HOST}"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


async def flex_holds(store_url: str, *transactions: str) -> None:
    """Orders Flex answered SUBMITTED for, as the worker would have recorded them."""
    store = open_store(store_url, "test-seed")
    try:
        for tx in transactions:
            await store.begin_evaluation(tx, f"ord-{tx}", 4999, "USD")
            submitted = OrderStatusChanged(
                event_id=derive_id(tx, "status", OrderStatus.SUBMITTED), causation_id=tx,
                transaction_id=tx, merchant_order_id=f"ord-{tx}", status=OrderStatus.SUBMITTED,
                amount_minor=4999, currency="USD", source=StatusSource.WORKER,
                occurred_at=datetime.now(UTC),
            )  # fmt: skip
            await store.finish("evaluate", tx, submitted, f"flex-{tx}", None)
    finally:
        store.close()


def body(tx: str) -> bytes:
    payload = {"Event": "order.completed", "TimeStamp": "2026-11-26T10:00:00Z",
               "EventData": None, "ExternalOrderId": f"ord-{tx}", "OrderId": f"flex-{tx}",
               "ConfirmationId": "5D0C11AB", "IsTestMode": True, "IsResent": False}  # fmt: skip
    return json.dumps(payload, separators=(",", ":")).encode()


def test_every_unauthentic_webhook_is_refused_and_only_genuine_ones_are_published(
    stack_factory: Callable[..., Stack], tmp_path: Path
) -> None:
    stack = stack_factory("sqlite")
    asyncio.run(flex_holds(stack.store_url, "tx-a", "tx-b"))
    cert, key = certificate(tmp_path)
    port = free_port()
    stack.start_receiver(port, FLEXMIT_WEBHOOKS__TLS_CERT_FILE=str(cert),
                         FLEXMIT_WEBHOOKS__TLS_KEY_FILE=str(key))  # fmt: skip
    key_b64, genuine = stack.sandbox.webhook_key, body("tx-a")

    def sign(
        content: bytes = genuine, key: str = key_b64, at: datetime | None = None
    ) -> dict[str, str]:
        date = signature.http_date(at or datetime.now(UTC))
        return signature.sign(content, key, HOST, nonce=signature.new_nonce(), date=date)

    trusted = ssl.create_default_context(cafile=str(cert))
    with httpx.Client(base_url=f"https://{HOST}:{port}", verify=trusted) as http:

        def post(content: bytes, headers: dict[str, str]) -> int:
            answer = http.post("/webhooks/flex", content=content,
                               headers=headers | {"content-type": "text/plain"})  # fmt: skip
            return answer.status_code

        refused = {
            "wrong key": post(genuine, sign(key=OTHER_KEY)),
            "altered body": post(body("tx-b"), sign()),
            "stale date": post(genuine, sign(at=datetime.now(UTC) - timedelta(minutes=10))),
        }
        for header in sorted(sign()):
            headers = sign()
            del headers[header]
            refused[f"no {header}"] = post(genuine, headers)
        accepted = sign()
        first = post(genuine, accepted)
        refused["replayed nonce"] = post(genuine, accepted)
        last = post(body("tx-b"), sign(content=body("tx-b")))

    assert refused == dict.fromkeys(refused, 401)
    assert (first, last) == (200, 200)
    statuses = [o.json() for o in stack.read_all(stack.topics.order_status)]
    published = sorted((e["transaction_id"], e["status"], e["source"]) for e in statuses)
    assert published == [("tx-a", "APPROVED", "webhook"), ("tx-b", "APPROVED", "webhook")]
    assert stack.read_all(stack.topics.flex_events) == []
    metrics = httpx.get(f"https://{HOST}:{port}/metrics", verify=trusted).text
    for reason in ("signature", "content_hash", "stale", "missing_header", "replayed"):
        assert f'flexmit_webhook_signature_failures_total{{reason="{reason}"}}' in metrics
