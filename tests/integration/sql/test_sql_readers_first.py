"""PostgreSQL: while a read (a pre-checkout) waits for one of the readers' places, a write unit
of work about to start waits too, for at most `READERS_FIRST_FOR`
(SqlDatabase.let_readers_first)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from starport.adapters.sql import SqlDatabase, database

pytestmark = pytest.mark.postgres


async def _read(db: SqlDatabase, entered: list[str], name: str,
                hold: asyncio.Event | None = None) -> None:
    async with db(read_only=True) as uow:
        entered.append(name)
        await uow.cursors.get("anything")
        if hold is not None:
            await hold.wait()


async def _write(db: SqlDatabase, entered: list[str]) -> None:
    async with db() as uow:
        entered.append("write")
        await uow.cursors.get("anything")


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[SqlDatabase]:
    one = SqlDatabase(pg_url, pool_size=1)  # one reader's place
    yield one
    await one.dispose()


async def _until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(500):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


async def _a_read_waiting(db: SqlDatabase, entered: list[str], release: asyncio.Event
                          ) -> tuple[asyncio.Task[None], asyncio.Task[None]]:
    """The only place held by a first read until `release`, and a second read waiting."""
    holder = asyncio.create_task(_read(db, entered, "first read", release))
    await _until(lambda: entered == ["first read"], "the first read holds the place")
    waiting = asyncio.create_task(_read(db, entered, "second read"))
    await _until(lambda: db._readers_waiting == 1, "the second read waits for a place")
    return holder, waiting


async def test_a_write_waits_while_a_read_waits_for_its_place(
        db: SqlDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "READERS_FIRST_FOR", 60.0)  # only the read can free it
    entered: list[str] = []
    release = asyncio.Event()
    holder, waiting = await _a_read_waiting(db, entered, release)
    writer = asyncio.create_task(_write(db, entered))
    await asyncio.sleep(0.2)
    assert entered == ["first read"]  # the write has not begun: a read is waiting
    release.set()
    await asyncio.gather(holder, waiting, writer)
    assert entered == ["first read", "second read", "write"]


async def test_a_write_waits_no_longer_than_the_bound(
        db: SqlDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "READERS_FIRST_FOR", 0.05)
    entered: list[str] = []
    release = asyncio.Event()
    holder, waiting = await _a_read_waiting(db, entered, release)
    await _write(db, entered)  # done while the second read still waits
    assert entered == ["first read", "write"]
    assert db._readers_waiting == 1
    release.set()
    await asyncio.gather(holder, waiting)
    assert entered == ["first read", "write", "second read"]


async def test_without_a_waiting_read_a_write_starts_at_once(
        db: SqlDatabase, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database, "READERS_FIRST_FOR", 60.0)
    entered: list[str] = []
    release = asyncio.Event()
    holder = asyncio.create_task(_read(db, entered, "read", release))
    await _until(lambda: entered == ["read"], "the read holds the place")
    await asyncio.wait_for(_write(db, entered), 30)  # a read holds a place; none waits
    assert entered == ["read", "write"]
    release.set()
    await holder
