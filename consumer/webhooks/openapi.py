"""The OpenAPI 3.1 description of the receiver's HTTP surface, served at ``/openapi.json``.

Written out rather than generated from the routes: the signature headers, the raw-text body and
the meaning of each status code for Flex's resends are the contract, and a generator knows none
of them. The body schema does come from the model that parses it.
"""

from __future__ import annotations

from typing import Any

from consumer.webhooks.intake import Result
from consumer.webhooks.notification import FlexWebhook
from consumer.webhooks.signature import AUTHORIZATION, CONTENT_SHA512, DATE, NONCE, SIGNATURE

_HEADERS = {
    DATE: "RFC 1123 date of sending; refused when further than the clock skew from ours.",
    NONCE: "32 hex characters, accepted once.",
    CONTENT_SHA512: "base64(SHA-512(raw body)).",
    AUTHORIZATION: "HMAC-SHA512 SignedHeaders=x-fc-nonce;x-fc-date;host;x-fc-content-sha512"
    "&Signature=base64(HMAC-SHA512(key, canonical string)).",
    SIGNATURE: "base64(HMAC-SHA512(key, raw body)); checked when present.",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(name: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(name)}}}


def _deferred() -> dict[str, Any]:
    answer = _json("Error", "Not now (store or Kafka unavailable, order not ready): resend.")
    answer["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
    return answer


def _webhook() -> dict[str, Any]:
    body = {"schema": _ref("FlexWebhook")}
    return {
        "post": {
            "operationId": "receiveFlexWebhook",
            "summary": "A signed Flex notification (contract §7).",
            "description": "The raw body is verified and parsed whatever the Content-Type. "
            "Idempotent per (OrderId, Event): a resend yields the same order-status event.",
            "security": [{"flexSignature": []}],
            "parameters": [
                {
                    "name": name,
                    "in": "header",
                    "required": name != SIGNATURE,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in _HEADERS.items()
            ],
            "requestBody": {
                "required": True,
                "content": {"text/plain": body, "application/json": body},
            },
            "responses": {
                "200": _json("Accepted", "Stored and, where there was something, published."),
                "400": _json("Error", "Signed, but not a Flex notification."),
                "401": _json("Error", "Not signed by Flex, stale, replayed or headers missing."),
                "413": _json("Error", "The body exceeds the configured cap."),
                "503": _deferred(),
            },
        }
    }


def _probe(summary: str) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "responses": {"200": _json("Probe", "Yes."), "503": _json("Probe", "No.")},
        }
    }


def document() -> dict[str, Any]:
    """The whole OpenAPI document."""
    text = {"text/plain": {"schema": {"type": "string"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "flexmit webhook receiver",
            "version": "1.0.0",
            "description": "Receives Flex's signed webhooks and publishes order statuses.",
        },
        "paths": {
            "/webhooks/flex": _webhook(),
            "/healthz": _probe("Liveness: the process can serve."),
            "/readyz": _probe("Readiness: the store answers and shutdown has not begun."),
            "/metrics": {
                "get": {
                    "summary": "Prometheus metrics.",
                    "responses": {"200": {"description": "Exposition format.", "content": text}},
                }
            },
            "/openapi.json": {
                "get": {
                    "summary": "This document.",
                    "responses": {"200": {"description": "OpenAPI 3.1."}},
                }
            },
        },
        "components": {"schemas": _schemas(), "securitySchemes": _security()},
    }


def _schemas() -> dict[str, Any]:
    return {
        "FlexWebhook": FlexWebhook.model_json_schema(by_alias=True),
        "Accepted": {
            "type": "object",
            "required": ["result"],
            "properties": {"result": {"enum": [result.value for result in Result]}},
        },
        "Error": {"type": "object", "properties": {"error": {"type": "string"}}},
        "Probe": {
            "type": "object",
            "properties": {"ok": {"type": "boolean"}, "detail": {"type": "string"}},
        },
    }


def _security() -> dict[str, Any]:
    return {
        "flexSignature": {
            "type": "apiKey",
            "in": "header",
            "name": AUTHORIZATION,
            "description": "HMAC-SHA512 with a subscriber key over the canonical string "
            '"POST\\n" + nonce + ";" + date + ";" + host + ";" + content hash (contract §7.4).',
        }
    }
