"""schemas/ is generated from consumer/events.py and must not drift from it."""

from __future__ import annotations

import json
from pathlib import Path

from consumer import schemagen

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def test_schemas_directory_matches_the_models() -> None:
    rendered = schemagen.render()
    on_disk = {path.name for path in SCHEMAS.iterdir()}
    assert on_disk == set(rendered), "run `flexmit schemas` (make schemas)"
    for name, text in rendered.items():
        assert (SCHEMAS / name).read_text() == text, f"{name} is stale: run `make schemas`"


def test_asyncapi_describes_every_topic_with_its_key_and_payload() -> None:
    document = json.loads((SCHEMAS / "asyncapi.json").read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert addresses == {
        "payment-approved", "payment-declined", "order-status",
        "flex-commands", "flex-events", "flexmit-dead-letter",
    }  # fmt: skip
    for name, message in document["components"]["messages"].items():
        assert "payload" in message, name
        if name != "DeadLetter":
            assert (SCHEMAS / message["payload"]["$ref"].removeprefix("./")).exists()
            assert message["bindings"]["kafka"]["key"]["type"] == "string"


def test_declined_schema_requires_what_evaluate_needs() -> None:
    schema = json.loads((SCHEMAS / "payment-declined.v1.schema.json").read_text())
    for field in ("transaction_id", "merchant_order_id", "amount_minor", "currency", "is_mit",
                  "decline", "payer", "billing_address", "card", "occurred_at"):  # fmt: skip
        assert field in schema["required"], field
