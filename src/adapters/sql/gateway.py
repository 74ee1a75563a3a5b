"""One transaction's connection, with driver errors translated to `Conflict` where retryable."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from starport.adapters.sql.fast_path import (
    FastResult,
    Prepared,
    arguments,
    hot,
    prepared,
    run,
    run_asyncpg,
    run_many,
    run_many_asyncpg,
    send_asyncpg,
)
from starport.application.unit_of_work import Conflict

WAITING_ARGS = 4096  # values of the writes that wait, at most (a statement takes 32,767)
# unique_violation, serialization_failure, deadlock_detected
_RETRYABLE_SQLSTATES = {"23505", "40001", "40P01"}
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")


def is_conflict(exc: DBAPIError) -> bool:
    """A concurrent transaction got in first: the use case may be retried."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if code in _RETRYABLE_SQLSTATES:
        return True
    message = str(exc.orig).lower()
    if isinstance(exc, IntegrityError) and "unique constraint failed" in message:
        return True
    return any(busy in message for busy in _SQLITE_BUSY)


def translate(exc: DBAPIError) -> Exception:
    return Conflict(f"write conflict: {exc.orig}") if is_conflict(exc) else exc


class Statements:
    """How many statements and transactions a database ran (for `/metrics`): plain counters,
    bumped on the hot path for the price of an addition."""

    def __init__(self) -> None:
        self.statements = 0
        self.read_transactions = 0
        self.write_transactions = 0


