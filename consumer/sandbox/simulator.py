"""One sandbox instance: its clock, memory, timers, webhook sender, faults and operations.

Everything runs on one event loop and no handler awaits between reading and writing the state,
so requests need no locks and 200 concurrent requests cost no more than 200 sequential ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from consumer.sandbox.cancellation import Cancellations
from consumer.sandbox.captures import Captures
from consumer.sandbox.clock import VirtualClock, iso
from consumer.sandbox.delivery import Dispatcher
from consumer.sandbox.evaluation import Evaluator
from consumer.sandbox.faults import FaultState
from consumer.sandbox.ledger import Delivery
from consumer.sandbox.lifecycle import Lifecycle
from consumer.sandbox.refunds import Refunds
from consumer.sandbox.scheduler import Scheduler
from consumer.sandbox.state import State
from consumer.sandbox.tokens import TokenIssuer
from consumer.settings import SandboxSettings


class Simulator:
    """The Flex sandbox behind the HTTP routes."""

    def __init__(
        self,
        settings: SandboxSettings,
        *,
        wall: Callable[[], float] = time.time,
        webhook_client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.clock = VirtualClock(settings.time_scale, wall)
        self.state = State()
        self.faults = FaultState(settings.faults, settings.seed)
        self.scheduler = Scheduler(self.clock)
        self.dispatcher = Dispatcher(settings, self.faults, self._record, webhook_client)
        self.tokens = TokenIssuer(settings.mid, settings.token_ttl.total_seconds(), wall)
        lifecycle = Lifecycle(self.state, self.clock, self.scheduler, self.dispatcher, settings)
        self.evaluator = Evaluator(self.state, lifecycle, self.clock, settings)
        self.refunds = Refunds(self.state, lifecycle, self.clock, settings.partial_refund_limit)
        self.cancellations = Cancellations(self.state, lifecycle, self.clock)
        self.captures = Captures(self.state, lifecycle, self.clock)

    def start(self) -> None:
        """Start the timers (call on the serving event loop)."""
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop timers and abandon webhook deliveries."""
        await self.scheduler.stop()
        await self.dispatcher.close()

    async def reset(self) -> None:
        """Forget all orders, calls, tokens vaulted and deliveries; restore configured faults."""
        self.scheduler.clear()
        await self.dispatcher.cancel_all()
        self.state.clear()
        self.faults.reset()
        self.clock.restart()

    def advance(self, seconds: float) -> int:
        """Move virtual time forward and run what became due; returns timers run."""
        self.clock.advance(seconds)
        ran = self.scheduler.run_due()
        self.scheduler.nudge()
        return ran

    def clock_json(self) -> dict[str, Any]:
        """Virtual now and the time scale."""
        return {"now": iso(self.clock.now()), "timeScale": self.clock.time_scale}

    def ledger_json(self) -> dict[str, Any]:
        """The ledger with the clock and pending work; the body of GET /_sandbox/ledger."""
        body: dict[str, Any] = self.state.ledger.model_dump(mode="json", by_alias=True)
        body["clock"] = self.clock_json()
        body["pending"] = {
            "timers": self.scheduler.pending(),
            "webhooks": self.dispatcher.in_flight(),
        }
        return body

    def _record(self, delivery: Delivery) -> None:
        self.state.ledger.webhooks.append(delivery)
