"""Pacing outgoing Bot API calls to Telegram's limits (about 30 per second overall, one
message per second per chat), so bulk work runs at the allowed rate instead of into 429s."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Throttle:
    """Reserves a send time for each call: the global rate and each chat's interval are
    scheduled independently, so a busy chat never holds up messages to other chats."""

    def __init__(self, per_second: float = 30.0, per_chat_interval: float = 1.0,
                 per_chat_burst: int = 3, clock: Callable[[], float] = time.monotonic) -> None:
        if per_second <= 0 or per_chat_interval < 0 or per_chat_burst < 1:
            raise ValueError("the rate must be positive, the interval not negative, burst >= 1")
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        # A short burst in one chat (a confirmation right after an invoice) is fine with
        # Telegram; a sustained stream is paced to one message per interval (GCRA).
        self.per_chat_burst = per_chat_burst
        self._clock = clock
        self._next_global = 0.0
        self._next_chat: dict[int | str, float] = {}

    def reserve(self, chat_id: int | str | None = None) -> float:
        """How long to wait before this call may go out (the slot is taken now)."""
        now = self._clock()
        start = max(now, self._next_global)
        self._next_global = start + 1.0 / self.per_second
        if chat_id is not None and self.per_chat_interval:
            tat = max(now, self._next_chat.get(chat_id, 0.0))  # theoretical arrival time
            chat_start = max(now, tat - (self.per_chat_burst - 1) * self.per_chat_interval)
            self._next_chat[chat_id] = tat + self.per_chat_interval
            start = max(start, chat_start)
            if len(self._next_chat) > 10_000:
                self._forget(now)
        return start - now

    async def wait(self, chat_id: int | str | None = None) -> None:
        delay = self.reserve(chat_id)
        if delay > 0:
            await asyncio.sleep(delay)

    def _forget(self, now: float) -> None:
        self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
