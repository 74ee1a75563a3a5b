"""The back office's reads across tables, and the admins' audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select

from starport.adapters.sql import mappers as m
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.repositories.ledger import with_postings
from starport.adapters.sql.tables import admin_actions as audit_t
from starport.adapters.sql.tables import charges as charges_t
from starport.adapters.sql.tables import entries as entries_t
from starport.adapters.sql.tables import outbox as outbox_t
from starport.adapters.sql.tables import sessions as sessions_t
from starport.application.effects import OutboxItem, OutboxStatus
from starport.application.repositories import SessionQuery
from starport.domain.audit import AdminAction
from starport.domain.charges import Charge
from starport.domain.ledger import JournalEntry
from starport.domain.sessions import PaymentSession


class SqlBackOffice:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def sessions(self, query: SessionQuery) -> Sequence[PaymentSession]:
        t = sessions_t
        q = select(t)
        if query.session_ids is not None:
            q = q.where(t.c.id.in_(query.session_ids))
        if query.user_ids is not None:
            q = q.where(t.c.user_id.in_(query.user_ids))
        if query.telegram_user_id is not None:
            q = q.where(t.c.telegram_user_id == query.telegram_user_id)
        if query.provider is not None:
            q = q.where(t.c.provider == query.provider.value)
        if query.status is not None:
            q = q.where(t.c.status == query.status.value)
        if query.since is not None:
            q = q.where(t.c.created_at >= query.since)
        if query.until is not None:
            q = q.where(t.c.created_at < query.until)
        if query.before is not None:
            at, session_id = query.before
            q = q.where(or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < session_id)))
        q = q.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(query.limit)
        return [m.session_from(r) for r in (await self._gw.execute(q)).mappings()]

    async def charges_of(self, session_id: str) -> Sequence[Charge]:
        return await self._charges(select(charges_t).where(charges_t.c.session_id == session_id))

    async def charges_by_id(self, charge_id: str) -> Sequence[Charge]:
        return await self._charges(select(charges_t).where(charges_t.c.charge_id == charge_id))

    async def charges_between(self, since: datetime, until: datetime) -> Sequence[Charge]:
        return await self._charges(select(charges_t).where(
            charges_t.c.reported_at >= since, charges_t.c.reported_at < until))

    async def _charges(self, q: Any) -> list[Charge]:
        q = q.order_by(charges_t.c.reported_at, charges_t.c.charge_id)
        return [m.charge_from(r) for r in (await self._gw.execute(q)).mappings()]

    async def entries_about(self, reference: str) -> Sequence[JournalEntry]:
        e = entries_t
        return await with_postings(self._gw, select(e).where(e.c.reference == reference)
                                   .order_by(e.c.created_at, e.c.id))

    async def settled_between(self, since: datetime, until: datetime
                              ) -> Sequence[PaymentSession]:
        t = sessions_t
        q = select(t).where(or_(and_(t.c.paid_at >= since, t.c.paid_at < until),
                                and_(t.c.refunded_at >= since, t.c.refunded_at < until)))
        return [m.session_from(r) for r in (await self._gw.execute(q)).mappings()]

    async def outbox(self, status: OutboxStatus | None, limit: int,
                     before: datetime | None = None) -> Sequence[OutboxItem]:
        t = outbox_t
        q = select(t)
        if status is not None:
            q = q.where(t.c.status == status.value)
        if before is not None:
            q = q.where(t.c.created_at < before)
        q = q.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return [m.outbox_from(r) for r in (await self._gw.execute(q)).mappings()]


class SqlAudit:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, action: AdminAction) -> None:
        await self._gw.execute(audit_t.insert(), {
            "id": action.id, "at": action.at, "admin": action.admin, "action": action.action,
            "target": action.target, "reason": action.reason, "detail": action.detail})

    async def find(self, *, admin: str | None = None, target: str | None = None,
                   before: tuple[datetime, str] | None = None, limit: int = 50
                   ) -> Sequence[AdminAction]:
        t = audit_t
        q = select(t)
        if admin is not None:
            q = q.where(t.c.admin == admin)
        if target is not None:
            q = q.where(t.c.target == target)
        if before is not None:
            at, action_id = before
            q = q.where(or_(t.c.at < at, and_(t.c.at == at, t.c.id < action_id)))
        q = q.order_by(t.c.at.desc(), t.c.id.desc()).limit(limit)
        return [AdminAction(id=r["id"], at=r["at"], admin=r["admin"], action=r["action"],
                            target=r["target"], reason=r["reason"], detail=r["detail"])
                for r in (await self._gw.execute(q)).mappings()]
