"""PostgreSQL: connections handed from one unit of work to the next without going back to
SQLAlchemy's pool in between.

Taking a connection from an `AsyncEngine` (`connect()`) and giving it back (`close()`) each
runs the pool's checkout or checkin in a new greenlet, and a new greenlet's first frame maps a
fresh data stack for the interpreter (an mmap, its page faults, a munmap when the greenlet
ends): under the payment benchmark that was about 6% of a PostgreSQL worker's CPU (perf on
Python 3.13 with its perf trampoline), for the two or three units of work of a payment. Here a
unit of work gives its connection back to a per-engine stack instead, and the next unit takes
it from there. The pool still counts it as checked out; this side never takes more from the
pool than the pool holds (`_capacity`), and a unit finding none kept and the pool's share all
out waits here, for one to be given back, up to the pool's timeout. As in the pool's own
queue, a connection given back goes to whoever takes next, and a waiter woken finds it or
waits again: handing it to the longest waiter (fair) left it idle for a turn of the event loop
each time, which cost the writers a sixth of their throughput when their pool was fair
(docs/benchmarks.md, second pass).

What the pool's checkout would have checked is checked on taking one (`_trusted`):
- a connection that rested `PING_AFTER_IDLE` or more goes back to the pool first, with its
  rest kept, so the pool's checkout pings it (`engine._ping_when_idle`);
- so does one made or last checked before the server was found to have dropped a connection
  (`engine.note_server_dropped`), and one older than the pool's recycle time.
A connection is kept only when it is idle and sound with the engine's own options
(`_keepable`); any other goes back through the pool's own checkin, which resets or discards it."""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any

from sqlalchemy import exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starport.adapters.sql import engine as engines


class KeptConnections:
    """One engine's connections between units of work (PostgreSQL, one event loop)."""

    def __init__(self, engine: AsyncEngine, recycle: float, timeout: float) -> None:
        self._engine = engine
        self._server = engines.server_of(engine.url)
        self._recycle = recycle  # seconds; negative: never
        self._timeout = timeout  # seconds a unit of work waits for a connection at most
        pool: Any = engine.pool
        self._capacity = max(1, pool.size() + max(0, getattr(pool, "_max_overflow", 0)))
        self._kept: list[tuple[AsyncConnection, float]] = []  # (connection, kept since)
        self._out = 0  # connections taken from the pool (kept, in use, or being opened)
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._closed = False  # after `close`: nothing kept any more

    def __len__(self) -> int:
        return len(self._kept)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    async def take(self) -> AsyncConnection:
        """A kept connection if one can be trusted, else a new one from the pool while this
        side holds fewer than the pool's size, else the next one given back."""
        deadline: float | None = None
        while True:
            while self._kept:
                conn, since = self._kept.pop()
                if self._trusted(conn, since):
                    return conn
                await self._back_to_pool(conn, rested_since=since)
            if self._out < self._capacity:
                self._out += 1
                try:
                    return await self._engine.connect()
                except BaseException:
                    self._out -= 1
                    self._wake()
                    raise
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self._timeout
            await self._wait(deadline)

    async def give(self, conn: AsyncConnection, *, reusable: bool = True) -> None:
        """Kept for the next unit of work when `reusable` and idle, sound and with the
        engine's options; otherwise back through the pool's checkin (a connection that broke
        is discarded there)."""
        if reusable and not self._closed and self._keepable(conn):
            self._kept.append((conn, time.monotonic()))
            self._wake()
            return
        await self._back_to_pool(conn)

    async def close(self) -> None:
        """Every kept connection back to the pool (before the engine is disposed), and those
        of units of work still running when they end."""
        self._closed = True
        kept, self._kept = self._kept, []
        for conn, since in kept:
            await self._back_to_pool(conn, rested_since=since)

    def _keepable(self, conn: AsyncConnection) -> bool:
        """Idle and sound with the engine's own options: no transaction on either side,
        nothing in flight, not closed."""
        sync = conn.sync_connection
        if sync is None or conn.invalidated or conn.in_transaction():
            return False
        if sync.get_execution_options() != self._engine.sync_engine.get_execution_options():
            return False
        fairy: Any = sync._dbapi_connection
        adapt = fairy.dbapi_connection if fairy is not None else None
        driver = getattr(adapt, "_connection", None)
        if driver is None or getattr(adapt, "_transaction", None) is not None:
            return False
        protocol = getattr(driver, "_protocol", None)
        mutex = getattr(adapt, "_execute_mutex", None)
        return not (driver.is_closed() or driver.is_in_transaction() or protocol is None
                    or protocol._is_cancelling() or mutex is None or mutex.locked())

    def _trusted(self, conn: AsyncConnection, since: float) -> bool:
        now = time.monotonic()
        if now - since >= engines.PING_AFTER_IDLE or conn.invalidated:
            return False
        info = conn.info
        if engines.suspect(info, self._server):
            return False
        return self._recycle < 0 or now - info.get(engines.BORN, now) < self._recycle

    async def _wait(self, deadline: float) -> None:
        """Until a connection is given back (or the pool's share frees up), or the deadline:
        then the pool's own timeout error, as a checkout that waited too long raises."""
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
        except BaseException as error:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled():
                self._wake()  # woken, but leaving: the wake-up goes to the next waiter
            if isinstance(error, TimeoutError):
                raise exc.TimeoutError(
                    f"no connection of the pool free within {self._timeout:g} s "
                    f"({self._capacity} in use)") from None
            raise

    def _wake(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    async def _back_to_pool(self, conn: AsyncConnection,
                            rested_since: float | None = None) -> None:
        """Checked in (reset, or discarded if it broke), with its rest counted from when it
        was kept (the checkin marks it given back now)."""
        info = conn.info if not conn.invalidated and conn.sync_connection is not None else None
        try:
            await conn.close()
        finally:
            self._out -= 1
            self._wake()
        if info is not None and rested_since is not None:
            info[engines.CHECKED_IN] = rested_since
