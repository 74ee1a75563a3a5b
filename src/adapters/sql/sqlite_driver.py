"""SQLite in the event loop's own thread, behind SQLAlchemy's aiosqlite dialect.

SQLite is a library, not a server: a statement is a function call of some microseconds, and a
commit in WAL mode one fsync. aiosqlite moves every call to a thread of its own, and each trip
back waits for the event loop, which under load is busy with other requests; a SQLite writer
holds the writer (`group_commit`) for all those waits, so the writers queue behind the loop, not
behind SQLite. Here each call runs where it is made: a transaction holds the lock only for as
long as SQLite works. The price is that the loop does not run while a statement does, which is
what the design of any embedded database accepts (queries that take long belong to
PostgreSQL). The exception is the group commit's COMMIT, which waits for the disk: it runs on a
worker thread (`group_commit`).

The one wait that could be long, another process's write lock, never blocks the loop: SQLite's
own busy handler is kept short and `BEGIN IMMEDIATE` is retried asynchronously up to the
configured busy timeout."""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

SQLITE_BUSY_MS = 20  # how long SQLite itself may block the loop waiting for a lock (engine)
BEGIN_WRITE = "BEGIN IMMEDIATE"


class _Ready:
    """An awaitable that is done at once. SQLAlchemy's async engine insists that a statement
    awaits something (its guard against blocking drivers): this is that await, without a trip
    through the event loop."""

    def __await__(self) -> Any:
        return None
        yield  # a generator that never yields


_READY = _Ready()


class InlineCursor:
    """A buffered DB-API cursor that runs its statement at once, on the calling thread."""

    server_side = False

    def __init__(self, adapt_connection: InlineConnection) -> None:
        self._adapt_connection = adapt_connection
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def execute(self, operation: str, parameters: Any = None) -> None:
        if operation == BEGIN_WRITE:
            self._begin_write()
            return
        self._run(operation, parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._run(operation, seq_of_parameters, True)

    def _run(self, operation: str, parameters: Any, many: bool) -> None:
        await_(_READY)
        cursor = self._adapt_connection.raw.cursor()
        try:
            if many:
                cursor.executemany(operation, parameters)
            elif parameters is None:
                cursor.execute(operation)
            else:
                cursor.execute(operation, parameters)
            self.description = cursor.description
            self.rowcount, self.lastrowid = cursor.rowcount, cursor.lastrowid
            rows = cursor.fetchall() if cursor.description else None
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        finally:
            cursor.close()
        self._rows = collections.deque(rows) if rows else collections.deque()

    def _begin_write(self) -> None:
        """Take the write lock; while another process holds it, wait without blocking."""
        deadline = time.monotonic() + self._adapt_connection.busy_timeout
        pause = 0.005
        while True:
            try:
                self._run(BEGIN_WRITE, None, False)
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() >= deadline:
                    raise
            await_(asyncio.sleep(pause))
            pause = min(pause * 2, 0.1)

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor is closed after each statement."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    def __enter__(self) -> InlineCursor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Any:
        while self._rows:
            yield self._rows.popleft()

    def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        rows = self._rows
        return [rows.popleft() for _ in range(min(size or self.arraysize, len(rows)))]

    def fetchall(self) -> list[Any]:
        rows = list(self._rows)
        self._rows.clear()
        return rows


class InlineConnection(AsyncAdapt_aiosqlite_connection):
    """The dialect's connection adapter over a plain sqlite3 connection."""

    __slots__ = ("busy_timeout", "raw")

    def __init__(self, dbapi: Any, raw: sqlite3.Connection, busy_timeout: float) -> None:
        self.dbapi = dbapi
        self.raw = raw
        self._connection = raw  # type: ignore[assignment]
        self._execute_mutex = asyncio.Lock()
        self.busy_timeout = busy_timeout

    def cursor(self, server_side: bool = False) -> Any:
        return InlineCursor(self)

    @property
    def isolation_level(self) -> str | None:
        return self.raw.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: str | None) -> None:
        self.raw.isolation_level = value

    def create_function(self, *args: Any, **kw: Any) -> None:
        self.raw.create_function(*args, **kw)

    def commit(self) -> None:
        try:
            self.raw.commit()
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        try:
            self.raw.rollback()
        except Exception as error:
            self._handle_exception(error)

    def close(self) -> None:
        self.raw.close()

    async def _terminate_graceful_close(self) -> None:
        self.raw.close()

    def _terminate_force_close(self) -> None:
        self.raw.close()


class InlineDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a `sqlite+aiosqlite` URL."""

    def __init__(self, busy_timeout_ms: int) -> None:
        super().__init__(aiosqlite, sqlite3)
        self.busy_timeout = busy_timeout_ms / 1000

    def connect(self, *arg: Any, **kw: Any) -> InlineConnection:
        kw.pop("async_creator_fn", None)
        kw["timeout"] = SQLITE_BUSY_MS / 1000  # SQLite's own busy wait blocks: keep it short
        kw["check_same_thread"] = False  # the pool may close it from another greenlet
        return InlineConnection(self, sqlite3.connect(*arg, **kw), self.busy_timeout)


def inline_dbapi(busy_timeout_ms: int) -> InlineDBAPI:
    return InlineDBAPI(busy_timeout_ms)