class Gateway:
    """What repositories use: execute with error translation, dialect-aware upserts, and one
    object per row per transaction (an identity map)."""

    def __init__(self, conn: AsyncConnection, counts: Statements, read_only: bool = False,
                 raw: sqlite3.Connection | None = None, asyncpg: Any = None) -> None:
        self.conn = conn
        self.read_only = read_only  # reads take no row locks (they would hold up writers)
        self.dialect = conn.dialect.name
        self._sa_dialect = conn.dialect
        self.raw = raw  # SQLite in the loop: the connection the short path runs `hot` on
        self.asyncpg = asyncpg  # PostgreSQL: SQLAlchemy's adapter of the asyncpg connection
        self._counts = counts
        self._identity: dict[tuple[str, object], Any] = {}
        # PostgreSQL: blind writes not sent yet, with the tables they write (see `write`)
        self._waiting: list[tuple[str, list[Any]]] = []
        self._waiting_tables: set[str] = set()
        self._waiting_args = 0
        self._lost: BaseException | None = None  # what kept waiting writes from being sent

    async def execute(self, statement: Executable,
                      params: Sequence[dict[str, Any]] | dict[str, Any] | None = None
                      ) -> CursorResult[Any]:
        self._counts.statements += 1
        if self.read_only and statement.is_dml:
            raise RuntimeError("a read-only unit of work cannot write")
        if self.raw is not None:
            fast = self._fast(statement, params)
            if fast is not None:
                return fast  # type: ignore[return-value]
        elif self.asyncpg is not None:
            fast = await self._fast_asyncpg(statement, params)
            if fast is not None:
                return fast  # type: ignore[return-value]
        if self._waiting:
            await self.flush()
        try:
            return await self.conn.execute(statement, params)
        except DBAPIError as exc:
            raise translate(exc) from exc

    def _plan(self, statement: Executable,
              params: Sequence[dict[str, Any]] | dict[str, Any] | None
              ) -> tuple[Prepared, bool] | None:
        """The short path's statement, and whether it runs with several sets of values."""
        many = params is not None and not isinstance(params, dict)
        if many and (not params or any(one.keys() != params[0].keys()  # type: ignore[index]
                                       for one in params)):
            return None
        first = params[0] if many else params  # type: ignore[index]
        p = prepared(statement, first, self._sa_dialect)  # type: ignore[arg-type]
        if p is None or (many and p.row is not None):
            return None
        return p, many

    def _fast(self, statement: Executable,
              params: Sequence[dict[str, Any]] | dict[str, Any] | None) -> FastResult | None:
        assert self.raw is not None
        plan = self._plan(statement, params)
        if plan is None:
            return None
        p, many = plan
        try:
            if many:
                return run_many(self.raw, p, params)  # type: ignore[arg-type]
            return run(self.raw, p, params)  # type: ignore[arg-type]
        except DBAPIError as exc:
            raise translate(exc) from exc

    async def _fast_asyncpg(self, statement: Executable,
                            params: Sequence[dict[str, Any]] | dict[str, Any] | None
                            ) -> FastResult | None:
        plan = self._plan(statement, params)
        if plan is None:
            return None
        p, many = plan
        before: list[tuple[str, list[Any]]] = []
        if self._waiting:
            if many or p.tables & self._waiting_tables:  # it must see them: sent first
                await self.flush()
            else:  # it cannot see them either way: both in one round trip
                before = self._take_waiting()
        try:
            if many:
                return await run_many_asyncpg(self.asyncpg, p, params)  # type: ignore[arg-type]
            return await run_asyncpg(self.asyncpg, p, params,  # type: ignore[arg-type]
                                     self._sa_dialect, before)
        except BaseException as exc:
            if before:  # gone with it, maybe unseen by PostgreSQL (a value asyncpg refused)
                self._lost = exc
            if isinstance(exc, DBAPIError):
                raise translate(exc) from exc
            raise

    async def write(self, statement: Executable,
                    params: Sequence[dict[str, Any]] | dict[str, Any]) -> None:
        """A write the caller needs nothing back from (no rows, no row count), of a row that
        exists or is new. On PostgreSQL it may wait, to go in the round trip of the next
        statement as a data-modifying WITH clause (`fast_path.combined`), or at the commit:
        a payment's dozen writes then cost one round trip instead of one each. Its error
        (a unique key taken: `Conflict`) surfaces there, still inside the unit of work.
        What waits is sent before any statement that reads or writes a table it writes
        (statements of one round trip share a snapshot, so a read beside a write to its
        table would not see it, and one row cannot be changed twice in one statement), and
        an UPDATE waits only when nothing else waits for its table."""
        plan = None if self.asyncpg is None or self.read_only else self._plan(statement,
                                                                              params)
        if plan is None or plan[0].blind is None:
            await self.execute(statement, params)
            return
        p, many = plan
        self._counts.statements += 1
        for one in (params if many else [params]):  # type: ignore[union-attr]
            args = arguments(p, one)  # type: ignore[arg-type]
            # each set of an UPDATE's values on its own: two could name the same row
            if self._waiting and ((p.blind == "update" and p.tables & self._waiting_tables)
                                  or self._waiting_args + len(args) > WAITING_ARGS):
                await self.flush()
            self._waiting.append((p.sql, args))
            self._waiting_args += len(args)
            self._waiting_tables |= p.tables

    async def flush(self, committing: bool = False) -> None:
        """Send the writes that wait (before COMMIT, or before a statement that must see
        them). `committing`: the unit commits next; if it has sent nothing yet, its writes go
        as one statement outside a transaction, which PostgreSQL commits as one (no BEGIN,
        no COMMIT: one round trip instead of three), and the commit that follows has nothing
        left to do."""
        if self._lost is not None:  # a commit now would leave them out: never
            raise RuntimeError("writes of this unit of work were not sent (the statement "
                               "carrying them failed); it cannot commit") from self._lost
        writes = self._take_waiting()
        if not writes:
            return
        try:
            await send_asyncpg(self.asyncpg, writes, self._sa_dialect, begin=not committing)
        except BaseException as exc:
            self._lost = exc
            if isinstance(exc, DBAPIError):
                raise translate(exc) from exc
            raise

    def _take_waiting(self) -> list[tuple[str, list[Any]]]:
        writes, self._waiting = self._waiting, []
        self._waiting_tables = set()
        self._waiting_args = 0
        return writes

    def insert(self, table: Table) -> Any:
        """An INSERT that understands `on_conflict_do_nothing/do_update` on both engines."""
        return _insert(self.dialect, table)

    def insert_or_ignore(self, table: Table, returning: str | None = None) -> Any:
        """`INSERT ... ON CONFLICT DO NOTHING [RETURNING column]`, built once: execute it with
        the values."""
        return _insert_or_ignore(self.dialect, table, returning)

    # -- identity map: one object per row per transaction, as the in-memory store gives ------

    def adopt(self, kind: str, key: object, fresh: Any) -> Any:
        """The object this transaction already holds for the row, else `fresh`."""
        known = self._identity.get((kind, key))
        if known is not None:
            return known
        return self.keep(kind, key, fresh)

    def keep(self, kind: str, key: object, obj: Any) -> Any:
        """Remember `obj` as the row's object (after an add or save)."""
        self._identity[(kind, key)] = obj
        return obj

    async def upsert(self, table: Table, values: dict[str, Any], keys: Sequence[str]) -> None:
        """Insert the row, or overwrite its other columns when the key exists (one statement,
        so two writers of a new row cannot both insert)."""
        others = tuple(k for k in values if k not in keys)
        await self.execute(_upsert(self.dialect, table, tuple(keys), others), values)


# Statements built once and executed with their values as parameters: building one per call
# (literal values coerced to bound parameters, a fresh cache key walked) cost more CPU than
# the rest of the statement's trip through SQLAlchemy.

def _insert(dialect: str, table: Table) -> Any:
    return postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)


@functools.cache
def _insert_or_ignore(dialect: str, table: Table, returning: str | None = None) -> Any:
    statement = _insert(dialect, table).on_conflict_do_nothing()
    return hot(statement if returning is None else statement.returning(table.c[returning]))


@functools.cache
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], others: tuple[str, ...]) -> Any:
    """The other columns set to the values proposed for insertion (`excluded`)."""
    statement = _insert(dialect, table)
    if not others:
        return hot(statement.on_conflict_do_nothing())
    return hot(statement.on_conflict_do_update(
        index_elements=list(keys), set_={k: statement.excluded[k] for k in others}))
