"""Faults are injected by configuration or at runtime, reproducibly from the seed."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from consumer.sandbox.app import build_app
from consumer.sandbox.faults import FaultState
from consumer.settings import SandboxFaults, SandboxSettings
from tests.unit.sandbox.conftest import Harness, MakeSandbox


async def _patch(sandbox: Harness, **knobs: object) -> dict[str, object]:
    response = await sandbox.client.patch("/_sandbox/faults", json=knobs)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def test_an_outage_can_be_started_and_stopped_at_runtime(sandbox: Harness) -> None:
    await sandbox.auth()
    await _patch(sandbox, error_503_rate=1.0)
    assert (await sandbox.evaluate()).status_code == 503
    assert (await sandbox.client.put("/_sandbox/faults", json={})).json()["error_503_rate"] == 0
    assert (await sandbox.evaluate()).status_code == 200
    ledger = await sandbox.ledger()
    assert len(ledger["orders"]) == 1  # the failed call had no effect
    assert ledger["endpoints"]["POST /v1/evaluate"]["statuses"] == {"503": 1, "200": 1}


async def test_throttling_answers_429_with_retry_after(sandbox: Harness) -> None:
    await _patch(sandbox, throttle_429_rate=1.0, retry_after_seconds=7)
    response = await sandbox.client.post("/v1/oauth2/token", json={})
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"


async def test_faults_can_target_some_paths_only(sandbox: Harness) -> None:
    await _patch(sandbox, error_500_rate=1.0, paths=["/v1/evaluate"])
    assert (await sandbox.evaluate()).status_code == 500
    assert (await sandbox.client.get("/_sandbox/ledger")).status_code == 200
    assert (await sandbox.post("/v1/transmit", {})).status_code == 400  # not faulted


async def test_a_timeout_processes_the_request_but_holds_the_answer(sandbox: Harness) -> None:
    await sandbox.auth()
    await _patch(sandbox, timeout_rate=1.0, timeout_hold_seconds=60)
    call = asyncio.create_task(sandbox.evaluate())
    for _ in range(1000):
        if (await sandbox.ledger())["orders"]:
            break
        await asyncio.sleep(0.001)
    assert len((await sandbox.ledger())["orders"]) == 1
    assert not call.done()
    call.cancel()


async def test_bad_knobs_are_refused(sandbox: Harness) -> None:
    response = await sandbox.client.patch("/_sandbox/faults", json={"error_500_rate": 2})
    assert response.status_code == 400
    assert "error_500_rate" in response.json()["errors"]


async def test_same_seed_same_faults(make_sandbox: MakeSandbox) -> None:
    async def statuses(seed: int) -> list[int]:
        sandbox = await make_sandbox(seed=seed, faults={"error_500_rate": 0.5})
        return [(await sandbox.client.get("/v1/orders/x")).status_code for _ in range(30)]

    first, again, other = await statuses(7), await statuses(7), await statuses(8)
    assert first == again
    assert set(first) == {500, 401}
    assert other != first


def test_latency_is_fixed_jittered_or_lognormal() -> None:
    fixed = FaultState(SandboxFaults(latency_ms=50), seed=1)
    assert {fixed.for_request().delay_seconds for _ in range(5)} == {0.05}
    jitter = FaultState(SandboxFaults(latency_ms=50, latency_jitter_ms=20), seed=1)
    delays = [jitter.for_request().delay_seconds for _ in range(200)]
    assert all(0.05 <= delay <= 0.07 for delay in delays)
    assert len(set(delays)) > 100
    lognormal = FaultState(SandboxFaults(latency_ms=50, latency_sigma=0.5), seed=1)
    delays = sorted(lognormal.for_request().delay_seconds for _ in range(401))
    assert 0.04 < delays[200] < 0.06  # the median is the configured latency
    assert delays[-1] > 0.1


@pytest.mark.parametrize("rate", [0.0, 1.0])
async def test_first_delivery_can_be_lost(make_sandbox: MakeSandbox, rate: float) -> None:
    sandbox = await make_sandbox(faults={"webhook_fail_first_rate": rate})
    await sandbox.evaluate(managed=False)
    hooks = await sandbox.settle()
    assert [hook["IsResent"] for hook in hooks] == ([True] if rate else [False])
    first = (await sandbox.ledger())["webhooks"][0]
    assert (first["error"] == "dropped by fault injection") is bool(rate)


async def test_webhooks_can_be_duplicated(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(faults={"webhook_duplicate_rate": 1.0})
    await sandbox.evaluate(managed=False)
    first, second = await sandbox.settle()
    assert first == second
    assert [hook["duplicate"] for hook in (await sandbox.ledger())["webhooks"]] == [False, True]


async def test_webhooks_can_arrive_out_of_order(sandbox: Harness) -> None:
    await _patch(sandbox, webhook_reorder_rate=1.0, webhook_reorder_delay_seconds=0.3)
    order_id = (await sandbox.evaluate(managed=False)).json()["orderId"]
    await _patch(sandbox, webhook_reorder_rate=0.0)
    await sandbox.post(f"/v1/orders/{order_id}/refund", {"amountToRefund": 49.99})
    events = [hook["Event"] for hook in await sandbox.settle()]
    assert events == ["order.refunded", "order.completed"]


async def test_a_client_that_hangs_up_mid_request_is_not_a_server_error() -> None:
    app = build_app(SandboxSettings())
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.disconnect"}  # the caller's process died mid-upload

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/oauth2/token", "raw_path": b"/v1/oauth2/token",
             "query_string": b"", "root_path": "", "server": ("127.0.0.1", 8700),
             "headers": [(b"content-type", b"application/json")]}  # fmt: skip
    await app(scope, receive, send)
    assert sent[0]["status"] == 499
