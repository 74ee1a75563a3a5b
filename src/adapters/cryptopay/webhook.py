"""Parse (and optionally verify) a Crypto Pay webhook update from its raw body."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.cryptopay.errors import CryptoPayError, InvalidSignature, MalformedUpdate
from adapters.cryptopay.invoice import Invoice
from adapters.cryptopay.models import CryptoPayUpdate
from adapters.cryptopay.parsing import datetime_or_none, loads
from adapters.cryptopay.signature import verify_signature


def parse_update(raw_body: bytes) -> CryptoPayUpdate:
    """Parse an update whose signature was already verified; MalformedUpdate otherwise."""
    try:
        data = loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedUpdate("UPDATE_NOT_JSON") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("payload"), Mapping):
        raise MalformedUpdate("UPDATE_NOT_OBJECT")
    try:
        update_id = data["update_id"]
        if isinstance(update_id, bool) or not isinstance(update_id, int):
            raise TypeError("update_id")
        update_type = data["update_type"]
        if not isinstance(update_type, str) or not update_type:
            raise TypeError("update_type")
        request_date = datetime_or_none(data["request_date"])
        if not isinstance(request_date, datetime):
            raise TypeError("request_date")
        payload = Invoice.from_json(data["payload"])
    except (KeyError, TypeError, ValueError, CryptoPayError) as exc:
        raise MalformedUpdate(f"UPDATE_MALFORMED:{_field(exc)}") from None
    return CryptoPayUpdate(
        update_id=update_id, update_type=update_type, request_date=request_date, payload=payload
    )


def verify_and_parse(token: str, raw_body: bytes, signature_header: str | None) -> CryptoPayUpdate:
    """Verify the signature over the raw bytes first, then parse; never the other way round."""
    if not verify_signature(token, raw_body, signature_header):
        raise InvalidSignature()
    return parse_update(raw_body)


def _field(exc: BaseException) -> str:
    if isinstance(exc, KeyError) and exc.args:
        return str(exc.args[0])
    return type(exc).__name__
