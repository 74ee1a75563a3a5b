"""Turn one HTTP exchange with the Bot API into a result or a typed, redacted error."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any

import httpx

from starport.adapters.telegram.errors import (
    TelegramBadResponse,
    TelegramError,
    TelegramNetworkError,
    TelegramServerError,
    error_for,
)
from starport.adapters.telegram.redact import redact

# Raised before a single byte of the request left: resending cannot act twice.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def encode_body(params: dict[str, Any]) -> bytes:
    """JSON for the request body, without the None-valued params."""
    body = {k: v for k, v in params.items() if v is not None}
    return json.dumps(body, default=_to_api, ensure_ascii=False).encode()


def network_error(method: str, exc: httpx.HTTPError, token: str) -> TelegramNetworkError:
    detail = redact(f"{type(exc).__name__}: {exc}".rstrip(": "), token)
    sent = not isinstance(exc, _NOT_SENT)
    return TelegramNetworkError(method, None, detail, request_sent=sent)


def parse_reply(method: str, response: httpx.Response, token: str) -> Any:
    """The `result` of a successful reply; raises the typed error of any other."""
    status = response.status_code
    try:
        reply = response.json()
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise _not_api_reply(method, status, response.text, token)
    if reply["ok"] and status < 400:
        return reply.get("result")
    code = reply.get("error_code")
    code = code if isinstance(code, int) and not isinstance(code, bool) else status
    description = redact(str(reply.get("description") or f"HTTP {status}"), token)
    parameters = reply.get("parameters")
    raise error_for(method, code, description, parameters if isinstance(parameters, dict) else None)


def _not_api_reply(method: str, status: int, text: str, token: str) -> TelegramError:
    snippet = redact(" ".join(text.split())[:200], token)
    description = f"not a Bot API reply (HTTP {status}): {snippet}".rstrip(": ")
    if status >= 500:
        return TelegramServerError(method, status, description)
    if status >= 400:
        return error_for(method, status, description)
    return TelegramBadResponse(method, status, description)


def _to_api(value: object) -> Any:
    to_api = getattr(value, "to_api", None)
    if callable(to_api):
        return to_api()
    if is_dataclass(value) and not isinstance(value, type):
        return {k: v for k, v in asdict(value).items() if v is not None}
    raise TypeError(f"cannot send a {type(value).__name__} to the Bot API")
