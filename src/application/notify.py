"""Rendering bot messages and queueing them in the outbox, inside the caller's transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from application.ports import Button, OutboxItem, StarsInvoiceRequest
from application.unit_of_work import UnitOfWork
from domain.bot_messages import BotMessage
from domain.events import Event


@dataclass(frozen=True, slots=True)
class OutboxQueued(Event):
    item_ids: tuple[str, ...]


@dataclass
class _Queued:
    """Tracked by the unit of work so that the queued ids are released only after commit."""

    events: list[Event] = field(default_factory=list)


async def load_message(uow: UnitOfWork, key: str) -> BotMessage:
    return await uow.bot_messages.get(key) or BotMessage.default(key)


async def enqueue(uow: UnitOfWork, item: OutboxItem) -> None:
    # Items queued by one transaction keep their order even under a clock that did not move:
    # each is a microsecond after the one before (the outbox delivers a chat oldest first).
    item.created_at += timedelta(microseconds=uow.outbox_queued)
    uow.outbox_queued += 1
    await uow.outbox.add(item)
    uow.track(_Queued([OutboxQueued((item.id,))]))


def message_item(
    item_id: str, chat_id: int, text: str, parse_mode: str | None, now: datetime,
    buttons: tuple[tuple[Button, ...], ...] = (),
) -> OutboxItem:
    payload: dict[str, Any] = {"text": text, "parse_mode": parse_mode,
                               "buttons": [[asdict(b) for b in row] for row in buttons]}
    return OutboxItem(id=item_id, kind="message", chat_id=chat_id, payload=payload,
                      created_at=now, available_at=now)


def invoice_item(item_id: str, request: StarsInvoiceRequest, now: datetime) -> OutboxItem:
    assert request.chat_id is not None
    return OutboxItem(id=item_id, kind="invoice", chat_id=request.chat_id,
                      payload=asdict(request), created_at=now, available_at=now)


async def send_template(
    uow: UnitOfWork, *, item_id: str, chat_id: int, key: str, now: datetime,
    buttons: tuple[tuple[Button, ...], ...] = (), **values: object,
) -> None:
    message = await load_message(uow, key)
    await enqueue(uow, message_item(item_id, chat_id, message.render(**values),
                                    message.parse_mode, now, buttons))
