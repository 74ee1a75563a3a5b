"""`SqlDatabase`: the engine built from a URL, and the factory of SQL units of work."""

from __future__ import annotations

import contextlib

from sqlalchemy import text

from starport.adapters.sql.engine import (
    BUSY_TIMEOUT_MS,
    READ_ONLY,
    is_sqlite,
    make_engine,
    url_from_env,
)
from starport.adapters.sql.gateway import Statements
from starport.adapters.sql.group_commit import GroupCommit
from starport.adapters.sql.repositories.records import MessageCache
from starport.adapters.sql.unit_of_work import SqlUnitOfWork
from starport.application.unit_of_work import OutboxSender


class SqlDatabase:
    """Built once from a URL (`DATABASE_URL`); calling it gives a new unit of work. `sender`
    (set by the composition root) takes what each transaction queued in the outbox."""

    def __init__(self, url: str | None = None, *, pool_size: int | None = None,
                 max_overflow: int | None = None, lock_system_accounts: bool = False,
                 echo: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS,
                 connect_timeout: float = 5.0, statement_timeout: float | None = None) -> None:
        self.url = url or url_from_env()
        self.engine = make_engine(self.url, pool_size=pool_size, max_overflow=max_overflow,
                                  echo=echo, busy_timeout_ms=busy_timeout_ms,
                                  connect_timeout=connect_timeout,
                                  statement_timeout=statement_timeout)
        self.dialect = self.engine.dialect.name
        self.lock_system_accounts = lock_system_accounts
        self.sender: OutboxSender | None = None
        self.counts = Statements()
        # SQLite has one writer at a time: this process's writers queue here, in order, and
        # share a transaction and its fsync (busy_timeout still covers other processes).
        self.group: GroupCommit | None = (GroupCommit(self.engine, self.counts)
                                          if is_sqlite(self.url) else None)
        self.messages = MessageCache()

    def __call__(self, read_only: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(self, read_only, self.sender)

    async def ping(self) -> None:
        """Raises when the database cannot be reached (the caller bounds the wait). On SQLite a
        plain BEGIN: a health check never queues behind the writer."""
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(**{READ_ONLY: True})
            await conn.execute(text("SELECT 1"))
            await conn.rollback()

    async def unready(self) -> str | None:
        """Why this database cannot serve (unreachable, not at the latest migration), or None."""
        from starport.adapters.sql import migrate

        try:
            async with self.engine.connect() as conn:
                conn = await conn.execution_options(**{READ_ONLY: True})
                found = (await conn.execute(text("SELECT version_num FROM alembic_version"))
                         ).scalar()
                await conn.rollback()
        except Exception as exc:  # what the probe reports, not a failure of the probe
            return f"database: {type(exc).__name__}"
        head = migrate.head()
        return None if found == head else f"database at migration {found}, not {head}"

    def exclusive_writes(self) -> contextlib.AbstractAsyncContextManager[None]:
        """SQLite: the writer alone, with no group commit open (for a transaction on a
        connection of its own). PostgreSQL: nothing to wait for."""
        return self.group.exclusive() if self.group is not None else contextlib.nullcontext()

    async def dispose(self) -> None:
        if self.group is not None:
            await self.group.close()
        await self.engine.dispose()
