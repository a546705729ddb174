"""Access tokens: HS256 JWTs shaped like Flex's (§1.2), checked on every bearer call.

Expiry is on the wall clock (clients compare ``expires`` with their own clock), never on the
sandbox's virtual time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Callable
from typing import Any

_AUDIENCES = ["payments", "orders", "merchants", "eligibility-sftp", "eligibility", "contact"]
_HEADER = {"alg": "HS256", "typ": "JWT"}
_CACHE_LIMIT = 10_000


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues tokens for one merchant and recognises the ones it issued."""

    def __init__(self, mid: str, ttl_seconds: float, wall: Callable[[], float]) -> None:
        self._mid = mid
        self._ttl = ttl_seconds
        self._wall = wall
        self._key = secrets.token_bytes(32)
        # Verified token -> expiry, so a busy client costs one dict lookup per call.
        self._verified: dict[str, float] = {}

    def issue(self, app_key: str) -> dict[str, Any]:
        """The /oauth2/token answer (without the envelope)."""
        now = self._wall()
        client_id = str(uuid.uuid5(uuid.NAMESPACE_URL, "flex-sandbox-client:" + app_key))
        claims = {
            "sub": client_id,
            "unique_name": app_key,
            "jti": str(uuid.uuid4()),
            "iat": str(int(now * 1000)),
            "nbf": int(now),
            "exp": now + self._ttl,
            "iss": "Api-Client-Service",
            "aud": _AUDIENCES,
            "custom:mid": self._mid,
        }
        return {
            "accessToken": self._encode(claims),
            "refreshToken": secrets.token_urlsafe(32),
            "expires": int((now + self._ttl) * 1000),
            "id": client_id,
            "session": None,
            "daysToEnforceMFA": None,
            "skipAvailable": None,
        }

    def accepts(self, authorization: str | None) -> bool:
        """True for ``Bearer <token>`` carrying a token this issuer signed that has not expired."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        expiry = self._verified.get(token)
        if expiry is None:
            expiry = self._verify(token)
            if expiry is None:
                return False
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
            self._verified[token] = expiry
        return self._wall() < expiry

    def _encode(self, claims: dict[str, Any]) -> str:
        head = _b64url(json.dumps(_HEADER, separators=(",", ":")).encode())
        body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        return f"{head}.{body}.{_b64url(signature)}"

    def _verify(self, token: str) -> float | None:
        head, _, rest = token.partition(".")
        body, _, signature = rest.partition(".")
        expected = hmac.new(self._key, f"{head}.{body}".encode(), hashlib.sha256).digest()
        try:
            if not hmac.compare_digest(_unb64url(signature), expected):
                return None
            expiry = json.loads(_unb64url(body))["exp"]
        except (ValueError, KeyError, TypeError):
            return None
        return float(expiry)
