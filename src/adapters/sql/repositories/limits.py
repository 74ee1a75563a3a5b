"""The payment limits' history, and the raw webhook inbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from adapters.sql import mappers as m
from adapters.sql.gateway import Gateway
from adapters.sql.tables import limit_guards, payment_attempts, webhook_inbox
from application.webhook_records import RawWebhook, WebhookQuery

_SET_OUTCOME = update(webhook_inbox).where(webhook_inbox.c.id == bindparam("b_id"))


class SqlLimits:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def hold(self, user_key: str, now: datetime) -> None:
        # One statement that inserts or updates the user's guard row: either way the row stays
        # locked until this transaction ends, so a second checker (any instance) waits here and
        # then counts what the first committed (READ COMMITTED: a fresh snapshot per statement).
        # On SQLite every writer holds the database lock from BEGIN IMMEDIATE anyway.
        statement = self._gw.insert(limit_guards).values(user_key=user_key, touched_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["user_key"], set_={"touched_at": statement.excluded.touched_at})
        await self._gw.execute(statement)

    async def times(self, user_key: str, kind: str, since: datetime) -> Sequence[datetime]:
        c = payment_attempts.c
        rows = await self._gw.execute(
            select(c.at).where(c.user_key == user_key, c.kind == kind, c.at > since)
            .order_by(c.at, c.id))
        return [r[0] for r in rows]

    async def record(self, user_key: str, kind: str, at: datetime) -> None:
        await self._gw.execute(payment_attempts.insert().values(user_key=user_key, kind=kind,
                                                                at=at))

    async def prune(self, before: datetime) -> int:
        done = await self._gw.execute(delete(payment_attempts)
                                      .where(payment_attempts.c.at < before))
        await self._gw.execute(delete(limit_guards).where(limit_guards.c.touched_at < before))
        return int(done.rowcount or 0)


class SqlWebhookInbox:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, record: RawWebhook) -> None:
        await self._gw.execute(self._gw.insert_or_ignore(webhook_inbox),
                               m.webhook_values(record))

    async def set_outcome(self, record_id: str, outcome: str, at: datetime) -> None:
        await self._gw.execute(_SET_OUTCOME, {"b_id": record_id, "outcome": outcome,
                                              "outcome_at": at})

    async def find(self, query: WebhookQuery) -> Sequence[RawWebhook]:
        c = webhook_inbox.c
        statement = select(webhook_inbox)
        for column, value in ((c.update_id, query.update_id), (c.charge_id, query.charge_id),
                              (c.invoice_id, query.invoice_id),
                              (c.session_id, query.session_id), (c.source, query.source)):
            if value is not None:
                statement = statement.where(column == value)
        statement = statement.order_by(c.received_at.desc(), c.id.desc()).limit(query.limit)
        rows = (await self._gw.execute(statement)).mappings().all()
        return [m.webhook_from(r) for r in rows]

    async def prune(self, before: datetime, limit: int) -> int:
        c = webhook_inbox.c
        old = select(c.id).where(c.received_at < before).order_by(c.received_at).limit(limit)
        ids = [r[0] for r in await self._gw.execute(old)]
        if not ids:
            return 0
        await self._gw.execute(delete(webhook_inbox).where(c.id.in_(ids)))
        return len(ids)
