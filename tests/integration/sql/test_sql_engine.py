"""Engine set-up: SQLite pragmas and BEGIN IMMEDIATE, error translation, health checks, URLs."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.engine import DEFAULT_URL, url_from_env
from starport.adapters.sql.gateway import is_conflict
from starport.application.unit_of_work import Conflict


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"pg error {sqlstate}")
        self.sqlstate = sqlstate


async def test_sqlite_runs_in_wal_mode_with_foreign_keys_and_a_busy_timeout(
        sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        async with db.connection(db.engine) as conn:
            pragmas = [(await conn.execute(text(f"PRAGMA {name}"))).scalar()
                       for name in ("journal_mode", "foreign_keys", "busy_timeout")]
            await conn.rollback()
    finally:
        await db.dispose()
    assert pragmas == ["wal", 1, 20]  # SQLite's own wait blocks: short; the rest is async


async def test_waiting_for_another_process_s_write_lock_never_blocks_the_loop(
        sqlite_url: str) -> None:
    # Given another process holding SQLite's write lock
    db = SqlDatabase(sqlite_url, busy_timeout_ms=5000)
    other = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def ticker() -> None:
        """Frees the lock once the loop has run many times while the unit of work waited."""
        nonlocal ticks
        while True:
            ticks += 1
            if ticks == 20:
                other.execute("COMMIT")
            await asyncio.sleep(0.001)

    running = [asyncio.create_task(ticker())]
    try:
        # When a unit of work begins, then it waits without holding up the loop, and
        # goes on once the lock is free
        async with db() as uow:
            await uow.cursors.set("a", "b")
            await uow.commit()
        assert ticks >= 20
        async with db() as uow:
            assert await uow.cursors.get("a") == "b"
    finally:
        for task in running:
            task.cancel()
        other.close()
        await db.dispose()


async def test_a_unit_of_work_holds_the_sqlite_write_lock_from_its_start(sqlite_url: str) -> None:
    # Given a unit of work that has begun but not written anything yet
    db = SqlDatabase(sqlite_url)
    other = sqlite3.connect(sqlite_url.split("///", 1)[1], timeout=0, isolation_level=None)
    try:
        async with db():
            # Then another writer cannot begin: the lock was taken by BEGIN IMMEDIATE
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
            # but readers still can (WAL)
            assert other.execute("SELECT count(*) FROM ledger_accounts").fetchone() == (0,)
    finally:
        other.close()
        await db.dispose()


async def test_a_busy_database_is_a_conflict_to_retry(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url, busy_timeout_ms=50)
    other = sqlite3.connect(sqlite_url.split("///", 1)[1], isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(Conflict):
            async with db() as uow:
                await uow.cursors.set("a", "b")
    finally:
        other.execute("ROLLBACK")
        other.close()
        await db.dispose()


@pytest.mark.parametrize(("error", "conflict"), [
    (IntegrityError("INSERT", {}, PgError("23505")), True),
    (OperationalError("UPDATE", {}, PgError("40001")), True),
    (OperationalError("UPDATE", {}, PgError("40P01")), True),
    (IntegrityError("INSERT", {}, PgError("23503")), False),  # a foreign key: a bug, not a race
    (IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed: x.y")), True),
    (OperationalError("BEGIN", {}, sqlite3.OperationalError("database is locked")), True),
    (OperationalError("SELECT", {}, sqlite3.OperationalError("no such table: x")), False),
])
def test_which_driver_errors_are_conflicts(error: DBAPIError, conflict: bool) -> None:
    assert is_conflict(error) is conflict


async def test_ping_answers_on_sqlite(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        await db.ping()
    finally:
        await db.dispose()


async def test_ping_raises_when_postgresql_cannot_be_reached() -> None:
    db = SqlDatabase("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        with pytest.raises(OSError):
            await db.ping()
    finally:
        await db.dispose()


def test_database_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch,
                                                 tmp_path: Path) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert url_from_env() == DEFAULT_URL == "sqlite+aiosqlite:///./var/starport.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/a/b.db")
    db = SqlDatabase()
    assert db.url.endswith("/a/b.db") and (tmp_path / "a").is_dir()
