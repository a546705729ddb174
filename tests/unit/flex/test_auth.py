"""The access token is fetched once for concurrent callers, renewed early, and replaced on 401."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import SecretStr

from consumer.flex import FlexAuthFailed, FlexUnavailable
from consumer.flex.auth import TokenCache
from tests.unit.flex.fakes import APP_SECRET, Clock, harness, json_response


async def test_one_hundred_concurrent_calls_with_an_empty_cache_fetch_one_token() -> None:
    h = harness()
    await asyncio.gather(*(h.client.order(f"order-{n}") for n in range(100)))
    assert len(h.flex.to("/v1/oauth2/token")) == 1
    tokens = {request.headers["authorization"] for request in h.flex.requests[1:]}
    assert tokens == {"Bearer access-token-1"}


async def test_token_is_reused_until_the_renewal_margin_then_renewed_before_expiry() -> None:
    h = harness(token_renew_margin_seconds=60)
    await h.client.order("a")
    h.clock.now += 539  # 61 s before the 600 s expiry
    await h.client.order("b")
    assert h.flex.tokens_issued == 1
    h.clock.now += 2  # 59 s before expiry: inside the margin
    await h.client.order("c")
    assert h.flex.tokens_issued == 2
    assert h.flex.requests[-1].headers["authorization"] == "Bearer access-token-2"


async def test_401_invalidates_the_token_fetches_one_and_retries_once() -> None:
    h = harness()
    await h.client.order("warm-up")
    h.flex.script("/v1/orders/x", json_response(401, {}), json_response(200, {"id": "x"}))
    order = await h.client.order("x")
    assert order.id == "x"
    assert h.flex.tokens_issued == 2
    retried = h.flex.to("/v1/orders/x")
    assert [r.headers["authorization"] for r in retried] == [
        "Bearer access-token-1",
        "Bearer access-token-2",
    ]
    assert h.sleeps.delays == []


async def test_a_second_401_with_a_fresh_token_is_an_auth_failure_not_retried() -> None:
    h = harness()
    h.flex.script("/v1/orders/x", json_response(401, {}), json_response(401, {}))
    with pytest.raises(FlexAuthFailed) as caught:
        await h.client.order("x")
    assert caught.value.status == 401
    assert len(h.flex.to("/v1/orders/x")) == 2
    assert h.flex.tokens_issued == 2


async def test_concurrent_401s_on_the_same_token_cost_one_new_token() -> None:
    h = harness()
    await h.client.order("warm-up")
    for n in range(20):
        h.flex.script(f"/v1/orders/o{n}", json_response(401, {}))
    await asyncio.gather(*(h.client.order(f"o{n}") for n in range(20)))
    assert h.flex.tokens_issued == 2


async def test_bad_credentials_are_a_permanent_auth_failure_without_the_secret() -> None:
    h = harness()
    problem = {"title": "Invalid credentials", "status": 400, "errors": {"AppSecret": [APP_SECRET]}}
    h.flex.script("/v1/oauth2/token", json_response(400, problem))
    with pytest.raises(FlexAuthFailed) as caught:
        await h.client.order("x")
    assert caught.value.status == 400
    assert "Invalid credentials" in str(caught.value)
    assert APP_SECRET not in str(caught.value)
    assert APP_SECRET not in repr(caught.value.problem)
    assert len(h.flex.to("/v1/oauth2/token")) == 1
    assert h.flex.to("/v1/orders/x") == []


async def test_a_failed_fetch_is_shared_by_its_waiters_and_the_next_call_fetches_again() -> None:
    fetches = 0
    gate = asyncio.Event()

    async def failing_fetch() -> tuple[SecretStr, float]:
        nonlocal fetches
        fetches += 1
        await gate.wait()
        raise FlexUnavailable("oauth2.token", "HTTP 503", status=503)

    cache = TokenCache(failing_fetch, clock=Clock())
    waiters = [asyncio.create_task(cache.current()) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert fetches == 1
    assert all(isinstance(result, FlexUnavailable) for result in results)
    with pytest.raises(FlexUnavailable):
        await cache.current()
    assert fetches == 2


async def test_a_cancelled_waiter_does_not_cancel_the_fetch_others_wait_for() -> None:
    gate = asyncio.Event()

    async def slow_fetch() -> tuple[SecretStr, float]:
        await gate.wait()
        return SecretStr("t"), 2_000_000_000.0

    cache = TokenCache(slow_fetch, clock=Clock())
    first = asyncio.create_task(cache.current())
    second = asyncio.create_task(cache.current())
    await asyncio.sleep(0)
    first.cancel()
    gate.set()
    assert (await second).get_secret_value() == "t"
    assert first.cancelled()


async def test_invalidating_an_already_replaced_token_keeps_the_new_one() -> None:
    issued = iter(["first", "second", "third"])

    async def fetch() -> tuple[SecretStr, float]:
        return SecretStr(next(issued)), 2_000_000_000.0

    cache = TokenCache(fetch, clock=Clock())
    old = await cache.current()
    cache.invalidate(old)
    new = await cache.current()
    cache.invalidate(old)
    assert (await cache.current()).get_secret_value() == new.get_secret_value() == "second"
