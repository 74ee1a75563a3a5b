"""Deliveries: INSERT ... ON CONFLICT DO NOTHING is both the write and the duplicate check."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import BigInteger, cast, delete, func, select

from starport.adapters.sql import mappers as m
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import deliveries as t
from starport.application.deliveries import Delivery, DeliveryQuery


class SqlDeliveries:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, delivery: Delivery) -> bool:
        # A concurrent transaction adding the same (source, update id) makes this one wait
        # for it, then insert nothing: exactly one of them stores it.
        statement = self._gw.insert_or_ignore(t, returning="id")
        found = await self._gw.execute(statement, m.delivery_values(delivery))
        return found.first() is not None

    async def find(self, query: DeliveryQuery) -> Sequence[Delivery]:
        c = t.c
        statement = select(t)
        for column, value in ((c.update_id, query.update_id), (c.charge_id, query.charge_id),
                              (c.invoice_id, query.invoice_id),
                              (c.session_id, query.session_id), (c.source, query.source)):
            if value is not None:
                statement = statement.where(column == value)
        statement = statement.order_by(c.received_at.desc(), c.id.desc()).limit(query.limit)
        rows = (await self._gw.execute(statement)).mappings().all()
        return [m.delivery_from(r) for r in rows]

    async def last_update_id(self, source: str) -> int | None:
        c = t.c
        found = await self._gw.execute(
            select(func.max(cast(c.update_id, BigInteger)))
            .where(c.source == source, c.update_id.regexp_match("^[0-9]{1,18}$")))
        value = found.scalar()
        return int(value) if value is not None else None

    async def prune(self, before: datetime, limit: int) -> int:
        c = t.c
        old = select(c.id).where(c.received_at < before).order_by(c.received_at).limit(limit)
        ids = [r[0] for r in await self._gw.execute(old)]
        if not ids:
            return 0
        await self._gw.execute(delete(t).where(c.id.in_(ids)))
        return len(ids)
