"""`KeptConnections`' waiting, without a database: a wake-up is never lost."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from sqlalchemy import exc

from starport.adapters.sql.kept import KeptConnections


def _kept(timeout: float = 5.0) -> KeptConnections:
    pool = SimpleNamespace(size=lambda: 1, _max_overflow=0)
    engine = SimpleNamespace(url="postgresql+asyncpg://u@h:5432/d", pool=pool)
    return KeptConnections(engine, recycle=-1.0, timeout=timeout)  # type: ignore[arg-type]


async def _turns(n: int = 5) -> None:
    for _ in range(n):
        await asyncio.sleep(0)


async def test_a_waiter_woken_but_cancelled_before_it_runs_passes_the_wake_up_on() -> None:
    kept = _kept()
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(kept._wait(loop.time() + 5))
    second = asyncio.create_task(kept._wait(loop.time() + 5))
    await _turns()
    assert kept.waiting == 2
    kept._wake()  # a connection given back: `first` is woken...
    first.cancel()  # ...and cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await first
    await _turns()
    assert second.done() and second.exception() is None
    assert kept.waiting == 0


async def test_a_wake_up_goes_to_the_longest_waiter_first() -> None:
    kept = _kept()
    loop = asyncio.get_running_loop()
    first = asyncio.create_task(kept._wait(loop.time() + 5))
    second = asyncio.create_task(kept._wait(loop.time() + 5))
    await _turns()
    kept._wake()
    await _turns()
    assert first.done() and not second.done()
    kept._wake()
    await _turns()
    assert second.done()


async def test_a_waiter_past_its_deadline_gets_the_pools_timeout_error_and_leaves() -> None:
    kept = _kept(timeout=0.05)
    loop = asyncio.get_running_loop()
    with pytest.raises(exc.TimeoutError):
        await kept._wait(loop.time() + 0.05)
    assert kept.waiting == 0
    kept._wake()  # nobody left to wake: no error
