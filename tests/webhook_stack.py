"""A stack whose sandbox posts signed webhooks to a receiver, and helpers to read its results."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from consumer import events
from consumer.devstack.ports import free_port
from tests import factories
from tests.worker_harness import Output, Stack

# The sandbox's test cards (docs/sandbox.md), by BIN and last four: rescued, and expires.
RESCUED = {"bin": "400000", "last4": "3184"}
EXPIRES = {"bin": "400030", "last4": "2220"}


def declined(card: dict[str, str]) -> events.PaymentDeclined:
    """A just-failed MIT with the given test card."""
    base = factories.declined()
    return factories.declined(card=base.card.model_copy(update=card | {"token": str(uuid.uuid4())}))


def webhook_stack(stack_factory: Callable[..., Stack], **sandbox: object) -> tuple[Stack, int]:
    """A stack whose sandbox posts signed webhooks, fast, to a receiver on a free port."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/flex"
    settings = {"time_scale": 3e6, "webhook_url": url, "webhook_backoff": 0.1,
                "webhook_backoff_max": 0.5, "webhook_max_attempts": 20} | sandbox  # fmt: skip
    return stack_factory("sqlite", **settings), port


def deliveries_settled(stack: Stack, orders: int) -> Callable[[], bool]:
    """True once every order's webhook was acknowledged and none is still on its way."""

    def settled() -> bool:
        ledger = stack.sandbox.admin.ledger_json()
        acknowledged = {d["orderId"] for d in ledger["webhooks"] if d["responseCode"] == 200}
        return ledger["pending"]["webhooks"] == 0 and len(acknowledged) == orders

    return settled


def by_source(outputs: list[Output], source: str) -> list[dict[str, object]]:
    return [o.json() for o in outputs if o.json()["source"] == source]
