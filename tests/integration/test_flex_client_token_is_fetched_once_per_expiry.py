"""However many calls are in flight when the access token expires, FlexClient fetches one token."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from consumer.flex import FlexClient
from consumer.sandbox.server import RunningSandbox, start_in_background
from consumer.settings import SandboxSettings
from tests.sandbox_client import an_approved_copy, flex_settings
from tests.unit.flex.fakes import Observations

pytestmark = pytest.mark.integration

TOKEN_TTL = 2.0
RENEW_MARGIN = 0.5
IN_FLIGHT = 200


class Clocks:
    """The sandbox's and the client's wall clocks, standing still until the test moves them.

    Both sides judge expiry on the wall clock, so a jump replaces waiting for a real expiry,
    and no call can meet an expiry the test did not make: the count does not depend on speed.
    """

    def __init__(self) -> None:
        self.now = time.time()
        self.flex_ahead = 0.0

    def flex(self) -> float:
        """The sandbox's clock."""
        return self.now + self.flex_ahead

    def client(self) -> float:
        """The client's clock."""
        return self.now


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def sandbox(clocks: Clocks) -> Iterator[RunningSandbox]:
    settings = SandboxSettings(port=0, token_ttl=timedelta(seconds=TOKEN_TTL))
    running = start_in_background(settings, wall=clocks.flex)
    yield running
    running.stop()


async def test_each_expiry_costs_one_token_request_with_200_calls_in_flight(
    sandbox: RunningSandbox, clocks: Clocks
) -> None:
    settings = flex_settings(sandbox, token_renew_margin_seconds=RENEW_MARGIN)
    observed = Observations()
    sent = 0

    async def wave(flex: FlexClient) -> None:
        nonlocal sent
        copies = [an_approved_copy(f"psp-tx-{sent + n}") for n in range(IN_FLIGHT)]
        sent += IN_FLIGHT
        await asyncio.gather(*(flex.transmit(copy) for copy in copies))

    async with FlexClient.open(settings, observer=observed, clock=clocks.client) as flex:
        await wave(flex)  # no token yet: 200 callers, one fetch
        clocks.now += TOKEN_TTL  # expired on both clocks: renewed before use
        await wave(flex)
        clocks.now += TOKEN_TTL
        await wave(flex)
        clocks.flex_ahead += TOKEN_TTL  # expired for Flex only: every call meets a 401
        # Spread the 401s over 50 ms, so that some arrive after the new token did.
        sandbox.admin.faults(latency_jitter_ms=50, paths=["/v1/transmit"])
        await wave(flex)

    ledger = sandbox.admin.ledger()
    expiries_crossed = 3
    assert ledger.tokens_issued == 1 + expiries_crossed
    assert observed.seen.count(("oauth2.token", "200")) == 1 + expiries_crossed
    # The last wave's calls all left with the token Flex had just expired, then succeeded.
    transmits = ledger.endpoints["POST /v1/transmit"].statuses
    assert transmits == {"200": 4 * IN_FLIGHT, "401": IN_FLIGHT}
    assert len(ledger.transmits) == 4 * IN_FLIGHT
    assert {record.calls for record in ledger.transmits.values()} == {1}


async def test_a_token_short_of_its_renewal_margin_is_reused(
    sandbox: RunningSandbox, clocks: Clocks
) -> None:
    settings = flex_settings(sandbox, token_renew_margin_seconds=RENEW_MARGIN)
    async with FlexClient.open(settings, clock=clocks.client) as flex:
        await flex.transmit(an_approved_copy("psp-tx-early"))
        clocks.now += TOKEN_TTL - RENEW_MARGIN - 0.01
        await flex.transmit(an_approved_copy("psp-tx-late"))
        clocks.now += 0.02  # inside the margin: renewed although Flex would still accept it
        await flex.transmit(an_approved_copy("psp-tx-renewed"))

    ledger = sandbox.admin.ledger()
    assert ledger.tokens_issued == 2
    assert ledger.endpoints["POST /v1/transmit"].statuses == {"200": 3}
