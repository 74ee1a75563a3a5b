"""The in-process job lock: an asyncio lock per job name (memory mode, one process)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


class MemoryJobLock:
    """Excludes the runs of one job inside this process only, which is all memory mode has."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @contextlib.asynccontextmanager
    async def hold(self, name: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
