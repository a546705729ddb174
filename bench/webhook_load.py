"""The webhook sender: signed ``order.completed`` notifications, ``--in-flight`` at a time.

Every body names an order of the run (``bench.webhooks`` seeded the store with them) and is
signed with the sandbox's subscriber key, a fresh nonce and the current date before the clock
starts, so the sender spends its time sending. Prints one JSON line: sent, seconds, CPU
seconds and the p50/p99 of each request's latency; any answer but 200 fails the run.

    .venv/bin/python -m bench.webhook_load --url http://127.0.0.1:PORT/webhooks/flex --run RUN
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from datetime import UTC, datetime

import aiohttp

from bench import data
from consumer.eventloop import run
from consumer.settings import SANDBOX_WEBHOOK_KEY
from consumer.webhooks import signature

Request = tuple[bytes, dict[str, str]]


def flex_order_id(transaction_id: str) -> str:
    """The Flex order id the benchmark gives the order of ``transaction_id``."""
    return f"flex-{transaction_id}"


def signed(run_id: str, count: int, host: str) -> list[Request]:
    """One signed order.completed body per order of the run."""
    date = signature.http_date(datetime.now(UTC))
    requests = []
    for number in range(count):
        tx = data.transaction_id(run_id, number)
        body = json.dumps({
            "Event": "order.completed", "TimeStamp": datetime.now(UTC).isoformat(),
            "EventData": None, "ExternalOrderId": f"ord-{tx}", "OrderId": flex_order_id(tx),
            "ConfirmationId": f"conf-{number}", "IsTestMode": True, "IsResent": False,
        }).encode()  # fmt: skip
        headers = signature.sign(body, SANDBOX_WEBHOOK_KEY, host, nonce=signature.new_nonce(),
                                 date=date)  # fmt: skip
        requests.append((body, headers | {"Content-Type": "text/plain"}))
    return requests


async def send(url: str, requests: list[Request], in_flight: int) -> list[float]:
    """POST every request with ``in_flight`` loops; returns each request's seconds."""
    pending = iter(requests)
    took: list[float] = []
    connector = aiohttp.TCPConnector(limit=in_flight)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def loop() -> None:
            for body, headers in pending:
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise RuntimeError(f"{url} answered {answer.status}")
                took.append(time.perf_counter() - started)

        await asyncio.gather(*(loop() for _ in range(in_flight)))
    return took


async def main(url: str, run_id: str, count: int, in_flight: int) -> dict[str, float]:
    """Sign, then send and time."""
    requests = signed(run_id, count, "127.0.0.1")
    started, cpu = time.perf_counter(), time.process_time()
    took = sorted(await send(url, requests, in_flight))
    seconds = time.perf_counter() - started
    return {"sent": len(took), "seconds": seconds, "cpu_seconds": time.process_time() - cpu,
            "p50_ms": took[len(took) // 2] * 1000,
            "p99_ms": took[len(took) * 99 // 100] * 1000}  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--run", required=True, help="the run id the orders were seeded with")
    parser.add_argument("--count", type=int, default=5000)
    parser.add_argument("--in-flight", type=int, default=50)
    args = parser.parse_args(sys.argv[1:])
    print(json.dumps(run(main(args.url, args.run, args.count, args.in_flight))), flush=True)
