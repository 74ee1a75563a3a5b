"""Pacing outgoing Bot API calls to Telegram's limits (about 30 per second overall, one
message per second per chat), so bulk work runs at the allowed rate instead of into 429s."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger(__name__)


class SharedPace(Protocol):
    """The bot's schedule shared by every process sending for it (see adapters.sql.pace)."""

    async def reserve(self, span: float) -> float:
        """Take the next `span` seconds of the schedule; how many seconds from now they
        begin."""
        ...

    async def hold_off(self, seconds: float) -> None:
        """Nothing of the schedule begins before `seconds` from now (Telegram said 429)."""
        ...


class Throttle:
    """Reserves a send time for each call: the global rate and each chat's interval are
    scheduled independently, so a busy chat never holds up messages to other chats.

    With a `shared` pace the global rate holds across processes: slots are taken from the shared
    schedule in blocks, as many as calls are waiting (up to a quarter second's worth), one
    statement per block; a slot that went by unused is dropped, never used late. If the shared
    schedule cannot be reached, this process paces itself alone, at ALONE_SHARE of the rate
    (others are likely doing the same), until it can.

    A 429 from Telegram (`hold_off`, the Bot API client's hook) stops every call for the wait
    Telegram asked for, in this process and, shared, in all of them: calls queued meanwhile
    would only earn more 429s."""

    ALONE_SHARE = 0.5

    def __init__(self, per_second: float = 30.0, per_chat_interval: float = 1.0,
                 per_chat_burst: int = 3, clock: Callable[[], float] = time.monotonic,
                 shared: SharedPace | None = None) -> None:
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
        self._shared = shared
        self._slots: deque[float] = deque()  # taken from the shared schedule, local clock
        self._taking: asyncio.Lock | None = None
        self._waiting = 0
        self._max_block = max(1, int(per_second / 4))
        self._alone = False  # the shared schedule failed: pacing this process alone

    def reserve(self, chat_id: int | str | None = None) -> float:
        """How long to wait before this call may go out (the slot is taken now)."""
        now = self._clock()
        return max(self._local_slot(now), self._chat_slot(chat_id, now)) - now

    async def wait(self, chat_id: int | str | None = None) -> None:
        if self._shared is None:
            delay = self.reserve(chat_id)
        else:
            slot = await self._shared_slot()
            now = self._clock()
            delay = max(slot, self._chat_slot(chat_id, now)) - now
        if delay > 0:
            await asyncio.sleep(delay)

    def _local_slot(self, now: float, share: float = 1.0) -> float:
        start = max(now, self._next_global)
        self._next_global = start + 1.0 / (self.per_second * share)
        return start

    async def hold_off(self, seconds: float) -> None:
        now = self._clock()
        self._next_global = max(self._next_global, now + seconds)
        self._slots.clear()  # taken before the 429: the schedule is pushed past them
        if self._shared is not None and not self._alone:
            try:
                await self._shared.hold_off(seconds)
            except Exception as exc:  # the next slot taken finds out, and says so
                log.debug("bot api pacing: hold-off not shared (%s)", type(exc).__name__)

    def _chat_slot(self, chat_id: int | str | None, now: float) -> float:
        if chat_id is None or not self.per_chat_interval:
            return now
        tat = max(now, self._next_chat.get(chat_id, 0.0))  # theoretical arrival time
        start = max(now, tat - (self.per_chat_burst - 1) * self.per_chat_interval)
        self._next_chat[chat_id] = tat + self.per_chat_interval
        if len(self._next_chat) > 10_000:
            self._forget(now)
        return start

    async def _shared_slot(self) -> float:
        assert self._shared is not None
        self._taking = self._taking or asyncio.Lock()
        self._waiting += 1
        try:
            async with self._taking:  # callers arriving meanwhile make the next block larger
                now = self._clock()
                while self._slots and self._slots[0] < now - 1.0 / self.per_second:
                    self._slots.popleft()
                if self._slots:
                    return max(self._slots.popleft(), self._next_global)
                if self._next_global > now:  # held off after a 429: wait it out first
                    await asyncio.sleep(self._next_global - now)
                count = min(self._waiting, self._max_block)
                try:
                    begins = await self._shared.reserve(count / self.per_second)
                except Exception as exc:  # the database is away: do not stop sending for it
                    if not self._alone:
                        log.warning("bot api pacing: the shared schedule is unavailable (%s); "
                                    "pacing this process alone", type(exc).__name__)
                    self._alone = True
                    return self._local_slot(self._clock(), self.ALONE_SHARE)
                if self._alone:
                    log.info("bot api pacing: the shared schedule is back")
                    self._alone = False
                start = self._clock() + begins
                self._slots.extend(start + i / self.per_second for i in range(count))
                return self._slots.popleft()
        finally:
            self._waiting -= 1

    def _forget(self, now: float) -> None:
        self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
