"""Refunds, bot messages and their audit, the inbox, the outbox with leases, and cursors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update

from adapters.sql import mappers as m
from adapters.sql.gateway import Gateway
from adapters.sql.tables import bot_message_changes, bot_messages, cursors, inbox, outbox, refunds
from application.ports import OutboxItem
from domain.bot_messages import BotMessage
from domain.events import BotMessageChanged
from domain.refunds import Refund

# Built once (see gateway): the statements every payment runs.
_BOT_MESSAGE = select(bot_messages).where(bot_messages.c.key == bindparam("b_key"))
_SEEN = select(inbox.c.key).where(inbox.c.source == bindparam("b_source"),
                                  inbox.c.key == bindparam("b_key"))
_OUTBOX_ITEM = select(outbox).where(outbox.c.id == bindparam("b_id"))
_LEASE = update(outbox).where(outbox.c.id.in_(bindparam("b_ids", expanding=True)))


class SqlRefunds:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, refund: Refund) -> None:
        await self._gw.execute(refunds.insert().values(m.refund_values(refund)))  # one a session

    async def for_session(self, session_id: str) -> Refund | None:
        row = (await self._gw.execute(
            select(refunds).where(refunds.c.session_id == session_id))).mappings().first()
        return m.refund_from(row) if row else None


class SqlBotMessages:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, key: str) -> BotMessage | None:
        # Not locked: every payment reads its message, so a lock would queue them all on one
        # row; two admins editing one key at the same moment is the lesser risk.
        row = (await self._gw.execute(_BOT_MESSAGE, {"b_key": key})).mappings().first()
        return self._gw.adopt("bot_message", key, m.bot_message_from(row)) if row else None

    async def save(self, message: BotMessage) -> None:
        await self._gw.upsert(bot_messages, m.bot_message_values(message), ["key"])
        self._gw.keep("bot_message", message.key, message)

    async def record_change(self, change: BotMessageChanged) -> None:
        await self._gw.execute(bot_message_changes.insert().values(m.change_values(change)))

    async def history(self, key: str, limit: int) -> Sequence[BotMessageChanged]:
        c = bot_message_changes.c
        rows = (await self._gw.execute(select(bot_message_changes).where(c.key == key)
                                       .order_by(c.changed_at.desc(), c.id.desc())
                                       .limit(limit))).mappings().all()
        return [m.change_from(r) for r in rows]


class SqlInbox:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def seen(self, source: str, key: str) -> bool:
        found = await self._gw.execute(_SEEN, {"b_source": source, "b_key": key})
        return found.first() is not None

    async def record(self, source: str, key: str, now: datetime) -> bool:
        # ON CONFLICT DO NOTHING waits for a concurrent recorder and then sees its row.
        statement = self._gw.insert_or_ignore(inbox).returning(inbox.c.key)
        found = await self._gw.execute(statement, {"source": source, "key": key,
                                                   "recorded_at": now})
        return found.first() is not None


class SqlOutbox:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, item: OutboxItem) -> None:
        await self._gw.execute(outbox.insert(), m.outbox_values(item))

    async def claim(self, now: datetime, lease_until: datetime, limit: int,
                    ids: Sequence[str] | None = None) -> Sequence[OutboxItem]:
        c = outbox.c
        busy = outbox.alias("busy")  # a chat with an item in flight waits for it: in order
        in_flight = (select(busy.c.id).where(busy.c.chat_id == c.chat_id, busy.c.id != c.id,
                                             busy.c.status == "pending",
                                             busy.c.lease_until > now).exists())
        query = select(outbox).where(c.status == "pending",
                                     or_(c.lease_until.is_(None), c.lease_until <= now),
                                     ~in_flight)
        query = query.where(c.id.in_(list(ids))) if ids is not None else query.where(
            c.available_at <= now)
        # SKIP LOCKED: two dispatchers claiming at once take different items, neither waits.
        query = (query.order_by(c.available_at, c.created_at, c.id).limit(limit)
                 .with_for_update(skip_locked=True))
        items = [m.outbox_from(r) for r in (await self._gw.execute(query)).mappings().all()]
        if items:
            await self._gw.execute(_LEASE, {"b_ids": [i.id for i in items],
                                            "lease_until": lease_until})
        return [replace(i, lease_until=lease_until) for i in items]

    async def save(self, item: OutboxItem) -> None:
        await self._gw.upsert(outbox, m.outbox_values(item), ["id"])

    async def get(self, item_id: str) -> OutboxItem | None:
        row = (await self._gw.execute(_OUTBOX_ITEM, {"b_id": item_id})).mappings().first()
        return m.outbox_from(row) if row else None

    async def count(self, status: str) -> int:
        found = await self._gw.execute(
            select(func.count()).select_from(outbox).where(outbox.c.status == status))
        return int(found.scalar() or 0)


class SqlCursors:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, name: str) -> str | None:
        found = await self._gw.execute(select(cursors.c.value).where(cursors.c.name == name))
        return found.scalar()

    async def set(self, name: str, value: str) -> None:
        await self._gw.upsert(cursors, {"name": name, "value": value}, ["name"])
