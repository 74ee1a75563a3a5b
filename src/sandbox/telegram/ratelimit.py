"""Flood limits (token buckets per bot and per chat, answering 429) and a fault injector."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starport.sandbox.telegram.errors import ApiError


@dataclass
class Limits:
    """Rates of the sending methods; `enabled=False` turns every limit off (for fast tests)."""

    enabled: bool = True
    global_per_second: float = 30.0
    global_burst: float = 30.0
    per_chat_per_second: float = 1.0
    per_chat_burst: float = 3.0  # Telegram tolerates short bursts, then answers 429


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def refill(self, now: float, rate: float, burst: float) -> None:
        self.tokens = min(burst, self.tokens + (now - self.updated) * rate)
        self.updated = now

    def wait(self, rate: float) -> float:
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / rate


class RateLimiter:
    """One bot's buckets: ~30 messages per second overall, ~1 per second per chat."""

    def __init__(
        self, limits: Callable[[], Limits], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limits = limits  # read at each call: changes to the settings apply at once
        self._clock = clock
        self._global: _Bucket | None = None
        self._chats: dict[str, _Bucket] = {}

    def acquire(self, chat_key: str) -> None:
        """Take one message of `chat_key`'s budget or raise the 429 Telegram would answer."""
        lim = self._limits()
        if not lim.enabled:
            return
        now = self._clock()
        if self._global is None:
            self._global = _Bucket(lim.global_burst, now)
        chat = self._chats.setdefault(chat_key, _Bucket(lim.per_chat_burst, now))
        self._global.refill(now, lim.global_per_second, lim.global_burst)
        chat.refill(now, lim.per_chat_per_second, lim.per_chat_burst)
        wait = max(self._global.wait(lim.global_per_second), chat.wait(lim.per_chat_per_second))
        if wait > 0:
            raise ApiError(429, retry_after=max(1, math.ceil(wait)))
        self._global.tokens -= 1
        chat.tokens -= 1


@dataclass
class Fault:
    """The next `remaining` calls of `method` fail with `error_code` (500, 502, 429...)."""

    method: str
    remaining: int
    error_code: int = 500
    retry_after: int = 1
    description: str | None = None

    def error(self) -> ApiError:
        if self.error_code == 429:
            return ApiError(429, self.description, retry_after=self.retry_after)
        return ApiError(self.error_code, self.description)


@dataclass
class FaultInjector:
    """Planned failures, consumed in order; `method="*"` matches every method."""

    faults: list[Fault] = field(default_factory=list)

    def inject(
        self,
        method: str,
        times: int = 1,
        error_code: int = 500,
        *,
        retry_after: int = 1,
        description: str | None = None,
    ) -> Fault:
        fault = Fault(method.lower(), times, error_code, retry_after, description)
        self.faults.append(fault)
        return fault

    def take(self, method: str) -> ApiError | None:
        for fault in self.faults:
            if fault.remaining > 0 and fault.method in (method.lower(), "*"):
                fault.remaining -= 1
                return fault.error()
        self.faults = [f for f in self.faults if f.remaining > 0]
        return None

    def clear(self) -> None:
        self.faults.clear()
