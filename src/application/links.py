"""One user across bot and app: a Telegram account linked to the host app's user, so the bot's
/balance, /buy and the Mini App act on the same account as the host API.

Linked by paying a session the host app opened for its user, by the host app itself, or by the
user opening a one-time link the host app asked for (`start=link_<token>`). When a Telegram
account that already holds credits of its own (bought in the bot before any link) is linked,
those credits move to the linked user in one ledger transfer: nothing is lost, and the bot shows
one balance. Unlinking moves nothing back: the credits stay with the user they were moved to."""

from __future__ import annotations

import secrets
from datetime import datetime

from starport.application import commands as c
from starport.application import host_events
from starport.application.deliveries import record, refused
from starport.application.deps import Deps
from starport.application.host_events import EventType
from starport.application.notify import send_template
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import LinkTokenView
from starport.domain import ledger
from starport.domain.errors import (
    DomainError,
    LinkTokenInvalid,
    NotLinked,
    TelegramAlreadyLinked,
)
from starport.domain.links import (
    LINK_PREFIX,
    LinkedVia,
    LinkToken,
    TelegramLink,
    telegram_only_user,
)


async def account_of(uow: UnitOfWork, telegram_user_id: int) -> str:
    """The user a Telegram account acts for: the linked one, else its own Telegram-only one."""
    link = await uow.links.get(telegram_user_id)
    return link.user_id if link else telegram_only_user(telegram_user_id)


async def resolve_account(deps: Deps, telegram_user_id: int) -> str:
    async with deps.uow(read_only=True) as uow:
        return await account_of(uow, telegram_user_id)


async def link(deps: Deps, uow: UnitOfWork, telegram_user_id: int, user_id: str,
               via: LinkedVia, now: datetime) -> TelegramLink:
    """Inside the caller's transaction. Linked to this user already: that link. To another:
    TelegramAlreadyLinked. The Telegram-only account's credits move to the user."""
    existing = await uow.links.get(telegram_user_id)
    if existing is not None:
        if existing.user_id == user_id:
            return existing
        raise TelegramAlreadyLinked(f"Telegram user {telegram_user_id} is linked to another "
                                    "user: unlink it there first")
    made = TelegramLink(telegram_user_id, user_id, now, via)
    await uow.links.add(made)  # a concurrent link of the same account: Conflict, retried
    if await uow.ledger.balance(ledger.user_account(telegram_only_user(telegram_user_id))) > 0:
        await _move_own_credits(deps, uow, made)
    return made


async def link_on_payment(deps: Deps, uow: UnitOfWork, telegram_user_id: int, user_id: str,
                          now: datetime, held: int) -> None:
    """A Telegram user paid a session the host app opened for its user: linked, unless the
    account is linked already (to this user, or to someone else: then the host app decides).
    `held`: what the Telegram account's own account held as the payment's accounts were read
    (`accounts_and_held`). Nothing: the link goes with the payment's other writes, no
    statement of its own; credits: the link is made first, then they move."""
    if user_id == telegram_only_user(telegram_user_id):
        return
    made = TelegramLink(telegram_user_id, user_id, now, LinkedVia.PAYMENT)
    if held <= 0:
        await uow.links.put_if_absent(made)
    elif await uow.links.add_if_absent(made):
        await _move_own_credits(deps, uow, made)


def own_account_of(telegram_user_id: int | None, user_id: str) -> str | None:
    """The account whose credits a payment by this Telegram user for this user would move
    (`link_on_payment`): the Telegram account's own, unless that is the user's."""
    if telegram_user_id is None or user_id == telegram_only_user(telegram_user_id):
        return None
    return ledger.user_account(telegram_only_user(telegram_user_id))


