"""One measured run of a consumer candidate: from its partitions assigned to its last commit.

The clock starts when the first process logs its assignment (start-up and imports are not
the candidate's throughput) and stops at the first progress reading where every target
record is both published and committed, or when ``cap`` seconds have passed (the sequential
baselines would take many minutes over the whole input: their rate is measured on a sample).
CPU is read from /proc over exactly that window, for the candidate and the simulator.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench import candidates, data
from bench.candidates import Plan
from bench.processes import Measured, machine_busy_seconds
from bench.progress import Latencies, Progress, latencies
from bench.servers import Server

_READY_SECONDS = 90.0
_EVERY = 0.1
_SETTLE_SECONDS = 3.0


@dataclass(frozen=True)
class Result:
    """What one run measured."""

    events: int
    seconds: float
    cpu_seconds: float
    sandbox_cpu_seconds: float
    peak_rss_mb: float
    latency: Latencies
    machine_busy: float = 0.0  # share of all the machine's cores busy during the window

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds

    @property
    def cpu_per_event_us(self) -> float:
        """Candidate CPU microseconds per event."""
        return self.cpu_seconds / self.events * 1e6


@dataclass(frozen=True)
class Pace:
    """After the backlog: a steady load at ``share`` of the measured rate, for latency."""

    share: float = 0.5
    seconds: float = 5.0


def measure(kind: str, plan: Plan, sandbox: Server, target: int, cap: float,
            processes: int = 1, pace: Pace | None = None,
            burst: Callable[[], object] | None = None) -> Result:  # fmt: skip
    """Run ``processes`` of candidate ``kind`` over ``plan`` until ``target`` or ``cap``.

    With ``burst``, the input is written by ``burst()`` once every process has joined the
    group (the clock starts just before), instead of waiting in the topic beforehand.
    """
    progress = Progress(plan.bootstrap, plan.group, plan.topics.declined, plan.topics.order_status)
    started = [candidates.start(kind, plan, n) for n in range(processes)]
    try:
        _wait_assigned(started, every=burst is not None)
        t0, cpu0, box0 = time.perf_counter(), _cpu(started), sandbox.cpu_seconds() or 0.0
        busy0 = machine_busy_seconds()
        if burst is not None:
            burst()
        done = _wait_done(progress, started, target, t0 + cap)
        t1, cpu1, box1 = time.perf_counter(), _cpu(started), sandbox.cpu_seconds() or 0.0
        busy = (machine_busy_seconds() - busy0) / (t1 - t0) / (os.cpu_count() or 1)
        lat = Latencies(float("nan"), float("nan"), 0)
        if pace is not None and done == target:
            lat = _paced(plan, progress, started, target, done / (t1 - t0) * pace.share, pace)
        rss = max(process.peak_rss_mb() for process in started)
    finally:
        for process in started:
            process.stop()
        progress.close()
    return Result(done, t1 - t0, cpu1 - cpu0, box1 - box0, rss, lat, busy)


def _paced(plan: Plan, progress: Progress, started: list[Measured], backlog: int, rate: float,
           pace: Pace) -> Latencies:  # fmt: skip
    run = f"{plan.name}-paced"
    records = list(data.declines(run, max(1, int(rate * pace.seconds))))
    data.paced(plan.bootstrap, plan.topics.declined, records, rate)
    _wait_done(progress, started, backlog + len(records), time.perf_counter() + 60)
    return latencies(plan.bootstrap, plan.topics.declined, plan.topics.order_status, run)


def _wait_assigned(started: list[Measured], every: bool) -> None:
    deadline = time.monotonic() + _READY_SECONDS
    wanted = all if every else any
    while not wanted(candidates.assigned(process) for process in started):
        _check_alive(started)
        if time.monotonic() > deadline:
            raise RuntimeError(f"no partitions assigned:\n{started[0].tail()}")
        time.sleep(0.01)
    if every:
        time.sleep(_SETTLE_SECONDS)  # let the incremental rebalances of later joiners finish


def _wait_done(progress: Progress, started: list[Measured], target: int, until: float) -> int:
    while True:
        committed = progress.committed()
        if committed >= target and progress.published() >= target:
            return target
        if time.perf_counter() >= until:
            return min(committed, progress.published())
        _check_alive(started)
        time.sleep(_EVERY)


def _check_alive(started: list[Measured]) -> None:
    for process in started:
        if process.process.poll() is not None:
            raise RuntimeError(f"{process.log.name} exited:\n{process.tail()}")


def _cpu(started: list[Measured]) -> float:
    return sum(process.cpu_seconds() for process in started)
