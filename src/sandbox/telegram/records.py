"""Records of the calls the sandbox received: each call, each spec violation, counters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from starport.sandbox.telegram.spec_model import UploadedFile

_SECRET_PARAMS = frozenset({"secret_token", "provider_token"})


class Call(NamedTuple):
    """One Bot API call as received (secrets masked) and how it ended."""

    method: str
    params: dict[str, Any]
    ok: bool
    description: str | None


class SpecViolation(NamedTuple):
    """A call that broke the Bot API spec (an unknown method, a missing or mistyped field)."""

    method: str
    params: dict[str, Any]
    description: str


@dataclass
class Stats:
    calls: int = 0
    errors: int = 0
    too_many_requests: int = 0  # every 429 answered, rate limits and injected faults alike
    rate_limited: int = 0
    injected_faults: int = 0


def mask(params: Mapping[str, Any]) -> dict[str, Any]:
    """Params fit for records and logs: secret values replaced, uploads summarised."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in _SECRET_PARAMS and value:
            value = "***"
        elif isinstance(value, UploadedFile):
            value = f"<file {value.filename}, {len(value.content)} bytes>"
        out[key] = value
    return out
