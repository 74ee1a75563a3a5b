"""BotApiClient: one pooled HTTP client, retries within bounds, typed errors, no token leaks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import httpx
import structlog

from starport.adapters.telegram.errors import (
    BotBlocked,
    TelegramError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from starport.adapters.telegram.methods_bot import BotMethods
from starport.adapters.telegram.methods_chats import ChatMethods
from starport.adapters.telegram.methods_payments import PaymentMethods
from starport.adapters.telegram.ratelimit import RetryPolicy, safe_to_repeat
from starport.adapters.telegram.redact import install_log_redaction, redact
from starport.adapters.telegram.transport import encode_body, network_error, parse_reply

OnCall = Callable[[str, str, float], None]
Sleep = Callable[[float], Awaitable[Any]]

_log = structlog.get_logger(__name__)
_JSON = {"Content-Type": "application/json"}
# Answers to queries Telegram waits on (10 s for a pre-checkout, less for a button): a few
# seconds each, never retried.
ANSWERS = frozenset({"answerPreCheckoutQuery", "answerCallbackQuery", "answerShippingQuery",
                     "answerInlineQuery", "answerWebAppQuery"})
ANSWER_TIMEOUT = 3.0
CONNECT_TIMEOUT = 3.0


class BotApiClient(BotMethods, PaymentMethods, ChatMethods):
    """Async Telegram Bot API client. Results are the JSON `result` (dicts, lists, bools)."""

    def __init__(
        self,
        token: str,
        base_url: str = "https://api.telegram.org",
        test_env: bool = False,
        http: httpx.AsyncClient | None = None,
        max_retries: int = 3,
        backoff_cap: float = 8.0,
        sleep: Sleep = asyncio.sleep,
        on_call: OnCall | None = None,
        *,
        on_flood: Callable[[float], Awaitable[None]] | None = None,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
    ) -> None:
        if not token or any(c in token for c in "/?# "):
            raise ValueError("the bot token is empty or malformed")
        self._token = token
        self._prefix = f"{base_url.rstrip('/')}/bot{token}/" + ("test/" if test_env else "")
        self._base_url = base_url
        self._test_env = test_env
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(timeout=timeout)
        self._timeout = timeout
        self._policy = policy or RetryPolicy(max_retries=max_retries, backoff_cap=backoff_cap)
        self._sleep = sleep
        self._on_call = on_call
        self._on_flood = on_flood  # a 429: the throttle holds every call off for its wait
        install_log_redaction()

    def __repr__(self) -> str:
        return f"BotApiClient(base_url={self._base_url!r}, test_env={self._test_env})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def call(self, method: str, /, **params: Any) -> Any:
        """Call any Bot API method; None-valued params are not sent. Returns `result`.

        Timeouts fit the call: an answer to a query Telegram waits on (a pre-checkout, a button
        press) gets a few seconds and no retry, since its moment passes; long polling gets its
        own wait on top; anything else the client's timeout. Connecting never takes more than
        CONNECT_TIMEOUT."""
        body = encode_body(params)
        timeout = self._timeout
        if method in ANSWERS:
            timeout = min(timeout, ANSWER_TIMEOUT)
        if method == "getUpdates" and isinstance(params.get("timeout"), int):
            timeout += params["timeout"]  # long polling holds the request open that long
        flood_waits = failures = 0
        while True:
            try:
                return await self._attempt(method, body, timeout)
            except TelegramRetryAfter as exc:
                if self._on_flood is not None:
                    await self._on_flood(float(exc.retry_after))
                if method in ANSWERS or not self._policy.may_wait_flood(flood_waits,
                                                                         exc.retry_after):
                    raise
                flood_waits += 1
                await self._sleep(exc.retry_after)
            except TelegramError as exc:
                if not self._may_retry(method, exc, failures):
                    raise
                failures += 1
                await self._sleep(self._policy.backoff(failures))

    def _may_retry(self, method: str, exc: TelegramError, failures: int) -> bool:
        if not exc.retryable or failures >= self._policy.max_retries or method in ANSWERS:
            return False
        # The request may have reached Telegram: only resend what is harmless to repeat.
        unsent = isinstance(exc, TelegramNetworkError) and not exc.request_sent
        return unsent or safe_to_repeat(method)

    async def _attempt(self, method: str, body: bytes, timeout: float) -> Any:
        started = time.perf_counter()
        error: TelegramError
        try:
            url = self._prefix + method
            response = await self._http.post(url, content=body, headers=_JSON,
                                             timeout=httpx.Timeout(
                                                 timeout, connect=min(timeout, CONNECT_TIMEOUT)))
        except httpx.HTTPError as exc:
            error = network_error(method, exc, self._token)
        else:
            try:
                result = parse_reply(method, response, self._token)
            except TelegramError as exc:
                error = exc
            else:
                self._report(method, "ok", started)
                return result
            finally:
                # The body is read: drop the stream, which points back at the response. Left,
                # that cycle made every call ~40 objects only the garbage collector frees, and
                # its rare large collections stalled the event loop for 60-80 ms.
                response.stream = None  # type: ignore[assignment]
        self._report(method, error.outcome, started, error)
        # Raised outside the except block, so no httpx exception (URL, token) is chained to it.
        raise error

    def _report(
        self, method: str, outcome: str, started: float, exc: TelegramError | None = None
    ) -> None:
        seconds = time.perf_counter() - started
        fields: dict[str, Any] = {"method": method, "outcome": outcome}
        fields["duration_ms"] = round(seconds * 1000, 1)
        if exc is None:
            _log.info("telegram.call", **fields)
        else:
            # A blocked user is an everyday event, not a problem to look into.
            log = _log.info if isinstance(exc, BotBlocked) else _log.warning
            error = redact(exc.description, self._token)
            log("telegram.call", error_code=exc.error_code, error=error, **fields)
        if self._on_call is not None:
            try:
                self._on_call(method, outcome, seconds)
            except Exception:  # a broken metrics hook must not fail a payment
                _log.exception("telegram.on_call_failed", method=method)
