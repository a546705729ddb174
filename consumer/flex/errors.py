"""What can go wrong talking to Flex, sorted by what the caller does next.

    FlexmitError                                  (consumer/errors.py)
    ├── TransientError
    │   └── FlexUnavailable        timeout, connection error, 408, 429, 5xx; retry later.
    │                              .status (None without a response), .retry_after (seconds)
    └── PermanentError
        ├── FlexRejected           a 4xx with Flex's ProblemDetails (.status, .problem);
        │   │                      the same request will be refused again
        │   ├── FlexNotFound       404: no such order
        │   ├── FlexConflict       409: idempotency key reused with another payload
        │   └── FlexAuthFailed     /oauth2/token refused AppKey/AppSecret, or a fresh token
        │                          was still answered 401; fix the credentials
        └── FlexUnexpectedResponse a 2xx (or 1xx/3xx) whose body is not the contract's

Business outcomes are not errors: an evaluate DECLINED or a refund answered 200 with
``success: false`` (e.g. responseCode "2001") come back as response models.

Every httpx exception is translated here, at the edge of ``consumer.flex``; messages carry the
endpoint label, the HTTP status and Flex's explanation, never a secret (the client scrubs the
texts it passes in).
"""

from __future__ import annotations

import httpx

from consumer.errors import PermanentError, TransientError
from consumer.flex.problem import ProblemDetails, parse_problem

# 4xx answers that mean "not now" rather than "never".
_RETRYABLE_4XX = frozenset({408, 425, 429})


class FlexUnavailable(TransientError):
    """Flex could not be reached or asked us to come back later."""

    def __init__(
        self,
        endpoint: str,
        reason: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"Flex {endpoint} unavailable: {reason}")
        self.endpoint = endpoint
        self.status = status
        self.retry_after = retry_after


class FlexRejected(PermanentError):
    """Flex refused the request (4xx); its ProblemDetails say why."""

    def __init__(self, endpoint: str, status: int, problem: ProblemDetails) -> None:
        super().__init__(
            f"Flex {endpoint} rejected the request: HTTP {status}: {problem.summary()}"
        )
        self.endpoint = endpoint
        self.status = status
        self.problem = problem


class FlexNotFound(FlexRejected):
    """The order (or other resource) does not exist at Flex."""


class FlexConflict(FlexRejected):
    """The idempotency key was already used with a different payload."""


class FlexAuthFailed(FlexRejected):
    """The API credentials are wrong or no longer accepted."""


class FlexUnexpectedResponse(PermanentError):
    """Flex answered with something the contract does not describe."""

    def __init__(self, endpoint: str, status: int, reason: str) -> None:
        super().__init__(f"Flex {endpoint} answered HTTP {status} that we cannot read: {reason}")
        self.endpoint = endpoint
        self.status = status


def error_for_status(
    endpoint: str, status: int, body: bytes, retry_after: float | None
) -> FlexUnavailable | FlexRejected | FlexUnexpectedResponse:
    """The exception for a non-2xx answer; the body must already be scrubbed of secrets."""
    if status >= 500 or status in _RETRYABLE_4XX:
        return FlexUnavailable(endpoint, f"HTTP {status}", status=status, retry_after=retry_after)
    if not 400 <= status < 500:
        return FlexUnexpectedResponse(endpoint, status, "not a success status")
    problem = parse_problem(body)
    if endpoint == "oauth2.token" or status == 401:
        return FlexAuthFailed(endpoint, status, problem)
    kind = {404: FlexNotFound, 409: FlexConflict}.get(status, FlexRejected)
    return kind(endpoint, status, problem)


def error_for_exception(endpoint: str, exc: httpx.HTTPError, detail: str) -> FlexUnavailable:
    """The exception for a request that got no usable answer; ``detail`` must be scrubbed."""
    return FlexUnavailable(endpoint, f"{type(exc).__name__}: {detail}".rstrip(": "))


def attempt_label(exc: httpx.HTTPError) -> str:
    """The metrics status of an attempt that failed without an HTTP status."""
    return "timeout" if isinstance(exc, httpx.TimeoutException) else "connection_error"
