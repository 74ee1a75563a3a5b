"""Refunds, bot messages and their audit, and cursors."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from sqlalchemy import bindparam, select

from starport.adapters.sql import mappers as m
from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import bot_message_changes, bot_messages, cursors, refunds
from starport.domain.bot_messages import BotMessage, BotMessageChange
from starport.domain.refunds import Refund

# Built once (see gateway): the statement every payment runs (every language of one key).
_BOT_MESSAGES = select(bot_messages).where(bot_messages.c.key == bindparam("b_key"))


class SqlRefunds:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, refund: Refund) -> None:
        await self._gw.execute(refunds.insert().values(m.refund_values(refund)))  # one a session

    async def for_session(self, session_id: str) -> Refund | None:
        row = (await self._gw.execute(
            select(refunds).where(refunds.c.session_id == session_id))).mappings().first()
        return m.refund_from(row) if row else None


@dataclass
class MessageCache:
    """The bot messages this process read lately (every language's text of a key), shared by
    its units of work: every payment renders one, and they change once in a blue moon. An
    edit made here empties the key at once; one made by another process (a second worker,
    the CLI) shows within `ttl` seconds."""

    ttl: float = 5.0
    _held: dict[str, tuple[float, tuple[BotMessage, ...]]] = field(default_factory=dict)

    def get(self, key: str) -> tuple[BotMessage, ...] | None:
        found = self._held.get(key)
        if found is None or found[0] < time.monotonic():
            return None
        return tuple(replace(m) for m in found[1])

    def put(self, key: str, messages: Sequence[BotMessage]) -> None:
        self._held[key] = (time.monotonic() + self.ttl, tuple(replace(m) for m in messages))

    def forget(self, key: str) -> None:
        self._held.pop(key, None)


class SqlBotMessages:
    def __init__(self, gw: Gateway, cache: MessageCache) -> None:
        self._gw = gw
        self._cache = cache
        self.saved: list[str] = []  # keys to read afresh once this transaction has committed

    async def texts(self, key: str) -> Sequence[BotMessage]:
        messages = self._cache.get(key)
        if messages is None:
            # Not locked: every payment reads its message, so a lock would queue them all on
            # one row; two admins editing one key at the same moment is the lesser risk.
            rows = (await self._gw.execute(_BOT_MESSAGES, {"b_key": key})).mappings().all()
            messages = tuple(m.bot_message_from(row) for row in rows)
            self._cache.put(key, messages)
        return [self._gw.adopt("bot_message", (key, x.language), x) for x in messages]

    async def get(self, key: str, language: str) -> BotMessage | None:
        return next((x for x in await self.texts(key) if x.language == language), None)

    async def save(self, message: BotMessage) -> None:
        self._changed(message.key)
        await self._gw.upsert(bot_messages, m.bot_message_values(message), ["key", "language"])
        self._gw.keep("bot_message", (message.key, message.language), message)

    async def remove(self, message: BotMessage) -> None:
        self._changed(message.key)
        c = bot_messages.c
        await self._gw.execute(bot_messages.delete().where(
            c.key == message.key, c.language == message.language))

    def _changed(self, key: str) -> None:
        self._cache.forget(key)
        self.saved.append(key)

    async def record_change(self, change: BotMessageChange) -> None:
        await self._gw.execute(bot_message_changes.insert().values(m.change_values(change)))

    async def history(self, key: str, limit: int, language: str | None = None
                      ) -> Sequence[BotMessageChange]:
        c = bot_message_changes.c
        query = select(bot_message_changes).where(c.key == key)
        if language is not None:
            query = query.where(c.language == language)
        rows = (await self._gw.execute(query.order_by(c.changed_at.desc(), c.id.desc())
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
