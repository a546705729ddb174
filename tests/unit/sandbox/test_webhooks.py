"""Webhooks carry the eight documented fields as signed text and are resent until acknowledged."""

from __future__ import annotations

from consumer.settings import SANDBOX_WEBHOOK_KEY
from consumer.webhooks import signature
from tests.unit.sandbox.conftest import Harness, MakeSandbox

FIELDS = ["Event", "TimeStamp", "EventData", "ExternalOrderId", "OrderId", "ConfirmationId",
          "IsTestMode", "IsResent"]  # fmt: skip


async def test_payload_is_signed_text_with_exactly_the_documented_fields(
    sandbox: Harness,
) -> None:
    answer = await sandbox.evaluate(managed=False)
    [hook] = await sandbox.settle()
    [request] = sandbox.webhook_requests
    assert list(hook) == FIELDS
    assert hook["Event"] == "order.completed"
    assert hook["OrderId"] == answer.json()["orderId"]
    assert hook["ExternalOrderId"].startswith("ORD-")
    assert hook["IsTestMode"] is True
    assert hook["IsResent"] is False
    assert request.headers["content-type"] == "text/plain"
    signature.verify(request.content, request.headers, [SANDBOX_WEBHOOK_KEY], "merchant.example")


async def test_failed_delivery_is_resent_until_acknowledged(sandbox: Harness) -> None:
    sandbox.receiver_statuses.extend([500, 503])
    order_id = (await sandbox.evaluate(managed=False)).json()["orderId"]
    hooks = await sandbox.settle()
    assert [hook["IsResent"] for hook in hooks] == [False, True, True]
    assert {hook["OrderId"] for hook in hooks} == {order_id}
    attempts = (await sandbox.ledger())["webhooks"]
    assert [(a["attempt"], a["responseCode"], a["isResent"]) for a in attempts] == [
        (1, 500, False),
        (2, 503, True),
        (3, 200, True),
    ]


async def test_delivery_gives_up_after_max_attempts(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(webhook_max_attempts=2)
    sandbox.receiver_statuses.extend([500] * 5)
    await sandbox.evaluate(managed=False)
    assert len(await sandbox.settle()) == 2


async def test_without_a_webhook_url_events_are_only_recorded(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(webhook_url=None)
    await sandbox.evaluate(managed=False)
    await sandbox.settle()
    [attempt] = (await sandbox.ledger())["webhooks"]
    assert attempt["event"] == "order.completed"
    assert attempt["error"] == "no webhook URL configured"
    assert sandbox.webhook_requests == []


async def test_content_type_and_signed_host_are_configurable(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(webhook_content_type="application/json", webhook_host="hooks.shop")
    await sandbox.evaluate(managed=False)
    await sandbox.settle()
    [request] = sandbox.webhook_requests
    assert request.headers["content-type"] == "application/json"
    signature.verify(request.content, request.headers, [SANDBOX_WEBHOOK_KEY], "hooks.shop")
