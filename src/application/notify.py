"""Rendering bot messages and queueing them in the outbox, inside the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from starport.application.effects import Keyboard, OutboxItem, SendText
from starport.application.unit_of_work import UnitOfWork
from starport.domain.bot_messages import BotMessage


async def load_message(uow: UnitOfWork, key: str) -> BotMessage:
    return await uow.bot_messages.get(key) or BotMessage.default(key)


async def send_template(
    uow: UnitOfWork, *, item_id: str, chat_id: int, key: str, now: datetime,
    buttons: Keyboard = (), **values: object,
) -> None:
    message = await load_message(uow, key)
    await uow.queue(OutboxItem.now(item_id, chat_id, SendText(
        message.render(**values), message.parse_mode, buttons), now))
