"""Group commit for SQLite: this process's write transactions share one SQLite transaction,
and so one fsync, per turn of the event loop.

SQLite has one writer at a time, and in WAL mode with `synchronous=FULL` every COMMIT waits for
an fsync of the log: under load that wait, not SQLite's work, was a third of the server's time
(one fsync per payment, the event loop stopped for each). Here a unit of work that writes is a
*member* of the open batch: it runs inside a SAVEPOINT of the batch's transaction, and its
commit releases the savepoint, schedules the batch's COMMIT for when the loop has run what is
ready now (other members join meanwhile), and waits for that COMMIT. So nothing is reported
committed before it is on disk, exactly as before; only the fsync is shared. The COMMIT itself
runs on a worker thread (the writer is held meanwhile): its fsync stopped the event loop, every
request and every read with it, for as long as the disk took.

- A member that fails rolls back to its savepoint: the others are untouched.
- A batch whose COMMIT fails (disk full, I/O error), or whose transaction SQLite aborted while
  a member ran, fails every member of it with that error: none of them was reported
  committed, so each caller sees the failure it would have seen alone (a 503, a retry).
- Members see what earlier members of the same batch wrote, as they would have after those
  committed: the batch commits all of them or none.
- Other processes (a second `starport` on the same file, the CLI) take SQLite's write lock
  between batches, as they took it between transactions.
- `exclusive()` gives a caller the writer with no batch open (it commits a pending one first),
  for statements that must run in a transaction of their own connection.

PostgreSQL commits concurrently and groups its own WAL flushes; it does not use this."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starport.adapters.sql.gateway import Statements, translate

log = logging.getLogger(__name__)

SAVEPOINT = "member"


class BatchFailed(Exception):
    """The batch a member belonged to could not be committed: nothing of it was kept."""


class Batch:
    """One SQLite transaction, shared by the members that joined it."""

    __slots__ = ("conn", "dbapi", "done", "members", "raw", "scheduled", "spoiled")

    def __init__(self, conn: AsyncConnection, dbapi: Any, raw: sqlite3.Connection,
                 done: asyncio.Future[None]) -> None:
        self.conn = conn
        self.dbapi = dbapi  # the driver's connection adapter (sqlite_driver.InlineConnection)
        self.raw = raw
        self.done = done
        self.members = 0
        self.scheduled = False
        self.spoiled: BaseException | None = None  # SQLite ended the transaction under us


class GroupCommit:
    """The writer of one SQLite database in this process (see the module's docstring)."""

    def __init__(self, engine: AsyncEngine, counts: Statements) -> None:
        self._engine = engine
        self._counts = counts
        self._lock = asyncio.Lock()
        self._batch: Batch | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        # The COMMITs' thread: one of its own, so that nothing else queued on a shared pool
        # (a slow DNS lookup, say) can hold up a COMMIT while the writer waits for it.
        self._committer: ThreadPoolExecutor | None = None

    # -- members: the units of work that write ------------------------------------------------

    async def join(self) -> Batch:
        """Hold the writer and open a savepoint in the open batch (opening one if need be).
        The caller ends it with `commit` or `rollback`, which give the writer back."""
        await self._lock.acquire()
        try:
            if self._batch is not None and self._batch.spoiled is not None:
                await self._finish(self._batch)  # its members fail; this one starts afresh
            batch = self._batch if self._batch is not None else await self._open()
            _run(batch.raw, f"SAVEPOINT {SAVEPOINT}")
            self._counts.statements += 1
        except BaseException:
            self._lock.release()
            raise
        return batch

    async def commit(self, batch: Batch) -> None:
        """Release the member's savepoint and give the writer back; return once the batch is
        on disk, or raise what kept it from being committed."""
        try:
            try:
                _run(batch.raw, f"RELEASE {SAVEPOINT}")
                self._counts.statements += 1
            except sqlite3.Error:
                self._undo(batch)
                raise
            batch.members += 1
            self._schedule(batch)
        finally:
            self._lock.release()
        await asyncio.shield(batch.done)

    def rollback(self, batch: Batch) -> None:
        """Undo the member's work and give the writer back."""
        try:
            self._undo(batch)
        finally:
            self._schedule(batch)
            self._lock.release()

    def _undo(self, batch: Batch) -> None:
        try:
            _run(batch.raw, f"ROLLBACK TO {SAVEPOINT}")
            _run(batch.raw, f"RELEASE {SAVEPOINT}")
            self._counts.statements += 2
        except sqlite3.Error as exc:
            batch.spoiled = batch.spoiled or exc
        if not batch.raw.in_transaction and batch.spoiled is None:
            batch.spoiled = BatchFailed("SQLite rolled back the shared transaction")

    # -- the writer alone ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """The writer with no batch open: for a transaction on a connection of its own."""
        async with self._lock:
            if self._batch is not None:
                await self._finish(self._batch)
            yield

    async def close(self) -> None:
        """Commit what is pending (at shutdown)."""
        async with self.exclusive():
            pass
        for task in list(self._tasks):
            await task
        if self._committer is not None:
            self._committer.shutdown(wait=True)
            self._committer = None

    # -- the batch -----------------------------------------------------------------------------

    async def _open(self) -> Batch:
        conn = await self._engine.connect()
        try:
            await conn.begin()  # BEGIN IMMEDIATE (engine): waits out another process's writer
            pooled = await conn.get_raw_connection()
            raw = pooled.driver_connection
            assert isinstance(raw, sqlite3.Connection)
        except BaseException as exc:
            await conn.close()
            if isinstance(exc, DBAPIError):
                raise translate(exc) from exc
            raise
        self._counts.write_transactions += 1
        batch = Batch(conn, pooled.dbapi_connection, raw,
                      asyncio.get_running_loop().create_future())
        batch.done.add_done_callback(_retrieved)
        self._batch = batch
        return batch

    def _schedule(self, batch: Batch) -> None:
        """Commit the batch once the loop has run what is ready now (its next members)."""
        if batch.scheduled:
            return
        batch.scheduled = True
        task = asyncio.get_running_loop().create_task(self._commit_later(batch))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _commit_later(self, batch: Batch) -> None:
        async with self._lock:
            if self._batch is batch:
                await self._finish(batch)

    async def _finish(self, batch: Batch) -> None:
        """COMMIT (or, when spoiled, roll back) the batch and settle its members. The writer
        is held by the caller. Cancelled while the COMMIT runs, it still waits for it and
        settles the members by what came of it, then raises CancelledError."""
        self._batch = None
        cancelled = False
        try:
            if batch.spoiled is not None:
                raise batch.spoiled
            if self._committer is None:
                self._committer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-commit")
            try:
                cancelled, failed = await _commit_off_the_loop(batch.dbapi, self._committer)
                if failed is not None:
                    raise failed
                await batch.conn.commit()  # SQLAlchemy's side of it: nothing left to commit
            except DBAPIError as exc:
                raise translate(exc) from exc
        except Exception as exc:
            log.error("a group commit of %d write(s) failed: %s", batch.members, exc)
            with contextlib.suppress(Exception):
                await batch.conn.rollback()
            batch.done.set_exception(exc)
        else:
            batch.done.set_result(None)
        finally:
            if not batch.done.done():  # cancelled before its COMMIT: its members must not
                batch.done.set_exception(BatchFailed("the group commit was cancelled"))
            await batch.conn.close()
        if cancelled:
            raise asyncio.CancelledError


async def _commit_off_the_loop(dbapi: Any, thread: ThreadPoolExecutor
                               ) -> tuple[bool, DBAPIError | None]:
    """The batch's COMMIT on a thread of its own: its fsync, and any WAL checkpoint SQLite
    runs after it, would stop the event loop (every request, every read) for as long as the
    disk takes. The writer is held meanwhile, so nothing else uses this connection. A cancel
    does not stop the wait (the COMMIT goes on in the thread, and the connection is closed
    next): (whether the caller was cancelled meanwhile, the COMMIT's error or None)."""
    done = asyncio.get_running_loop().run_in_executor(thread, dbapi.commit)
    cancelled = False
    while not done.done():
        try:
            await asyncio.wait([done])  # a cancel of this wait leaves the thread's future be
        except asyncio.CancelledError:
            cancelled = True
    failed = done.exception()
    if failed is None:
        return cancelled, None
    if isinstance(failed, sqlite3.Error):
        return cancelled, DBAPIError.instance("COMMIT", None, failed, sqlite3.Error)
    raise failed


def _run(raw: sqlite3.Connection, statement: str) -> None:
    raw.execute(statement).close()


def _retrieved(done: asyncio.Future[Any]) -> None:
    """Members may all have gone (cancelled): their batch's failure is logged, not orphaned."""
    if not done.cancelled():
        done.exception()
