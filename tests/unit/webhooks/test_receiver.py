"""The receiver answers 2xx only once the store and Kafka have the result, and publishes it once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest

from consumer.errors import KafkaFatal, KafkaUnavailable, StoreUnavailable
from consumer.events import OrderStatus
from consumer.store import Store
from consumer.webhooks import openapi
from tests.unit.webhooks.support import (
    BrokenStore,
    Published,
    Receiver,
    app_client,
    notification,
    signed,
    status,
    submitted,
)


async def stored_status(receiver: Receiver, tx: str = "tx-1") -> str:
    order = await receiver.store.get_order(tx)
    assert order is not None
    return order.status


async def test_a_completed_order_is_published_approved_with_its_transaction_id(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    response = await receiver.post(notification("order.completed"), content_type="text/plain")
    assert (response.status_code, response.json()) == (200, {"result": "published"})
    ((key, event),) = receiver.published.statuses
    assert key == event["transaction_id"] == "tx-1"
    assert (event["status"], event["source"]) == ("APPROVED", "webhook")
    assert (event["merchant_order_id"], event["order_session_key"]) == ("ord-tx-1", "flex-tx-1")
    assert await stored_status(receiver) == "APPROVED"
    assert receiver.count("flexmit_webhooks_received_total", event="order.completed",
                          result="published") == 1  # fmt: skip


@pytest.mark.parametrize("content_type", ["application/json", "application/octet-stream", ""])
async def test_the_body_is_read_raw_whatever_the_content_type(
    store: Store, receiver: Receiver, content_type: str
) -> None:
    await submitted(store)
    response = await receiver.post(notification("order.expired"), content_type=content_type)
    assert response.status_code == 200
    assert receiver.published.statuses[0][1]["status"] == "EXPIRED"


async def test_a_body_over_the_cap_is_refused_by_its_declared_length(
    receiver: Receiver,
) -> None:
    body = notification("order.completed", EventData={"padding": "x" * 5000})
    response = await receiver.post(body)
    assert response.status_code == 413
    assert receiver.published.statuses == []


async def test_a_streamed_body_over_the_cap_is_refused_while_it_arrives(
    receiver: Receiver,
) -> None:
    body = notification("order.completed", EventData={"padding": "x" * 5000})

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 1000):
            yield body[start : start + 1000]

    # No Content-Length: the cap can only be enforced on the bytes as they come.
    response = await receiver.http.post("/webhooks/flex", content=chunks(), headers=signed(body))
    assert response.status_code == 413


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        b"[1, 2]",
        b'{"OrderId": "flex-tx-1"}',
        b'{"Event": "order.completed", "OrderId": "fl',  # truncated
        b"\xff\xfe\x00 not utf-8",
        b"[" * 1500 + b"]" * 1500,  # nested deeper than json parses
    ],
    ids=["text", "array", "partial", "truncated", "non-utf-8", "deeply-nested"],
)
async def test_a_signed_body_that_is_not_a_notification_is_refused_400(
    receiver: Receiver, body: bytes
) -> None:
    response = await receiver.post(body)
    assert response.status_code == 400
    assert receiver.published.statuses == []
    assert receiver.published.notifications == []


async def test_an_unreadable_body_from_a_stranger_is_401_not_400(receiver: Receiver) -> None:
    response = await receiver.post(b"not json at all", {"content-type": "text/plain"})
    assert response.status_code == 401


async def test_a_store_outage_answers_503_and_publishes_nothing(
    store: Store, published: Published
) -> None:
    await submitted(store)
    broken = app_client(BrokenStore(store, StoreUnavailable("database is locked")), published)
    response = await broken.post(notification("order.completed"))
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert published.statuses == []
    assert broken.count("flexmit_webhooks_received_total", event="order.completed",
                        result="deferred") == 1  # fmt: skip


async def test_a_kafka_outage_answers_503_and_the_resend_publishes_the_same_event(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    body = notification("order.completed")
    headers = signed(body)
    receiver.published.failure = KafkaUnavailable("no broker acknowledged")
    assert (await receiver.post(body, headers)).status_code == 503
    assert receiver.published.statuses == []
    assert await stored_status(receiver) == "APPROVED"  # the store was written first

    receiver.published.failure = None
    # The same delivery again (same nonce): the 503 released it, so it is not a replay.
    resent = await receiver.post(body, headers)
    assert (resent.status_code, resent.json()) == (200, {"result": "duplicate"})
    ((_, event),) = receiver.published.statuses
    assert event["status"] == "APPROVED"


async def test_a_fatal_producer_error_answers_503_and_stops_the_process(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    receiver.published.failure = KafkaFatal("producer fenced")
    assert (await receiver.post(notification("order.completed"))).status_code == 503
    assert [type(exc) for exc in receiver.fatal] == [KafkaFatal]


async def test_an_order_whose_evaluate_answer_is_not_recorded_yet_answers_503(
    store: Store, receiver: Receiver
) -> None:
    await store.begin_evaluation("tx-1", "ord-tx-1", 5000, "USD")  # Flex has not answered
    response = await receiver.post(notification("order.completed"))
    assert response.status_code == 503
    assert receiver.published.statuses == []
    assert await stored_status(receiver) == "PENDING"


async def test_a_duplicate_republishes_the_same_event_id_without_a_second_transition(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    first = await receiver.post(notification("order.completed"))
    resent = await receiver.post(notification("order.completed", IsResent=True))
    assert [first.json()["result"], resent.json()["result"]] == ["published", "duplicate"]
    ids = {event["event_id"] for _, event in receiver.published.statuses}
    assert len(receiver.published.statuses) == 2
    assert len(ids) == 1


async def test_an_out_of_order_arrival_is_recorded_and_counted_but_not_published(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    await receiver.post(notification("order.expired"))
    late = await receiver.post(notification("order.completed"))
    assert (late.status_code, late.json()) == (200, {"result": "out_of_order"})
    assert [event["status"] for _, event in receiver.published.statuses] == ["EXPIRED"]
    assert await stored_status(receiver) == "EXPIRED"
    assert receiver.count("flexmit_webhooks_received_total", event="order.completed",
                          result="out_of_order") == 1  # fmt: skip


async def test_a_notification_for_an_order_we_do_not_know_goes_to_the_raw_topic(
    receiver: Receiver,
) -> None:
    response = await receiver.post(notification("order.completed", "flex-other",
                                                ExternalOrderId="ord-other"))  # fmt: skip
    assert response.json() == {"result": "ignored"}
    ((key, raw),) = receiver.published.notifications
    assert (key, raw.flex_event, raw.transaction_id) == ("flex-other", "order.completed", None)
    assert receiver.published.statuses == []


async def test_an_event_with_no_status_goes_to_the_raw_topic_with_its_transaction(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    body = notification("challenge.presented", EventData={"Attempt": 1})
    response = await receiver.post(body)
    assert response.json() == {"result": "ignored"}
    ((key, raw),) = receiver.published.notifications
    assert (key, raw.transaction_id, raw.event_data) == ("flex-tx-1", "tx-1", {"Attempt": 1})
    assert await stored_status(receiver) == "SUBMITTED"
    assert receiver.count("flexmit_webhooks_received_total", event="challenge.presented",
                          result="ignored") == 1  # fmt: skip


async def test_our_own_partial_refund_announced_by_flex_publishes_nothing(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    await store.apply(status("tx-1", OrderStatus.APPROVED))
    await store.reserve_refund("tx-1", "cmd-1", 2000)
    await store.claim("command", "cmd-1")
    await store.settle_refund("cmd-1", True, status("tx-1", OrderStatus.PARTIALLY_REFUNDED))
    response = await receiver.post(notification("order.refunded"))
    assert response.json() == {"result": "duplicate"}
    assert receiver.published.statuses == []


async def test_a_refund_made_in_flexs_portal_is_published_refunded(
    store: Store, receiver: Receiver
) -> None:
    await submitted(store)
    await store.apply(status("tx-1", OrderStatus.APPROVED))
    response = await receiver.post(notification("order.refunded"))
    assert response.json() == {"result": "published"}
    ((_, event),) = receiver.published.statuses
    assert (event["status"], event["refunded_minor"], event["remaining_minor"]) == (
        "REFUNDED", 5000, 0,
    )  # fmt: skip


async def test_probes_metrics_and_the_openapi_document_are_served(receiver: Receiver) -> None:
    answers: dict[str, httpx.Response] = {}
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        answers[path] = await receiver.http.get(path)
    assert {path: answer.status_code for path, answer in answers.items()} == dict.fromkeys(
        answers, 200
    )
    assert json.loads(answers["/openapi.json"].content) == openapi.document()
    assert "flexmit_webhook_signature_failures_total" in answers["/metrics"].text
    assert (await receiver.http.get("/webhooks/flex")).status_code == 405
