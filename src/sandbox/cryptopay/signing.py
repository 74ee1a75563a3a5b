"""Sign webhook bodies as Crypto Pay does (re-implemented: the sandbox is outside the hexagon)."""

import hashlib
import hmac

SIGNATURE_HEADER = "crypto-pay-api-signature"


def sign(token: str, body: bytes) -> str:
    """Hex HMAC-SHA-256 of the exact body, keyed by the SHA-256 digest of the app token."""
    return hmac.new(hashlib.sha256(token.encode()).digest(), body, hashlib.sha256).hexdigest()
