"""Refunds and cancels, run with the real CLI against running workers, reach Flex once.

A worker and the webhook receiver run as processes against the broker and the sandbox; the
commands are given as a user would (``flexmit refund`` / ``flexmit cancel`` in a subprocess),
and the sandbox's ledger proves what reached Flex.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from consumer import events
from consumer.flex import FlexClient
from consumer.webhooks import signature
from tests.sandbox_client import flex_settings
from tests.webhook_stack import RESCUED, declined, deliveries_settled, webhook_stack
from tests.worker_harness import Stack


def flexmit(stack: Stack, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run a flexmit command line as a user would, against this stack."""
    return subprocess.run(
        [sys.executable, "-m", "consumer", *arguments, "--timeout", "45"],
        env=stack.environment(), capture_output=True, text=True, timeout=90, check=False,
    )  # fmt: skip


def statuses_of(stack: Stack, transaction_id: str) -> list[dict[str, object]]:
    outputs = stack.read_all(stack.topics.order_status)
    return [o.json() for o in outputs if o.json()["transaction_id"] == transaction_id]


def refunds_at_flex(stack: Stack, transaction_id: str) -> list[dict[str, object]]:
    ledger = stack.sandbox.admin.ledger_json()
    flex_id = next(o["id"] for o in ledger["orders"].values()
                   if o["externalOrderId"] == f"ord-{transaction_id}")  # fmt: skip
    return [r for r in ledger["refunds"].get(flex_id, []) if r["status"] == "SUCCESS"]


def rescued_stack(stack_factory: Callable[..., Stack], count: int) -> tuple[Stack, list[str]]:
    stack, port = webhook_stack(stack_factory)
    stack.start_receiver(port)
    stack.start_worker()
    payments = [declined(RESCUED) for _ in range(count)]
    stack.produce(stack.topics.declined, payments)
    stack.wait_until(deliveries_settled(stack, count), 45, "every rescue acknowledged")
    return stack, [p.transaction_id for p in payments]


def test_refunds_full_partial_refused_and_over_refunded(
    stack_factory: Callable[..., Stack],
) -> None:
    stack, (full, partial, portal, repeated) = rescued_stack(stack_factory, 4)

    done = flexmit(stack, "refund", full, "--reason", "customer request")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("REFUNDED: 49.99 USD of 49.99 USD refunded, 0.00 USD remaining")
    assert [r["amountToRefund"] for r in refunds_at_flex(stack, full)] == ["49.99"]

    first = flexmit(stack, "refund", partial, "--amount", "2000")
    second = flexmit(stack, "refund", partial, "--amount", "2999")
    third = flexmit(stack, "refund", partial, "--amount", "1")
    assert first.stdout.startswith("PARTIALLY_REFUNDED: 20.00 USD of 49.99 USD refunded")
    assert second.stdout.startswith("REFUNDED: 49.99 USD of 49.99 USD refunded")
    assert third.returncode == 1
    assert "REFUND_FAILED: the refunds would exceed the captured amount" in third.stdout
    assert [r["amountToRefund"] for r in refunds_at_flex(stack, partial)] == ["20.00", "29.99"]

    # Someone refunds part of it in Flex's portal; our store still counts the whole amount.
    _refund_at_flex_directly(stack, portal, 3000)
    over = flexmit(stack, "refund", portal)
    assert over.returncode == 1
    assert "REFUND_FAILED" in over.stdout
    assert "Flex code 2001" in over.stdout

    command = events.RefundRequested(command_id=str(uuid.uuid4()), transaction_id=repeated,
                                     requested_at=datetime.now(UTC))  # fmt: skip
    stack.produce(stack.topics.commands, [command, command, command])
    stack.wait_until(lambda: len(refunds_at_flex(stack, repeated)) == 1, 30, "the refund")
    time.sleep(1)  # room for a second refund, which must not come
    assert len(refunds_at_flex(stack, repeated)) == 1
    answers = {s["event_id"] for s in statuses_of(stack, repeated) if s["source"] == "command"}
    assert len(answers) == 1


