"""Rendering bot messages and queueing them in the outbox, inside the caller's transaction,
in the reader's language."""

from __future__ import annotations

from datetime import datetime

from starport.application.effects import Button, Keyboard, OutboxItem, SendText
from starport.application.unit_of_work import UnitOfWork
from starport.domain.bot_messages import BotMessage, resolve
from starport.domain.languages import Languages


async def load_message(uow: UnitOfWork, key: str, languages: Languages) -> BotMessage:
    """The text a reader of `languages` gets (their own language's, else a broader one's,
    else the default language's)."""
    return resolve(key, languages, await uow.bot_messages.texts(key))


async def send_template(
    uow: UnitOfWork, *, item_id: str, chat_id: int, key: str, now: datetime,
    languages: Languages, buttons: Keyboard = (), **values: object,
) -> None:
    message = await load_message(uow, key, languages)
    await uow.queue(OutboxItem.now(item_id, chat_id, SendText(
        message.render(**values), message.parse_mode, buttons), now))


async def button(uow: UnitOfWork, key: str, languages: Languages, *, url: str | None = None,
                 callback_data: str | None = None, **values: object) -> Button:
    """An inline button labelled with the admin-editable text `key`."""
    label = (await load_message(uow, key, languages)).render(**values)
    return Button(label, url=url, callback_data=callback_data)
