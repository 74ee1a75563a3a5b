"""The unit of work: one transaction over every repository."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from datetime import timedelta
from types import TracebackType
from typing import Protocol, Self

from starport.application import repositories as repos
from starport.application.effects import OutboxItem


class Conflict(Exception):
    """A concurrent transaction got there first (unique key, serialization failure, deadlock):
    the whole use case may be retried and will then see the other's result."""


class OutboxSender(Protocol):
    """Takes the outbox items a transaction queued, once it has committed, and sends them.
    The items come leased to this process (`lease_until`): nobody else takes them meanwhile."""

    @property
    def lease(self) -> float:
        """Seconds an item queued for this sender stays leased to it."""
        ...

    def submit(self, items: Sequence[OutboxItem]) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, read_only: bool = False, *, bookkeeping: bool = False) -> UnitOfWork:
        """`bookkeeping`: a unit that records work already done (the outbox's results, its
        leases): it must not wait behind the work it records (a back end with a pool of
        connections gives it one of its own)."""
        ...


class UnitOfWork(abc.ABC):
    sessions: repos.SessionRepository
    charges: repos.ChargeRepository
    ledger: repos.LedgerRepository
    refunds: repos.RefundRepository
    patrons: repos.PatronRepository
    memberships: repos.MembershipRepository
    invites: repos.InviteRepository
    bonuses: repos.BonusRepository
    bot_messages: repos.BotMessageRepository
    deliveries: repos.DeliveryRepository
    outbox: repos.OutboxRepository
    cursors: repos.CursorRepository
    limits: repos.LimitRepository
    idempotency: repos.IdempotencyRepository
    links: repos.LinkRepository
    link_tokens: repos.LinkTokenRepository
    back_office: repos.BackOfficeReader
    audit: repos.AuditRepository
    support: repos.SupportRepository

    def __init__(self, read_only: bool = False, sender: OutboxSender | None = None) -> None:
        self.read_only = read_only  # reads only: SQLite need not queue behind the writer
        self._sender = sender  # None: queued items wait for the dispatch job
        self._queued: list[OutboxItem] = []
        self._stamped = 0  # items queued in this transaction, for their created_at
        self._committed = False

    async def __aenter__(self) -> Self:
        self._queued = []
        self._stamped = 0
        self._committed = False
        await self._begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed:
                await self._rollback()
        finally:
            await self._close()

    async def queue(self, item: OutboxItem, *, send: bool = True) -> None:
        """Write a side effect to the outbox in this transaction. With a sender, the item is
        leased to it from the start: after the commit it goes out at once, and a crash leaves
        it to the dispatch job once the lease has run out. `send=False`: only the dispatch job
        sends it (an item that must wait behind an earlier one of its chat)."""
        # Items queued together keep their order even under a clock that did not move: each
        # is a microsecond after the one before (the outbox serves a chat oldest first).
        self._stamped += 1
        item.created_at += timedelta(microseconds=self._stamped - 1)
        if send:
            if self._sender is not None:
                item.lease_until = item.created_at + timedelta(seconds=self._sender.lease)
            self._queued.append(item)
        await self.outbox.add(item)

    async def commit(self) -> None:
        """Commit; then the items this transaction queued go to the sender."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        await self._commit()
        self._committed = True
        queued, self._queued = self._queued, []
        if queued and self._sender is not None:
            self._sender.submit(queued)

    async def rollback(self) -> None:
        await self._rollback()
        self._queued = []

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _close(self) -> None:  # noqa: B027 - optional hook
        pass

