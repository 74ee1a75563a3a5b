"""Answers to bot commands: the admin-editable texts, sent through the outbox."""

from __future__ import annotations

from application import commands as c
from application.deps import Deps
from application.notify import send_template
from domain import ledger


async def reply(deps: Deps, cmd: c.Reply) -> None:
    async with deps.uow() as uow:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id, key=cmd.key,
                            now=deps.clock.now(), first_name=cmd.first_name,
                            bot_name=deps.settings.bot_name)
        await uow.commit()


async def reply_balance(deps: Deps, cmd: c.ReplyBalance) -> int:
    async with deps.uow() as uow:
        balance = await uow.ledger.balance(ledger.user_account(cmd.user_id))
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="balance_info", now=deps.clock.now(), balance=balance,
                            first_name=cmd.first_name)
        await uow.commit()
    return balance
