"""Whether a request came from Flex: a signature of one of our keys, a fresh date, a new nonce.

The signature check is ``signature.verify`` (both HMACs, constant-time; the body HMAC required
unless configured otherwise); this adds the replay defences the vendor sample leaves to the
receiver: ``x-fc-date`` within the clock-skew window, and each ``x-fc-nonce`` accepted once,
remembered in the store so that every replica knows it. A nonce is recorded only after the
signature checks out, so strangers cannot fill the table.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import SecretStr

from consumer.errors import TransientError
from consumer.webhooks import signature
from consumer.webhooks.signature import InvalidSignature

_MAX_NONCE = 64  # Flex sends 32 hex characters; anything much longer is not theirs


class NonceStore(Protocol):
    """The part of ``consumer.store.Store`` that remembers nonces."""

    async def remember_nonce(self, nonce: str) -> bool:
        """Record a nonce; False when it was seen before."""

    async def forget_nonce(self, nonce: str) -> None:
        """Forget a nonce whose request was not processed."""


class Authenticator:
    """Checks requests against the subscriber keys and the nonces seen so far."""

    def __init__(
        self,
        keys: Sequence[SecretStr],
        public_host: str | None,
        skew: timedelta,
        nonces: NonceStore,
        now: Callable[[], datetime],
        *,
        require_body_signature: bool = True,
    ) -> None:
        self._keys = list(keys)
        self._public_host = public_host
        self._skew = skew
        self._nonces = nonces
        self._now = now
        self._require_body_signature = require_body_signature

    def signed_host(self, request_host: str) -> str:
        """The host in the canonical string: the configured one, else the request's (no port)."""
        return self._public_host or strip_port(request_host)

    async def check(self, body: bytes, headers: Mapping[str, str], request_host: str) -> str:
        """The request's nonce once it is proven Flex's; InvalidSignature otherwise.

        Raises StoreUnavailable when the nonce cannot be recorded (answer 503: Flex resends).
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        if self._require_body_signature and signature.SIGNATURE not in lowered:
            raise InvalidSignature("missing_header")
        host = self.signed_host(request_host)
        signature.verify(body, lowered, self._keys, host, now=self._now(), tolerance=self._skew)
        nonce = lowered[signature.NONCE]
        if not nonce or len(nonce) > _MAX_NONCE:
            raise InvalidSignature("malformed")
        if not await self._nonces.remember_nonce(nonce):
            raise InvalidSignature("replayed")
        return nonce

    async def release(self, nonce: str) -> None:
        """Accept ``nonce`` again: its request was answered 503 and may come back as it was."""
        # Best effort: if the store is down, a resend with the same nonce is refused, but
        # Flex signs each delivery afresh (new date, new nonce) as far as anyone has seen.
        with contextlib.suppress(TransientError):
            await self._nonces.forget_nonce(nonce)


def strip_port(host: str) -> str:
    """``example.com:8443`` -> ``example.com``; ``[::1]:80`` -> ``[::1]``."""
    name, separator, port = host.rpartition(":")
    bracketed = name.startswith("[") and name.endswith("]")
    if separator and port.isdigit() and (bracketed or ":" not in name):
        return name
    return host