async def _move_own_credits(deps: Deps, uow: UnitOfWork, made: TelegramLink) -> None:
    """The credits the Telegram-only account holds go to the user it is now linked to, called
    when a read of its balance said it held some. That read only says whether to look: the
    amount moved is the account's balance as the transfer holds it (on PostgreSQL that read
    may be older than the link's write: a spend or a credit may have committed while the write
    waited for a concurrent link of the same account)."""
    own = telegram_only_user(made.telegram_user_id)
    source, target = ledger.user_account(own), ledger.user_account(made.user_id)
    accounts = await uow.ledger.accounts([source, target])
    credits = accounts[source].balance
    if credits <= 0:
        return
    entry = ledger.transfer(
        entry_id=deps.ids.new_id(), key=ledger.link_key(made.telegram_user_id, made.linked_at),
        from_user=own, to_user=made.user_id, credits=credits, now=made.linked_at,
        memo=f"credits of Telegram account {made.telegram_user_id}, linked")
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    await host_events.publish(
        deps, uow, EventType.CREDITS_ADJUSTED, made.user_id, made.linked_at, credits=credits,
        balance=accounts[target].balance, kind="transfer", reason=entry.memo,
        telegramUserId=made.telegram_user_id)


async def link_telegram(deps: Deps, cmd: c.LinkTelegram) -> TelegramLink:
    _not_self(cmd.user_id, cmd.telegram_user_id)
    async with deps.uow() as uow:
        made = await link(deps, uow, cmd.telegram_user_id, cmd.user_id, LinkedVia.HOST_API,
                          deps.clock.now())
        await uow.commit()
    return made


async def unlink_telegram(deps: Deps, cmd: c.UnlinkTelegram) -> None:
    async with deps.uow() as uow:
        existing = await uow.links.get(cmd.telegram_user_id)
        if existing is None or existing.user_id != cmd.user_id:
            raise NotLinked(f"Telegram user {cmd.telegram_user_id} is not linked to "
                            f"{cmd.user_id!r}")
        await uow.links.remove(cmd.telegram_user_id)
        await uow.commit()


async def list_links(deps: Deps, user_id: str) -> list[TelegramLink]:
    async with deps.uow(read_only=True) as uow:
        return list(await uow.links.for_user(user_id))


async def create_link_token(deps: Deps, cmd: c.CreateLinkToken) -> LinkTokenView:
    """A one-time deep link the host app shows its user; opening it in the bot links them."""
    now = deps.clock.now()
    token = LinkToken(secrets.token_urlsafe(24), cmd.user_id, now,
                      now + deps.settings.link_token_ttl)
    async with deps.uow() as uow:
        await uow.link_tokens.add(token)
        await uow.commit()
    start = f"{LINK_PREFIX}{token.token}"
    return LinkTokenView(token.token, f"https://t.me/{deps.settings.bot_username}?start={start}",
                         token.expires_at)


async def redeem_link_token(deps: Deps, cmd: c.RedeemLinkToken) -> TelegramLink:
    """`/start link_<token>` in the bot: linked, and told; a link that cannot be used is
    explained in the chat, then refused."""
    now = deps.clock.now()
    languages = deps.settings.languages_for(cmd.language)
    async with deps.uow() as uow:
        try:
            token = await uow.link_tokens.get(cmd.token)
            if token is None:
                raise LinkTokenInvalid("this link is not known: ask for a new one")
            _not_self(token.user_id, cmd.telegram_user_id)
            token.redeem(cmd.telegram_user_id, now)
            made = await link(deps, uow, cmd.telegram_user_id, token.user_id,
                              LinkedVia.LINK_TOKEN, now)
        except DomainError as exc:
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="link_failed", now=now, languages=languages,
                                first_name=cmd.first_name,
                                reason=exc.message)
            raise await refused(uow, cmd.delivery, exc) from None
        await uow.link_tokens.save(token)
        balance = await uow.ledger.balance(ledger.user_account(made.user_id))
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="account_linked", now=now, languages=languages,
                            first_name=cmd.first_name,
                            bot_name=deps.settings.bot_name, balance=balance)
        await record(uow, cmd.delivery, "linked")
        await uow.commit()
    return made


def _not_self(user_id: str, telegram_user_id: int) -> None:
    if user_id == telegram_only_user(telegram_user_id):
        raise TelegramAlreadyLinked(f"{user_id!r} is Telegram user {telegram_user_id}'s own "
                                    "account: there is nothing to link")
