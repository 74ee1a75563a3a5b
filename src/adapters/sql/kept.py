"""PostgreSQL: connections handed from one unit of work to the next without going back to
SQLAlchemy's pool in between.

Taking a connection from an `AsyncEngine` (`connect()`) and giving it back (`close()`) each
runs the pool's checkout or checkin in a new greenlet, and a new greenlet's first frame maps a
fresh data stack for the interpreter (an mmap, its page faults, a munmap when the greenlet
ends): under the payment benchmark that was about 6% of a PostgreSQL worker's CPU (perf on
Python 3.13 with its perf trampoline), for the two or three units of work of a payment. Here a
unit of work gives its connection back to a per-engine stack instead, and the next unit takes
it from there; the pool still counts it as checked out, so the pool's size still bounds the
connections.

What the pool's checkout would have checked is checked on taking one (`_trusted`):
- a connection that rested `PING_AFTER_IDLE` or more goes back to the pool first, with its
  rest kept, so the pool's checkout pings it (`engine._ping_when_idle`);
- so does one made or last checked before the server was found to have dropped a connection
  (`engine.note_server_dropped`), and one older than the pool's recycle time.
A connection is kept only when it is idle and sound (`keepable`); any other goes back through
the pool's own checkin, which resets or discards it, as before. While a unit of work waits for
the pool, connections go back to the pool, to the waiting unit, rather than onto the stack."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starport.adapters.sql import engine as engines


class KeptConnections:
    """One engine's connections between units of work (PostgreSQL, one event loop)."""

    def __init__(self, engine: AsyncEngine, recycle: float) -> None:
        self._engine = engine
        self._server = engines.server_of(engine.url)
        self._recycle = recycle  # seconds; negative: never
        self._kept: list[tuple[AsyncConnection, float]] = []  # (connection, kept since)
        self._waiting = 0  # units of work waiting for the pool

    def __len__(self) -> int:
        return len(self._kept)

    async def take(self) -> AsyncConnection:
        """The connection kept last, if it can be trusted without a check; else the pool's."""
        while self._kept:
            conn, since = self._kept.pop()
            if self._trusted(conn, since):
                return conn
            await _back_to_pool(conn, rested_since=since)
        self._waiting += 1
        try:
            return await self._engine.connect()
        finally:
            self._waiting -= 1

    async def give(self, conn: AsyncConnection) -> None:
        """Kept for the next unit of work when it is idle and sound and nobody waits for the
        pool; otherwise back through the pool's checkin."""
        if (self._waiting or not keepable(conn)
                or conn.sync_connection is None
                or conn.sync_connection.get_execution_options()
                != self._engine.sync_engine.get_execution_options()):
            await conn.close()
            return
        self._kept.append((conn, time.monotonic()))

    async def close(self) -> None:
        """Every kept connection back to the pool (before the engine is disposed)."""
        kept, self._kept = self._kept, []
        for conn, since in kept:
            await _back_to_pool(conn, rested_since=since)

    def _trusted(self, conn: AsyncConnection, since: float) -> bool:
        now = time.monotonic()
        if now - since >= engines.PING_AFTER_IDLE or conn.invalidated:
            return False
        info = conn.info
        if engines.suspect(info, self._server):
            return False
        return self._recycle < 0 or now - info.get(engines.BORN, now) < self._recycle


def keepable(conn: AsyncConnection) -> bool:
    """Idle and sound: no transaction on either side, nothing in flight, not closed."""
    if conn.invalidated or conn.in_transaction():
        return False
    sync = conn.sync_connection
    fairy: Any = sync._dbapi_connection if sync is not None else None
    adapt = fairy.dbapi_connection if fairy is not None else None
    driver = getattr(adapt, "_connection", None)
    if driver is None or getattr(adapt, "_transaction", None) is not None:
        return False
    protocol = getattr(driver, "_protocol", None)
    mutex = getattr(adapt, "_execute_mutex", None)
    return not (driver.is_closed() or driver.is_in_transaction() or protocol is None
                or protocol._is_cancelling() or mutex is None or mutex.locked())


async def _back_to_pool(conn: AsyncConnection, rested_since: float) -> None:
    """Checked in, with its rest counted from when it was kept (the checkin marks it now)."""
    info = conn.info if not conn.invalidated else None
    await conn.close()  # its checkin marks it given back now
    if info is not None:
        info[engines.CHECKED_IN] = rested_since
