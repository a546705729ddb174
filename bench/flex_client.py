"""Throughput of ``FlexClient.evaluate`` on each HTTP transport at 1, 50 and 200 in flight.

    .venv/bin/python -m bench.flex_client                  # starts the Flex simulator
    .venv/bin/python -m bench.flex_client --url http://127.0.0.1:8700/v1/   # a running Flex

By default the real simulator (``flexmit sandbox``) runs in a subprocess on a free port with
no added latency or faults, tokens that outlive the run and no access log. Every cell runs the
real client path (encode, token cache, observer, retry wrapper, parse) for a fixed time after
a warm-up, best of a few interleaved rounds, and is reported as requests/s with its ratio to
plain httpx measured in the same run. Candidates:

- ``httpx``: httpx's own pool (httpcore), the baseline; loses throughput under concurrency
  (encode/httpx#3215).
- ``httpx+aiohttp``: httpx API over aiohttp's pool (httpx-aiohttp), guarded as in production:
  the transport ``FlexClient.open`` uses by default.
- ``httpx2``: the maintained fork (httpcore2 pool), driven through the same client by duck
  typing: FlexClient only calls ``request()`` and reads the response.

The simulator is Python too, so a last row, ``server ceiling`` (``bench.ceiling``), shows what
a lean raw-aiohttp client gets from the same server, and a second table shows how much of a
core the client and the server used: the side near 100 % is the one that set the pace.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import cast

import httpx
import httpx2
from httpx_aiohttp import AiohttpTransport
from pydantic import AnyHttpUrl

from bench import ceiling, servers
from bench.load import Sample, drive
from bench.servers import Server
from consumer.flex.client import FlexClient
from consumer.flex.models import Address, EvaluateRequest, Payer, PaymentMethod, Transaction
from consumer.flex.transport import GuardedTransport
from consumer.settings import FlexSettings, SandboxSettings

LEVELS = (1, 50, 200)
BASELINE = "httpx"
CEILING = "server ceiling"

Factory = Callable[[FlexSettings], httpx.AsyncClient]


def _limits(settings: FlexSettings) -> httpx.Limits:
    n = settings.max_connections
    return httpx.Limits(max_connections=n, max_keepalive_connections=n, keepalive_expiry=30)


def _plain(settings: FlexSettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(limits=_limits(settings)))


def _aiohttp(settings: FlexSettings) -> httpx.AsyncClient:
    transport = GuardedTransport(AiohttpTransport(limits=_limits(settings)))
    return httpx.AsyncClient(transport=transport)


def _httpx2(settings: FlexSettings) -> httpx.AsyncClient:
    n = settings.max_connections
    limits = httpx2.Limits(max_connections=n, max_keepalive_connections=n, keepalive_expiry=30)
    return cast(httpx.AsyncClient, httpx2.AsyncClient(limits=limits))


CANDIDATES: dict[str, Factory] = {"httpx": _plain, "httpx+aiohttp": _aiohttp, "httpx2": _httpx2}


def a_request(number: int) -> EvaluateRequest:
    """A sync-MIT evaluate the simulator accepts; its own transaction id, so idempotency key."""
    return EvaluateRequest(
        order_id=f"ORD-{number}",
        transaction=Transaction(
            id=f"psp-tx-{number}",
            timestamp_utc=datetime(2026, 1, 5, 10, tzinfo=UTC),
            amount=4999,
            currency="USD",
            response_code="05",
            response_code_source="nmi",
        ),
        payer=Payer(email="jane@example.com"),
        payment_method=PaymentMethod(
            holder_name="Jane Doe",
            card_type="CREDIT",
            card_brand="VISA",
            card_country="US",
            expiration_month=9,
            expiration_year=2030,
            card_bin_number="411111",
            card_last4_digits="1111",
            card_number="d1f7a7e4-8a3b-4a5e-9c1f-2b3c4d5e6f70",
        ),
        billing_information=Address(
            first_name="Jane",
            last_name="Doe",
            country="US",
            country_code="US",
            address_line1="1 Main St",
            city="Austin",
            zipcode="73301",
        ),
        is_mit=True,
    )


# The first 1000 calls create orders; later ones replay them, so the server's memory stays flat.
REQUESTS = [a_request(n) for n in range(1000)]


async def measure(
    factory: Factory, settings: FlexSettings, in_flight: int, seconds: float, server: Server
) -> Sample:
    """One sample of ``in_flight`` concurrent ``FlexClient.evaluate`` loops."""
    async with factory(settings) as http:
        flex = FlexClient(settings, http)
        return await drive(
            lambda n: flex.evaluate(REQUESTS[n % len(REQUESTS)]), in_flight, seconds, server
        )


def settings_for(url: str) -> FlexSettings:
    """The simulator's default credentials; one attempt, so a failure shows, not a retry."""
    sandbox = SandboxSettings()
    return FlexSettings(
        base_url=AnyHttpUrl(url),
        app_key=sandbox.app_key,
        app_secret=sandbox.app_secret,
        mid=sandbox.mid,
        site_id=sandbox.site_id,
        max_attempts=1,
    )


