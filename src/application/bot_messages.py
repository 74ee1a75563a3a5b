"""Use cases of admin-editable bot messages: read, change (audited), reset, preview."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.notify import load_message
from starport.domain.bot_messages import DEFINITIONS, BotMessage, BotMessageChange, definition


@dataclass(frozen=True)
class BotMessageView:
    key: str
    template: str
    parse_mode: str | None
    placeholders: tuple[str, ...]
    purpose: str
    is_default: bool
    updated_by: str | None
    updated_at: str | None

    @classmethod
    def of(cls, m: BotMessage) -> BotMessageView:
        d = definition(m.key)
        return cls(m.key, m.template, m.parse_mode, tuple(sorted(d.placeholders)), d.purpose,
                   m.is_default, m.updated_by,
                   m.updated_at.isoformat() if m.updated_at else None)


async def get_bot_message(deps: Deps, key: str) -> BotMessageView:
    definition(key)
    async with deps.uow(read_only=True) as uow:
        return BotMessageView.of(await load_message(uow, key))


async def list_bot_messages(deps: Deps) -> list[BotMessageView]:
    async with deps.uow(read_only=True) as uow:
        return [BotMessageView.of(await load_message(uow, key)) for key in DEFINITIONS]


async def update_bot_message(deps: Deps, cmd: c.UpdateBotMessage) -> BotMessageView:
    return await _change(deps, cmd.key, cmd.changed_by,
                         lambda m, now: m.change(cmd.template, cmd.parse_mode, cmd.changed_by,
                                                 now))


async def reset_bot_message(deps: Deps, cmd: c.ResetBotMessage) -> BotMessageView:
    return await _change(deps, cmd.key, cmd.changed_by,
                         lambda m, now: m.reset(cmd.changed_by, now))


async def bot_message_history(deps: Deps, key: str, limit: int = 50
                              ) -> Sequence[BotMessageChange]:
    definition(key)
    async with deps.uow(read_only=True) as uow:
        return await uow.bot_messages.history(key, limit)


async def render_bot_message(deps: Deps, key: str, **values: object) -> str:
    async with deps.uow(read_only=True) as uow:
        return (await load_message(uow, key)).render(**values)


async def _change(deps: Deps, key: str, by: str,
                  change: Callable[[BotMessage, datetime], BotMessageChange | None]
                  ) -> BotMessageView:
    now = deps.clock.now()
    async with deps.uow() as uow:
        message = await load_message(uow, key)
        record = change(message, now)
        if record is not None:
            await uow.bot_messages.record_change(record)
            await uow.bot_messages.save(message)
            await uow.commit()
    return BotMessageView.of(message)
