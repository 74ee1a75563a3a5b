"""Support conversations and their messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import and_, or_, select, update

from starport.adapters.sql.gateway import Gateway
from starport.adapters.sql.tables import support_conversations as c
from starport.adapters.sql.tables import support_messages as sm
from starport.domain.support import Direction, SupportConversation, SupportMessage


def _conversation(row: Any) -> SupportConversation:
    return SupportConversation(**dict(row))


def _message(row: Any) -> SupportMessage:
    r = dict(row)
    return SupportMessage(**{**r, "direction": Direction(r["direction"])})


def _conversation_values(conversation: SupportConversation) -> dict[str, object]:
    return {"id": conversation.id, "telegram_user_id": conversation.telegram_user_id,
            "first_name": conversation.first_name, "username": conversation.username,
            "opened_at": conversation.opened_at,
            "last_message_at": conversation.last_message_at,
            "closed_at": conversation.closed_at, "language": conversation.language}


_NEWEST = (c.c.opened_at.desc(), c.c.id.desc())


class SqlSupport:
    def __init__(self, gw: Gateway) -> None:
        self._gw = gw

    async def add(self, conversation: SupportConversation) -> None:
        await self._gw.execute(c.insert(), _conversation_values(conversation))

    async def save(self, conversation: SupportConversation) -> None:
        await self._gw.execute(update(c).where(c.c.id == conversation.id).values(
            last_message_at=conversation.last_message_at, closed_at=conversation.closed_at))

    async def get(self, conversation_id: str) -> SupportConversation | None:
        return await self._one(select(c).where(c.c.id == conversation_id))

    async def latest_of(self, telegram_user_id: int) -> SupportConversation | None:
        return await self._one(select(c).where(c.c.telegram_user_id == telegram_user_id)
                               .order_by(*_NEWEST).limit(1))

    async def page(self, limit: int, before: SupportConversation | None
                   ) -> Sequence[SupportConversation]:
        query = select(c).order_by(*_NEWEST).limit(limit)
        if before is not None:
            query = query.where(or_(c.c.opened_at < before.opened_at, and_(
                c.c.opened_at == before.opened_at, c.c.id < before.id)))
        rows = (await self._gw.execute(query)).mappings().all()
        return [_conversation(r) for r in rows]

    async def add_message(self, message: SupportMessage) -> None:
        values = {**asdict(message), "direction": message.direction.value}
        await self._gw.execute(sm.insert(), values)

    async def note_relayed(self, message_id: str, chat_id: int, support_message_id: int
                           ) -> None:
        await self._gw.execute(update(sm).where(sm.c.id == message_id).values(
            support_chat_id=chat_id, support_message_id=support_message_id))

    async def relayed_as(self, chat_id: int, support_message_id: int
                         ) -> SupportMessage | None:
        row = (await self._gw.execute(select(sm).where(
            sm.c.support_chat_id == chat_id, sm.c.support_message_id == support_message_id))
               ).mappings().first()
        return _message(row) if row else None

    async def messages(self, conversation_id: str) -> Sequence[SupportMessage]:
        rows = (await self._gw.execute(select(sm).where(sm.c.conversation_id == conversation_id)
                                       .order_by(sm.c.sent_at, sm.c.id))).mappings().all()
        return [_message(r) for r in rows]

    async def _one(self, query: Any) -> SupportConversation | None:
        row = (await self._gw.execute(query)).mappings().first()
        return _conversation(row) if row else None
