"""Answers to bot commands: the admin-editable texts, sent through the outbox."""

from __future__ import annotations

from starport.application import commands as c
from starport.application.deliveries import record
from starport.application.deps import Deps
from starport.application.effects import Keyboard
from starport.application.links import account_of
from starport.application.notify import button, send_template
from starport.application.unit_of_work import UnitOfWork
from starport.domain import ledger
from starport.domain.languages import Languages

# The /start menu: (label's message key, callback data) per button, in rows.
MENU = ((("button_buy", "menu:buy"), ("button_balance", "menu:balance")),
        (("button_support", "menu:support"),))
RECENT = 5


async def menu(uow: UnitOfWork, languages: Languages) -> Keyboard:
    return tuple([tuple([await button(uow, key, languages, callback_data=data)
                         for key, data in row]) for row in MENU])


async def reply(deps: Deps, cmd: c.Reply) -> None:
    languages = deps.settings.languages_for(cmd.language)
    async with deps.uow() as uow:
        buttons = await menu(uow, languages) if cmd.key == "bot_welcome" else ()
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id, key=cmd.key,
                            now=deps.clock.now(), languages=languages, buttons=buttons,
                            first_name=cmd.first_name,
                            bot_name=deps.settings.bot_name,
                            support_contact=deps.settings.support_contact)
        await record(uow, cmd.delivery, f"reply:{cmd.key}")
        await uow.commit()


async def reply_balance(deps: Deps, cmd: c.ReplyBalance) -> int:
    async with deps.uow() as uow:
        user_id = (await account_of(uow, cmd.telegram_user_id)
                   if cmd.telegram_user_id is not None else cmd.user_id)
        account = ledger.user_account(user_id)
        balance = await uow.ledger.balance(account)
        entries = await uow.ledger.entries(account, RECENT)
        recent = "\n".join(
            f"{e.created_at:%Y-%m-%d} {e.amount_for(account):+d} {e.memo or e.kind.value}"
            for e in entries)
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="balance_info", now=deps.clock.now(),
                            languages=deps.settings.languages_for(cmd.language),
                            balance=balance,
                            first_name=cmd.first_name, recent=recent)
        await record(uow, cmd.delivery, "balance")
        await uow.commit()
    return balance
