"""PostgreSQL: a unit of work hands its connection on to the next one instead of giving it back
to SQLAlchemy's pool (`adapters/sql/kept.py`), and the checks the pool's checkout made still
happen."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy import exc as sa_exc

from starport.adapters.sql import SqlDatabase, engine
from starport.adapters.sql import database as database_module

pytestmark = pytest.mark.postgres


def _count_checkouts(db: SqlDatabase) -> list[object]:
    checkouts: list[object] = []

    @event.listens_for(db.engine.sync_engine, "checkout")
    def _seen(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        checkouts.append(dbapi_connection)

    return checkouts


async def _pid_in_unit(db: SqlDatabase) -> int:
    async with db() as uow:
        await uow.links.get(-1)  # the short path: begins the transaction on the driver
        adapt = uow._gw.asyncpg  # type: ignore[union-attr]
        pid = int(adapt._connection.get_server_pid())
        await uow.commit()
    return pid


class _Holder:
    """A unit of work holding its connection (`inside` once it has it) until `release`."""

    def __init__(self, db: SqlDatabase) -> None:
        self.inside = asyncio.Event()
        self.release = asyncio.Event()
        self.task = asyncio.create_task(self._run(db))

    async def _run(self, db: SqlDatabase) -> None:
        async with db() as uow:
            await uow.links.get(-1)
            self.inside.set()
            await self.release.wait()
            await uow.commit()

    async def end(self) -> None:
        self.release.set()
        await self.task


async def test_units_of_work_hand_one_connection_on(pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=3, max_overflow=0)
    checkouts = _count_checkouts(db)
    try:
        pids = {await _pid_in_unit(db) for _ in range(5)}
        assert len(pids) == 1
        assert len(checkouts) == 1  # the pool's checkout ran once, for the first unit
        assert len(db.kept(db.engine)) == 1
        assert db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    finally:
        await db.dispose()


async def test_a_unit_waiting_for_a_connection_gets_the_one_given_back(pg_url: str) -> None:
    """One connection, two units: the second waits while the first runs, and gets the first's
    connection when it is given back (had it waited in the pool instead, the connection kept
    here would never reach it: a pool timeout, 1 s here)."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0, connect_timeout=1.0)
    try:
        first = _Holder(db)
        await first.inside.wait()
        two = asyncio.create_task(_pid_in_unit(db))
        for _ in range(20):  # the second unit gets to the pool and waits there
            await asyncio.sleep(0.01)
        assert db.kept(db.engine).waiting == 1
        await first.end()
        assert await two > 0  # no pool timeout
        assert len(db.kept(db.engine)) == 1
        assert db.engine.pool.checkedout() == 1  # type: ignore[attr-defined]  # never more
    finally:
        await db.dispose()


async def test_a_unit_that_waits_past_the_pool_timeout_fails_as_a_checkout_would(
        pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0, connect_timeout=0.3)
    try:
        held = _Holder(db)
        await held.inside.wait()
        with pytest.raises(sa_exc.TimeoutError):
            await _pid_in_unit(db)
        assert db.kept(db.engine).waiting == 0
        await held.end()
        assert await _pid_in_unit(db) > 0  # nothing lost: the next unit runs
    finally:
        await db.dispose()


async def test_a_connection_outside_units_of_work_takes_a_kept_one(pg_url: str) -> None:
    """`SqlDatabase.connection` takes from the kept ones first: with a pool of one, the pool
    itself has nothing left once a unit of work kept its connection."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0, connect_timeout=1.0)
    try:
        pid = await _pid_in_unit(db)
        async with db.connection(db.engine) as conn:
            assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() == pid
            await conn.rollback()
        assert len(db.kept(db.engine)) == 1
    finally:
        await db.dispose()


async def test_a_connection_with_changed_options_goes_back_to_the_pool(pg_url: str) -> None:
    """Kept, an AUTOCOMMIT connection would make the next unit's writes commit one by one."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    try:
        async with db.connection(db.engine) as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT 1"))
            await conn.commit()  # idle again: only its options tell
        assert len(db.kept(db.engine)) == 0
        async with db() as uow:
            await uow.links.get(-1)  # the short path: BEGIN on the driver, unless autocommit
            adapt = uow._gw.asyncpg  # type: ignore[union-attr]
            assert adapt._connection.is_in_transaction()  # the server says so
            await uow.commit()
    finally:
        await db.dispose()


