"""Fault injection: which request or webhook misbehaves, drawn from seeded random streams.

HTTP faults (for paths under /v1, or the configured prefixes):
    latency      latency_ms (lognormal with latency_sigma when > 0) + uniform(0, latency_jitter_ms)
    500 / 503    answered at once, nothing processed
    429          with ``Retry-After: retry_after_seconds``, nothing processed
    timeout      processed normally, then the answer is held for timeout_hold_seconds, so the
                 effect exists although the client gave up (the case idempotency must survive)
Webhook faults: a duplicate delivery after success, a delay that lets later events overtake
(out of order), or a lost first attempt (then resent with IsResent=true).

HTTP and webhook draws come from separate streams seeded from ``seed``, so the same sequence of
requests meets the same faults in every run.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any, Literal

from consumer.settings import SandboxFaults

HttpFaultKind = Literal["none", "500", "503", "429", "timeout"]


@dataclass(frozen=True)
class HttpFault:
    """What happens to one request: a delay, then possibly a fault."""

    delay_seconds: float
    kind: HttpFaultKind


@dataclass(frozen=True)
class WebhookFault:
    """What happens to one webhook: an initial delay, a lost first attempt, a duplicate."""

    delay_seconds: float
    drop_first: bool
    duplicate: bool


class FaultState:
    """The current fault knobs (replaceable at runtime) and the random streams."""

    def __init__(self, initial: SandboxFaults, seed: int) -> None:
        self._initial = initial
        self._seed = seed
        self.current = initial
        self._http = random.Random(seed)  # noqa: S311 - reproducible, not secret
        self._webhooks = random.Random(seed + 1)  # noqa: S311

    def reset(self) -> None:
        """Back to the configured knobs and the start of both random streams."""
        self.current = self._initial
        self._http = random.Random(self._seed)  # noqa: S311
        self._webhooks = random.Random(self._seed + 1)  # noqa: S311

    def replace(self, knobs: dict[str, Any]) -> SandboxFaults:
        """Set every knob: those not given return to zero/defaults. Raises ValueError."""
        self.current = SandboxFaults.model_validate(knobs)
        return self.current

    def update(self, knobs: dict[str, Any]) -> SandboxFaults:
        """Change only the knobs given. Raises ValueError (pydantic) on bad values."""
        self.current = SandboxFaults.model_validate(self.current.model_dump() | knobs)
        return self.current

    def applies_to(self, path: str) -> bool:
        """True when HTTP faults apply to ``path``."""
        prefixes = self.current.paths
        return path.startswith(tuple(prefixes)) if prefixes else path.startswith("/v1/")

    def for_request(self) -> HttpFault:
        """Draw the fault for one request."""
        knobs = self.current
        delay = knobs.latency_ms
        if knobs.latency_sigma > 0 and delay > 0:
            delay *= math.exp(self._http.gauss(0.0, knobs.latency_sigma))
        if knobs.latency_jitter_ms > 0:
            delay += self._http.uniform(0.0, knobs.latency_jitter_ms)
        return HttpFault(delay / 1000.0, self._kind(knobs))

    def for_webhook(self) -> WebhookFault:
        """Draw the fault for one webhook event."""
        knobs, draw = self.current, self._webhooks.random
        reordered = draw() < knobs.webhook_reorder_rate
        return WebhookFault(
            delay_seconds=knobs.webhook_reorder_delay_seconds if reordered else 0.0,
            drop_first=draw() < knobs.webhook_fail_first_rate,
            duplicate=draw() < knobs.webhook_duplicate_rate,
        )

    def _kind(self, knobs: SandboxFaults) -> HttpFaultKind:
        draw = self._http.random()
        rules: tuple[tuple[HttpFaultKind, float], ...] = (
            ("500", knobs.error_500_rate),
            ("503", knobs.error_503_rate),
            ("429", knobs.throttle_429_rate),
            ("timeout", knobs.timeout_rate),
        )
        for kind, rate in rules:
            if draw < rate:
                return kind
            draw -= rate
        return "none"
