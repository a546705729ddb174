"""Bodies bind case-insensitively and bad ones answer ASP.NET ProblemDetails with .NET paths."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness, MakeSandbox

TRACE_ID = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-01$")


async def test_missing_fields_are_reported_by_pascal_case_dotted_path(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    for name in ("orderId", "idempotencyKey"):
        del body[name]
    del body["transaction"]["responseCode"]
    del body["transaction"]["cavvResultCode"]
    del body["billingInformation"]["zipcode"]
    response = await sandbox.post("/v1/evaluate", body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "One or more validation errors occurred."
    assert problem["status"] == 400
    assert TRACE_ID.match(problem["traceId"])
    assert problem["errors"] == {
        "OrderId": ["Merchant's orderId is required"],
        "IdempotencyKey": ["The IdempotencyKey field is required."],
        "Transaction.ResponseCode": ["The ResponseCode field is required."],
        "Transaction.CavvResultCode": ["The CavvResultCode field is required."],
        "BillingInformation.Zipcode": ["The Zipcode field is required."],
    }


@pytest.mark.parametrize("value", ["", "next tuesday", None])
async def test_unreadable_expiry_date_is_invalid(sandbox: Harness, value: str | None) -> None:
    body = flex_requests.evaluate(sandbox.now) | {"expiryDateUtc": value}
    response = await sandbox.post("/v1/evaluate", body)
    if value is None:
        # null means "no expiry": a sync MIT, which is valid.
        assert response.status_code == 200
    else:
        assert response.json()["errors"] == {
            "ExpiryDateUtc": ["The field ExpiryDateUtc is invalid."]
        }


async def test_expiry_in_the_past_is_invalid(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now, window=-timedelta(days=1))
    response = await sandbox.post("/v1/evaluate", body)
    assert response.json()["errors"] == {"ExpiryDateUtc": ["The field ExpiryDateUtc is invalid."]}


async def test_empty_and_null_strings_fail_required(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now, orderId="  ")
    body["payer"]["email"] = None
    response = await sandbox.post("/v1/evaluate", body)
    assert response.json()["errors"] == {
        "OrderId": ["Merchant's orderId is required"],
        "Payer.Email": ["The Email field is required."],
    }


async def test_wrong_json_types_are_invalid_not_coerced(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now, isDeclined="true")
    body["transaction"]["amount"] = 49.99
    body["subscription"]["price"] = 49.99
    response = await sandbox.post("/v1/evaluate", body)
    assert response.json()["errors"] == {
        "IsDeclined": ["The field IsDeclined is invalid."],
        "Transaction.Amount": ["The field Amount is invalid."],
        "Subscription.Price": ["The field Price is invalid."],
    }


async def test_keys_bind_whatever_their_casing(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now)
    body["BillingInformation"] = body.pop("billingInformation")
    address = body["BillingInformation"]
    address["zipCode"] = address.pop("zipcode")
    body["ORDERID"] = body.pop("orderId")
    response = await sandbox.post("/v1/evaluate", body)
    assert response.status_code == 200, response.text
    token = await sandbox.client.post(
        "/v1/oauth2/token",
        json={"appKey": flex_requests.APP_KEY, "appSecret": flex_requests.APP_SECRET},
    )
    assert token.status_code == 200


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", 200),
        ("application/json; charset=utf-8", 200),
        ("application/*+json", 200),
        ("application/problem+json", 200),
        ("text/plain", 415),
    ],
)
async def test_json_media_types_are_accepted(
    sandbox: Harness, content_type: str, status: int
) -> None:
    body = json.dumps(flex_requests.evaluate(sandbox.now))
    headers = await sandbox.auth() | {"Content-Type": content_type}
    response = await sandbox.client.post("/v1/evaluate", content=body, headers=headers)
    assert response.status_code == status


async def test_malformed_json_is_a_validation_error(sandbox: Harness) -> None:
    headers = await sandbox.auth() | {"Content-Type": "application/json"}
    response = await sandbox.client.post("/v1/evaluate", content=b"{nope", headers=headers)
    assert response.status_code == 400
    assert "$" in response.json()["errors"]


@pytest.mark.parametrize(("amount", "status"), [(10, 400), (11, 200), (19999, 200), (20000, 400)])
async def test_sandbox_amount_rule(sandbox: Harness, amount: int, status: int) -> None:
    response = await sandbox.evaluate(amount=amount)
    assert response.status_code == status
    if status == 400:
        assert list(response.json()["errors"]) == ["Transaction.Amount"]


async def test_amount_rule_can_be_switched_off(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(enforce_amount_rule=False)
    assert (await sandbox.evaluate(amount=5)).status_code == 200


async def test_site_and_customer_ip_rules(sandbox: Harness) -> None:
    body = flex_requests.evaluate(sandbox.now, isMIT=False, managed=False)
    del body["siteId"], body["customerIp"]
    response = await sandbox.post("/v1/evaluate", body)
    assert response.json()["errors"] == {
        "SiteId": ["The SiteId field is required."],
        "CustomerIp": ["The CustomerIp field is required."],
    }
    body["siteUrl"], body["customerIp"] = "https://shop.example", "203.0.113.7"
    assert (await sandbox.post("/v1/evaluate", body)).status_code == 200


async def test_another_merchants_mid_is_forbidden(sandbox: Harness) -> None:
    response = await sandbox.evaluate(mid="99999999-2222-3333-4444-555555555555")
    assert response.status_code == 403


async def test_unknown_routes_answer_problem_details(sandbox: Harness) -> None:
    response = await sandbox.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["status"] == 404
