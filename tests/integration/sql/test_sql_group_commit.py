"""SQLite's group commit: writers of one process share a transaction and its fsync, and each
still commits or fails on its own terms (adapters/sql/group_commit.py)."""

from __future__ import annotations

import asyncio
import gc
import sqlite3
import threading
from datetime import UTC, datetime

import pytest

from starport.adapters.sql import SqlDatabase
from starport.adapters.sql.sqlite_driver import InlineConnection
from starport.application.unit_of_work import Conflict
from starport.domain.links import LinkedVia, TelegramLink


class Boom(Exception):
    pass


def _file(url: str) -> str:
    return url.split("///", 1)[1]


def _stored(url: str) -> dict[str, str]:
    """What another process reads from the file: only what was committed."""
    other = sqlite3.connect(_file(url))
    try:
        return dict(other.execute("SELECT name, value FROM cursors").fetchall())
    finally:
        other.close()


async def _write(db: SqlDatabase, name: str, fail: bool = False) -> None:
    async with db() as uow:
        await uow.cursors.set(name, "v")
        if fail:
            raise Boom(name)
        await uow.commit()


async def test_writers_at_once_share_one_transaction_and_are_all_on_disk(
        sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        before = db.counts.write_transactions
        await asyncio.gather(*(_write(db, f"w{i}") for i in range(20)))
        transactions = db.counts.write_transactions - before
    finally:
        await db.dispose()
    assert _stored(sqlite_url) == {f"w{i}": "v" for i in range(20)}
    assert 1 <= transactions < 20  # one fsync for many writers


async def test_a_writer_that_fails_takes_nothing_of_the_others_with_it(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        results = await asyncio.gather(_write(db, "a"), _write(db, "b", fail=True),
                                       _write(db, "c"), return_exceptions=True)
    finally:
        await db.dispose()
    assert [type(r) for r in results] == [type(None), Boom, type(None)]
    assert _stored(sqlite_url) == {"a": "v", "c": "v"}


async def test_a_duplicate_key_is_a_conflict_for_its_writer_alone(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)

    async def add_link(telegram_id: int, user: str) -> None:
        async with db() as uow:
            await uow.links.add(TelegramLink(telegram_user_id=telegram_id, user_id=user,
                                             linked_at=datetime.now(UTC),
                                             via=next(iter(LinkedVia))))
            await uow.commit()

    try:
        results = await asyncio.gather(add_link(1, "u1"), add_link(1, "u2"), add_link(2, "u3"),
                                       return_exceptions=True)
        async with db(read_only=True) as uow:
            first, second = await uow.links.get(1), await uow.links.get(2)
    finally:
        await db.dispose()
    assert results[0] is None and isinstance(results[1], Conflict) and results[2] is None
    assert first is not None and first.user_id == "u1"
    assert second is not None and second.user_id == "u3"


async def test_when_the_shared_commit_fails_every_writer_of_it_fails_and_nothing_is_kept(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    db = SqlDatabase(sqlite_url)
    real_commit = InlineConnection.commit
    failures = iter([True])

    def commit(self: InlineConnection) -> None:
        if next(failures, False):
            self.raw.rollback()  # as SQLite leaves it after a failed COMMIT
            self._handle_exception(sqlite3.OperationalError("disk I/O error"))
        real_commit(self)

    monkeypatch.setattr(InlineConnection, "commit", commit)
    try:
        results = await asyncio.gather(_write(db, "x"), _write(db, "y"),
                                       return_exceptions=True)
        await _write(db, "after")  # the next batch commits
    finally:
        await db.dispose()
    assert all(isinstance(r, Exception) and "disk I/O error" in str(r) for r in results)
    assert _stored(sqlite_url) == {"after": "v"}


def _held_commits(monkeypatch: pytest.MonkeyPatch
                  ) -> tuple[asyncio.Event, threading.Event, list[bool]]:
    """Each batch's COMMIT (not SQLAlchemy's empty one after it) sets the first event, then
    waits (up to 5 s) for the second before it goes on; the third says whether it was let go
    in time."""
    real_commit = InlineConnection.commit
    loop = asyncio.get_running_loop()
    committing, on_disk = asyncio.Event(), threading.Event()
    waited: list[bool] = []

    def commit(self: InlineConnection) -> None:
        if self.raw.in_transaction:
            loop.call_soon_threadsafe(committing.set)
            waited.append(on_disk.wait(timeout=5))
        real_commit(self)

    monkeypatch.setattr(InlineConnection, "commit", commit)
    return committing, on_disk, waited


async def test_the_loop_runs_while_a_batch_commits(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # The COMMIT (its fsync) waits until a task of the event loop lets it go on: run on the
    # loop's own thread, it would wait out its timeout with the loop stopped under it.
    db = SqlDatabase(sqlite_url)
    committing, on_disk, waited = _held_commits(monkeypatch)

    async def disk() -> None:  # a task of the loop: runs only if the loop does
        await committing.wait()
        on_disk.set()

    try:
        await asyncio.gather(_write(db, "x"), disk())
    finally:
        await db.dispose()
    assert waited == [True]
    assert _stored(sqlite_url) == {"x": "v"}


async def test_a_caller_cancelled_while_it_commits_a_batch_leaves_its_members_committed(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A caller of exclusive_writes() (the Bot API pacing on SQLite, under a timeout) commits
    # the open batch and is cancelled while the COMMIT runs on its thread: the COMMIT goes on,
    # and the batch's members are told what came of it, not that it failed.
    db = SqlDatabase(sqlite_url)
    committing, on_disk, _ = _held_commits(monkeypatch)
    wrote, go = asyncio.Event(), asyncio.Event()

    async def member() -> None:
        async with db() as uow:
            await uow.cursors.set("paid", "v")
            wrote.set()
            await go.wait()  # holds the writer until the other caller queues for it
            await uow.commit()

    async def exclusive() -> None:
        async with db.exclusive_writes():
            pass

    try:
        paid = asyncio.create_task(member())
        await wrote.wait()
        other = asyncio.create_task(exclusive())
        await asyncio.sleep(0)  # it waits for the writer, ahead of the batch's own commit
        go.set()
        await committing.wait()  # the other caller is committing the batch
        other.cancel()
        await asyncio.sleep(0)
        on_disk.set()
        await paid  # committed: no BatchFailed
        with pytest.raises(asyncio.CancelledError):
            await other
    finally:
        await db.dispose()
    assert _stored(sqlite_url) == {"paid": "v"}


async def test_a_writer_cancelled_while_its_batch_commits_is_still_committed(
        sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        task = asyncio.create_task(_write(db, "gone"))
        await asyncio.sleep(0)  # it has released its savepoint and waits for the batch
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await _write(db, "next")
    finally:
        await db.dispose()
    assert _stored(sqlite_url) == {"gone": "v", "next": "v"}


async def test_exclusive_writes_commit_the_open_batch_first(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        pending = asyncio.create_task(_write(db, "member"))
        await asyncio.sleep(0)  # the member waits for its batch's commit
        async with db.exclusive_writes():
            assert _stored(sqlite_url) == {"member": "v"}  # on disk before we go on
            other = sqlite3.connect(_file(sqlite_url), timeout=0)
            other.execute("BEGIN IMMEDIATE")  # the write lock is free
            other.execute("ROLLBACK")
            other.close()
        await pending
    finally:
        await db.dispose()


async def test_another_process_writes_between_batches(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        await asyncio.gather(*(_write(db, f"w{i}") for i in range(5)))
        other = sqlite3.connect(_file(sqlite_url), timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO cursors (name, value) VALUES ('other', 'o')")
        other.execute("COMMIT")
        other.close()
        await _write(db, "later")
    finally:
        await db.dispose()
    assert set(_stored(sqlite_url)) == {"w0", "w1", "w2", "w3", "w4", "other", "later"}


async def test_what_a_writer_reads_after_its_commit_is_what_was_committed(
        sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        async with db() as uow:
            await uow.cursors.set("k", "1")
            await uow.commit()
            seen = await uow.cursors.get("k")  # on a read transaction of its own
    finally:
        await db.dispose()
    assert seen == "1"


async def test_units_of_work_leave_no_reference_cycles(sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)
    try:
        await _write(db, "warm")
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for i in range(10):
                await _write(db, f"c{i}")
                async with db(read_only=True) as uow:
                    await uow.cursors.get("c0")
            gc.collect()
            left = sorted({type(o).__qualname__ for o in gc.garbage
                           if type(o).__module__.startswith("starport.adapters.sql")})
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
    finally:
        await db.dispose()
    assert left == []


async def test_a_transaction_sqlite_aborted_fails_its_members_and_the_next_starts_afresh(
        sqlite_url: str) -> None:
    db = SqlDatabase(sqlite_url)

    async def aborted() -> None:
        async with db() as uow:
            await uow.cursors.set("z", "v")
            # as SQLite itself ends the transaction on SQLITE_FULL or an I/O error
            uow._member.raw.execute("ROLLBACK")  # type: ignore[attr-defined]
            raise Boom("disk full")

    try:
        results = await asyncio.gather(_write(db, "a"), aborted(), return_exceptions=True)
        await _write(db, "after")
    finally:
        await db.dispose()
    assert isinstance(results[0], Exception) and not isinstance(results[0], Boom)
    assert isinstance(results[1], Boom)
    assert _stored(sqlite_url) == {"after": "v"}
