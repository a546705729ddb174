"""Closed-loop load: N concurrent loops call for a fixed time; requests/s and the CPU it took.

Each sample warms up first (connections opened, token fetched), then counts completed calls
over the measured window, and reads how much of one core the client process and, when known,
the server process used in that window: a side near 100 % is the one that set the pace.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bench.servers import Server

WARM_UP_SECONDS = 0.5


@dataclass(frozen=True)
class Sample:
    """One measured window."""

    rate: float
    client_cpu: float
    server_cpu: float | None


async def drive(
    call: Callable[[int], Awaitable[object]], in_flight: int, seconds: float, server: Server
) -> Sample:
    """Run ``in_flight`` loops of ``call(n)`` (n counts calls) for ``seconds`` after a warm-up."""
    done = 0

    async def loop(deadline: float) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await call(done)
            done += 1

    warm = time.perf_counter() + min(WARM_UP_SECONDS, seconds)
    await asyncio.gather(*(loop(warm) for _ in range(in_flight)))
    done = 0
    started, client_started, server_started = _clocks(server)
    await asyncio.gather(*(loop(started + seconds) for _ in range(in_flight)))
    ended, client_ended, server_ended = _clocks(server)
    elapsed = ended - started
    server_cpu = None
    if server_started is not None and server_ended is not None:
        server_cpu = (server_ended - server_started) / elapsed
    return Sample(done / elapsed, (client_ended - client_started) / elapsed, server_cpu)


def _clocks(server: Server) -> tuple[float, float, float | None]:
    return time.perf_counter(), time.process_time(), server.cpu_seconds()
