"""ASP.NET-style error answers (contract §9.1): ProblemDetails with a W3C trace id.

Handlers raise ``Problem``; the application turns it into the response, so an error path is a
single ``raise`` wherever it is detected.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

_RFC = "https://tools.ietf.org/html/rfc7231#section-"
_TYPES = {
    400: _RFC + "6.5.1",
    403: _RFC + "6.5.3",
    404: _RFC + "6.5.4",
    405: _RFC + "6.5.5",
    409: _RFC + "6.5.8",
    415: _RFC + "6.5.13",
}
_TITLES = {
    400: "One or more validation errors occurred.",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    415: "Unsupported Media Type",
}
_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")

FieldErrors = dict[str, list[str]]


class Problem(Exception):
    """An error answer: HTTP status, optional detail, optional field errors."""

    def __init__(
        self, status: int, detail: str | None = None, errors: FieldErrors | None = None
    ) -> None:
        super().__init__(detail or _TITLES.get(status, str(status)))
        self.status = status
        self.detail = detail
        self.errors = errors


def validation(errors: FieldErrors) -> Problem:
    """400 with field errors keyed by PascalCase dotted paths."""
    return Problem(400, errors=errors)


def trace_id(request: Request) -> str:
    """The caller's W3C trace id when it sent ``traceparent``, else a fresh one."""
    match = _TRACEPARENT.match(request.headers.get("traceparent", ""))
    trace = match.group(1) if match else secrets.token_hex(16)
    return f"00-{trace}-{secrets.token_hex(8)}-01"


def render(request: Request, problem: Problem) -> Response:
    """The ``application/problem+json`` response for ``problem``."""
    if problem.status == 401:
        return unauthorized()
    body: dict[str, Any] = {
        "type": _TYPES.get(problem.status, _RFC + "6.6.1"),
        "title": _TITLES.get(problem.status, "An error occurred."),
        "status": problem.status,
        "traceId": trace_id(request),
    }
    if problem.detail is not None:
        body["detail"] = problem.detail
    if problem.errors is not None:
        body["errors"] = problem.errors
    return JSONResponse(body, problem.status, media_type="application/problem+json")


def unauthorized() -> Response:
    """401 as ASP.NET's JWT bearer handler sends it: empty body, a WWW-Authenticate header."""
    return Response(status_code=401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
