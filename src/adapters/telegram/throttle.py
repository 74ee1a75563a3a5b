"""Pacing outgoing Bot API calls to Telegram's limits (about 30 per second overall, one
message per second per chat), so bulk work runs at the allowed rate instead of into 429s."""

from __future__ import annotations

import asyncio
import logging
import math
import time
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
    schedule in blocks, one statement per block: as many slots as calls are waiting, and at
    least BLOCK_SPAN's worth (up to a quarter second's worth); a slot that went by unused is
    dropped, never used late. At Telegram's 30 per second a block is the waiting calls (BLOCK_SPAN
    holds one and a half slots); at a high rate (paid broadcasts, a stand-in) one statement
    serves every call of the next BLOCK_SPAN instead of each few calls taking one, and another
    process busy at the same time takes the stretch after it (its calls wait at most that
    long). If the shared schedule cannot be reached, this process paces itself alone, at
    ALONE_SHARE of the rate (others are likely doing the same), until it can.

    A 429 from Telegram (`hold_off`, the Bot API client's hook) stops every call for the wait
    Telegram asked for, in this process and, shared, in all of them: calls queued meanwhile
    would only earn more 429s."""

    ALONE_SHARE = 0.5
    BLOCK_SPAN = 0.05  # seconds: the least stretch of the shared schedule one take covers

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
        # The block last taken from the shared schedule (local clock): its first slot, its
        # number of slots, and how many of them are used or went by.
        self._block = (0.0, 0)
        self._used = 0
        self._taking: asyncio.Lock | None = None
        self._waiting = 0
        self._max_block = max(1, int(per_second / 4))
        self._min_block = max(1, min(self._max_block, int(per_second * self.BLOCK_SPAN)))
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
        self._used = self._block[1]  # taken before the 429: the schedule is pushed past them
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
                slot = self._from_block(now)
                if slot is not None:
                    return max(slot, self._next_global)
                if self._next_global > now:  # held off after a 429: wait it out first
                    await asyncio.sleep(self._next_global - now)
                count = min(max(self._waiting, self._min_block), self._max_block)
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
                self._block, self._used = (self._clock() + begins, count), 1
                return self._block[0]
        finally:
            self._waiting -= 1

    def _from_block(self, now: float) -> float | None:
        """The block's next slot, skipping those that went by unused (more than one interval
        ago); None when it has none left."""
        start, count = self._block
        gone = math.ceil((now - start) * self.per_second) - 1  # slots before now - 1/rate
        k = max(self._used, gone)
        if k >= count:
            return None
        self._used = k + 1
        return start + k / self.per_second

    def _forget(self, now: float) -> None:
        self._next_chat = {k: v for k, v in self._next_chat.items() if v > now}
