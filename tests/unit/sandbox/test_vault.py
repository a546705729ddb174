"""/tokenize vaults a card, answers the token where clients read it, and never echoes the PAN."""

from __future__ import annotations

import json

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness

TOKENIZE = f"/v1/tokenize?mid={flex_requests.MID}&environment={flex_requests.TOKENIZATION_KEY}"


async def test_snake_case_body_yields_a_token_and_card_metadata(sandbox: Harness) -> None:
    response = await sandbox.client.post(TOKENIZE, json=flex_requests.tokenize())
    body = response.json()
    method = body["transaction"]["payment_method"]
    assert body["success"] is True
    assert body["transaction"]["succeeded"] is True
    assert method["token"]
    assert method["first_six_digits"] == "400000"
    assert method["last_four_digits"] == "3184"
    assert (method["month"], method["year"]) == (9, 2030)
    assert method["number"] is None
    assert method["verification_value"] is None


async def test_older_camel_case_body_is_accepted(sandbox: Harness) -> None:
    card = {"firstName": "Jane", "lastName": "Doe", "number": "4111111111111111",
            "verificationValue": "999", "month": 9, "year": 2030}  # fmt: skip
    response = await sandbox.client.post(TOKENIZE, json={"paymentMethod": {"creditCard": card}})
    assert response.json()["transaction"]["payment_method"]["last_four_digits"] == "1111"


async def test_card_number_and_cvv_appear_nowhere(sandbox: Harness) -> None:
    response = await sandbox.client.post(TOKENIZE, json=flex_requests.tokenize())
    ledger = json.dumps(await sandbox.ledger())
    for text in (response.text, ledger):
        assert flex_requests.RESCUED_CARD not in text
        assert '"123"' not in text


async def test_bad_card_fields_are_reported(sandbox: Harness) -> None:
    body = flex_requests.tokenize("4000 0027")
    body["payment_method"]["credit_card"]["month"] = "13"
    response = await sandbox.client.post(TOKENIZE, json=body)
    assert response.json()["errors"] == {
        "PaymentMethod.CreditCard.Number": ["The field Number is invalid."],
        "PaymentMethod.CreditCard.Month": ["The field Month is invalid."],
    }
    assert "4000 0027" not in response.text


async def test_evaluate_uses_the_vaulted_card_behind_the_token(sandbox: Harness) -> None:
    vaulted = await sandbox.client.post(TOKENIZE, json=flex_requests.tokenize("4000300011112220"))
    token = vaulted.json()["transaction"]["payment_method"]["token"]
    # The BIN/last-four fields claim the rescued card; the token says the declined one.
    method = flex_requests.payment_method(flex_requests.RESCUED_CARD, token)
    response = await sandbox.evaluate(paymentMethod=method)
    order = (await sandbox.ledger())["orders"][response.json()["orderId"]]
    assert order["plannedOutcome"] == "expire"
