"""The stand-in SenseJS serves the loader's widget, issues sense keys into the ledger, and
/tokenize records which issued key a vaulted card came with."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests import flex_requests
from tests.unit.sandbox.conftest import Harness

TOKENIZE = f"/v1/tokenize?mid={flex_requests.MID}&environment={flex_requests.TOKENIZATION_KEY}"
SIGNALS = {"timezone": "Europe/Berlin", "screen": "1280x720", "touch": False, "colorDepth": 24}


async def open_session(sandbox: Harness, **overrides: Any) -> httpx.Response:
    """POST /sensejs/sessions the way the widget does (text/plain, from another origin)."""
    body = {"mid": flex_requests.MID, "siteId": flex_requests.SITE_ID, "signals": SIGNALS}
    return await sandbox.client.post(
        "/sensejs/sessions",
        content=json.dumps(body | overrides),
        headers={"Content-Type": "text/plain", "Origin": "http://shop.test"},
    )


async def test_widget_script_implements_the_loader_contract(sandbox: Harness) -> None:
    response = await sandbox.client.get("/sensejs/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    for part in ('window["JS-Widget"]', '"init"', "fc.senseKey", '"fc:sensekey"', "sessions"):
        assert part in response.text


async def test_a_session_yields_a_sense_key_the_ledger_remembers(sandbox: Harness) -> None:
    response = await open_session(sandbox)
    key = response.json()["senseKey"]
    assert response.headers["access-control-allow-origin"] == "*"
    session = (await sandbox.ledger())["senseKeys"][key]
    assert session["mid"] == flex_requests.MID
    assert session["siteId"] == flex_requests.SITE_ID
    assert session["origin"] == "http://shop.test"
    assert session["signals"] == SIGNALS
    assert session["tokenizations"] == 0


async def test_every_session_gets_its_own_key(sandbox: Harness) -> None:
    first, second = (await open_session(sandbox)), (await open_session(sandbox))
    assert first.json()["senseKey"] != second.json()["senseKey"]
    assert len((await sandbox.ledger())["senseKeys"]) == 2


async def test_a_foreign_merchant_gets_no_key_but_can_read_why(sandbox: Harness) -> None:
    response = await open_session(sandbox, siteId="00000000-0000-0000-0000-000000000000")
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == "*"
    assert (await sandbox.ledger())["senseKeys"] == {}


async def test_a_malformed_session_request_is_refused(sandbox: Harness) -> None:
    too_many = {f"signal{i}": i for i in range(33)}
    for body in (b"not json", b"[]", json.dumps({"mid": flex_requests.MID}).encode()):
        response = await sandbox.client.post("/sensejs/sessions", content=body)
        assert response.status_code == 400
    assert (await open_session(sandbox, signals=too_many)).status_code == 400
    assert (await sandbox.ledger())["senseKeys"] == {}


async def test_a_preflight_is_answered_for_any_origin(sandbox: Harness) -> None:
    response = await sandbox.client.options("/sensejs/sessions")
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"


async def test_tokenize_records_the_card_and_counts_the_issued_key(sandbox: Harness) -> None:
    key = (await open_session(sandbox)).json()["senseKey"]
    body = flex_requests.tokenize()
    body["payment_method"]["sense_key"] = key
    vaulted = await sandbox.client.post(TOKENIZE, json=body)
    token = vaulted.json()["transaction"]["payment_method"]["token"]
    ledger = await sandbox.ledger()
    assert ledger["vaultedCards"][token] == {
        "bin": "400000", "last4": "3184", "month": 9, "year": 2030, "senseKey": key,
    }  # fmt: skip
    assert ledger["senseKeys"][key]["tokenizations"] == 1
    assert flex_requests.RESCUED_CARD not in json.dumps(ledger)


async def test_tokenize_accepts_a_sense_key_the_widget_never_issued(sandbox: Harness) -> None:
    body = flex_requests.tokenize()
    body["payment_method"]["sense_key"] = "made-up"
    vaulted = await sandbox.client.post(TOKENIZE, json=body)
    token = vaulted.json()["transaction"]["payment_method"]["token"]
    ledger = await sandbox.ledger()
    assert ledger["vaultedCards"][token]["senseKey"] == "made-up"
    assert ledger["senseKeys"] == {}
