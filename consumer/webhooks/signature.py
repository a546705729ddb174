"""Flex webhook signatures (contract §7.4): the five ``x-fc-*`` headers, signed and verified.

Both sides are pure functions of their inputs; the caller supplies the nonce and the date when
signing and the current time when verifying, so tests and the simulator stay deterministic.

    key         = base64decode(subscriber key)
    content     = base64(SHA-512(raw body))                        -> x-fc-content-sha512
    canonical   = "POST\\n" + nonce + ";" + date + ";" + host + ";" + content
    Signature   = base64(HMAC-SHA512(key, canonical))              -> x-fc-authorization
    body HMAC   = base64(HMAC-SHA512(key, raw body))               -> x-fc-signature
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from typing import Literal

from pydantic import SecretStr

from consumer.errors import PermanentError

DATE = "x-fc-date"
NONCE = "x-fc-nonce"
CONTENT_SHA512 = "x-fc-content-sha512"
AUTHORIZATION = "x-fc-authorization"
SIGNATURE = "x-fc-signature"
SIGNED_HEADERS = "x-fc-nonce;x-fc-date;host;x-fc-content-sha512"
_SCHEME = f"HMAC-SHA512 SignedHeaders={SIGNED_HEADERS}&Signature="

# "replayed" is raised by authenticity.py: a valid signature whose nonce was used before.
Reason = Literal["missing_header", "malformed", "stale", "content_hash", "signature", "replayed"]


class InvalidSignature(PermanentError):
    """A webhook whose headers do not prove it came from Flex; ``reason`` is a metric label."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(f"webhook signature rejected: {reason}")
        self.reason: Reason = reason


def new_nonce() -> str:
    """32 lowercase hex characters, the nonce format Flex uses."""
    return uuid.uuid4().hex


def http_date(moment: datetime) -> str:
    """RFC 1123 date as in ``x-fc-date``, e.g. ``Mon, 20 Mar 2023 17:16:40 GMT``."""
    return format_datetime(moment, usegmt=True)


def decode_key(subscriber_key: SecretStr | str) -> bytes:
    """The HMAC key: the base64-decoded subscriber key from the portal."""
    text = (
        subscriber_key.get_secret_value()
        if isinstance(subscriber_key, SecretStr)
        else subscriber_key
    )
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("webhook subscriber key is not valid base64") from None


def content_sha512(body: bytes) -> str:
    """base64(SHA-512(body)), the value of ``x-fc-content-sha512``."""
    return base64.b64encode(hashlib.sha512(body).digest()).decode("ascii")


def canonical_string(nonce: str, date: str, host: str, content_hash: str) -> str:
    """The string whose HMAC is the ``Signature=`` part of ``x-fc-authorization``."""
    return f"POST\n{nonce};{date};{host};{content_hash}"


def _hmac64(key: bytes, message: bytes) -> str:
    return base64.b64encode(hmac.new(key, message, hashlib.sha512).digest()).decode("ascii")


def sign(
    body: bytes, subscriber_key: SecretStr | str, host: str, *, nonce: str, date: str
) -> dict[str, str]:
    """The five ``x-fc-*`` headers for ``body`` delivered to ``host``."""
    key = decode_key(subscriber_key)
    content_hash = content_sha512(body)
    canonical = canonical_string(nonce, date, host, content_hash).encode("utf-8")
    return {
        DATE: date,
        NONCE: nonce,
        CONTENT_SHA512: content_hash,
        AUTHORIZATION: _SCHEME + _hmac64(key, canonical),
        SIGNATURE: _hmac64(key, body),
    }


def verify(
    body: bytes,
    headers: Mapping[str, str],
    subscriber_keys: Iterable[SecretStr | str],
    host: str,
    *,
    now: datetime | None = None,
    tolerance: timedelta = timedelta(minutes=5),
) -> None:
    """Raise InvalidSignature unless one of the keys signed both the headers and the body.

    With ``now`` given, ``x-fc-date`` must also lie within ``tolerance`` of it (replay window).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    if any(name not in lowered for name in (DATE, NONCE, CONTENT_SHA512, AUTHORIZATION)):
        raise InvalidSignature("missing_header")
    if not all(value.isascii() for value in lowered.values()):
        # Every signed header is base64, hex or an HTTP date; compare_digest refuses the rest.
        raise InvalidSignature("malformed")
    if now is not None:
        _check_fresh(lowered[DATE], now, tolerance)
    # The hash header is public information, but a mismatch means the body was altered.
    if not hmac.compare_digest(lowered[CONTENT_SHA512], content_sha512(body)):
        raise InvalidSignature("content_hash")
    claimed = _claimed_signature(lowered[AUTHORIZATION])
    canonical = canonical_string(lowered[NONCE], lowered[DATE], host, lowered[CONTENT_SHA512])
    if not any(
        _matches(decode_key(key), canonical.encode("utf-8"), claimed, body, lowered.get(SIGNATURE))
        for key in subscriber_keys
    ):
        raise InvalidSignature("signature")


def _matches(
    key: bytes, canonical: bytes, claimed: str, body: bytes, body_signature: str | None
) -> bool:
    headers_ok = hmac.compare_digest(_hmac64(key, canonical), claimed)
    # x-fc-signature is optional on the wire, but when present it must agree with the same key.
    body_ok = body_signature is None or hmac.compare_digest(_hmac64(key, body), body_signature)
    return headers_ok and body_ok


def _claimed_signature(authorization: str) -> str:
    scheme, separator, signature = authorization.partition("&Signature=")
    if not separator or not scheme.startswith("HMAC-SHA512 ") or not signature:
        raise InvalidSignature("malformed")
    return signature


def _check_fresh(date: str, now: datetime, tolerance: timedelta) -> None:
    try:
        sent = parsedate_to_datetime(date)
    except (TypeError, ValueError):
        raise InvalidSignature("malformed") from None
    if sent.tzinfo is None or abs(now - sent) > tolerance:
        raise InvalidSignature("stale")
