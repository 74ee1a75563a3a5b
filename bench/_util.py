"""Benchmark helpers: run N operations with a fixed concurrency and report operations/second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


async def rate(operations: int, concurrency: int, op: Callable[[int], Awaitable[object]]) -> float:
    """Operations per second for `op(0..operations-1)`, at most `concurrency` at a time."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(operations):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            await op(queue.get_nowait())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return operations / (time.perf_counter() - started)


def table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True))
                     for r in rows)
