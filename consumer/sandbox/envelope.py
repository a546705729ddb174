"""The response envelope most Flex answers share (contract §0.3)."""

from __future__ import annotations

from typing import Any


def envelope(
    fields: dict[str, Any],
    *,
    success: bool = True,
    result: str | None = None,
    status: Any = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """``fields`` followed by success, result, status, statusCode, errors, customProperties."""
    return fields | {
        "success": success,
        "result": result,
        "status": status,
        "statusCode": None,
        "errors": errors or [],
        "customProperties": {},
    }


def failure_items(message: str, code: str) -> list[dict[str, Any]]:
    """Errors as the API serializes .NET tuples: item1 message, item2/item3 code, item4 flag."""
    return [{"item1": message, "item2": code, "item3": code, "item4": True}]
