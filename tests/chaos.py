"""A bad day, replayed: faults everywhere, then the invariants checked from topics, store, ledger.

Three workers, the webhook receiver and the sandbox handle a mixed stream while the sandbox
injects 5xx, 429 with Retry-After, latency spikes and timeouts, duplicate and out-of-order
webhooks and failed first deliveries; a random worker is SIGKILLed every few seconds and
restarted; the receiver is killed once; the broker goes down for a few seconds. Used by the
test command in a short form and by ``bench/soak.py`` in a long one.
"""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import KafkaException

from consumer import events, lifecycle
from consumer.demo.traffic import Kind, Record, generate
from consumer.devstack.kafka import RunningBroker
from consumer.events import OrderStatus
from tests.worker_harness import Output, Stack, WorkerProcess

# Sandbox knobs of the bad day (see SandboxFaults).
FAULTS = {
    "error_500_rate": 0.03, "error_503_rate": 0.02, "throttle_429_rate": 0.02,
    "retry_after_seconds": 1, "latency_ms": 15, "latency_jitter_ms": 25, "latency_sigma": 1.0,
    "timeout_rate": 0.01, "timeout_hold_seconds": 3.0, "webhook_duplicate_rate": 0.1,
    "webhook_reorder_rate": 0.1, "webhook_reorder_delay_seconds": 0.5,
    "webhook_fail_first_rate": 0.1,
}  # fmt: skip
SANDBOX = {"webhook_max_attempts": 40, "webhook_backoff": 0.2, "webhook_backoff_max": 2.0}
WORKER = {
    "FLEXMIT_WORKER__MAX_IN_FLIGHT": "100",
    "FLEXMIT_FLEX__TIMEOUT_SECONDS": "2",
    "FLEXMIT_WORKER__RETRY_BASE": "PT1S",
    "FLEXMIT_WORKER__RETRY_CAP": "PT3S",
}


@dataclass(frozen=True)
class Plan:
    """How big and how long the bad day is."""

    events: int = 3000
    produce_seconds: float = 20.0
    chaos_seconds: float = 40.0
    kill_every: tuple[float, float] = (3.0, 5.0)
    receiver_kill_at: float = 12.0
    broker_down_at: float = 22.0
    broker_downtime: float = 5.0
    refund_share: float = 0.2
    seed: int = 20261126


@dataclass
class Day:
    """What was sent during the day, to check against what came out."""

    records: list[Record] = field(default_factory=list)
    refunds: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    kills: int = 0


def live_through(stack: Stack, broker: RunningBroker, receiver_port: int, plan: Plan) -> Day:
    """Run the bad day; returns what was sent. Faults stop when it returns."""
    day = Day(list(generate(plan.events, plan.seed, datetime.now(UTC))))
    rng = random.Random(plan.seed)
    workers = [stack.start_worker(**WORKER) for _ in range(3)]
    stack.wait_for_members(3)
    stack.sandbox.admin.faults(**FAULTS)
    stop = threading.Event()
    helpers = [
        threading.Thread(target=_produce, args=(stack, day.records, plan.produce_seconds)),
        threading.Thread(target=_refund_rescued, args=(stack, day, plan, rng, stop)),
    ]
    for thread in helpers:
        thread.start()
    _chaos(stack, broker, receiver_port, plan, rng, workers, day)
    stack.sandbox.admin.clear_faults()
    helpers[0].join()
    stop.set()
    helpers[1].join()
    return day


def _produce(stack: Stack, records: list[Record], seconds: float) -> None:
    pace = seconds / max(1, len(records))
    for start in range(0, len(records), 50):
        batch = records[start : start + 50]
        for topic in ("approved", "declined"):
            chosen = [(r.key, r.value) for r in batch if r.topic == topic]
            stack.produce(getattr(stack.topics, topic), chosen)
        time.sleep(pace * len(batch))


def _chaos(
    stack: Stack,
    broker: RunningBroker,
    receiver_port: int,
    plan: Plan,
    rng: random.Random,
    workers: list[WorkerProcess],
    day: Day,
) -> None:
    begun = time.monotonic()
    receiver_killed = broker_down = False
    next_kill = begun + rng.uniform(*plan.kill_every)
    while (now := time.monotonic()) < begun + plan.chaos_seconds:
        if now >= next_kill:
            workers.pop(rng.randrange(len(workers))).kill()
            workers.append(stack.start_worker(**WORKER))
            day.kills += 1
            next_kill = now + rng.uniform(*plan.kill_every)
        if not receiver_killed and now >= begun + plan.receiver_kill_at:
            stack.receivers[-1].kill()
            stack.start_receiver(receiver_port)
            receiver_killed = True
        if not broker_down and now >= begun + plan.broker_down_at:
            broker.outage(plan.broker_downtime)
            broker_down = True
        time.sleep(0.2)


