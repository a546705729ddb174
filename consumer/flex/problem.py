"""Flex's error body: ASP.NET ProblemDetails, in the documented shape and the sandbox's variant.

Documented (contract §9.1)::

    {"title": "...", "status": 400, "traceId": "00-...-01",
     "errors": {"Transaction.ResponseCode": ["The ResponseCode field is required."]}}

Variant seen from the sandbox: field keys and ``TraceId`` at the top level, values in arrays,
``status`` sometimes a string and ``title`` sometimes absent::

    {"TraceId": ["00-...-01"], "IdempotencyKey": ["The IdempotencyKey field is required."]}
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# ProblemDetails members; anything else at the top level holding messages is a field error.
_MEMBERS = {"type", "title", "status", "detail", "instance", "traceid", "errors"}


class ProblemDetails(BaseModel):
    """What Flex said was wrong with a request; every part is optional."""

    model_config = ConfigDict(frozen=True)

    title: str | None = None
    status: int | None = None
    detail: str | None = None
    trace_id: str | None = None
    field_errors: dict[str, list[str]] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            return {}
        members = {key.lower(): value for key, value in body.items() if key.lower() in _MEMBERS}
        nested = members.get("errors")
        top_level = {k: v for k, v in body.items() if k.lower() not in _MEMBERS}
        return {
            "title": _text(members.get("title")),
            "status": _status(members.get("status")),
            "detail": _text(members.get("detail")),
            "trace_id": _text(members.get("traceid")),
            "field_errors": _messages(top_level) | _messages(nested),
        }

    def summary(self) -> str:
        """One line for an exception message: title, field errors, trace id."""
        parts = [self.title or self.detail or "no details"]
        parts += [f"{field}: {' '.join(texts)}" for field, texts in self.field_errors.items()]
        if self.trace_id:
            parts.append(f"traceId={self.trace_id}")
        return "; ".join(parts)


def parse_problem(body: bytes) -> ProblemDetails:
    """The ProblemDetails in a response body, or an empty one when the body is not one."""
    try:
        return ProblemDetails.model_validate(json.loads(body))
    except (ValueError, ValidationError, RecursionError):
        return ProblemDetails()


def _text(value: Any) -> str | None:
    # The top-level variant wraps even the trace id in an array.
    if isinstance(value, list) and value:
        value = value[0]
    return value if isinstance(value, str) else None


def _status(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _messages(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    found: dict[str, list[str]] = {}
    for field, value in errors.items():
        texts = value if isinstance(value, list) else [value]
        strings = [text for text in texts if isinstance(text, str)]
        if strings:
            found[str(field)] = strings
    return found
