"""Transient failures are retried with capped, jittered backoff and Retry-After; 4xx never."""

from __future__ import annotations

import httpx
import pytest

from consumer.flex import FlexRejected, FlexUnavailable
from consumer.flex.retry import RetryPolicy, parse_retry_after
from tests.unit.flex.fakes import Sleeps, an_evaluate_request, harness, json_response

PROBLEM = {
    "title": "One or more validation errors occurred.",
    "status": 400,
    "traceId": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "errors": {"Transaction.ResponseCode": ["The ResponseCode field is required."]},
}


def test_backoff_doubles_from_the_base_up_to_the_cap_scaled_by_jitter() -> None:
    policy = RetryPolicy(base_seconds=0.5, cap_seconds=3.0, jitter=lambda: 1.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    halved = RetryPolicy(base_seconds=0.5, cap_seconds=3.0, jitter=lambda: 0.5)
    assert halved.backoff(3) == 1.0


def test_retry_after_is_read_as_seconds_or_as_an_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = 1_767_225_600.0  # Thu, 01 Jan 2026 00:00:00 GMT
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:12 GMT", lambda: now) == 12.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", lambda: now) == 0.0


async def test_429_waits_exactly_what_retry_after_asks_then_succeeds() -> None:
    h = harness()
    h.flex.script(
        "/v1/evaluate",
        json_response(429, {}, headers={"Retry-After": "7"}),
        json_response(429, {}, headers={"Retry-After": "Thu, 01 Jan 2026 00:00:03 GMT"}),
        json_response(200, {"status": "SUBMITTED", "orderSessionKey": "e3b2"}),
    )
    response = await h.client.evaluate(an_evaluate_request())
    assert response.flex_order_id == "e3b2"
    assert h.sleeps.delays == [7.0, 3.0]
    keys = {body["idempotencyKey"] for body in h.flex.bodies("/v1/evaluate")}
    assert len(keys) == 1


async def test_500_is_retried_with_backoff_then_succeeds() -> None:
    h = harness()
    h.flex.script(
        "/v1/orders/o1",
        json_response(500, {}),
        httpx.Response(502, content=b"<html>bad gateway</html>"),
        json_response(200, {"id": "o1", "status": 7}),
    )
    order = await h.client.order("o1")
    assert order.id == "o1"
    assert h.sleeps.delays == [0.5, 1.0]
    statuses = [status for endpoint, status in h.observed.seen if endpoint == "orders.get"]
    assert statuses == ["500", "502", "200"]


async def test_attempts_run_out_and_the_error_stays_transient() -> None:
    h = harness(max_attempts=3)
    h.flex.script("/v1/orders/o1", *(json_response(503, {}) for _ in range(3)))
    with pytest.raises(FlexUnavailable) as caught:
        await h.client.order("o1")
    assert caught.value.status == 503
    assert len(h.flex.to("/v1/orders/o1")) == 3
    assert h.sleeps.delays == [0.5, 1.0]


async def test_a_retry_after_longer_than_the_cap_is_not_slept_through() -> None:
    h = harness(retry_after_cap_seconds=30)
    h.flex.script("/v1/orders/o1", json_response(503, {}, headers={"Retry-After": "120"}))
    with pytest.raises(FlexUnavailable) as caught:
        await h.client.order("o1")
    assert caught.value.retry_after == 120.0
    assert h.sleeps.delays == []
    assert len(h.flex.to("/v1/orders/o1")) == 1


async def test_timeouts_and_connection_errors_are_retried_and_observed_by_kind() -> None:
    h = harness()
    h.flex.script(
        "/v1/orders/o1",
        httpx.ReadTimeout("timed out"),
        httpx.ConnectError("connection refused"),
        json_response(200, {"id": "o1"}),
    )
    await h.client.order("o1")
    assert [s for e, s in h.observed.seen if e == "orders.get"] == [
        "timeout",
        "connection_error",
        "200",
    ]
    assert ("oauth2.token", "200") in h.observed.seen


async def test_a_validation_400_is_surfaced_with_field_errors_and_not_retried() -> None:
    h = harness()
    h.flex.script("/v1/evaluate", json_response(400, PROBLEM))
    with pytest.raises(FlexRejected) as caught:
        await h.client.evaluate(an_evaluate_request())
    error = caught.value
    assert error.status == 400
    assert error.problem.field_errors == {
        "Transaction.ResponseCode": ["The ResponseCode field is required."]
    }
    assert error.problem.trace_id == PROBLEM["traceId"]
    assert "Transaction.ResponseCode: The ResponseCode field is required." in str(error)
    assert len(h.flex.to("/v1/evaluate")) == 1
    assert h.sleeps.delays == []


async def test_a_failing_token_fetch_is_retried_by_the_call_that_needed_it() -> None:
    h = harness()
    h.flex.script("/v1/oauth2/token", json_response(503, {}))
    await h.client.order("o1")
    assert h.sleeps.delays == [0.5]
    assert [s for e, s in h.observed.seen if e == "oauth2.token"] == ["503", "200"]


async def test_run_gives_up_at_once_when_there_is_a_single_attempt() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=1, sleep=sleeps)
    calls = 0

    async def unavailable() -> None:
        nonlocal calls
        calls += 1
        raise FlexUnavailable("evaluate", "HTTP 503", status=503)

    with pytest.raises(FlexUnavailable):
        await policy.run(unavailable)
    assert calls == 1
    assert sleeps.delays == []
