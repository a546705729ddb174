"""Malformed records land in the dead-letter topic with a readable reason; the worker goes on."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests import factories
from tests.worker_harness import Output, Stack


def test_bad_bytes_wrong_types_and_missing_ids_are_dead_lettered_and_work_continues(
    stack_factory: Callable[..., Stack],
) -> None:
    stack = stack_factory("sqlite")
    stack.start_worker()
    good = factories.declined()
    wrong_type = json.loads(factories.declined("tx-wrong-type").model_dump_json())
    wrong_type["amount_minor"] = "a lot"
    no_id = json.loads(factories.declined().model_dump_json())
    del no_id["transaction_id"]
    with_pan = json.loads(factories.declined("tx-pan").model_dump_json())
    with_pan["card"]["token"] = "4111111111111111"
    stack.produce(stack.topics.declined, [
        ("k1", b"\xff\xfe\x00 definitely not json"),
        ("tx-wrong-type", json.dumps(wrong_type).encode()),
        ("k3", json.dumps(no_id).encode()),
        ("tx-pan", json.dumps(with_pan).encode()),
        ("k-deep", b"[" * 50_000 + b"]" * 50_000),
        ("k-big", json.dumps({"transaction_id": "x", "padding": "y" * 900_000}).encode()),
        ("k-truncated", factories.declined().model_dump_json().encode()[:200]),
        good,
    ])  # fmt: skip

    dead = stack.read(stack.topics.dead_letter, lambda out: len(out) >= 7)
    reasons = {d.key.decode(): d.headers["flexmit-dlq-reason"].decode() for d in dead if d.key}
    assert "Invalid JSON" in reasons["k1"]
    assert "amount_minor: Input should be a valid integer" in reasons["tx-wrong-type"]
    assert "transaction_id: Field required" in reasons["k3"]
    assert "card.token" in reasons["tx-pan"]
    assert "recursion limit" in reasons["k-deep"]
    assert "Field required" in reasons["k-big"]
    assert "EOF while parsing" in reasons["k-truncated"]
    for letter in dead:
        assert letter.headers["flexmit-dlq-topic"].decode() == stack.topics.declined
        assert b"4111111111111111" not in (letter.value or b"")
    assert next(d for d in dead if d.key == b"tx-pan").headers["flexmit-dlq-redacted"] == b"true"

    def settled(outputs: list[Output]) -> bool:
        return any(o.json()["transaction_id"] == good.transaction_id for o in outputs)

    statuses = {o.json()["transaction_id"]: o.json() for o in
                stack.read(stack.topics.order_status, settled)}  # fmt: skip
    assert statuses[good.transaction_id]["status"] == "SUBMITTED"
    # A decline whose transaction id is readable also tells dunning it failed.
    assert statuses["tx-wrong-type"]["status"] == "FAILED"
    assert statuses["tx-wrong-type"]["merchant_order_id"] == "ord-tx-wrong-type"
    assert statuses["tx-wrong-type"]["amount_minor"] is None
    assert statuses["tx-pan"]["status"] == "FAILED"
    assert "4111111111111111" not in json.dumps(statuses["tx-pan"])
    assert "4111111111111111" not in stack.workers[0].output()
    assert stack.workers[0].process.poll() is None, "the worker keeps going"
