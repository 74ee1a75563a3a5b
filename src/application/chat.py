"""Buying from the chat: `/buy` lists the packages as buttons, one per provider whose invoice
the bot sends into the chat (Stars, cards) and that prices the package; a press opens a
session and sends its invoice, with no host application involved."""

from __future__ import annotations

from starport.application import commands as c
from starport.application.deliveries import record, refused
from starport.application.deps import Deps
from starport.application.effects import Button
from starport.application.limits import admit_session
from starport.application.links import account_of
from starport.application.notify import button, load_message, send_template
from starport.application.payments import send_invoice_in_chat, view
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import BuyAnswer
from starport.domain.catalog import CreditPackage
from starport.domain.errors import DomainError, PackageUnavailable
from starport.domain.languages import Languages
from starport.domain.limits import humanize
from starport.domain.money import Price, shown
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession

BUY_PREFIX = "buy:"


def buy_data(package: CreditPackage, choice: int = 0) -> str:
    """`buy:<package>` for the first chat provider, `buy:<package>:<n>` for the n-th (the id
    is at most 48 characters, so either fits Telegram's 64-byte callback data)."""
    return f"{BUY_PREFIX}{package.id}" + (f":{choice}" if choice else "")


async def package_button(uow: UnitOfWork, languages: Languages, package: CreditPackage,
                         price: Price, choice: int = 0) -> Button:
    return await button(uow, "button_package", languages, callback_data=buy_data(package, choice),
                        package_title=package.title, credits=package.credits,
                        amount=shown(price))


def parse_choice(data: str) -> tuple[str, int]:
    """`<package>` or `<package>:<n>` (what follows `buy:`) -> the package id and n."""
    package_id, _, choice = data.partition(":")
    return package_id, int(choice) if choice.isdigit() and len(choice) < 3 else 0


def _on_sale(deps: Deps) -> list[tuple[CreditPackage, Provider, Price, int]]:
    """Each active package once per chat provider that prices it (subscriptions are sold
    through their invoice link, not from the chat)."""
    providers = deps.chat_providers()
    return [(package, provider, package.prices[provider], choice)
            for package in deps.catalog.active() if not package.subscription
            for choice, provider in enumerate(providers) if provider in package.prices]


async def show_packages(deps: Deps, cmd: c.ShowPackages) -> int:
    on_sale = _on_sale(deps)
    languages = deps.settings.languages_for(cmd.language)
    async with deps.uow() as uow:
        buttons = tuple([(await package_button(uow, languages, package, price, choice),)
                         for package, _, price, choice in on_sale])
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="buy_menu", now=deps.clock.now(), languages=languages,
                            buttons=buttons, first_name=cmd.first_name)
        await record(uow, cmd.delivery, "buy_menu")
        await uow.commit()
    return len(on_sale)


async def buy_from_chat(deps: Deps, cmd: c.BuyFromChat) -> BuyAnswer:
    """A session and its invoice in the chat; or, when the package can no longer be bought, an
    alert for the button (`session` None) and nothing created. Over the payment limits the user
    is told in the chat, and RateLimited raised. The caller answers the button's query."""
    providers = deps.chat_providers()
    languages = deps.settings.languages_for(cmd.language)
    package_id, choice = parse_choice(cmd.package_id)
    try:
        if choice >= len(providers):  # a button from before the providers were changed
            raise PackageUnavailable(f"no chat provider {choice} for package {package_id}")
        provider = providers[choice]
        package = deps.catalog.purchasable(package_id, provider)
    except DomainError:
        async with deps.uow(read_only=True) as uow:
            text = (await load_message(uow, "package_unavailable", languages)).render(
                package_id=package_id)
        return BuyAnswer(None, alert=text)
    now = deps.clock.now()
    async with deps.uow() as uow:
        session = PaymentSession.open(
            session_id=deps.ids.new_id(), user_id=await account_of(uow, cmd.telegram_user_id),
            package=package, provider=provider, now=now,
            expires_at=now + deps.settings.session_ttl, telegram_user_id=cmd.telegram_user_id,
        )
        session.mark_invoiced(None, None, now)
        session.note_language(cmd.language)
        admitted = await admit_session(deps, uow, session.user_id)
        if not admitted.allowed:  # told in the chat; nothing is created
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="rate_limited", now=now, languages=languages,
                                first_name=cmd.first_name,
                                retry_after=humanize(admitted.retry_after))
            try:
                admitted.enforce()
            except DomainError as exc:
                raise await refused(uow, cmd.delivery, exc) from None
        await uow.sessions.add(session)
        await send_invoice_in_chat(deps, uow, session, cmd.chat_id, cmd.first_name, languages)
        await record(uow, cmd.delivery, "buy")
        await uow.commit()
    return BuyAnswer(view(deps, session))
