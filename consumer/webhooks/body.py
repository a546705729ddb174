"""The raw request body, read whatever the Content-Type says and never beyond a size cap.

Flex sends JSON as text (contract §7.3), and the signature covers the exact bytes, so the body
is never decoded by the framework. The cap is enforced on the declared Content-Length and
again while streaming, for a chunked body or a client that lies about its length.
"""

from __future__ import annotations

from starlette.requests import Request

from consumer.errors import PermanentError


class BodyTooLarge(PermanentError):
    """The body exceeds the configured cap (answer 413)."""


async def read_capped(request: Request, limit: int) -> bytes:
    """Every byte of the body; BodyTooLarge as soon as it exceeds ``limit``."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"Content-Length {declared} exceeds {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"the body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
