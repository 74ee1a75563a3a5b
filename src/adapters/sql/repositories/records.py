"""Refunds, bot messages and their audit, and cursors."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select

from adapters.sql import mappers as m
from adapters.sql.gateway import Gateway
from adapters.sql.tables import bot_message_changes, bot_messages, cursors, refunds
from domain.bot_messages import BotMessage, BotMessageChange
from domain.refunds import Refund

# Built once (see gateway): the statement every payment runs.
_BOT_MESSAGE = select(bot_messages).where(bot_messages.c.key == bindparam("b_key"))


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

    async def record_change(self, change: BotMessageChange) -> None:
        await self._gw.execute(bot_message_changes.insert().values(m.change_values(change)))

    async def history(self, key: str, limit: int) -> Sequence[BotMessageChange]:
        c = bot_message_changes.c
        rows = (await self._gw.execute(select(bot_message_changes).where(c.key == key)
                                       .order_by(c.changed_at.desc(), c.id.desc())
                                       .limit(limit))).mappings().all()
        return [m.change_from(r) for r in rows]


class SqlCursors:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def get(self, name: str) -> str | None:
        found = await self._gw.execute(select(cursors.c.value).where(cursors.c.name == name))
        return found.scalar()

    async def set(self, name: str, value: str) -> None:
        await self._gw.upsert(cursors, {"name": name, "value": value}, ["name"])
