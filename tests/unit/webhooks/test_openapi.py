"""The OpenAPI document describes every route the receiver serves and every answer Flex can get."""

from __future__ import annotations

from starlette.routing import Route

from consumer.webhooks import openapi
from consumer.webhooks.intake import Result
from tests.unit.webhooks.support import Published, app_client


def test_every_route_of_the_app_is_described() -> None:
    document = openapi.document()
    app = app_client(None, Published()).app
    served = {route.path: route.methods for route in app.routes if isinstance(route, Route)}
    assert set(served) == set(document["paths"])
    for path, methods in served.items():
        described = {method.upper() for method in document["paths"][path]}
        assert described <= (methods or set()), path


def test_the_webhook_answers_and_headers_are_described() -> None:
    post = openapi.document()["paths"]["/webhooks/flex"]["post"]
    assert set(post["responses"]) == {"200", "400", "401", "413", "503"}
    assert "Retry-After" in post["responses"]["503"]["headers"]
    headers = {p["name"]: p["required"] for p in post["parameters"] if p["in"] == "header"}
    assert headers == {
        "x-fc-date": True, "x-fc-nonce": True, "x-fc-content-sha512": True,
        "x-fc-authorization": True, "x-fc-signature": False,
    }  # fmt: skip
    assert set(post["requestBody"]["content"]) == {"text/plain", "application/json"}


def test_schemas_use_flexs_casing_and_our_result_labels() -> None:
    schemas = openapi.document()["components"]["schemas"]
    body = schemas["FlexWebhook"]
    assert body["required"] == ["Event"]
    assert {"Event", "OrderId", "ExternalOrderId", "IsResent", "EventData"} <= set(
        body["properties"]
    )
    assert schemas["Accepted"]["properties"]["result"]["enum"] == [r.value for r in Result]
