"""Use cases before the money moves: create a session, open it in the bot, pre-checkout."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from starport.application import commands as c
from starport.application.deliveries import DuplicateDelivery, record, refused
from starport.application.deps import Deps
from starport.application.effects import OutboxItem, SendInvoice
from starport.application.limits import admit_session, judge, record_failure
from starport.application.notify import button, load_message, send_template
from starport.application.ports import ChatInvoices, ProviderError
from starport.application.repositories import IdempotentRequest
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import PreCheckoutAnswer, SessionView
from starport.domain.errors import (
    DomainError,
    IdempotencyConflict,
    SessionNotFound,
    SessionNotPayable,
)
from starport.domain.languages import Languages
from starport.domain.limits import humanize, verdict
from starport.domain.money import minor_units, price_from_minor_units, shown
from starport.domain.sessions import PaymentSession

# Which bot message explains each pre-checkout refusal.
_CHECKOUT_ERRORS = {
    "session_expired": "checkout_expired",
    "foreign_payer": "checkout_wrong_user",
    "amount_mismatch": "checkout_wrong_amount",
    "invalid_amount": "checkout_wrong_amount",
}


def invoice_texts(deps: Deps, session: PaymentSession) -> tuple[str, str]:
    """Title (<= 32 characters) and description (<= 255) of a session's invoice."""
    title = package_title(deps, session)
    package = next((p for p in deps.catalog if p.id == session.package_id), None)
    description = (package.description if package else "") or f"{session.credits} credits"
    return title[:32], description[:255]


def package_title(deps: Deps, session: PaymentSession) -> str:
    """The package's title, or a plain one if the package has left the catalog since."""
    package = next((p for p in deps.catalog if p.id == session.package_id), None)
    return package.title if package else f"{session.credits} credits"


def view(deps: Deps, session: PaymentSession) -> SessionView:
    in_chat = deps.capable(session.provider, ChatInvoices) is not None
    return SessionView.of(session, deps.settings.deep_link(session.id), in_chat=in_chat)


async def create_session(deps: Deps, cmd: c.CreateSession) -> SessionView:
    provider = deps.provider(cmd.provider)
    package = deps.catalog.purchasable(cmd.package_id, cmd.provider)
    now = deps.clock.now()
    session = PaymentSession.open(
        session_id=deps.ids.new_id(), user_id=cmd.user_id, package=package,
        provider=cmd.provider, now=now, expires_at=now + deps.settings.session_ttl,
        telegram_user_id=cmd.telegram_user_id,
    )
    session.note_language(cmd.language)
    async with deps.uow() as uow:
        if cmd.idempotency_key is not None:
            earlier = await _earlier_request(uow, cmd)
            if earlier is not None:  # a retry: the session it made, as it is now
                return replace(view(deps, earlier), replayed=True)
        (await admit_session(deps, uow, cmd.user_id)).enforce()  # over the limit: nothing made
        await uow.sessions.add(session)
        if cmd.idempotency_key is not None:  # a concurrent retry that got here first: Conflict
            await uow.idempotency.add(IdempotentRequest(
                cmd.scope, cmd.idempotency_key, cmd.fingerprint, session.id, now))
        await uow.commit()
    # The provider is called outside any transaction; a failure leaves a session that can still
    # be paid through the deep link (an invoice the bot sends into the chat) or is marked
    # failed (a provider paid by URL has no other way).
    title, description = invoice_texts(deps, session)
    try:
        invoice = await provider.create_invoice(session, title, description)
    except ProviderError as exc:
        if isinstance(provider, ChatInvoices):
            return view(deps, session)
        async with deps.uow() as uow:
            failed = await _get(uow, session.id)
            failed.fail(f"invoice could not be created: {exc}")
            await uow.sessions.save(failed)
            await uow.commit()
        raise
    async with deps.uow() as uow:
        session = await _get(uow, session.id)
        session.mark_invoiced(invoice.invoice_id, invoice.url, deps.clock.now(),
                              invoice.mini_app_url, invoice.web_url)
        await uow.sessions.save(session)
        await uow.commit()
    return view(deps, session)


async def _earlier_request(uow: UnitOfWork, cmd: c.CreateSession) -> PaymentSession | None:
    assert cmd.idempotency_key is not None
    earlier = await uow.idempotency.get(cmd.scope, cmd.idempotency_key)
    if earlier is None:
        return None
    if earlier.fingerprint != cmd.fingerprint:
        raise IdempotencyConflict(f"Idempotency-Key {cmd.idempotency_key!r} was used for "
                                  "another request: use a new key for a new purchase")
    return await _get(uow, earlier.session_id)


async def get_session(deps: Deps, session_id: str) -> SessionView:
    async with deps.uow(read_only=True) as uow:
        return view(deps, await _get(uow, session_id))


