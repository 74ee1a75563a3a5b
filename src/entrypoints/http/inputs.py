"""What input may reach storage: text PostgreSQL can hold (no NUL, no lone surrogate), whole
numbers that fit 64 bits, counts of ASCII digits. Checked at the edge, refused with a 4xx."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from starport.adapters.text import UNSTORABLE
from starport.entrypoints.http.errors import ApiError

INT64 = 2**63 - 1


def _refuse_unstorable(text: str) -> str:
    if UNSTORABLE.search(text):
        raise ValueError("contains a character that cannot be stored (NUL or a lone surrogate)")
    return text


Text = Annotated[str, AfterValidator(_refuse_unstorable)]


def whole(raw: str, name: str, low: int, high: int) -> int:
    """An integer from a path or query parameter: ASCII digits only (`str.isdigit` also takes
    "²" and "٣"), within [low, high]."""
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ApiError(422, "invalid_request", f"{name} must be a whole number {low}..{high}")
    return int(raw)


def storable_param(raw: str, name: str) -> str:
    if UNSTORABLE.search(raw):
        raise ApiError(422, "invalid_request", f"{name} contains a character that cannot be "
                                               "stored")
    return raw


def moment(params: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 time with its zone from a query parameter (none when absent)."""
    raw = params.get(name)
    if not raw:
        return None
    try:
        found = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "invalid_request", f"{name} is an ISO 8601 time") from None
    if found.tzinfo is None:
        raise ApiError(422, "invalid_request", f"{name} needs a time zone (e.g. Z)")
    return found


def page_cursor(params: Mapping[str, str], name: str = "before"
                ) -> tuple[datetime, str] | None:
    """The next page of a list newest first: `<time>,<id>` of the last row shown (the id
    tells apart rows of the same time)."""
    if not params.get(name):
        return None
    at, _, row_id = params[name].rpartition(",")
    when = moment({name: at}, name)
    if when is None or not row_id:
        raise ApiError(422, "invalid_request", f"{name} is <time>,<id> of the last row shown")
    return when, storable_param(row_id, name)
