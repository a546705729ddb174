"""Flex's error bodies are understood in the documented shape and in the sandbox's variant."""

from __future__ import annotations

import json

import pytest

from consumer.flex import FlexConflict, FlexNotFound, FlexRejected
from consumer.flex.problem import parse_problem
from tests.unit.flex.fakes import harness, json_response

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def test_documented_shape() -> None:
    problem = parse_problem(
        json.dumps(
            {
                "type": "https://tools.ietf.org/html/rfc7231#section-6.5.1",
                "title": "One or more validation errors occurred.",
                "status": 400,
                "traceId": TRACE,
                "errors": {
                    "OrderId": ["Merchant's orderId is required"],
                    "Transaction.CavvResultCode": ["The CavvResultCode field is required."],
                },
            }
        ).encode()
    )
    assert problem.title == "One or more validation errors occurred."
    assert problem.status == 400
    assert problem.trace_id == TRACE
    assert problem.field_errors == {
        "OrderId": ["Merchant's orderId is required"],
        "Transaction.CavvResultCode": ["The CavvResultCode field is required."],
    }


def test_top_level_keys_variant() -> None:
    body = {"TraceId": [TRACE], "IdempotencyKey": ["The IdempotencyKey field is required."]}
    problem = parse_problem(json.dumps(body).encode())
    assert problem.trace_id == TRACE
    assert problem.title is None
    assert problem.field_errors == {"IdempotencyKey": ["The IdempotencyKey field is required."]}


def test_string_status_without_title() -> None:
    body = {"status": "400", "errors": {"Transaction.Id": ["The Id field is required."]}}
    problem = parse_problem(json.dumps(body).encode())
    assert problem.status == 400
    assert problem.field_errors == {"Transaction.Id": ["The Id field is required."]}
    assert problem.summary() == "no details; Transaction.Id: The Id field is required."


@pytest.mark.parametrize("body", [b"", b"<html>Bad Request</html>", b"[1, 2]", b'"text"'])
def test_a_body_that_is_not_a_problem_gives_an_empty_one(body: bytes) -> None:
    problem = parse_problem(body)
    assert problem.field_errors == {}
    assert problem.title is None


@pytest.mark.parametrize(
    ("status", "kind"), [(404, FlexNotFound), (409, FlexConflict), (403, FlexRejected)]
)
async def test_4xx_statuses_map_to_their_permanent_errors(
    status: int, kind: type[FlexRejected]
) -> None:
    h = harness()
    h.flex.script("/v1/orders/o1", json_response(status, {"title": "nope", "status": status}))
    with pytest.raises(kind) as caught:
        await h.client.order("o1")
    assert type(caught.value) is kind
    assert caught.value.problem.title == "nope"
    assert len(h.flex.to("/v1/orders/o1")) == 1
