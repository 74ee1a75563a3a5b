"""aiosqlite with one thread hop per statement.

SQLAlchemy's aiosqlite cursor makes four trips to the connection's thread for every statement
(open a cursor, execute, fetch the rows, close it), each one a queue put, a thread wake-up and
an event-loop callback. Under load those trips, not SQLite, are what a transaction waits for,
and SQLite writers hold `SqlDatabase.writer_lock` all the while. Here the whole statement runs
as one function on that same thread: same connection, same transaction, same SQL; only the
round trips go. Server-side (streaming) cursors keep aiosqlite's own."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, int, int | None, list[Any] | None]  # description, rowcount, lastrowid, rows


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Outcome:
    """On the connection's thread: the statement, its rows, and the cursor closed."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else None
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneHopCursor:
    """A buffered DB-API cursor over an aiosqlite connection (what SQLAlchemy's is, minus the
    extra hops). Used from SQLAlchemy's greenlet, like the cursor it replaces."""

    server_side = False

    def __init__(self, adapt_connection: OneHopConnection) -> None:
        self._adapt_connection = adapt_connection
        self._aiosqlite: aiosqlite.Connection = adapt_connection._connection
        self._rows: collections.deque[Any] = collections.deque()
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self.arraysize = 1

    def execute(self, operation: str, parameters: Any = None) -> None:
        self._call(operation, parameters, False)

    def executemany(self, operation: str, seq_of_parameters: Sequence[Any]) -> None:
        self._call(operation, seq_of_parameters, True)

    def _call(self, operation: str, parameters: Any, many: bool) -> None:
        try:
            outcome = await_(self._submit(operation, parameters, many))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self.description, self.rowcount, self.lastrowid, rows = outcome
        self._rows = collections.deque(rows) if rows else collections.deque()

    async def _submit(self, operation: str, parameters: Any, many: bool) -> _Outcome:
        async with self._adapt_connection._execute_mutex:
            connection = self._aiosqlite
            outcome: _Outcome = await connection._execute(
                _run, connection._conn, operation, parameters, many)
            return outcome

    async def _async_soft_close(self) -> None:
        """Nothing to close: the sqlite3 cursor was closed on its thread already."""

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes: Any) -> None:
        pass

    def __enter__(self) -> OneHopCursor:
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


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()

    def cursor(self, server_side: bool = False) -> Any:
        return super().cursor(server_side) if server_side else OneHopCursor(self)


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """Pass as `module=` to `create_async_engine` for a `sqlite+aiosqlite` URL."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)


def one_hop_dbapi() -> OneHopDBAPI:
    return OneHopDBAPI(aiosqlite, sqlite3)
