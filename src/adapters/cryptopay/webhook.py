"""Parse (and optionally verify) a Crypto Pay webhook update from its raw body."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from starport.adapters.cryptopay.errors import InvalidSignature, MalformedUpdate
from starport.adapters.cryptopay.models import CryptoPayUpdate
from starport.adapters.cryptopay.parsing import loads
from starport.adapters.cryptopay.signature import verify_signature


def parse_update(raw_body: bytes) -> CryptoPayUpdate:
    """Parse an update whose signature was already verified; MalformedUpdate otherwise. The
    JSON reader makes every number with a fraction an exact Decimal, never a float."""
    try:
        data = loads(raw_body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedUpdate("UPDATE_NOT_JSON") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("payload"), Mapping):
        raise MalformedUpdate("UPDATE_NOT_OBJECT")
    try:
        return CryptoPayUpdate.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors(include_url=False)[0]["loc"])
        raise MalformedUpdate(f"UPDATE_MALFORMED:{where}") from None


def verify_and_parse(token: str, raw_body: bytes, signature_header: str | None) -> CryptoPayUpdate:
    """Verify the signature over the raw bytes first, then parse; never the other way round."""
    if not verify_signature(token, raw_body, signature_header):
        raise InvalidSignature()
    return parse_update(raw_body)
