"""PostgreSQL's pool: a connection that rested is pinged at checkout and replaced if the server
dropped it; one back in use at once is trusted (engine._ping_when_idle)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from starport.adapters.sql import SqlDatabase, engine

pytestmark = pytest.mark.postgres


async def _backend_pid(db: SqlDatabase) -> int:
    async with db.connection(db.engine) as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        await conn.rollback()
    return int(pid)


async def _drop(db: SqlDatabase, pid: int) -> None:
    async with db.connection(db.engine) as conn:
        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await conn.commit()


async def test_a_rested_connection_the_server_dropped_is_replaced_unseen(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=1)
    try:
        first = await _backend_pid(db)
        other = SqlDatabase(pg_url)
        try:
            await _drop(other, first)
        finally:
            await other.dispose()
        monkeypatch.setattr(engine, "PING_AFTER_IDLE", 0.0)  # it has rested long enough
        async with db() as uow:  # a transaction: on db.engine
            await uow.cursors.get("anything")  # no error: the dead one was never handed out
        assert await _backend_pid(db) != first
    finally:
        await db.dispose()


async def test_a_connection_back_in_use_at_once_is_not_pinged(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    pings: list[object] = []
    real = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    try:
        await _backend_pid(db)
        monkeypatch.setattr(engine, "PING_AFTER_IDLE", 3600.0)
        for _ in range(5):
            async with db() as uow:  # a transaction: on db.engine
                await uow.cursors.get("anything")
        assert pings == []
        monkeypatch.setattr(engine, "PING_AFTER_IDLE", 0.0)
        async with db() as uow:  # a transaction: on db.engine
            await uow.cursors.get("anything")
        assert len(pings) == 1
    finally:
        await db.dispose()


@pytest.mark.parametrize("ends", ["rollback", "commit"])
async def test_a_connection_dropped_in_use_fails_one_unit_and_is_not_handed_out_again(
        pg_url: str, monkeypatch: pytest.MonkeyPatch, ends: str) -> None:
    """The short path (links.get is `hot`) on a connection the server ended: that unit of work
    fails, and the pool replaces the connection instead of handing it to the next one."""
    db = SqlDatabase(pg_url, pool_size=1, max_overflow=0)
    monkeypatch.setattr(engine, "PING_AFTER_IDLE", 3600.0)  # no ping: only use can tell
    try:
        first = await _backend_pid(db)
        with pytest.raises(Exception):  # noqa: B017 - whichever error the lost connection gives
            async with db() as uow:
                await uow.links.get(1)  # begins the transaction, on the short path
                other = SqlDatabase(pg_url)
                try:
                    await _drop(other, first)
                finally:
                    await other.dispose()
                if ends == "commit":  # COMMIT on the dead connection, on the driver
                    await uow.commit()
                else:  # a statement fails on it, and the unit rolls back
                    await uow.links.get(2)
        for _ in range(3):  # every later unit of work runs, on a new connection
            async with db() as uow:
                assert await uow.links.get(-3) is None  # no such link: a user id is positive
                await uow.commit()
        assert await _backend_pid(db) != first
    finally:
        await db.dispose()


async def test_after_a_restart_one_unit_fails_not_one_per_pooled_connection(
        pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every pooled connection ended at once (a restart, a failover): the unit of work that
    meets the first dead one fails, and the rest are checked before use and replaced."""
    db = SqlDatabase(pg_url, pool_size=3, max_overflow=0)
    monkeypatch.setattr(engine, "PING_AFTER_IDLE", 3600.0)  # all back in use at once
    try:
        conns = [await db.engine.connect() for _ in range(3)]  # three pooled connections
        pids = []
        for conn in conns:
            pids.append((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())
            await conn.rollback()
        for conn in conns:
            await conn.close()
        other = SqlDatabase(pg_url)
        try:
            for pid in pids:
                await _drop(other, pid)
        finally:
            await other.dispose()
        failed = 0
        for n in range(6):
            try:
                async with db() as uow:
                    assert await uow.links.get(-3 - n) is None  # the short path
                    await uow.commit()
            except Exception:  # whichever error the ended connection gives
                failed += 1
        assert failed == 1
        assert await _backend_pid(db) not in pids
    finally:
        await db.dispose()
