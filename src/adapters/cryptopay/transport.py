"""One Crypto Pay call over HTTP: the token header, bounded retries, typed errors."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx
import structlog

from starport.adapters.cryptopay.errors import (
    CryptoPayError,
    CryptoPayUnavailable,
    InvalidResponse,
    error_for,
)
from starport.adapters.cryptopay.params import Params
from starport.adapters.cryptopay.parsing import loads

TOKEN_HEADER = "Crypto-Pay-API-Token"

log = structlog.get_logger(__name__)


class Transport:
    """POSTs JSON to `{base_url}/{method}`; retries 5xx and network errors, never 4xx."""

    def __init__(
        self,
        base_url: str,
        token: str,
        http: httpx.AsyncClient,
        *,
        retries: int,
        backoff: float,
        max_backoff: float,
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {TOKEN_HEADER: token}  # sent per request: never in a client repr
        self._http = http
        self._retries = retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._sleep = sleep

    async def call(self, method: str, params: Params | None = None) -> Any:
        """The `result` of a successful call, or a typed CryptoPayError."""
        attempts = self._retries + 1
        last: CryptoPayError = CryptoPayUnavailable(method=method)
        for attempt in range(1, attempts + 1):
            try:
                response = await self._http.post(
                    f"{self.base_url}/{method}", json=params or {}, headers=self._headers
                )
            except httpx.TransportError as exc:
                last = CryptoPayUnavailable(f"NETWORK_{type(exc).__name__}", method=method)
                log.warning("cryptopay.retryable", method=method, attempt=attempt, error=last.name)
            else:
                if response.status_code < 500:
                    return _result(method, response)
                last = _error(method, response)
                log.warning("cryptopay.retryable", method=method, attempt=attempt, status=last.code)
            if attempt < attempts:
                await self._sleep(self.delay(attempt))
        log.error("cryptopay.unavailable", method=method, attempts=attempts, error=last.name)
        raise CryptoPayUnavailable(last.name, last.code, method=method)

    def delay(self, attempt: int) -> float:
        """Capped exponential backoff before retry number `attempt` (1-based)."""
        return min(self._max_backoff, self._backoff * float(2 ** (attempt - 1)))


def _result(method: str, response: httpx.Response) -> Any:
    body = _body(response)
    if body is not None and body.get("ok") is True and "result" in body:
        return body["result"]
    raise _error(method, response, body)


def _error(method: str, response: httpx.Response, body: Any = None) -> CryptoPayError:
    body = body if body is not None else _body(response)
    error = body.get("error") if isinstance(body, Mapping) else None
    if isinstance(error, Mapping) and isinstance(error.get("name"), str):
        code = error.get("code")
        code = code if isinstance(code, int) else response.status_code
        return error_for(code, error["name"], method=method)
    if response.is_success:
        return InvalidResponse("NOT_A_CRYPTO_PAY_RESPONSE", method=method)
    return error_for(response.status_code, f"HTTP_{response.status_code}", method=method)


def _body(response: httpx.Response) -> Mapping[str, Any] | None:
    try:
        body = loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    return body if isinstance(body, Mapping) else None
