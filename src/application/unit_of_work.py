"""The unit of work: one transaction over every repository; events are released after commit."""

from __future__ import annotations

import abc
import contextvars
from types import TracebackType
from typing import Protocol, Self

from application import repositories as repos
from application.webhook_records import pending_webhook
from domain.events import Event


class Conflict(Exception):
    """A concurrent transaction got there first (unique key, serialization failure, deadlock):
    the whole use case may be retried and will then see the other's result."""


class HasEvents(Protocol):
    events: list[Event]


# Events committed while a command is handled are queued here and handled by the bus after it.
committed_events: contextvars.ContextVar[list[Event] | None] = contextvars.ContextVar(
    "committed_events", default=None
)


class UnitOfWorkFactory(Protocol):
    def __call__(self, read_only: bool = False) -> UnitOfWork: ...


class UnitOfWork(abc.ABC):
    sessions: repos.SessionRepository
    ledger: repos.LedgerRepository
    refunds: repos.RefundRepository
    patrons: repos.PatronRepository
    memberships: repos.MembershipRepository
    invites: repos.InviteRepository
    bonuses: repos.BonusRepository
    bot_messages: repos.BotMessageRepository
    inbox: repos.InboxRepository
    outbox: repos.OutboxRepository
    cursors: repos.CursorRepository
    limits: repos.LimitRepository
    webhooks: repos.WebhookInboxRepository

    def __init__(self, read_only: bool = False) -> None:
        self._seen: list[HasEvents] = []
        self._committed = False
        self.read_only = read_only  # reads only: SQLite need not queue behind the writer
        self.outbox_queued = 0  # outbox items queued in this transaction (keeps their order)

    def track(self, aggregate: HasEvents) -> None:
        """Repositories call this for every aggregate they hand out or take in."""
        if not any(a is aggregate for a in self._seen):
            self._seen.append(aggregate)

    async def __aenter__(self) -> Self:
        self._seen = []
        self.outbox_queued = 0
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

    async def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        raw = pending_webhook.get()
        if raw is not None and not raw.stored:  # the delivery goes in with its first effect
            await self.webhooks.add(raw)
        await self._commit()
        self._committed = True
        if raw is not None:
            raw.stored = True
        released: list[Event] = []
        for aggregate in self._seen:
            released.extend(aggregate.events)
            aggregate.events.clear()
        queue = committed_events.get()
        if queue is not None:
            queue.extend(released)

    async def rollback(self) -> None:
        await self._rollback()
        for aggregate in self._seen:
            aggregate.events.clear()

    @abc.abstractmethod
    async def _begin(self) -> None: ...

    @abc.abstractmethod
    async def _commit(self) -> None: ...

    @abc.abstractmethod
    async def _rollback(self) -> None: ...

    async def _close(self) -> None:  # noqa: B027 - optional hook
        pass
