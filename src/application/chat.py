"""Buying from the chat: `/buy` lists the packages as buttons; a press opens a session and
sends its Stars invoice, with no host application involved."""

from __future__ import annotations

from application import commands as c
from application.deliveries import record, refused
from application.deps import Deps
from application.effects import Button
from application.limits import admit_session
from application.notify import load_message, send_template
from application.payments import send_invoice_in_chat, view
from application.views import BuyAnswer
from domain.catalog import CreditPackage
from domain.errors import DomainError
from domain.limits import humanize
from domain.providers import Provider
from domain.sessions import PaymentSession

BUY_PREFIX = "buy:"


def package_button(package: CreditPackage) -> Button:
    stars = package.stars.amount if package.stars else 0
    return Button(f"{package.title} · {package.credits} credits · {stars} ⭐",
                  callback_data=f"{BUY_PREFIX}{package.id}")


async def show_packages(deps: Deps, cmd: c.ShowPackages) -> int:
    on_sale = [p for p in deps.catalog.active() if p.stars is not None and not p.subscription]
    buttons = tuple((package_button(p),) for p in on_sale)
    async with deps.uow() as uow:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                            key="buy_menu", now=deps.clock.now(), buttons=buttons,
                            first_name=cmd.first_name)
        await record(uow, cmd.delivery, "buy_menu")
        await uow.commit()
    return len(on_sale)


async def buy_from_chat(deps: Deps, cmd: c.BuyFromChat) -> BuyAnswer:
    """A session and its invoice in the chat; or, when the package can no longer be bought, an
    alert for the button (`session` None) and nothing created. Over the payment limits the user
    is told in the chat, and RateLimited raised. The caller answers the button's query."""
    deps.provider(Provider.TELEGRAM_STARS)
    try:
        package = deps.catalog.purchasable(cmd.package_id, Provider.TELEGRAM_STARS)
    except DomainError:
        async with deps.uow(read_only=True) as uow:
            text = (await load_message(uow, "package_unavailable")).render(
                package_id=cmd.package_id)
        return BuyAnswer(None, alert=text)
    now = deps.clock.now()
    session = PaymentSession.open(
        session_id=deps.ids.new_id(), user_id=str(cmd.telegram_user_id), package=package,
        provider=Provider.TELEGRAM_STARS, now=now, expires_at=now + deps.settings.session_ttl,
        telegram_user_id=cmd.telegram_user_id,
    )
    session.mark_invoiced(None, None, now)
    async with deps.uow() as uow:
        admitted = await admit_session(deps, uow, session.user_id)
        if not admitted.allowed:  # told in the chat; nothing is created
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="rate_limited", now=now, first_name=cmd.first_name,
                                retry_after=humanize(admitted.retry_after))
            try:
                admitted.enforce()
            except DomainError as exc:
                raise await refused(uow, cmd.delivery, exc) from None
        await uow.sessions.add(session)
        await send_invoice_in_chat(deps, uow, session, cmd.chat_id, cmd.first_name)
        await record(uow, cmd.delivery, "buy")
        await uow.commit()
    return BuyAnswer(view(deps, session))
