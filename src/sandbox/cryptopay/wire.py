"""Read request parameters as Crypto Pay does: query string, JSON body or urlencoded form."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from starport.sandbox.cryptopay.errors import ApiError


async def request_params(request: Request) -> dict[str, Any]:
    """Query parameters, overlaid by the body's (JSON numbers with a fraction become Decimal)."""
    params: dict[str, Any] = dict(request.query_params)
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    if body and "json" in content_type:
        try:
            data = json.loads(body, parse_float=Decimal)
        except ValueError:
            raise ApiError(400, "BODY_INVALID") from None
        if not isinstance(data, dict):
            raise ApiError(400, "BODY_INVALID")
        params |= data
    elif body and "x-www-form-urlencoded" in content_type:
        params |= await form(request)
    return params


async def form(request: Request) -> dict[str, str]:
    # Parsed by hand: starlette's request.form() needs python-multipart, not a dependency.
    try:
        return dict(parse_qsl((await request.body()).decode(), keep_blank_values=True))
    except UnicodeDecodeError:
        raise ApiError(400, "BODY_INVALID") from None


def public_url(request: Request) -> str:
    """Where this app is reachable, prefix included (the scope's root_path when mounted)."""
    root = request.scope.get("root_path", "")
    return f"{request.url.scheme}://{request.url.netloc}{root}".rstrip("/")
