"""The back office's reads and the audit trail, over the in-memory tables."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from starport.adapters.memory.table import TxView
from starport.application.effects import OutboxItem, OutboxStatus
from starport.application.repositories import SessionQuery
from starport.domain.audit import AdminAction
from starport.domain.charges import Charge
from starport.domain.ledger import JournalEntry
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession


def _in(moment: datetime | None, since: datetime, until: datetime) -> bool:
    return moment is not None and since <= moment < until


def _matches(s: PaymentSession, q: SessionQuery) -> bool:
    return ((q.session_ids is None or s.id in q.session_ids)
            and (q.user_ids is None or s.user_id in q.user_ids)
            and (q.telegram_user_id is None or s.telegram_user_id == q.telegram_user_id)
            and (q.provider is None or s.provider is q.provider)
            and (q.status is None or s.status is q.status)
            and (q.since is None or s.created_at >= q.since)
            and (q.until is None or s.created_at < q.until)
            and (q.before is None or (s.created_at, s.id) < q.before))


class MemoryBackOffice:
    def __init__(self, sessions: TxView[str, PaymentSession],
                 charges: TxView[tuple[Provider, str], Charge],
                 entries: TxView[str, JournalEntry], outbox: TxView[str, OutboxItem]) -> None:
        self._sessions, self._charges = sessions, charges
        self._entries, self._outbox = entries, outbox

    async def sessions(self, query: SessionQuery) -> Sequence[PaymentSession]:
        found = [s for s in self._sessions.values() if _matches(s, query)]
        found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        return found[:query.limit]

    async def charges_of(self, session_id: str) -> Sequence[Charge]:
        return self._charges_where(lambda c: c.session_id == session_id)

    async def charges_by_id(self, charge_id: str) -> Sequence[Charge]:
        return self._charges_where(lambda c: c.charge_id == charge_id)

    async def charges_between(self, since: datetime, until: datetime) -> Sequence[Charge]:
        return self._charges_where(lambda c: _in(c.reported_at, since, until))

    def _charges_where(self, keep: Callable[[Charge], bool]) -> list[Charge]:
        found = [c for c in self._charges.values() if keep(c)]
        return sorted(found, key=lambda c: (c.reported_at, c.charge_id))

    async def entries_about(self, reference: str) -> Sequence[JournalEntry]:
        found = [e for e in self._entries.values() if e.reference == reference]
        return sorted(found, key=lambda e: (e.created_at, e.id))

    async def settled_between(self, since: datetime, until: datetime
                              ) -> Sequence[PaymentSession]:
        return [s for s in self._sessions.values()
                if _in(s.paid_at, since, until) or _in(s.refunded_at, since, until)]

    async def outbox(self, status: OutboxStatus | None, limit: int,
                     before: datetime | None = None) -> Sequence[OutboxItem]:
        found = [i for i in self._outbox.values()
                 if (status is None or i.status is status)
                 and (before is None or i.created_at < before)]
        found.sort(key=lambda i: (i.created_at, i.id), reverse=True)
        return found[:limit]


class MemoryAudit:
    def __init__(self, view: TxView[str, AdminAction]) -> None:
        self._v = view

    async def add(self, action: AdminAction) -> None:
        self._v.put(action.id, action)

    async def find(self, *, admin: str | None = None, target: str | None = None,
                   before: tuple[datetime, str] | None = None, limit: int = 50
                   ) -> Sequence[AdminAction]:
        found = [a for a in self._v.values()
                 if (admin is None or a.admin == admin) and (target is None or a.target == target)
                 and (before is None or (a.at, a.id) < before)]
        found.sort(key=lambda a: (a.at, a.id), reverse=True)
        return found[:limit]