def _refund_rescued(
    stack: Stack, day: Day, plan: Plan, rng: random.Random, stop: threading.Event
) -> None:
    """Refund some rescued payments in full, each command sent twice (a producer retry)."""
    seen: set[str] = set()
    while not stop.is_set():
        try:
            outputs = stack.read_all(stack.topics.order_status)
        except (KafkaException, AssertionError):
            stop.wait(2.0)  # the broker is down for a moment: read again later
            continue
        for output in outputs:
            event = output.json()
            tx = event["transaction_id"]
            if event["status"] != "APPROVED" or tx in seen:
                continue
            seen.add(tx)
            if rng.random() < plan.refund_share:
                command = events.RefundRequested(
                    command_id=str(uuid.uuid4()), transaction_id=tx,
                    requested_at=datetime.now(UTC),
                )  # fmt: skip
                day.refunds[tx].append(command.command_id)
                stack.produce(stack.topics.commands, [command, command])
        stop.wait(2.0)


def remaining(stack: Stack, day: Day) -> dict[str, list[str]]:
    """What has not settled yet, by kind (empty lists once the day is over)."""
    statuses = sorted((o.json() for o in stack.read_all(stack.topics.order_status)),
                      key=lambda event: event["sequence"])  # fmt: skip
    latest = {s["transaction_id"]: s["status"] for s in statuses if s["source"] != "command"}
    answered = {s["causation_id"] for s in statuses if s["source"] == "command"}
    ledger = stack.sandbox.admin.ledger_json()
    return {
        "declines without a final status": [
            r.key for r in day.records if r.topic == "declined" and r.kind is not Kind.MALFORMED
            and latest.get(r.key) in (None, "SUBMITTED")
        ],
        "approvals not transmitted": [
            r.key for r in day.records
            if r.kind is Kind.APPROVED and r.key not in ledger["transmits"]
        ],
        "refund commands unanswered": [
            c for ids in day.refunds.values() for c in ids if c not in answered
        ],
        "webhooks still on their way": ["x"] * ledger["pending"]["webhooks"],
    }  # fmt: skip


def settled(stack: Stack, day: Day) -> Callable[[], bool]:
    """True once every record and command has its outcome and no webhook is on its way."""
    return lambda: not any(remaining(stack, day).values())


def explain(stack: Stack, day: Day) -> Callable[[], str]:
    """What is still missing, with a few examples of each."""

    def text() -> str:
        left = remaining(stack, day)
        summary = "; ".join(f"{name}: {len(items)} e.g. {items[:5]}"
                            for name, items in left.items() if items)  # fmt: skip
        return "\n".join([summary, *_stories(stack, day, left), stack.sandbox_summary()])

    return text


def _stories(stack: Stack, day: Day, left: dict[str, list[str]]) -> list[str]:
    """What we published and what the sandbox did, for a few unsettled declines."""
    orders = {r.key: json.loads(r.value)["merchant_order_id"] for r in day.records
              if r.topic == "declined" and r.kind is not Kind.MALFORMED}  # fmt: skip
    ledger = stack.sandbox.admin.ledger_json()
    statuses = [o.json() for o in stack.read_all(stack.topics.order_status)]
    stories = []
    for tx in left["declines without a final status"][:3]:
        ours = [(s["source"], s["status"]) for s in statuses if s["transaction_id"] == tx]
        theirs = [o for o in ledger["orders"].values() if o["externalOrderId"] == orders[tx]]
        flex = [(o["statusName"], o.get("reason")) for o in theirs]
        sent = [(d["event"], d["attempt"], d["responseCode"], d["error"]) for d in
                ledger["webhooks"] if d["externalOrderId"] == orders[tx]]  # fmt: skip
        stories.append(f"{tx}: published {ours}; sandbox order {flex}; webhooks {sent}")
    return stories


def violations(stack: Stack, day: Day) -> list[str]:
    """Every broken invariant, naming the transactions that break it."""
    outputs = stack.read_all(stack.topics.order_status)
    dead = stack.read_all(stack.topics.dead_letter)
    ledger = stack.sandbox.admin.ledger_json()
    found: list[str] = []
    found += _one_outcome_per_record(day, outputs, dead, ledger)
    found += _one_flex_effect(day, ledger)
    found += _statuses_move_forward(outputs)
    found += _webhooks_published_once(outputs, ledger)
    inputs = [stack.topics.declined, stack.topics.approved, stack.topics.commands]
    found += [f"short of the end: {gap}" for gap in stack.commit_gaps(inputs)]
    return found