def test_cancels_stick_point_to_refund_and_fall_back_to_external_cancel(
    stack_factory: Callable[..., Stack],
) -> None:
    stack, port = webhook_stack(stack_factory, time_scale=1.0)  # orders stay SUBMITTED
    stack.start_receiver(port)
    stack.start_worker(
        FLEXMIT_FLEX__TIMEOUT_SECONDS="1", FLEXMIT_FLEX__MAX_ATTEMPTS="1",
        FLEXMIT_WORKER__RETRY_BASE="PT1S", FLEXMIT_WORKER__RETRY_CAP="PT2S",
    )  # fmt: skip
    held, timed_out = declined(RESCUED), declined(RESCUED)
    stack.produce(stack.topics.declined, [held])
    stack.read(stack.topics.order_status, lambda out: len(out) >= 1)

    cancelled = flexmit(stack, "cancel", held.transaction_id)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout.startswith("CANCELLED")
    late = _post_signed_webhook(stack, port, held, "order.completed")
    assert late.status_code == 200
    assert [s["status"] for s in statuses_of(stack, held.transaction_id)] == [
        "SUBMITTED", "CANCELLED",
    ], "a late order.completed does not resurrect a cancelled order"  # fmt: skip

    refused = flexmit(stack, "cancel", held.transaction_id)
    assert refused.returncode == 1
    assert "CANCEL_FAILED: Flex does not hold this order any more" in refused.stdout

    # /evaluate answers too late for the worker: no orderSessionKey is known.
    stack.sandbox.admin.faults(timeout_rate=1.0, timeout_hold_seconds=3, paths=["/v1/evaluate"])
    stack.produce(stack.topics.declined, [timed_out])
    stack.wait_until(lambda: _evaluations(stack, timed_out) >= 1, 30, "the timed-out evaluate")
    fallback = flexmit(stack, "cancel", timed_out.transaction_id)
    assert fallback.returncode == 0, fallback.stdout + fallback.stderr
    cancels = stack.sandbox.admin.ledger_json()["endpoints"]
    assert cancels["POST /v1/orders/{id}/external-cancel"]["calls"] == 1
    stack.sandbox.admin.clear_faults()
    time.sleep(3)  # the parked evaluate comes due, finds the order cancelled, sends nothing
    assert [s["status"] for s in statuses_of(stack, timed_out.transaction_id)] == ["CANCELLED"]


def test_cancel_of_a_rescued_order_points_to_refund(stack_factory: Callable[..., Stack]) -> None:
    stack, (rescued,) = rescued_stack(stack_factory, 1)
    refused = flexmit(stack, "cancel", rescued)
    assert refused.returncode == 1
    assert "CANCEL_FAILED: Flex rescued and charged this payment; refund it instead" in (
        refused.stdout
    )


def _evaluations(stack: Stack, payment: events.PaymentDeclined) -> int:
    by_order = stack.sandbox.admin.ledger_json()["evaluations"]["byOrderId"]
    return int(by_order.get(payment.merchant_order_id, {}).get("calls", 0))


def _refund_at_flex_directly(stack: Stack, transaction_id: str, amount_minor: int) -> None:
    ledger = stack.sandbox.admin.ledger_json()
    flex_id = next(o["id"] for o in ledger["orders"].values()
                   if o["externalOrderId"] == f"ord-{transaction_id}")  # fmt: skip

    async def refund() -> None:
        async with FlexClient.open(flex_settings(stack.sandbox)) as flex:
            answer = await flex.refund(flex_id, amount_minor=amount_minor, currency="USD",
                                       message="refunded in the Flex portal")  # fmt: skip
            assert answer.succeeded

    asyncio.run(refund())


def _post_signed_webhook(
    stack: Stack, port: int, payment: events.PaymentDeclined, event: str
) -> httpx.Response:
    ledger = stack.sandbox.admin.ledger_json()
    flex_id = next(o["id"] for o in ledger["orders"].values()
                   if o["externalOrderId"] == payment.merchant_order_id)  # fmt: skip
    body = json.dumps({"Event": event, "TimeStamp": datetime.now(UTC).isoformat(),
                       "EventData": None, "ExternalOrderId": payment.merchant_order_id,
                       "OrderId": flex_id, "ConfirmationId": "5D0C11AB", "IsTestMode": True,
                       "IsResent": False}).encode()  # fmt: skip
    headers = signature.sign(body, stack.sandbox.webhook_key, "127.0.0.1",
                             nonce=signature.new_nonce(),
                             date=signature.http_date(datetime.now(UTC)))  # fmt: skip
    return httpx.post(f"http://127.0.0.1:{port}/webhooks/flex", content=body, headers=headers)
