"""One HTTP exchange with the Bot API (aiohttp, or an injected httpx client), turned into a
result or a typed, redacted error."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import asdict, is_dataclass
from typing import Any

import aiohttp
import httpx

from starport.adapters.telegram.errors import (
    TelegramBadResponse,
    TelegramError,
    TelegramNetworkError,
    TelegramServerError,
    error_for,
)
from starport.adapters.telegram.redact import redact

# Raised before a single byte of the request left: resending cannot act twice. (aiohttp's
# connect timeout covers the wait for a pooled connection too, as httpx's PoolTimeout does.)
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout,
             aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
_JSON = {"Content-Type": "application/json"}


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for the URL (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, in
    either case), unless NO_PROXY exempts its host."""
    parts = urllib.parse.urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    if parts.hostname and urllib.request.proxy_bypass_environment(parts.hostname, proxies):
        return None
    return proxies.get(parts.scheme) or proxies.get("all")


async def post_aiohttp(session: aiohttp.ClientSession, url: str, body: bytes, timeout: float,
                       connect: float) -> tuple[int, bytes]:
    """POST the JSON body; the status and the whole reply. A read may take `timeout`, getting
    a connection `connect`. Raises aiohttp's errors and TimeoutError."""
    limits = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=timeout)
    async with session.post(url, data=body, headers=_JSON, timeout=limits,
                            allow_redirects=False) as response:  # as httpx: none followed
        return response.status, await response.read()


async def post_httpx(http: httpx.AsyncClient, url: str, body: bytes, timeout: float,
                     connect: float) -> tuple[int, bytes]:
    """As `post_aiohttp`, with an httpx client (one given to the Bot API client)."""
    response = await http.post(url, content=body, headers=_JSON,
                               timeout=httpx.Timeout(timeout, connect=connect))
    try:
        return response.status_code, response.content
    finally:
        # The body is read: drop the stream, which points back at the response. Left, that
        # cycle made every call ~40 objects only the garbage collector frees, and its rare
        # large collections stalled the event loop for 60-80 ms.
        response.stream = None  # type: ignore[assignment]


# What an exchange raises when it fails on the way (not an answer of the Bot API's)
NETWORK_ERRORS = (httpx.HTTPError, aiohttp.ClientError, TimeoutError)


def encode_body(params: dict[str, Any]) -> bytes:
    """JSON for the request body, without the None-valued params."""
    body = {k: v for k, v in params.items() if v is not None}
    return json.dumps(body, default=_to_api, ensure_ascii=False).encode()


def network_error(method: str, exc: BaseException, token: str) -> TelegramNetworkError:
    detail = redact(f"{type(exc).__name__}: {exc}".rstrip(": "), token)
    sent = not isinstance(exc, _NOT_SENT)
    return TelegramNetworkError(method, None, detail, request_sent=sent)


def parse_reply(method: str, status: int, content: bytes, token: str) -> Any:
    """The `result` of a successful reply; raises the typed error of any other."""
    try:
        reply = json.loads(content)
    except ValueError:
        reply = None
    if not isinstance(reply, dict) or not isinstance(reply.get("ok"), bool):
        raise _not_api_reply(method, status, content.decode(errors="replace"), token)
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
