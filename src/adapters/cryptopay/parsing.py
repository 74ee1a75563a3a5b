"""Strict field readers for Crypto Pay JSON: Decimal amounts from strings, aware datetimes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from starport.adapters.cryptopay.errors import InvalidResponse

Json = Mapping[str, Any]


def loads(raw: bytes | str) -> Any:
    """Parse JSON so that a number with a fraction becomes a Decimal, never a float."""
    return json.loads(raw, parse_float=Decimal)


def decimal_or_none(value: object) -> Decimal | None:
    """A Decimal from a string or int amount (`"10.5"`); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool | float):
        raise InvalidResponse(f"AMOUNT_NOT_DECIMAL:{type(value).__name__}")
    try:
        result = Decimal(value) if isinstance(value, str | int | Decimal) else None
    except InvalidOperation:
        result = None
    if result is None or not result.is_finite():
        raise InvalidResponse("AMOUNT_INVALID")
    return result


def decimal(value: object) -> Decimal:
    """A required amount."""
    result = decimal_or_none(value)
    if result is None:
        raise InvalidResponse("AMOUNT_MISSING")
    return result
