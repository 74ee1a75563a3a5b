"""The SQL unit of work: one connection, one transaction, every repository over it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from starport.adapters.sql.engine import READ_ONLY
from starport.adapters.sql.gateway import Gateway, translate
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


class SqlUnitOfWork(UnitOfWork):
    def __init__(self, db: SqlDatabase, read_only: bool = False,
                 sender: OutboxSender | None = None) -> None:
        super().__init__(read_only, sender)
        self._db = db
        self._conn: AsyncConnection | None = None
        self._holds_writer_lock = False

    async def _begin(self) -> None:
        lock = None if self.read_only else self._db.writer_lock
        if lock is not None:
            await lock.acquire()
            self._holds_writer_lock = True
        try:
            self._conn = await self._db.engine.connect()
            if self.read_only:
                # SQLite: a plain BEGIN, which never waits for the writer. PostgreSQL: BEGIN
                # READ ONLY (one statement), where a write fails loudly.
                self._conn = await self._conn.execution_options(
                    **({"postgresql_readonly": True} if self._db.dialect == "postgresql"
                       else {READ_ONLY: True}))
            await self._conn.begin()
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

    def _bind(self) -> None:
        """Fresh repositories: no identity map, cached account or pending delta outlives the
        transaction it was read in."""
        assert self._conn is not None
        gw = Gateway(self._conn, self._db.counts, self.read_only)
        self._ledger = SqlLedger(gw, self._db.lock_system_accounts)
        self.ledger = self._ledger
        self.sessions = SqlSessions(gw)
        self.charges = SqlCharges(gw)
        self.refunds = SqlRefunds(gw)
        self.patrons = SqlPatrons(gw)
        self.memberships = SqlMemberships(gw)
        self.invites = SqlInvites(gw)
        self.bonuses = SqlBonuses(gw)
        self._bot_messages = SqlBotMessages(gw, self._db.messages)
        self.bot_messages = self._bot_messages
        self.deliveries = SqlDeliveries(gw)
        self.outbox = SqlOutbox(gw)
        self.cursors = SqlCursors(gw)
        self.limits = SqlLimits(gw)
        self.idempotency = SqlIdempotency(gw)
        self.links = SqlLinks(gw)
        self.link_tokens = SqlLinkTokens(gw)
        self.back_office = SqlBackOffice(gw)
        self.audit = SqlAudit(gw)
        self.support = SqlSupport(gw)

    async def _commit(self) -> None:
        assert self._conn is not None
        await self._ledger.flush()
        try:
            await self._conn.commit()
        except DBAPIError as exc:
            raise translate(exc) from exc
        for key in self._bot_messages.saved:  # a reader meanwhile may have cached the old text
            self._db.messages.forget(key)
        self._bind()

    async def _rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            await self._conn.rollback()
        if self._conn is not None:
            self._bind()

    async def _close(self) -> None:
        try:
            if self._conn is not None:
                await self._conn.close()
        finally:
            self._conn = None
            if self._holds_writer_lock and self._db.writer_lock is not None:
                self._holds_writer_lock = False
                self._db.writer_lock.release()
