"""BotApiClient: one pooled HTTP client, retries within bounds, typed errors, no token leaks.

Calls go through aiohttp (one session, opened on the first call): under a burst of
confirmations an httpx call cost about 1.3 ms of CPU, an aiohttp call under 0.1 ms (32 calls
at once against a local stand-in; `bench/webhook.py` counts what it means per payment). An
httpx client given as `http` is used instead (the unit tests script the Bot API with one)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self

import aiohttp
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
from starport.adapters.telegram.transport import (
    NETWORK_ERRORS,
    encode_body,
    env_proxy,
    network_error,
    parse_reply,
    post_aiohttp,
    post_httpx,
)

OnCall = Callable[[str, str, float], None]
Sleep = Callable[[float], Awaitable[Any]]

_log = structlog.get_logger(__name__)
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
        self._http = http  # given: used as it is, and left open
        self._session: aiohttp.ClientSession | None = None  # ours: opened on the first call
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
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _opened(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # A proxy from HTTP(S)_PROXY / NO_PROXY, as httpx took it, read once here: aiohttp's
            # trust_env reads the environment and ~/.netrc again on every request (a fifth of
            # the server's CPU in a benchmark run).
            self._session = aiohttp.ClientSession(proxy=env_proxy(self._prefix))
        return self._session

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
        url, connect = self._prefix + method, min(timeout, CONNECT_TIMEOUT)
        try:
            if self._http is not None:
                status, content = await post_httpx(self._http, url, body, timeout, connect)
            else:
                status, content = await post_aiohttp(self._opened(), url, body, timeout,
                                                     connect)
        except NETWORK_ERRORS as exc:
            error = network_error(method, exc, self._token)
        else:
            try:
                result = parse_reply(method, status, content, self._token)
            except TelegramError as exc:
                error = exc
            else:
                self._report(method, "ok", started)
                return result
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
