"""Render ``schemas/``: JSON Schemas and AsyncAPI from ``events.py``, the receiver's OpenAPI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from consumer import events
from consumer.settings import Topics
from consumer.webhooks import openapi

_PAYLOADS: dict[str, Any] = {
    "PaymentApproved": events.PaymentApproved,
    "PaymentDeclined": events.PaymentDeclined,
    "OrderStatusChanged": events.OrderStatusChanged,
    "FlexCommand": events.FlexCommand,
    "FlexNotification": events.FlexNotification,
}

_FILE_NAMES = {
    "PaymentApproved": "payment-approved",
    "PaymentDeclined": "payment-declined",
    "OrderStatusChanged": "order-status-changed",
    "FlexCommand": "flex-command",
    "FlexNotification": "flex-notification",
}

_TRANSACTION_KEY = {"type": "string", "description": "The PSP transaction id"}

_DEAD_LETTER_HEADERS = {
    "type": "object",
    "properties": {
        "flexmit-dlq-reason": {"type": "string", "description": "Why the record was refused"},
        "flexmit-dlq-topic": {"type": "string", "description": "Topic it was read from"},
        "flexmit-dlq-partition": {"type": "string"},
        "flexmit-dlq-offset": {"type": "string"},
        "flexmit-dlq-at": {"type": "string", "description": "When it was dead-lettered (ISO 8601)"},
        "flexmit-dlq-redacted": {
            "type": "string",
            "enum": ["true"],
            "description": "Present when card numbers were redacted from the copy",
        },
    },
}


def json_schema(payload: Any) -> dict[str, Any]:
    """JSON Schema of a model or an annotated union, as used in validation."""
    if isinstance(payload, type) and issubclass(payload, BaseModel):
        schema = payload.model_json_schema(mode="validation")
    else:
        schema = TypeAdapter(payload).json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _channel(address: str, message: str, description: str) -> dict[str, Any]:
    return {
        "address": address,
        "description": description,
        "messages": {message: {"$ref": f"#/components/messages/{message}"}},
    }


def _message(name: str, summary: str, key: dict[str, Any] | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "name": name,
        "summary": summary,
        "contentType": "application/json",
    }
    if name in _PAYLOADS:
        message["payload"] = {"$ref": f"./{_FILE_NAMES[name]}.v1.schema.json"}
    if key is not None:
        message["bindings"] = {"kafka": {"key": key, "bindingVersion": "0.5.0"}}
    return message


def asyncapi(topics: Topics) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of every topic, its key and its payload."""
    channels = {
        "paymentApproved": _channel(
            topics.approved, "PaymentApproved", "Approved charges; each is sent to /transmit."
        ),
        "paymentDeclined": _channel(
            topics.declined, "PaymentDeclined", "Declined charges; just-failed MITs go to Flex."
        ),
        "orderStatus": _channel(
            topics.order_status, "OrderStatusChanged", "Rescue statuses for billing and dunning."
        ),
        "flexCommands": _channel(topics.commands, "FlexCommand", "Refund and cancel commands."),
        "flexEvents": _channel(
            topics.flex_events, "FlexNotification", "Verified Flex webhooks with no status."
        ),
        "deadLetter": _channel(
            topics.dead_letter, "DeadLetter", "Records that could not be handled, with why."
        ),
    }
    messages = {
        "PaymentApproved": _message("PaymentApproved", "A charge approved", _TRANSACTION_KEY),
        "PaymentDeclined": _message("PaymentDeclined", "A charge declined", _TRANSACTION_KEY),
        "OrderStatusChanged": _message(
            "OrderStatusChanged", "A rescue status changed", _TRANSACTION_KEY
        ),
        "FlexCommand": _message("FlexCommand", "Refund or cancel a Flex order", _TRANSACTION_KEY),
        "FlexNotification": _message(
            "FlexNotification",
            "A Flex webhook",
            {"type": "string", "description": "Flex order id, or the event name"},
        ),
        "DeadLetter": {
            "name": "DeadLetter",
            "summary": "The original key and value, unchanged but for card numbers (redacted)",
            "contentType": "application/octet-stream",
            "payload": {"type": "string", "format": "binary"},
            "headers": _DEAD_LETTER_HEADERS,
        },
    }
    operations = {
        "consumeApproved": ("receive", "paymentApproved"),
        "consumeDeclined": ("receive", "paymentDeclined"),
        "consumeCommands": ("receive", "flexCommands"),
        "publishOrderStatus": ("send", "orderStatus"),
        "publishCommands": ("send", "flexCommands"),
        "publishFlexEvents": ("send", "flexEvents"),
        "publishDeadLetters": ("send", "deadLetter"),
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "flexmit",
            "version": f"{events.SCHEMA_VERSION}.0.0",
            "description": "Kafka contract of the merchant-side Flex MIT integration.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": {
            name: {"action": action, "channel": {"$ref": f"#/channels/{channel}"}}
            for name, (action, channel) in operations.items()
        },
        "components": {"messages": messages},
    }


def render() -> dict[str, str]:
    """Every file of ``schemas/`` by name, with its exact text."""
    files = {
        f"{_FILE_NAMES[name]}.v{events.SCHEMA_VERSION}.schema.json": _dump(json_schema(payload))
        for name, payload in _PAYLOADS.items()
    }
    files["asyncapi.json"] = _dump(asyncapi(Topics()))
    files["webhooks.openapi.json"] = _dump(openapi.document())
    return files


def write(directory: Path) -> list[Path]:
    """Write the rendered files into ``directory`` and return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
