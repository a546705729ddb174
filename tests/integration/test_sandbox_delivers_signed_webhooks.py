"""The sandbox, served over HTTP with compressed time, delivers signed webhooks and resends them."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from consumer.sandbox.server import RunningSandbox
from consumer.webhooks import signature
from tests import flex_requests
from tests.webhook_receiver import Receiver, serving

FIELDS = {"Event", "TimeStamp", "EventData", "ExternalOrderId", "OrderId", "ConfirmationId",
          "IsTestMode", "IsResent"}  # fmt: skip


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving() as state:
        yield state


def _evaluate(sandbox: RunningSandbox, card: str) -> str:
    with httpx.Client(base_url=sandbox.base_url) as client:
        token = client.post(
            "oauth2/token", json={"AppKey": sandbox.app_key, "AppSecret": sandbox.app_secret}
        ).json()["accessToken"]
        body = flex_requests.evaluate(datetime.now(UTC), card=card)
        response = client.post("evaluate", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.json()["status"] == "SUBMITTED"
    order_id: str = response.json()["orderId"]
    return order_id


def test_managed_mit_outcomes_arrive_signed_and_are_resent_after_a_500(
    flex_sandbox_factory: Callable[..., RunningSandbox], receiver: Receiver
) -> None:
    # 3e6 virtual seconds per second: the 21-day window passes in about 0.6 s.
    sandbox = flex_sandbox_factory(
        time_scale=3e6, webhook_url=receiver.url, webhook_backoff=0.05, webhook_host="127.0.0.1"
    )
    receiver.statuses.append(500)  # the first delivery fails
    rescued = _evaluate(sandbox, flex_requests.RESCUED_CARD)
    expired = _evaluate(sandbox, flex_requests.DECLINED_CARD)

    sandbox.admin.wait_for(
        lambda ledger: sum(1 for d in ledger.webhooks if d.response_code == 200) == 2
    )
    deliveries = [(headers, body, json.loads(body)) for headers, body in receiver.deliveries()]

    completed = [payload for _, _, payload in deliveries if payload["OrderId"] == rescued]
    expiries = [payload for _, _, payload in deliveries if payload["OrderId"] == expired]
    assert [(p["Event"], p["IsResent"]) for p in completed] == [
        ("order.completed", False),
        ("order.completed", True),
    ]
    assert completed[1] == completed[0] | {"IsResent": True}
    assert [(p["Event"], p["IsResent"]) for p in expiries] == [("order.expired", False)]
    for headers, body, payload in deliveries:
        assert set(payload) == FIELDS
        assert payload["IsTestMode"] is True
        assert headers["content-type"] == "text/plain"
        expected_hash = base64.b64encode(hashlib.sha512(body).digest()).decode()
        assert headers["x-fc-content-sha512"] == expected_hash
        signature.verify(body, headers, [sandbox.webhook_key], "127.0.0.1")
    attempts = {(d.order_id, d.attempt, d.response_code) for d in sandbox.admin.ledger().webhooks}
    assert attempts == {(rescued, 1, 500), (rescued, 2, 200), (expired, 1, 200)}


def test_the_shared_sandbox_starts_empty(flex_sandbox: RunningSandbox) -> None:
    ledger = flex_sandbox.admin.ledger()
    assert ledger.orders == {}
    assert flex_sandbox.base_url.endswith("/v1/")
    health = httpx.get(flex_sandbox.root_url + "/healthz")
    assert health.json() == {"status": "ok"}
