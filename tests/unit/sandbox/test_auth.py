"""Bearer tokens: issued for the configured credentials, required on every call, expire."""

from __future__ import annotations

import base64
import json

import pytest

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness, MakeSandbox


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    claims: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    return claims


async def test_token_answer_has_the_documented_fields(sandbox: Harness) -> None:
    response = await sandbox.client.post(
        "/v1/oauth2/token",
        json={"AppKey": flex_requests.APP_KEY, "AppSecret": flex_requests.APP_SECRET},
    )
    body = response.json()
    assert response.status_code == 200
    assert body["success"] is True
    assert body["errors"] == []
    assert body["customProperties"] == {}
    assert body["expires"] == int((sandbox.wall.now + 600) * 1000)
    assert body["refreshToken"]
    assert body["id"]
    claims = _claims(body["accessToken"])
    assert claims["custom:mid"] == flex_requests.MID
    assert claims["iss"] == "Api-Client-Service"


@pytest.mark.parametrize(
    "credentials",
    [
        {"AppKey": "wrong", "AppSecret": flex_requests.APP_SECRET},
        {"AppKey": flex_requests.APP_KEY, "AppSecret": "wrong"},
    ],
)
async def test_bad_credentials_answer_400(sandbox: Harness, credentials: dict[str, str]) -> None:
    response = await sandbox.client.post("/v1/oauth2/token", json=credentials)
    assert response.status_code == 400
    assert "wrong" not in response.text


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Bearer not-a-token", "Basic abc", "Bearer a.b.c"],
)
async def test_missing_or_bad_bearer_answers_401(
    sandbox: Harness, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    body = flex_requests.evaluate(sandbox.now)
    response = await sandbox.client.post("/v1/evaluate", json=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert (await sandbox.ledger())["evaluations"]["byOrderId"] == {}


async def test_a_token_from_another_sandbox_is_refused(make_sandbox: MakeSandbox) -> None:
    first, second = await make_sandbox(), await make_sandbox()
    foreign = await first.auth()
    body = flex_requests.evaluate(second.now)
    response = await second.client.post("/v1/evaluate", json=body, headers=foreign)
    assert response.status_code == 401


async def test_token_expires_after_its_ttl(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(token_ttl=1.0)
    headers = await sandbox.auth()
    assert (await sandbox.client.get("/v1/orders/x", headers=headers)).status_code == 404
    sandbox.wall.now += 1.5
    assert (await sandbox.client.get("/v1/orders/x", headers=headers)).status_code == 401


async def test_advancing_virtual_time_does_not_expire_tokens(sandbox: Harness) -> None:
    await sandbox.advance(days=30)
    assert (await sandbox.get("/v1/orders/x")).status_code == 404


async def test_tokenize_needs_no_bearer_but_the_right_mid_and_key(sandbox: Harness) -> None:
    good = f"/v1/tokenize?mid={flex_requests.MID}&environment={flex_requests.TOKENIZATION_KEY}"
    body = flex_requests.tokenize()
    assert (await sandbox.client.post(good, json=body)).status_code == 200
    assert (await sandbox.post(good, body)).status_code == 200
    wrong_key = f"/v1/tokenize?mid={flex_requests.MID}&environment=nope"
    wrong_mid = f"/v1/tokenize?mid=nope&environment={flex_requests.TOKENIZATION_KEY}"
    assert (await sandbox.client.post(wrong_key, json=body)).status_code == 401
    assert (await sandbox.client.post(wrong_mid, json=body)).status_code == 401
    missing = await sandbox.client.post("/v1/tokenize", json=body)
    assert missing.status_code == 400
    assert set(missing.json()["errors"]) == {"mid", "environment"}
