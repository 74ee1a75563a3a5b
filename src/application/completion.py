"""Completing a payment: credit it exactly once; a Star subscription also makes a patron."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from application import commands as c
from application.deps import Deps
from application.limits import record_failure
from application.notify import enqueue, send_template
from application.payments import package_title
from application.perks import invite_patron
from application.ports import OutboxItem
from application.refunds import REFUNDED_UNCREDITED
from application.unit_of_work import UnitOfWork
from application.views import PaymentOutcome
from domain import ledger
from domain.errors import AmountMismatch, SessionNotFound
from domain.perks import Patron, PatronSource
from domain.sessions import PaymentSession, SessionStatus

log = logging.getLogger(__name__)
REJECTED = "payment-rejected"
EXTRA = "extra-charge"


async def complete_payment(deps: Deps, cmd: c.CompletePayment) -> PaymentOutcome:
    """Credit a confirmed payment exactly once, keyed by the provider's charge id."""
    now = deps.clock.now()
    key = f"payment:{cmd.provider.value}:{cmd.charge_id}"
    async with deps.uow() as uow:
        session = await uow.sessions.get(cmd.session_id)  # locked: one payment at a time
        if session is None:
            raise SessionNotFound(f"no payment session {cmd.session_id!r}")
        if await uow.ledger.entry_by_key(key) is not None:
            return PaymentOutcome(session.id, credited=False)
        if await uow.inbox.seen(REJECTED, key):  # a replay of a payment we already refused
            return PaymentOutcome(session.id, credited=False,
                                  rejected_reason=session.failure_reason or "rejected")
        if await uow.inbox.seen(REFUNDED_UNCREDITED, f"{cmd.provider.value}:{cmd.charge_id}"):
            return PaymentOutcome(session.id, credited=False,
                                  rejected_reason="refunded before it was credited")
        chat_id = cmd.chat_id or session.telegram_user_id
        renewal = (session.status is SessionStatus.PAID and session.charge_id != cmd.charge_id
                   and session.subscription_period is not None)
        if not renewal and session.status in (SessionStatus.PAID, SessionStatus.REFUNDED) \
                and session.charge_id != cmd.charge_id:
            return await _return_extra_charge(deps, uow, session, cmd, key, chat_id, now)
        try:
            if renewal:
                session.check_renewal(charge_id=cmd.charge_id, paid=cmd.paid)
            elif not session.mark_paid(charge_id=cmd.charge_id, paid=cmd.paid, now=now,
                                       exact=cmd.exact):
                return PaymentOutcome(session.id, credited=False)
        except AmountMismatch as exc:
            return await _reject(deps, uow, session, exc, chat_id, key, now)
        balance = await _credit(deps, uow, session, key, now)
        patron_id: int | None = None
        if session.subscription_period is not None:
            patron_id = await _extend_patronage(deps, uow, session, cmd, now)
        await uow.sessions.save(session)
        if chat_id is not None:
            await send_template(
                uow, item_id=deps.ids.new_id(), chat_id=chat_id, key="payment_success", now=now,
                first_name=cmd.first_name, package_title=package_title(deps, session),
                credits=session.credits, amount=str(session.price), balance=balance,
                session_id=session.id,
            )
        await uow.commit()
    if patron_id is not None and deps.settings.channel_id is not None:
        try:  # the membership check job invites anyone this misses
            await invite_patron(deps, patron_id, cmd.first_name)
        except Exception:  # the payment stands regardless
            log.exception("could not invite new patron %s", patron_id)
    return PaymentOutcome(session.id, credited=True, balance=balance)


async def _credit(deps: Deps, uow: UnitOfWork, session: PaymentSession, key: str,
                  now: datetime) -> int:
    entry = ledger.purchase(
        entry_id=deps.ids.new_id(), key=key, user_id=session.user_id,
        sales_account=session.provider.sales_account, credits=session.credits,
        session_id=session.id, now=now,
    )
    accounts = await uow.ledger.accounts(entry.accounts)
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    return accounts[ledger.user_account(session.user_id)].balance


async def _extend_patronage(deps: Deps, uow: UnitOfWork, session: PaymentSession,
                            cmd: c.CompletePayment, now: datetime) -> int | None:
    """The patron's Telegram id when they were not entitled before this charge (to invite)."""
    telegram_id = session.telegram_user_id or cmd.payer_telegram_id
    if telegram_id is None:
        return None
    period = timedelta(seconds=session.subscription_period or 0)
    until = cmd.subscription_until or now + period
    patron = await uow.patrons.get(telegram_id)
    if patron is None:
        patron = Patron(telegram_user_id=telegram_id, user_id=session.user_id,
                        source=PatronSource.SUBSCRIPTION, since=now, until=until,
                        subscription_charge_id=session.charge_id)
        await uow.patrons.add(patron)
        return telegram_id
    was_entitled = patron.entitled_at(now)
    patron.renew(until, now, charge_id=session.charge_id)
    await uow.patrons.save(patron)
    return None if was_entitled else telegram_id


async def _reject(deps: Deps, uow: UnitOfWork, session: PaymentSession, exc: AmountMismatch,
                  chat_id: int | None, key: str, now: datetime) -> PaymentOutcome:
    """The money does not match: nothing is credited, the session is flagged, the user told
    (once: a replay of the same charge is recognised)."""
    await uow.inbox.record(REJECTED, key, now)
    await record_failure(deps, uow, session.user_id)
    if session.status is not SessionStatus.PAID:
        session.fail(exc.message)
        await uow.sessions.save(session)
    log.warning("payment for %s rejected: %s", session.id, exc.message)
    if chat_id is not None:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=chat_id,
                            key="payment_failed", now=now, reason=exc.message,
                            session_id=session.id)
    await uow.commit()
    return PaymentOutcome(session.id, credited=False, rejected_reason=exc.message)


async def _return_extra_charge(deps: Deps, uow: UnitOfWork, session: PaymentSession,
                               cmd: c.CompletePayment, key: str, chat_id: int | None,
                               now: datetime) -> PaymentOutcome:
    """A second charge for a session already paid (two invoices paid at once, or a charge
    after a refund): the money is returned, never silently kept, and never credited twice."""
    reason = "this purchase was already paid; the extra payment is being returned"
    if not await uow.inbox.record(EXTRA, key, now):
        return PaymentOutcome(session.id, credited=False, rejected_reason=reason)
    payer = cmd.payer_telegram_id or session.telegram_user_id
    if cmd.provider.value == "telegram_stars" and payer is not None:
        await enqueue(uow, OutboxItem(
            id=deps.ids.new_id(), kind="refund_charge", chat_id=payer, created_at=now,
            available_at=now, payload={"session_id": session.id, "telegram_user_id": payer,
                                       "charge_id": cmd.charge_id}))
    else:  # Crypto Pay has no refund method: an operator returns it by transfer
        reason = "this purchase was already paid; support will return the extra payment"
        log.error("extra charge %s on paid session %s needs a manual return",
                  cmd.charge_id, session.id)
    if chat_id is not None:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=chat_id,
                            key="payment_failed", now=now, reason=reason, session_id=session.id)
    await uow.commit()
    return PaymentOutcome(session.id, credited=False, rejected_reason=reason)
