"""FlexClient retries throttling, server errors and timeouts without doubling an effect, and
surfaces every refusal (400, 409, bad credentials) at once, against the sandbox's real faults."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import SecretStr

from consumer.flex import FlexAuthFailed, FlexClient, FlexConflict, FlexRejected, FlexUnavailable
from consumer.flex.responses import EvaluateStatus
from consumer.flex.retry import RetryPolicy
from consumer.sandbox.server import RunningSandbox
from tests.sandbox_client import a_declined_renewal, flex_settings
from tests.unit.flex.fakes import Observations

pytestmark = pytest.mark.integration

BASE_SECONDS = 0.25


@dataclass
class Pauses:
    """The client's sleeps between attempts: recorded, not slept; Flex recovers during one."""

    sandbox: RunningSandbox
    recover_after: int = 1
    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if len(self.delays) == self.recover_after:
            await asyncio.to_thread(self.sandbox.admin.clear_faults)

    def policy(self) -> RetryPolicy:
        """Five attempts, full backoff (no jitter), Retry-After honoured up to 30 s."""
        return RetryPolicy(
            max_attempts=5,
            base_seconds=BASE_SECONDS,
            cap_seconds=10.0,
            retry_after_cap_seconds=30.0,
            sleep=self,
            jitter=lambda: 1.0,
        )


@pytest.fixture
def pauses(flex_sandbox: RunningSandbox) -> Pauses:
    return Pauses(flex_sandbox)


def client(
    sandbox: RunningSandbox, pauses: Pauses, observed: Observations, **settings: Any
) -> AbstractAsyncContextManager[FlexClient]:
    """``FlexClient.open`` on the real transport with the recording pauses."""
    configured = flex_settings(sandbox, **settings)
    return FlexClient.open(configured, observer=observed, retry=pauses.policy())


def statuses(sandbox: RunningSandbox, endpoint: str) -> dict[str, int]:
    """HTTP statuses the sandbox answered on ``endpoint``, counted."""
    stats = sandbox.admin.ledger().endpoints.get(endpoint)
    return stats.statuses if stats else {}


async def test_a_429_is_retried_after_the_pause_its_retry_after_names(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    flex_sandbox.admin.faults(throttle_429_rate=1.0, retry_after_seconds=7, paths=["/v1/evaluate"])
    async with client(flex_sandbox, pauses, Observations()) as flex:
        answer = await flex.evaluate(a_declined_renewal())

    assert answer.decision is EvaluateStatus.SUBMITTED
    assert pauses.delays == [7.0]  # Flex's pause, not the 0.25 s backoff
    assert statuses(flex_sandbox, "POST /v1/evaluate") == {"429": 1, "200": 1}
    assert len(flex_sandbox.admin.ledger().orders) == 1


async def test_a_retry_after_beyond_the_cap_goes_back_to_the_caller_unslept(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    flex_sandbox.admin.faults(throttle_429_rate=1.0, retry_after_seconds=60, paths=["/v1/evaluate"])
    async with client(flex_sandbox, pauses, Observations()) as flex:
        with pytest.raises(FlexUnavailable) as raised:
            await flex.evaluate(a_declined_renewal())

    assert (raised.value.status, raised.value.retry_after) == (429, 60.0)
    assert pauses.delays == []
    assert statuses(flex_sandbox, "POST /v1/evaluate") == {"429": 1}


@pytest.mark.parametrize(("knob", "status"), [("error_500_rate", "500"), ("error_503_rate", "503")])
async def test_a_server_error_is_retried_with_backoff_until_flex_recovers(
    flex_sandbox: RunningSandbox, knob: str, status: str
) -> None:
    pauses = Pauses(flex_sandbox, recover_after=2)
    observed = Observations()
    flex_sandbox.admin.faults(**{knob: 1.0, "paths": ["/v1/evaluate"]})
    async with client(flex_sandbox, pauses, observed) as flex:
        answer = await flex.evaluate(a_declined_renewal())

    assert answer.decision is EvaluateStatus.SUBMITTED
    assert pauses.delays == [BASE_SECONDS, 2 * BASE_SECONDS]
    assert [s for endpoint, s in observed.seen if endpoint == "evaluate"] == [status, status, "200"]
    assert statuses(flex_sandbox, "POST /v1/evaluate") == {status: 2, "200": 1}
    assert len(flex_sandbox.admin.ledger().orders) == 1


async def test_a_refund_whose_answer_timed_out_is_retried_and_booked_once(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    async with FlexClient.open(flex_settings(flex_sandbox)) as flex:
        approved = await flex.evaluate(a_declined_renewal(amount=4999, managed=False))
    flex_id = str(approved.flex_order_id)
    # Flex books the refund, then holds the answer past the client's timeout.
    flex_sandbox.admin.faults(timeout_rate=1.0, timeout_hold_seconds=1.5, paths=["/v1/orders/"])
    observed = Observations()
    async with client(flex_sandbox, pauses, observed, timeout_seconds=0.5) as flex:
        refund = await flex.refund(flex_id, amount_minor=4999, currency="USD", message="cmd-7")

    assert refund.succeeded
    assert [s for endpoint, s in observed.seen if endpoint == "orders.refund"] == ["timeout", "200"]
    ledger = flex_sandbox.admin.ledger()
    [booked] = ledger.refunds[flex_id]
    assert (booked.status, booked.replays) == ("SUCCESS", 1)
    assert ledger.orders[flex_id].refunded_amount == 4999


async def test_a_400_is_raised_with_its_field_errors_after_one_call(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    async with client(flex_sandbox, pauses, Observations()) as flex:
        with pytest.raises(FlexRejected) as raised:
            await flex.evaluate(a_declined_renewal(amount=5))  # the sandbox wants 11..19999

    assert type(raised.value) is FlexRejected
    assert raised.value.status == 400
    assert list(raised.value.problem.field_errors) == ["Transaction.Amount"]
    assert "Transaction.Amount" in str(raised.value)
    assert pauses.delays == []
    assert statuses(flex_sandbox, "POST /v1/evaluate") == {"400": 1}


async def test_a_changed_renewal_under_the_same_key_is_a_conflict_after_one_call(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    renewal = a_declined_renewal(amount=4999)
    changed = renewal.model_copy(
        update={"transaction": renewal.transaction.model_copy(update={"amount": 5999})}
    )
    async with client(flex_sandbox, pauses, Observations()) as flex:
        await flex.evaluate(renewal)
        with pytest.raises(FlexConflict):
            await flex.evaluate(changed)

    assert changed.idempotency_key == renewal.idempotency_key
    assert pauses.delays == []
    key = flex_sandbox.admin.ledger().evaluations.by_idempotency_key[str(renewal.idempotency_key)]
    assert (key.calls, key.conflicts) == (2, 1)


async def test_wrong_credentials_fail_at_the_token_without_retrying(
    flex_sandbox: RunningSandbox, pauses: Pauses
) -> None:
    async with client(flex_sandbox, pauses, Observations(), app_secret=SecretStr("nope")) as flex:
        with pytest.raises(FlexAuthFailed):
            await flex.evaluate(a_declined_renewal())

    assert pauses.delays == []
    assert statuses(flex_sandbox, "POST /v1/oauth2/token") == {"400": 1}
    assert statuses(flex_sandbox, "POST /v1/evaluate") == {}
