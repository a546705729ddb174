"""Responses tolerate unknown and missing fields and expose statuses without crashing."""

from __future__ import annotations

import pytest

from consumer.flex import FlexUnexpectedResponse
from consumer.flex.orders import Order, OrderStatus
from consumer.flex.responses import EvaluateResponse, EvaluateStatus, OutcomeResponse, OutcomeStatus
from tests.unit.flex.fakes import an_evaluate_request, harness, json_response


@pytest.mark.parametrize(
    ("sent", "decision"),
    [
        ("APPROVED", EvaluateStatus.APPROVED),
        ("DECLINED", EvaluateStatus.DECLINED),
        ("CHALLENGE", EvaluateStatus.CHALLENGE),
        ("SUBMITTED", EvaluateStatus.SUBMITTED),
        ("CAPTUREREQUIRED", EvaluateStatus.CAPTUREREQUIRED),
        ("FAILED", EvaluateStatus.FAILED),
        ("submitted", EvaluateStatus.SUBMITTED),
        ("PROCESSING", EvaluateStatus.UNKNOWN),
        (None, EvaluateStatus.UNKNOWN),
    ],
)
def test_evaluate_status_is_typed_and_unknown_values_do_not_crash(
    sent: str | None, decision: EvaluateStatus
) -> None:
    response = EvaluateResponse.model_validate({"status": sent})
    assert response.decision is decision
    assert response.status == sent


async def test_evaluate_response_with_unknown_fields_and_missing_optional_ones() -> None:
    h = harness()
    h.flex.script(
        "/v1/evaluate",
        json_response(
            200,
            {
                "orderSessionKey": "e3b2c1d0",
                "orderId": "e3b2c1d0",
                "status": "CHALLENGE",
                "brandNewField": {"nested": [1, 2]},
                "errors": None,
            },
        ),
    )
    response = await h.client.evaluate(an_evaluate_request())
    assert response.decision is EvaluateStatus.CHALLENGE
    assert response.flex_order_id == "e3b2c1d0"
    assert response.success is None
    assert response.custom_properties is None


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"status": 7, "statusName": "Completed"}, OrderStatus.COMPLETED),
        ({"status": 5, "statusName": "CAPTUREREQUIRED"}, OrderStatus.CAPTUREREQUIRED),
        ({"statusName": "Capturerequired"}, OrderStatus.CAPTUREREQUIRED),
        ({"statusName": "returned"}, OrderStatus.RETURNED),
        ({"status": 42, "statusName": "Cancelled"}, OrderStatus.CANCELLED),
        ({"status": 42, "statusName": "Chargeback"}, OrderStatus.UNKNOWN),
        ({}, OrderStatus.UNKNOWN),
    ],
)
def test_order_state_from_the_code_else_the_name_ignoring_case(
    body: dict[str, object], state: OrderStatus
) -> None:
    assert Order.model_validate(body).state is state


def test_order_drops_personal_data_it_does_not_model() -> None:
    order = Order.model_validate({"id": "o1", "email": "jane@example.com", "firstName": "Jane"})
    assert "jane@example.com" not in repr(order)
    assert "jane@example.com" not in order.model_dump_json()


@pytest.mark.parametrize(
    ("sent", "outcome"),
    [
        ("EXPIRED", OutcomeStatus.EXPIRED),
        ("NOTFOUND", OutcomeStatus.NOTFOUND),
        ("?", OutcomeStatus.UNKNOWN),
    ],
)
def test_outcome_status(sent: str, outcome: OutcomeStatus) -> None:
    response = OutcomeResponse.model_validate({"status": sent, "confirmationId": "9F21C4"})
    assert response.outcome is outcome
    assert response.confirmation_id == "9F21C4"


async def test_a_success_body_that_is_not_json_is_an_unexpected_response() -> None:
    h = harness()
    h.flex.script("/v1/orders/o1", json_response(200, ["not", "an", "order"]))
    with pytest.raises(FlexUnexpectedResponse) as caught:
        await h.client.order("o1")
    assert caught.value.status == 200
    assert len(h.flex.to("/v1/orders/o1")) == 1


async def test_a_token_response_without_expiry_is_unexpected_and_does_not_quote_the_token() -> None:
    h = harness()
    h.flex.script("/v1/oauth2/token", json_response(200, {"accessToken": "leaky-token-value"}))
    with pytest.raises(FlexUnexpectedResponse) as caught:
        await h.client.order("o1")
    assert "expires" in str(caught.value)
    assert "leaky-token-value" not in str(caught.value)
