"""Crypto Pay webhook signatures: hex HMAC-SHA-256 of the raw body, keyed by SHA-256(token)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "crypto-pay-api-signature"


def sign(token: str, raw_body: bytes) -> str:
    """The signature Crypto Pay puts in `crypto-pay-api-signature` for this exact body."""
    secret = hashlib.sha256(token.encode()).digest()
    return hmac.new(secret, raw_body, hashlib.sha256).hexdigest()


def verify_signature(token: str, raw_body: bytes, signature_header: str | None) -> bool:
    """True only if the header signs these exact bytes; compared in constant time."""
    if not token or not signature_header:
        return False
    try:
        provided = signature_header.strip().lower().encode("ascii")
    except UnicodeEncodeError:
        return False
    expected = sign(token, raw_body).encode("ascii")
    return hmac.compare_digest(expected, provided)
