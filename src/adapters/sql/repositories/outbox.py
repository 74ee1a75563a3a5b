"""The outbox: items added with their change, claimed with a lease, recorded after the call."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from starport.adapters.sql import mappers as m
from starport.adapters.sql.fast_path import hot
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import outbox as t
from starport.adapters.sql.types import UtcDateTime
from starport.application.effects import OutboxItem, OutboxStatus, PublishEvent

_PENDING = OutboxStatus.PENDING.value
_EVENT = m.kind_of(PublishEvent)
# Built once (see gateway): the statements every delivered item runs.
_ITEM = hot(select(t).where(t.c.id == bindparam("b_id")))
_RECORD = hot(update(t).where(t.c.id == bindparam("b_id")))
_INSERT = hot(t.insert())


def _pick(dialect: str) -> Any:
    """The next due item, of a chat with no other item in flight, and the lease it had."""
    now = bindparam("b_now")
    due, busy = t.alias("due"), t.alias("busy")
    in_flight = select(busy.c.id).where(
        busy.c.chat_id == due.c.chat_id, busy.c.id != due.c.id, busy.c.status == _PENDING,
        busy.c.lease_until > now).exists()
    earlier = t.alias("earlier")
    event_waits = select(earlier.c.id).where(  # an earlier event of the lane still to go out
        earlier.c.chat_id == due.c.chat_id, earlier.c.status == _PENDING,
        earlier.c.kind == _EVENT,
        or_(earlier.c.created_at < due.c.created_at,
            and_(earlier.c.created_at == due.c.created_at, earlier.c.id < due.c.id))).exists()
    pick = (select(due.c.id, due.c.lease_until)
            .where(due.c.status == _PENDING, due.c.available_at <= now,
                   or_(due.c.lease_until.is_(None), due.c.lease_until <= now), ~in_flight,
                   or_(due.c.kind != _EVENT, ~event_waits))
            .order_by(due.c.available_at, due.c.created_at, due.c.id).limit(1))
    if dialect == "postgresql":  # two dispatchers claiming at once take different items
        pick = pick.with_for_update(skip_locked=True, of=due)
    return pick


_PICKS = {dialect: hot(_pick(dialect)) for dialect in ("postgresql", "sqlite")}
_LEASE = hot(update(t).where(t.c.id == bindparam("b_id"), t.c.status == _PENDING)
          .values(lease_until=bindparam("b_lease_until")).returning(*t.c))
_PENDING_IN = hot(select(t.c.id).where(t.c.status == _PENDING, t.c.chat_id == bindparam("b_chat"))
               .limit(1))
# PostgreSQL: the results of several items in one statement (their values as arrays,
# unnested), which can wait as a single write does
_RESULTS = func.unnest(
    bindparam("b_ids", type_=ARRAY(String)), bindparam("b_status", type_=ARRAY(String)),
    bindparam("b_attempts", type_=ARRAY(Integer)),
    bindparam("b_available_at", type_=ARRAY(UtcDateTime)),
    bindparam("b_lease_until", type_=ARRAY(UtcDateTime)),
    bindparam("b_last_error", type_=ARRAY(Text)), bindparam("b_sent_at", type_=ARRAY(UtcDateTime)),
).table_valued("id", "status", "attempts", "available_at", "lease_until", "last_error",
               "sent_at").render_derived(name="v")
_RECORD_ALL = hot(update(t).where(t.c.id == _RESULTS.c.id).values(
    status=_RESULTS.c.status, attempts=_RESULTS.c.attempts,
    available_at=_RESULTS.c.available_at, lease_until=_RESULTS.c.lease_until,
    last_error=_RESULTS.c.last_error, sent_at=_RESULTS.c.sent_at))
_RENEW = (update(t).where(t.c.id.in_(bindparam("b_ids", expanding=True)),
                          t.c.status == _PENDING, t.c.lease_until > bindparam("b_now"))
          .values(lease_until=bindparam("b_lease_until")))


class SqlOutbox:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, item: OutboxItem) -> None:
        await self._gw.write(_INSERT, m.outbox_values(item))

    async def claim(self, now: datetime, lease_until: datetime) -> OutboxItem | None:
        """Two statements (the job's, not the hot path's): the pick locks its row on PostgreSQL
        (SKIP LOCKED: two dispatchers take different items); SQLite's writer lock is held."""
        picked = (await self._gw.execute(_PICKS[self._gw.dialect], {"b_now": now})).first()
        if picked is None:
            return None
        found = await self._gw.execute(_LEASE, {"b_id": picked.id, "b_lease_until": lease_until})
        row = found.mappings().first()
        if row is None:
            return None
        item = m.outbox_from(row)
        item.previous_lease = picked.lease_until
        return item

    async def renew(self, ids: Sequence[str], now: datetime, lease_until: datetime) -> int:
        found = await self._gw.execute(_RENEW, {"b_ids": list(ids), "b_now": now,
                                                "b_lease_until": lease_until})
        return int(found.rowcount)

    async def record(self, *items: OutboxItem) -> None:
        """One item: a write that waits (alone in its unit, on PostgreSQL one round trip);
        several: on PostgreSQL one UPDATE of them all (their values as arrays), which waits
        too; on SQLite one statement with a set of values each."""
        latest = {item.id: item for item in items}  # an item twice: its last result
        values = [{"b_id": item.id, "status": item.status.value, "attempts": item.attempts,
                   "available_at": item.available_at, "lease_until": item.lease_until,
                   "last_error": item.last_error, "sent_at": item.sent_at}
                  for item in latest.values()]
        if len(values) == 1:
            await self._gw.write(_RECORD, values[0])
        elif values and self._gw.dialect == "postgresql":  # one write, as one item's
            await self._gw.write(_RECORD_ALL, {
                "b_ids": [v["b_id"] for v in values],
                **{f"b_{k}": [v[k] for v in values]
                   for k in ("status", "attempts", "available_at", "lease_until", "last_error",
                             "sent_at")}})
        elif values:
            await self._gw.execute(_RECORD, values)

    async def get(self, item_id: str) -> OutboxItem | None:
        row = (await self._gw.execute(_ITEM, {"b_id": item_id})).mappings().first()
        return m.outbox_from(row) if row else None

    async def pending_in(self, chat_id: int) -> bool:
        found = await self._gw.execute(_PENDING_IN, {"b_chat": chat_id})
        return found.first() is not None

    async def events(self, *, status: OutboxStatus | None = None, chat_id: int | None = None,
                     before: tuple[datetime, str] | None = None, limit: int = 50
                     ) -> list[OutboxItem]:
        query = select(t).where(t.c.kind == _EVENT)
        if status is not None:
            query = query.where(t.c.status == status.value)
        if chat_id is not None:
            query = query.where(t.c.chat_id == chat_id)
        if before is not None:
            at, item_id = before
            query = query.where(or_(t.c.created_at < at,
                                    and_(t.c.created_at == at, t.c.id < item_id)))
        query = query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        return [m.outbox_from(r) for r in (await self._gw.execute(query)).mappings()]

    async def oldest_pending(self) -> datetime | None:
        found = await self._gw.execute(
            select(func.min(t.c.created_at)).where(t.c.status == _PENDING))
        oldest: datetime | None = found.scalar()
        return oldest

    async def count(self, status: OutboxStatus) -> int:
        found = await self._gw.execute(
            select(func.count()).select_from(t).where(t.c.status == status.value))
        return int(found.scalar() or 0)