def _one_outcome_per_record(
    day: Day, outputs: list[Output], dead: list[Output], ledger: dict[str, Any]
) -> list[str]:
    worker_ids: dict[str, set[str]] = defaultdict(set)
    history: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for output in outputs:
        event = output.json()
        history[event["transaction_id"]].append((event["source"], event["status"],
                                                 event["sequence"]))  # fmt: skip
        if event["source"] == "worker":
            worker_ids[event["transaction_id"]].add(event["event_id"])
    dead_keys = {d.key.decode() for d in dead if d.key}
    problems = []
    for record in day.records:
        if record.kind is Kind.MALFORMED:
            if record.key not in dead_keys:
                problems.append(f"malformed {record.key} was not dead-lettered")
        elif record.kind is Kind.APPROVED:
            if record.key not in ledger["transmits"]:
                problems.append(f"approval {record.key} never reached /transmit")
        elif len(worker_ids[record.key]) != 1:
            problems.append(f"decline {record.key} has {len(worker_ids[record.key])} outcome ids:"
                            f" {history[record.key]}")  # fmt: skip
        if record.kind is not Kind.MALFORMED and record.key in dead_keys:
            problems.append(f"valid record {record.key} was dead-lettered")
    missing_reason = [d.key for d in dead if not d.headers.get("flexmit-dlq-reason")]
    if missing_reason:
        problems.append(f"dead letters without a reason: {missing_reason}")
    return problems


def _one_flex_effect(day: Day, ledger: dict[str, Any]) -> list[str]:
    problems = [
        f"merchant order {order} has {len(entry['flexOrderIds'])} Flex orders"
        for order, entry in ledger["evaluations"]["byOrderId"].items()
        if len(entry["flexOrderIds"]) > 1
    ]
    for flex_id, refunds in ledger["refunds"].items():
        messages = [r["refundMessage"] for r in refunds if r["status"] == "SUCCESS"]
        if len(messages) != len(set(messages)):
            problems.append(f"order {flex_id}: one refund command refunded twice: {messages}")
    for order in ledger["orders"].values():
        if order["refundedAmount"] > order["amount"]:
            problems.append(f"order {order['id']}: refunded {order['refundedAmount']} "
                            f"of {order['amount']}")  # fmt: skip
    return problems


def _statuses_move_forward(outputs: list[Output]) -> list[str]:
    """In sequence order, each transaction's statuses only move forward; one event per slot."""
    by_tx: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    problems = []
    for output in outputs:
        event = output.json()
        if event["sequence"] == 0:
            continue
        slot = by_tx[event["transaction_id"]].setdefault(event["sequence"], event)
        if slot["event_id"] != event["event_id"]:
            problems.append(
                f"{event['transaction_id']}: two events at sequence {event['sequence']}"
            )
    for tx, history in by_tx.items():
        current: str = lifecycle.PENDING
        for _, event in sorted(history.items()):
            status = OrderStatus(event["status"])
            move = lifecycle.move(current, status)
            if status not in lifecycle.COMMAND_RESULTS and move is lifecycle.Move.REGRESSION:
                problems.append(f"{tx}: published {status} after {current}")
            elif move is lifecycle.Move.APPLIED:
                current = status
    return problems


def _webhooks_published_once(outputs: list[Output], ledger: dict[str, Any]) -> list[str]:
    ids: dict[tuple[str, str], set[str]] = defaultdict(set)
    for output in outputs:
        event = output.json()
        if event["source"] != "command":
            ids[(event["transaction_id"], event["status"])].add(event["event_id"])
    problems = [f"{tx}: {len(found)} event ids for {status}"
                for (tx, status), found in ids.items() if len(found) > 1]  # fmt: skip
    published = {(o.json()["merchant_order_id"], o.json()["status"]) for o in outputs}
    expected = {"order.completed": "APPROVED", "order.expired": "EXPIRED"}
    for delivery in ledger["webhooks"]:
        status = expected.get(delivery["event"])
        acknowledged = delivery["responseCode"] == 200 and status is not None
        if acknowledged and (delivery["externalOrderId"], status) not in published:
            problems.append(f"{delivery['externalOrderId']}: {delivery['event']} "
                            f"acknowledged but no {status} published")  # fmt: skip
    return problems