async def test_a_unit_cancelled_mid_statement_does_not_keep_its_connection(
        pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    try:
        async def slow() -> None:
            async with db() as uow:
                await uow.links.get(-1)
                await uow._gw.conn.execute(text("SELECT pg_sleep(5)"))  # type: ignore[union-attr]

        task = asyncio.create_task(slow())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert len(db.kept(db.engine)) == 0  # it went back through the pool's checkin
        assert await _pid_in_unit(db) > 0  # and the next unit of work runs
    finally:
        await db.dispose()


async def test_a_connection_inside_a_transaction_the_pool_never_saw_is_not_kept(
        pg_url: str) -> None:
    """A transaction begun on the driver, unknown to SQLAlchemy (as the short path begins
    them): handed on, the next unit of work would run inside it."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    try:
        async with db.connection(db.engine) as conn:
            raw: Any = await conn.get_raw_connection()
            await raw.driver_connection.execute("BEGIN")
            assert not conn.in_transaction()  # SQLAlchemy knows nothing of it
        assert len(db.kept(db.engine)) == 0
    finally:
        await db.dispose()


async def test_an_ended_unit_cannot_reach_the_connection_it_handed_on(pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    try:
        async with db() as uow:
            links = uow.links
            await links.get(-1)
            await uow.commit()
        assert len(db.kept(db.engine)) == 1
        with pytest.raises(RuntimeError, match="ended"):
            await links.get(-2)
    finally:
        await db.dispose()


async def test_a_kept_connection_is_checked_after_the_server_dropped_one(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The server ended the kept connection (a restart) and another unit found out: the kept
    one is pinged before use, found dead and replaced, and the next unit runs."""
    monkeypatch.setattr(engine, "PING_AFTER_IDLE", 3600.0)  # back in use at once: no rest
    db = SqlDatabase(pg_url, pool_size=2, max_overflow=0)
    pings: list[object] = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    try:
        first = await _pid_in_unit(db)
        other = SqlDatabase(pg_url)
        try:
            async with other.connection(other.engine) as conn:
                await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
                await conn.commit()
        finally:
            await other.dispose()
        engine.note_server_dropped(pg_url)  # as the unit of work that met it would
        assert await _pid_in_unit(db) != first
        assert len(pings) == 1
    finally:
        await db.dispose()


async def test_a_kept_connection_past_its_recycle_time_goes_back_to_the_pool(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_module, "RECYCLE", 0.0)
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    checkouts = _count_checkouts(db)
    try:
        for _ in range(3):
            await _pid_in_unit(db)
        assert len(checkouts) == 3  # every unit through the pool's checkout
    finally:
        await db.dispose()


async def test_dispose_gives_the_kept_connections_back(pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=2, max_overflow=0)
    await _pid_in_unit(db)
    async with db(read_only=True) as uow:
        await uow.links.get(-1)
    assert len(db.kept(db.engine)) == 1 and len(db.kept(db.read_engine)) == 1
    pool: Any = db.engine.pool
    await db.dispose()
    assert pool.checkedout() == 0


async def test_a_unit_ending_after_dispose_gives_its_connection_back_to_the_pool(
        pg_url: str) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    held = _Holder(db)
    await held.inside.wait()
    kept = db.kept(db.engine)
    await db.dispose()  # a shutdown while the unit runs
    await held.end()
    assert len(kept) == 0  # not kept for nobody
    assert kept._out == 0
    await db.dispose()
