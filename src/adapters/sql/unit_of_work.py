"""The SQL unit of work: one connection, one transaction, every repository over it."""

from __future__ import annotations

import asyncio
import sqlite3
import weakref
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from starport.adapters.sql.engine import note_server_dropped
from starport.adapters.sql.fast_path import end_transaction
from starport.adapters.sql.gateway import Gateway, translate
from starport.adapters.sql.group_commit import Batch
from starport.adapters.sql.kept import KeptConnections
from starport.adapters.sql.repositories.back_office import SqlAudit, SqlBackOffice
from starport.adapters.sql.repositories.charges import SqlCharges
from starport.adapters.sql.repositories.deliveries import SqlDeliveries
from starport.adapters.sql.repositories.idempotency import SqlIdempotency
from starport.adapters.sql.repositories.ledger import SqlLedger
from starport.adapters.sql.repositories.limits import SqlLimits
from starport.adapters.sql.repositories.links import SqlLinks, SqlLinkTokens
from starport.adapters.sql.repositories.outbox import SqlOutbox
from starport.adapters.sql.repositories.perks import (
    SqlBonuses,
    SqlInvites,
    SqlMemberships,
    SqlPatrons,
)
from starport.adapters.sql.repositories.records import SqlBotMessages, SqlCursors, SqlRefunds
from starport.adapters.sql.repositories.sessions import SqlSessions
from starport.adapters.sql.repositories.support import SqlSupport
from starport.application.unit_of_work import OutboxSender, UnitOfWork

if TYPE_CHECKING:
    from starport.adapters.sql.database import SqlDatabase

R = TypeVar("R")


