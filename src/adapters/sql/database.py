"""`SqlDatabase`: the engine built from a URL, and the factory of SQL units of work."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starport.adapters.sql.engine import (
    BUSY_TIMEOUT_MS,
    READ_ONLY,
    RECYCLE,
    is_sqlite,
    make_engine,
    url_from_env,
)
from starport.adapters.sql.gateway import Statements
from starport.adapters.sql.group_commit import GroupCommit
from starport.adapters.sql.kept import KeptConnections
from starport.adapters.sql.repositories.records import MessageCache
from starport.adapters.sql.unit_of_work import SqlUnitOfWork
from starport.application.unit_of_work import OutboxSender

READERS_FIRST_FOR = 0.05  # seconds a write unit of work waits at most for waiting reads


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
        # SQLite: read-only units on the same pool, their connections marked once here (a
        # connection's own `execution_options` makes a new connection object each time)
        self.sqlite_readers: AsyncEngine | None = (
            self.engine.execution_options(**{READ_ONLY: True}) if self.group is not None
            else None)
        self._timeouts = (connect_timeout, statement_timeout)
        self.statement_timeout = statement_timeout  # seconds (None: none), as the engines'
        self._read_pool = max(1, min(3, pool_size or 3))
        self._read_turns: asyncio.Semaphore | None = None
        self._readers_waiting = 0
        self._no_reader_waiting: asyncio.Event | None = None
        self._session_engine: AsyncEngine | None = None
        self._read_engine: AsyncEngine | None = None
        self._bookkeeping_engine: AsyncEngine | None = None
        self._kept: dict[int, KeptConnections] = {}  # PostgreSQL, by id of the engine

    def kept(self, engine: AsyncEngine) -> KeptConnections:
        """PostgreSQL: the connections units of work hand on over this engine (`kept`)."""
        found = self._kept.get(id(engine))
        if found is None:
            found = self._kept[id(engine)] = KeptConnections(engine, RECYCLE,
                                                             self._timeouts[0])
        return found

    @contextlib.asynccontextmanager
    async def connection(self, engine: AsyncEngine, *, keep: bool = True
                         ) -> AsyncIterator[AsyncConnection]:
        """A connection of `engine` outside a unit of work. PostgreSQL: taken where units of
        work hand theirs on (a connection kept there is no longer in the pool: taking one
        from the pool alone could wait for it until the pool's timeout), and given back there
        (`keep`: False for a connection whose options were changed, which goes back through
        the pool's checkin and its reset)."""
        if self.dialect != "postgresql":
            async with engine.connect() as conn:
                yield conn
            return
        kept = self.kept(engine)
        conn = await kept.take()
        try:
            yield conn
        except BaseException:
            await kept.give(conn, reusable=False)
            raise
        await kept.give(conn, reusable=keep)

    @property
    def session_engine(self) -> AsyncEngine:
        """PostgreSQL connections held for a while beside a unit of work's: a job's advisory
        lock, held while the job's own transactions run. A pool of their own, so that a
        holder waiting for a transaction's connection can never be what keeps that pool
        empty (with one pool, as many jobs as pooled connections each held a lock and waited
        for a second connection until the pool's timeout)."""
        if self._session_engine is None:
            self._session_engine = self._engine_beside(pool_size=2, max_overflow=8)
        return self._session_engine

    @property
    def read_engine(self) -> AsyncEngine:
        """PostgreSQL: the connections of read-only units of work, in autocommit (under READ
        COMMITTED a read-only transaction's statements each see a snapshot of their own
        anyway; BEGIN and ROLLBACK cost two round trips). A pool of their own: a read (a
        pre-checkout, which Telegram waits for) never queues behind the writers' transactions
        for a connection."""
        if self._read_engine is None:
            self._read_engine = self._engine_beside(pool_size=self._read_pool, max_overflow=0,
                                                    autocommit=True)
        return self._read_engine

    @property
    def bookkeeping_engine(self) -> AsyncEngine:
        """PostgreSQL: the connections of bookkeeping units of work (the outbox's results and
        leases). A pool of their own: a result recorded waits for no payment's connection
        (with one pool, under load the results of confirmations already sent waited behind
        the payments, and a crash meanwhile made those confirmations go out twice)."""
        if self._bookkeeping_engine is None:
            self._bookkeeping_engine = self._engine_beside(pool_size=2, max_overflow=0)
        return self._bookkeeping_engine

    def _engine_beside(self, **options: Any) -> AsyncEngine:
        """Another engine on the same database, with the main one's timeouts."""
        connect, statement = self._timeouts
        return make_engine(self.url, connect_timeout=connect, statement_timeout=statement,
                           **options)

    async def take_read_turn(self) -> asyncio.Semaphore:
        """A place among the connections read-only units of work take from their pool, first
        come, first served; `release()` it once the connection is back. SQLAlchemy's pool
        waits on an asyncio queue, where a newcomer takes a connection given back while an
        earlier waiter is being woken, and that waiter queues again at the end: under a steady
        load a read could wait as long as the load lasted (bench/webhook.py, SQLite, 3,000
        payments at 256 payers: the first pre-checkouts answered after 6 s, when the others
        were done; a pre-checkout has 10 s). Writers need no turn: on SQLite they queue on
        the group commit's lock, which is fair; on PostgreSQL their unfair wait stayed
        bounded (p99 1.9 s through a 9 s burst of 4,000 payments at 256 payers, as in a 2 s
        one), and a turn cost their throughput a sixth (see docs/benchmarks.md). Past the
        connect timeout, the pool's own error (the caller's 503)."""
        turn = self._read_turns
        if turn is None:
            turn = self._read_turns = asyncio.Semaphore(self._read_places())
        if not turn.locked():  # free: taken at once, no timer
            await turn.acquire()
            return turn
        if self._readers_waiting == 0 and self._no_reader_waiting is not None:
            self._no_reader_waiting.clear()
        self._readers_waiting += 1
        try:
            async with asyncio.timeout(self._timeouts[0]):
                await turn.acquire()
        except TimeoutError:
            raise exc.TimeoutError(f"no database connection free within "
                                   f"{self._timeouts[0]:g} s") from None
        finally:
            self._readers_waiting -= 1
            if self._readers_waiting == 0 and self._no_reader_waiting is not None:
                self._no_reader_waiting.set()
        return turn

    async def let_readers_first(self) -> None:
        """PostgreSQL: a write unit of work about to start waits while reads wait for a place,
        at most `READERS_FIRST_FOR` seconds. A read is a pre-checkout, which Telegram waits for;
        a payment is not. Without this, in an opening burst (32 pre-checkouts at once, then
        each payer's payment as soon as its pre-checkout is answered) the last pre-checkouts
        queued for the readers' 3 places behind payments that came after them, and took 45 to
        90 ms (bench/webhook.py, docs/benchmarks.md, twelfth pass). Bounded, so that a steady
        stream of reads cannot starve the writers, and so that a task which holds a read place
        while it opens a write unit of work waits no longer than that."""
        if self._readers_waiting == 0:
            return
        if self._no_reader_waiting is None:
            self._no_reader_waiting = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(READERS_FIRST_FOR):
                await self._no_reader_waiting.wait()

    def _read_places(self) -> int:
        if self.dialect == "postgresql":
            return self._read_pool
        pool: Any = self.engine.pool
        places = pool.size() + max(0, getattr(pool, "_max_overflow", 0))
        return max(1, places - 1)  # SQLite: the group commit's batch holds one

    def __call__(self, read_only: bool = False, *, bookkeeping: bool = False
                 ) -> SqlUnitOfWork:
        return SqlUnitOfWork(self, read_only, self.sender, bookkeeping=bookkeeping)

    def _probe_engine(self) -> AsyncEngine:
        """PostgreSQL: the readers' pool, where a probe never waits behind busy writers."""
        return self.read_engine if self.dialect == "postgresql" else self.engine

    async def ping(self) -> None:
        """Raises when the database cannot be reached (the caller bounds the wait). On SQLite a
        plain BEGIN: a health check never queues behind the writer."""
        async with self.connection(self._probe_engine(), keep=False) as conn:
            conn = await conn.execution_options(**{READ_ONLY: True})
            await conn.execute(text("SELECT 1"))
            await conn.rollback()

    async def unready(self) -> str | None:
        """Why this database cannot serve (unreachable, not at the latest migration), or None."""
        from starport.adapters.sql import migrate

        try:
            async with self.connection(self._probe_engine(), keep=False) as conn:
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
        kept, self._kept = self._kept, {}
        for connections in kept.values():
            await connections.close()
        await self.engine.dispose()
        if self._session_engine is not None:
            await self._session_engine.dispose()
        if self._read_engine is not None:
            await self._read_engine.dispose()
        if self._bookkeeping_engine is not None:
            await self._bookkeeping_engine.dispose()
