"""Strict field readers for Crypto Pay JSON: Decimal amounts from strings, aware datetimes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from adapters.cryptopay.errors import InvalidResponse

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


def datetime_or_none(value: object) -> datetime | None:
    """An aware datetime from ISO 8601 (`2024-01-01T12:00:00.000Z`); naive means UTC."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidResponse("DATETIME_INVALID")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidResponse("DATETIME_INVALID") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def str_or_none(value: object) -> str | None:
    """An optional string field."""
    if value is None or isinstance(value, str):
        return value
    raise InvalidResponse("STRING_EXPECTED")


def string_tuple(value: object) -> tuple[str, ...]:
    """A list of codes sent as a JSON array or a comma-separated string."""
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise InvalidResponse("LIST_EXPECTED")