class _Repository(Generic[R]):
    """A unit of work's repository: made over the unit's current transaction when first used
    in it, then the same one until the transaction ends (`SqlUnitOfWork._bind`)."""

    def __init__(self, make: Callable[[SqlUnitOfWork], R]) -> None:
        self._make = make
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, uow: None, owner: type) -> _Repository[R]: ...

    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...

    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | _Repository[R]:
        if uow is None:
            return self
        made = uow._repos.get(self._name)
        if made is None:
            made = uow._repos[self._name] = self._make(uow)
        return made  # type: ignore[return-value]


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, db: SqlDatabase, read_only: bool = False,
                 sender: OutboxSender | None = None, *, bookkeeping: bool = False) -> None:
        super().__init__(read_only, sender)
        self._db = db
        self._bookkeeping = bookkeeping and db.dialect == "postgresql"  # SQLite: one writer
        self._conn: AsyncConnection | None = None
        self._member: Batch | None = None  # SQLite: this writer's place in a group commit
        self._gw: Gateway | None = None
        self._repos: dict[str, object] = {}  # by name, this transaction's (`_Repository`)
        self._turn: asyncio.Semaphore | None = None  # a reader's place (take_read_turn)
        self._kept: KeptConnections | None = None  # PostgreSQL: where the connection goes back
        self._spent: list[Gateway] = []  # gateways of its ended transactions (kept connection)

    async def _begin(self) -> None:
        group = None if self.read_only else self._db.group
        if group is not None:
            self._member = await group.join()
            self._conn = self._member.conn
            self._bind()
            return
        try:
            if self._bookkeeping and not self.read_only:
                self._conn = await self._connect(self._db.bookkeeping_engine)
            elif not self.read_only:
                await self._db.let_readers_first()
                self._conn = await self._connect(self._db.engine)
            else:
                self._turn = await self._db.take_read_turn()
                if self._db.dialect == "postgresql":
                    # each statement on its own (autocommit): see SqlDatabase.read_engine;
                    # the gateway refuses writes
                    self._conn = await self._connect(self._db.read_engine)
                else:  # SQLite: a plain BEGIN, which never waits for the writer
                    assert self._db.sqlite_readers is not None
                    self._conn = await self._db.sqlite_readers.connect()
            if self._db.dialect != "postgresql":
                await self._conn.begin()
            # PostgreSQL: no SQLAlchemy transaction up front. The short path begins one on the
            # driver with its first statement, an ordinary statement makes SQLAlchemy begin
            # its own on that same one, and the end goes to whichever began (`_end`): two
            # hops through SQLAlchemy's greenlet bridge fewer per unit of work.
            if self.read_only:
                self._db.counts.read_transactions += 1
            else:
                self._db.counts.write_transactions += 1
        except BaseException as exc:
            await self._close()
            if isinstance(exc, DBAPIError):
                raise translate(exc) from exc
            raise
        self._bind()

    async def _connect(self, engine: AsyncEngine) -> AsyncConnection:
        """PostgreSQL: a connection an earlier unit of work handed on, if it can be trusted
        (`kept`); otherwise, and on SQLite, the pool's."""
        if self._db.dialect != "postgresql":
            return await engine.connect()
        self._kept = self._db.kept(engine)
        return await self._kept.take()

    def _bind(self) -> None:
        """Fresh repositories: no identity map, cached account or pending delta outlives the
        transaction it was read in. Each is made when the transaction first uses it (a
        payment's units use four or five of the nineteen)."""
        assert self._conn is not None
        if self._gw is not None and self._kept is not None:
            self._spent.append(self._gw)  # detached with the unit's own at its end (`_close`)
        self._gw = Gateway(self._conn, self._db.counts, self.read_only, self._raw(),
                           self._asyncpg())
        self._repos = {}

    ledger = _Repository(lambda u: SqlLedger(u._tx(), u._db.lock_system_accounts))
    sessions = _Repository(lambda u: SqlSessions(u._tx()))
    charges = _Repository(lambda u: SqlCharges(u._tx()))
    refunds = _Repository(lambda u: SqlRefunds(u._tx()))
    patrons = _Repository(lambda u: SqlPatrons(u._tx()))
    memberships = _Repository(lambda u: SqlMemberships(u._tx()))
    invites = _Repository(lambda u: SqlInvites(u._tx()))
    bonuses = _Repository(lambda u: SqlBonuses(u._tx()))
    bot_messages = _Repository(lambda u: SqlBotMessages(u._tx(), u._db.messages))
    deliveries = _Repository(lambda u: SqlDeliveries(u._tx()))
    outbox = _Repository(lambda u: SqlOutbox(u._tx()))
    cursors = _Repository(lambda u: SqlCursors(u._tx()))
    limits = _Repository(lambda u: SqlLimits(u._tx()))
    idempotency = _Repository(lambda u: SqlIdempotency(u._tx()))
    links = _Repository(lambda u: SqlLinks(u._tx()))
    link_tokens = _Repository(lambda u: SqlLinkTokens(u._tx()))
    back_office = _Repository(lambda u: SqlBackOffice(u._tx()))
    audit = _Repository(lambda u: SqlAudit(u._tx()))
    support = _Repository(lambda u: SqlSupport(u._tx()))

    def _tx(self) -> Gateway:
        assert self._gw is not None, "a repository is used inside its unit of work"
        return self._gw

    def _saved_messages(self) -> Iterable[str]:
        """The bot messages this transaction changed (made only if it used them)."""
        made = self._repos.get("bot_messages")
        return made.saved if isinstance(made, SqlBotMessages) else ()

    def _raw(self) -> sqlite3.Connection | None:
        """SQLite's own connection under this transaction, for the short path (fast_path)."""
        if self._member is not None:
            return self._member.raw
        if self._db.dialect != "sqlite" or self._conn is None:
            return None
        fairy = self._pooled()
        raw = fairy.driver_connection if fairy is not None else None
        return raw if isinstance(raw, sqlite3.Connection) else None

    def _asyncpg(self) -> Any:
        """PostgreSQL through asyncpg: SQLAlchemy's adapter of the connection (fast_path)."""
        if self._db.dialect != "postgresql" or self._conn is None:
            return None
        fairy = self._pooled()
        adapt = fairy.dbapi_connection if fairy is not None else None
        return adapt if hasattr(adapt, "_start_transaction") else None

    def _pooled(self) -> Any:
        """The pooled DB-API connection, or None once it was invalidated. Never reconnects:
        `Connection.connection` would, and a rebind after a lost connection must not wait for
        a new one (a request then took a statement timeout more, and failed as a 500)."""
        if self._conn is None or self._conn.invalidated:
            return None
        return self._conn.sync_connection._dbapi_connection  # type: ignore[union-attr]

    async def _commit(self) -> None:
        assert self._conn is not None
        ledger = self._repos.get("ledger")
        if isinstance(ledger, SqlLedger):
            await ledger.flush()
        if self._gw is not None:
            await self._gw.flush(committing=True)  # PostgreSQL: what waited, in one trip
        if self._member is not None:
            await self._leave(committed=True)
            return
        try:
            await self._end(commit=True)
        except DBAPIError as exc:
            raise translate(exc) from exc
        for key in self._saved_messages():  # a reader meanwhile may have cached the old text
            self._db.messages.forget(key)
        self._bind()

    async def _leave(self, committed: bool) -> None:
        """End this unit's part in the group commit. The shared connection is not ours after
        it (a statement there would land in another member's savepoint): what the caller
        reads after its commit is read in a read transaction of its own, opened if need be."""
        member, self._member = self._member, None
        assert member is not None and self._db.group is not None and self._gw is not None
        self._gw.conn = _AfterCommit(self)  # type: ignore[assignment]
        self._gw.raw = None
        self._conn = None
        if committed:
            await self._db.group.commit(member)
            for key in self._saved_messages():
                self._db.messages.forget(key)
        else:
            self._db.group.rollback(member)

    async def reopen(self) -> AsyncConnection:
        if self._turn is None:
            self._turn = await self._db.take_read_turn()
        assert self._db.sqlite_readers is not None  # only a member of a group commit leaves
        conn = await self._db.sqlite_readers.connect()
        await conn.begin()
        self._db.counts.read_transactions += 1
        self._conn = conn
        assert self._gw is not None
        self._gw.conn = conn
        self._gw.raw = self._raw()
        return conn

    async def _end(self, commit: bool) -> None:
        """COMMIT or ROLLBACK: through SQLAlchemy when it began the transaction, else on the
        driver, where the short path began it (if anything ran at all)."""
        assert self._conn is not None
        if self._conn.in_transaction():
            await (self._conn.commit() if commit else self._conn.rollback())
        elif self._gw is not None and self._gw.asyncpg is not None:
            await end_transaction(self._gw.asyncpg, commit)

    def _dropped(self) -> str | None:
        """PostgreSQL: "ended" when the server ended this connection (a restart, a timeout)
        while it was in use, "stuck" when it is left inside a transaction nobody will end. A
        statement on the short path fails outside SQLAlchemy, which therefore never learns;
        the pool would hand such a connection to the next unit of work."""
        adapt = self._gw.asyncpg if self._gw is not None else None
        if adapt is None:
            return None
        conn = adapt._connection
        if conn.is_closed():
            return "ended"
        # The driver forgot a transaction the server still has: a cancel that landed in
        # BEGIN, or a second one in the ROLLBACK (the next unit would nest in it, or fail).
        if adapt._transaction is None and (conn.is_in_transaction()
                                           or conn._top_xact is not None):
            return "stuck"
        return None

    async def _rollback(self) -> None:
        if self._member is not None:
            await self._leave(committed=False)
            return
        if self._conn is not None:
            await self._end(commit=False)
            self._bind()

    async def _close(self) -> None:
        if self._member is not None:  # cancelled between begin and commit
            await self._leave(committed=False)
            return
        try:
            if self._conn is not None:
                dropped = self._dropped()
                if dropped is not None:  # not back to the pool: the next unit would fail on it
                    await self._conn.invalidate()
                if dropped == "ended":  # a restart ends them all: check the others before use
                    note_server_dropped(self._db.url)
                if self._kept is not None:  # for the next unit, or back to the pool
                    await self._kept.give(self._conn, reusable=dropped is None)
                else:
                    await self._conn.close()
        finally:
            if self._kept is not None:  # the connection may serve another unit of work now:
                for gw in [*self._spent, *([self._gw] if self._gw is not None else [])]:
                    gw.conn = _Ended()  # type: ignore[assignment]  # nothing of this one's
                    gw.asyncpg = None  # repositories may reach it
                self._spent = []
            self._conn = None
            self._kept = None
            turn, self._turn = self._turn, None
            if turn is not None:
                turn.release()


class _AfterCommit:
    """Where a unit of work's statements go after its part in a group commit ended."""

    def __init__(self, uow: SqlUnitOfWork) -> None:
        self._uow = weakref.ref(uow)  # no cycle: a unit of work is freed when it ends

    async def execute(self, statement: Any, params: Any = None) -> Any:
        uow = self._uow()
        if uow is None:
            raise RuntimeError("this unit of work has ended")
        return await (await uow.reopen()).execute(statement, params)


class _Ended:
    """Where an ended unit of work's statements go once its connection was handed on."""

    async def execute(self, statement: Any, params: Any = None) -> Any:
        raise RuntimeError("this unit of work has ended")