async def run(
    server: Server, seconds: float, rounds: int, names: list[str]
) -> dict[str, dict[int, Sample]]:
    """Best sample of ``rounds`` interleaved measurements for every candidate, level, ceiling."""
    settings = settings_for(server.base_url)
    # A fresh server is slower for its first second; let no candidate pay for that.
    await measure(CANDIDATES[BASELINE], settings, 50, 1.0, server)
    best: dict[str, dict[int, Sample]] = {name: {} for name in [*names, CEILING]}
    # Interleaved and best-of: on a shared 2-core machine a neighbour's burst should cost one
    # sample, not a whole row; each ratio compares cells measured next to each other.
    for round_number in range(1, rounds + 1):
        for level in LEVELS:
            for name in best:
                if name == CEILING:
                    sample = await ceiling.measure(settings, REQUESTS, level, seconds, server)
                else:
                    sample = await measure(CANDIDATES[name], settings, level, seconds, server)
                if level not in best[name] or sample.rate > best[name][level].rate:
                    best[name][level] = sample
                cell = f"{name:<14} {level:>3} in flight: {sample.rate:8.0f} req/s"
                print(f"  round {round_number} {cell}  {_cpu(sample)}", flush=True)
    return best


def table(results: dict[str, dict[int, Sample]]) -> str:
    """Requests/s with ratios against the baseline of the same run."""
    header = f"{'transport':<16}" + "".join(f"{f'{n} in flight':>20}" for n in LEVELS)
    lines = [header, "-" * len(header)]
    for name, cells in results.items():
        row = "".join(f"{_ratio(cells[n], results[BASELINE][n]):>20}" for n in LEVELS)
        lines.append(f"{name:<16}{row}")
    return "\n".join(lines)


def cpu_table(results: dict[str, dict[int, Sample]]) -> str:
    """Share of one core used by the client and the server while each best sample ran."""
    header = f"{'client / server':<16}" + "".join(f"{f'{n} in flight':>20}" for n in LEVELS)
    lines = [header, "-" * len(header)]
    for name, cells in results.items():
        lines.append(f"{name:<16}" + "".join(f"{_cpu(cells[n]):>20}" for n in LEVELS))
    return "\n".join(lines)


def _ratio(cell: Sample, baseline: Sample) -> str:
    return f"{cell.rate:,.0f} ({cell.rate / baseline.rate:.2f}x)"


def _cpu(sample: Sample) -> str:
    server = "?" if sample.server_cpu is None else f"{sample.server_cpu:.0%}"
    return f"{sample.client_cpu:.0%} / {server}"


@contextlib.contextmanager
def target(url: str | None) -> Iterator[Server]:
    """The Flex at ``url``, or the simulator started for this run."""
    if url:
        yield Server(url)
    else:
        with servers.simulator() as server:
            yield server


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="base URL of a running Flex (default: start the simulator)")
    parser.add_argument("--seconds", type=float, default=1.5, help="measured time per sample")
    parser.add_argument("--rounds", type=int, default=2, help="samples per cell; best is kept")
    parser.add_argument(
        "--candidates", default=",".join(CANDIDATES), help="comma-separated transports"
    )
    args = parser.parse_args(argv)
    names = args.candidates.split(",")
    if BASELINE not in names or not set(names) <= set(CANDIDATES):
        parser.error(f"--candidates: a subset of {','.join(CANDIDATES)} including {BASELINE}")
    return args


def main(argv: list[str] | None = None) -> None:
    """Measure and print both tables and the command that reproduces them."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    names = args.candidates.split(",")
    with target(args.url) as server:
        rounds = f"best of {args.rounds} x {args.seconds:g} s"
        print(f"FlexClient.evaluate against {server.base_url}: {rounds}", flush=True)
        results = asyncio.run(run(server, args.seconds, args.rounds, names))
    print(f"\nrequests/s (ratio to {BASELINE}):\n{table(results)}")
    print(f"\nCPU, share of one core (client / server):\n{cpu_table(results)}")
    print(f"\nreproduce: {reproduce(args)}")


def reproduce(args: argparse.Namespace) -> str:
    """The command line that repeats this run."""
    where = f" --url {args.url}" if args.url else ""
    options = f"--seconds {args.seconds:g} --rounds {args.rounds} --candidates {args.candidates}"
    return f".venv/bin/python -m bench.flex_client{where} {options}"


if __name__ == "__main__":
    main()