async def start_deep_link(deps: Deps, cmd: c.StartDeepLink) -> SessionView:
    """Link the Telegram user to the session and send its invoice into the chat. A link that
    cannot be honoured is explained in the chat, then refused (DomainError)."""
    now = deps.clock.now()
    languages = deps.settings.languages_for(cmd.language)
    async with deps.uow() as uow:
        session = await uow.sessions.get(cmd.session_id)
        if session is None:  # a mistyped or foreign link: tell the user rather than stay silent
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="checkout_unavailable", now=now, languages=languages,
                                session_id=cmd.session_id,
                                reason="unknown payment link")
            raise await refused(
                uow, cmd.delivery, SessionNotFound(f"no payment session {cmd.session_id!r}"))
        cooldown = await judge(deps, uow, session.user_id, opening=False)
        if not cooldown.allowed:
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id,
                                key="rate_limited", now=now, languages=languages,
                                first_name=cmd.first_name,
                                retry_after=humanize(cooldown.retry_after))
            try:
                cooldown.enforce()
            except DomainError as exc:
                raise await refused(uow, cmd.delivery, exc) from None
        try:
            session.link_telegram_user(cmd.telegram_user_id, now)
            session.note_language(cmd.language)
            if deps.capable(session.provider, ChatInvoices) is None:
                raise SessionNotPayable(f"this session is paid with "
                                        f"{deps.traits(session.provider).label}, not in the chat")
        except DomainError as exc:
            key = _CHECKOUT_ERRORS.get(exc.code, "checkout_unavailable")
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=cmd.chat_id, key=key,
                                now=now, languages=languages, session_id=session.id,
                                reason=exc.message)
            raise await refused(uow, cmd.delivery, exc) from None
        session.mark_invoiced(None, None, now)
        await uow.sessions.save(session)
        await send_invoice_in_chat(deps, uow, session, cmd.chat_id, cmd.first_name, languages)
        await record(uow, cmd.delivery, "deep_link")
        await uow.commit()
    return view(deps, session)


async def send_invoice_in_chat(deps: Deps, uow: UnitOfWork, session: PaymentSession,
                               chat_id: int, first_name: str, languages: Languages) -> None:
    """Queue the session's text and its invoice for the chat, in that order."""
    now = deps.clock.now()
    # Telegram bills subscriptions only through invoice links, not invoices in chat.
    subscribe = session.subscription_period is not None and session.invoice_url is not None
    named = package_title(deps, session)
    buttons = (((await button(uow, "button_subscribe", languages, url=session.invoice_url,
                              package_title=named),),) if subscribe else ())
    await send_template(
        uow, item_id=deps.ids.new_id(), chat_id=chat_id, key="session_ready", now=now,
        languages=languages, buttons=buttons, first_name=first_name, package_title=named,
        credits=session.credits, amount=shown(session.price), session_id=session.id,
    )
    if session.subscription_period is not None:
        return
    title, description = invoice_texts(deps, session)
    await uow.queue(OutboxItem.now(deps.ids.new_id(), chat_id, SendInvoice(
        provider=session.provider, title=title, description=description, payload=session.id,
        currency=session.price.currency, amount=minor_units(session.price)), now))


async def validate_pre_checkout(deps: Deps, cmd: c.ValidatePreCheckout) -> PreCheckoutAnswer:
    """Decide whether Telegram may take the money; the caller answers it (10-second deadline).
    Reads only, so a pre-checkout never queues behind writers; a refusal that counts toward the
    payer's cooldown is written afterwards, with the delivery that caused it."""
    now = deps.clock.now()
    limits = deps.settings.limits
    async with deps.uow(read_only=True) as uow:
        # A refusal counts against whoever caused it (`checkout_blames`): a stranger paying
        # someone's link (or an unknown one) must not be able to put the owner into a cooldown.
        session, user_key, failures = await uow.sessions.for_checkout(
            cmd.payload, cmd.payer_telegram_id,
            now - limits.lookback if limits.enabled else None)
        cooldown = verdict(limits, now=now, sessions=(), failures=failures, opening=False)
        if not cooldown.allowed:  # not counted as a failure: that would prolong the cooldown
            text = (await load_message(uow, "rate_limited",
                                       deps.settings.languages_for(cmd.language))).render(
                retry_after=humanize(cooldown.retry_after))
            return PreCheckoutAnswer(ok=False, error_key="rate_limited", error_message=text)
        try:
            _check(session, cmd, now)
        except DomainError as exc:
            refusal = await _refusal_answer(deps, uow, cmd, exc)
        else:
            return PreCheckoutAnswer(ok=True)
    if deps.settings.limits.max_failures > 0:
        try:
            async with deps.uow() as uow:
                await record_failure(deps, uow, user_key)
                await record(uow, cmd.delivery, "pre_checkout_refused")
                await uow.commit()
        except DuplicateDelivery:  # counted the first time; Telegram still needs its answer
            pass
    return refusal


def _check(session: PaymentSession | None, cmd: c.ValidatePreCheckout, now: datetime) -> None:
    if session is None:
        raise SessionNotFound(f"no payment session {cmd.payload!r}")
    paid = price_from_minor_units(cmd.currency, cmd.total_amount)
    session.check_pre_checkout(cmd.payer_telegram_id, paid, now)


async def _refusal_answer(deps: Deps, uow: UnitOfWork, cmd: c.ValidatePreCheckout,
                          exc: DomainError) -> PreCheckoutAnswer:
    key = _CHECKOUT_ERRORS.get(exc.code, "checkout_unavailable")
    message = await load_message(uow, key, deps.settings.languages_for(cmd.language))
    text = message.render(session_id=cmd.payload, reason=exc.message)
    return PreCheckoutAnswer(ok=False, error_key=key, error_message=text)


async def _get(uow: UnitOfWork, session_id: str) -> PaymentSession:
    session = await uow.sessions.get(session_id)
    if session is None:
        raise SessionNotFound(f"no payment session {session_id!r}")
    return session
