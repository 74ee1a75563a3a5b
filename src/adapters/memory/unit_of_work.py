"""The in-memory unit of work: transactions run one at a time and publish on commit."""

from __future__ import annotations

import asyncio

from starport.adapters.memory import repositories as r
from starport.adapters.memory.back_office import MemoryAudit, MemoryBackOffice
from starport.adapters.memory.table import TxView
from starport.application.unit_of_work import OutboxSender, UnitOfWork


class MemoryUnitOfWork(UnitOfWork):
    def __init__(self, store: r.MemoryStore, lock: asyncio.Lock, read_only: bool = False,
                 sender: OutboxSender | None = None) -> None:
        super().__init__(read_only, sender)
        self._holds_lock = False
        self._store = store
        self._lock = lock
        self._views: list[TxView] = []  # type: ignore[type-arg]

    async def _begin(self) -> None:
        if not self.read_only:  # a reader sees committed rows; it never blocks the writer
            await self._lock.acquire()
            self._holds_lock = True
        s = self._store
        views = {
            "sessions": TxView(s.sessions), "charges": TxView(s.charges),
            "accounts": TxView(s.accounts), "entries": TxView(s.entries),
            "refunds": TxView(s.refunds), "patrons": TxView(s.patrons),
            "memberships": TxView(s.memberships), "invites": TxView(s.invites),
            "bonuses": TxView(s.bonuses), "bot_messages": TxView(s.bot_messages),
            "changes": TxView(s.bot_message_changes), "deliveries": TxView(s.deliveries),
            "outbox": TxView(s.outbox), "cursors": TxView(s.cursors),
            "attempts": TxView(s.attempts), "idempotency": TxView(s.idempotency),
            "links": TxView(s.links), "link_tokens": TxView(s.link_tokens),
            "admin_actions": TxView(s.admin_actions),
            "conversations": TxView(s.conversations),
            "support_messages": TxView(s.support_messages),
        }
        self._views = list(views.values())
        self.charges = r.MemoryCharges(views["charges"])
        self.ledger = r.MemoryLedger(views["accounts"], views["entries"])
        self.refunds = r.MemoryRefunds(views["refunds"])
        self.patrons = r.MemoryPatrons(views["patrons"])
        self.memberships = r.MemoryMemberships(views["memberships"])
        self.invites = r.MemoryInvites(views["invites"])
        self.bonuses = r.MemoryBonuses(views["bonuses"])
        self.bot_messages = r.MemoryBotMessages(views["bot_messages"], views["changes"])
        self.deliveries = r.MemoryDeliveries(views["deliveries"])
        self.outbox = r.MemoryOutbox(views["outbox"])
        self.cursors = r.MemoryCursors(views["cursors"])
        self.limits = r.MemoryLimits(views["attempts"], s.attempt_numbers)
        self.sessions = r.MemorySessions(views["sessions"], views["charges"], self.limits)
        self.idempotency = r.MemoryIdempotency(views["idempotency"])
        self.links = r.MemoryLinks(views["links"])
        self.link_tokens = r.MemoryLinkTokens(views["link_tokens"])
        self.back_office = MemoryBackOffice(views["sessions"], views["charges"],
                                            views["entries"], views["outbox"])
        self.audit = MemoryAudit(views["admin_actions"])
        self.support = r.MemorySupport(views["conversations"], views["support_messages"])

    async def _commit(self) -> None:
        for view in self._views:
            view.flush()
        self._views = []

    async def _rollback(self) -> None:
        self._views = []

    async def _close(self) -> None:
        if self._holds_lock:
            self._holds_lock = False
            self._lock.release()


class MemoryDatabase:
    """The factory the container hands to use cases: one store, one writer at a time.
    `sender` (set by the composition root) takes what each transaction queued."""

    def __init__(self) -> None:
        self.store = r.MemoryStore()
        self._lock = asyncio.Lock()
        self.sender: OutboxSender | None = None

    def __call__(self, read_only: bool = False, *, bookkeeping: bool = False
                 ) -> MemoryUnitOfWork:
        return MemoryUnitOfWork(self.store, self._lock, read_only, self.sender)
