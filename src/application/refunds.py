"""Use cases of refunds: an admin's refund through the provider, and one the provider reports."""

from __future__ import annotations

import logging
from datetime import datetime

from starport.application import audit, host_events
from starport.application import commands as c
from starport.application.deliveries import record, refused
from starport.application.deps import Deps
from starport.application.host_events import EventType
from starport.application.notify import send_template
from starport.application.perks import end_patron
from starport.application.ports import Refunds
from starport.application.unit_of_work import Conflict, UnitOfWork
from starport.application.views import RefundResult
from starport.domain import ledger
from starport.domain.charges import Charge, ChargeStatus
from starport.domain.errors import (
    InsufficientCredits,
    PayerUnknown,
    RefundNotAllowed,
    RefundNotSupported,
    SessionNotFound,
)
from starport.domain.refunds import Refund, RefundInitiator
from starport.domain.sessions import PaymentSession, SessionStatus

log = logging.getLogger(__name__)
RECORD_RETRIES = 5


async def refund_payment(deps: Deps, cmd: c.RefundPayment) -> RefundResult:
    """Check first that the credits can come back, then return the money, then record it. A
    provider that cannot refund (no Refunds capability) is refused with where to do it."""
    session, earlier = await _refundable(deps, cmd.session_id, cmd.allow_debt)
    if earlier is not None:
        return earlier
    assert session.charge_id is not None
    refunds = deps.capable(session.provider, Refunds)
    if refunds is None:
        raise RefundNotSupported(await _where_to_refund(deps, session, session.charge_id))
    payer = await _payer(deps, session, session.charge_id, cmd.telegram_user_id)
    await refunds.refund(session.charge_id, payer)
    # The money is back with the user now: the record is made whatever the balance is.
    return await _record(deps, cmd.session_id, RefundInitiator.ADMIN, cmd.reason,
                         cmd.requested_by)


async def _payer(deps: Deps, session: PaymentSession, charge_id: str, named: int | None
                 ) -> int:
    """Who gets the money back: the Telegram user who opened or paid the session; else the one
    the admin names; else the user's only linked Telegram account. A name that contradicts
    what Starport knows is refused rather than sent to the wrong person."""
    async with deps.uow(read_only=True) as uow:
        charge = await uow.charges.get(session.provider, charge_id)
        # Who paid (a forwarded invoice may be paid by another than who opened the session).
        known = (charge.payer_telegram_id if charge else None) or session.telegram_user_id
        links = [] if known or named else await uow.links.for_user(session.user_id)
    if known is not None:
        if named not in (None, known):
            raise RefundNotAllowed(f"session {session.id} was paid from Telegram user {known}, "
                                   f"not {named}: the refund goes to {known}")
        return known
    if named is not None:
        return named
    if len(links) == 1:
        return links[0].telegram_user_id
    raise PayerUnknown(
        f"Starport does not know which Telegram user paid session {session.id} (user "
        f"{session.user_id} has {len(links)} linked Telegram accounts): give telegramUserId")


async def _where_to_refund(deps: Deps, session: PaymentSession, charge_id: str) -> str:
    """What the admin needs to refund it by hand: where, and the provider's own reference."""
    traits = deps.traits(session.provider)
    async with deps.uow(read_only=True) as uow:
        charge = await uow.charges.get(session.provider, charge_id)
    reference = (charge.provider_charge_id if charge and charge.provider_charge_id
                 else charge_id)
    return (f"{traits.label} payments cannot be refunded by Starport: "
            f"{traits.refund_elsewhere} (the payment there: {reference}), then record it as a "
            "refund made elsewhere")


async def record_refund(deps: Deps, cmd: c.RecordRefund) -> RefundResult:
    """An admin returned a payment outside Starport (the payment provider's dashboard, a
    transfer): its credits come back out, once, as for any refund. Not for a provider whose
    money only Starport can return (Stars): that is refunded with `refund_payment`, so the books
    never say money went back that did not."""
    session, earlier = await _refundable(deps, cmd.session_id, cmd.allow_debt)
    if earlier is not None:
        return earlier
    traits = deps.traits(session.provider)
    if deps.capable(session.provider, Refunds) is not None and not traits.refundable_outside:
        raise RefundNotAllowed(f"{traits.label} payments are refunded "
                               "through Starport: use the refund, not a record of one")
    reason = f"made outside Starport: {cmd.reason}" if cmd.reason else "made outside Starport"
    return await _record(deps, cmd.session_id, RefundInitiator.RECORDED, reason,
                         cmd.requested_by)


async def _refundable(deps: Deps, session_id: str, allow_debt: bool
                      ) -> tuple[PaymentSession, RefundResult | None]:
    """The paid session, once its credits are known to be able to come back; or the result of
    its earlier refund."""
    async with deps.uow() as uow:
        session = await _session(uow, session_id)
        if session.status is SessionStatus.REFUNDED:
            return session, await _result_of_earlier(uow, session)
        if session.status is not SessionStatus.PAID or session.charge_id is None:
            raise RefundNotAllowed(f"session {session.id} is {session.status}, not paid")
        balance = await uow.ledger.balance(ledger.user_account(session.user_id))
        if balance < session.credits and not allow_debt:
            raise InsufficientCredits(
                f"user {session.user_id} holds {balance} of the {session.credits} credits "
                "to take back; refund with allowDebt to leave a debt"
            )
    return session, None


async def _record(deps: Deps, session_id: str, by: RefundInitiator, reason: str,
                  requested_by: str) -> RefundResult:
    """A write conflict retries only the record (never the checks or the provider call)."""
    for attempt in range(1, RECORD_RETRIES + 1):
        try:
            async with deps.uow() as uow:
                session = await _session(uow, session_id)
                result = await _refund_session(deps, uow, session, by, reason)
                if not result.already_refunded:
                    await audit.note(deps, uow, requested_by, f"refund_{by.value}", session.id,
                                     reason, f"{result.credits} credits back, debt "
                                     f"{result.debt}")
                await uow.commit()
            return result
        except Conflict:
            if attempt == RECORD_RETRIES:
                log.error("refund of %s made but not recorded", session_id)
                raise
    raise AssertionError("unreachable")


async def record_provider_refund(deps: Deps, cmd: c.RecordProviderRefund) -> RefundResult:
    """The provider returned a charge's money: always recorded, once, whatever it leaves."""
    async with deps.uow() as uow:
        # The charge read once the session is held (not `with_charge`: a charge only noted
        # here is saved, not inserted, so no key would catch a read from before the lock)
        session = await uow.sessions.get(cmd.session_id) if cmd.session_id else None
        charge = (await uow.charges.get(cmd.provider, cmd.charge_id)
                  if session is not None else None)
        if session is None:
            raise await refused(uow, cmd.delivery, SessionNotFound(
                f"no payment session {cmd.session_id!r} for charge {cmd.charge_id}"))
        if cmd.charge_id == session.charge_id:  # the session's own payment
            result = await _refund_session(deps, uow, session, RefundInitiator.PROVIDER,
                                           cmd.reason, cmd.language)
        elif charge is not None and charge.status is ChargeStatus.CREDITED:
            result = await _refund_renewal(deps, uow, session, charge,  # a later charge
                                           cmd.language)
        elif charge is not None:  # never credited (returned, rejected): only noted
            result = RefundResult(session.id, 0, 0, already_refunded=not charge.refund())
            await uow.charges.save(charge)
        elif session.charge_id is None:
            # Refunded before we ever credited it (its payment update was lost): noted, so a
            # later reconciliation does not credit money the user already got back.
            await uow.charges.add(_refunded_before_credit(deps, session, cmd))
            result = RefundResult(session.id, 0, 0, already_refunded=False)
        else:
            raise await refused(uow, cmd.delivery, RefundNotAllowed(
                f"charge {cmd.charge_id} is not session {session.id}'s"))
        await record(uow, cmd.delivery,
                     "refund_replayed" if result.already_refunded else "refund_recorded")
        await uow.commit()
    return result


def _refunded_before_credit(deps: Deps, session: PaymentSession, cmd: c.RecordProviderRefund
                            ) -> Charge:
    charge = Charge(provider=cmd.provider, charge_id=cmd.charge_id, session_id=session.id,
                    paid=cmd.paid or session.price, reported_at=deps.clock.now(),
                    payer_telegram_id=cmd.payer_telegram_id)
    charge.settle(ChargeStatus.REFUNDED_BEFORE_CREDIT, cmd.reason or None)
    return charge


async def _refund_renewal(deps: Deps, uow: UnitOfWork, session: PaymentSession, charge: Charge,
                          language: str | None) -> RefundResult:
    """A later charge of a Star subscription, refunded on its own: the session stays paid."""
    if charge.refund() is False:
        return RefundResult(session.id, session.credits, 0, already_refunded=True)
    now = deps.clock.now()
    entry = ledger.refund(
        entry_id=deps.ids.new_id(),
        key=ledger.renewal_refund_key(charge.provider.value, charge.charge_id),
        user_id=session.user_id, credits=session.credits, session_id=session.id, now=now,
        by_provider=True)
    user = await _take_back(uow, entry, session.user_id)
    await uow.charges.save(charge)
    await _published(deps, uow, session, charge.charge_id, user, RefundInitiator.PROVIDER, "",
                     now)
    await _tell_refunded(deps, uow, session, user.balance, now, language)
    return RefundResult(session.id, session.credits, user.debt, already_refunded=False)


async def _refund_session(deps: Deps, uow: UnitOfWork, session: PaymentSession,
                          by: RefundInitiator, reason: str, language: str | None = None
                          ) -> RefundResult:
    """`language`: the user's Telegram language_code, when a Telegram update reports the
    refund (an admin's refund goes by the session's)."""
    """The session's payment refunded: its credits come back out (a debt if spent already)."""
    if session.status is SessionStatus.REFUNDED:
        return await _result_of_earlier(uow, session)
    now = deps.clock.now()
    entry = ledger.refund(
        entry_id=deps.ids.new_id(), key=ledger.refund_key(session.id), user_id=session.user_id,
        credits=session.credits, session_id=session.id, now=now, by_provider=True,
    )
    user = await _take_back(uow, entry, session.user_id)
    session.mark_refunded(now)
    await uow.sessions.save(session)
    charge = await uow.charges.get(session.provider, session.charge_id or "")
    if charge is not None and charge.refund():
        await uow.charges.save(charge)
    if session.subscription_period is not None and session.telegram_user_id is not None:
        patron = await uow.patrons.get(session.telegram_user_id)  # no more charges, no channel
        if patron is not None:
            await end_patron(deps, uow, patron, now)
    await uow.refunds.add(Refund(
        id=deps.ids.new_id(), session_id=session.id, user_id=session.user_id,
        provider=session.provider.value, charge_id=session.charge_id or "",
        credits=session.credits, initiated_by=by, created_at=now, reason=reason, debt=user.debt,
    ))
    await _published(deps, uow, session, session.charge_id or "", user, by, reason, now)
    await _tell_refunded(deps, uow, session, user.balance, now, language)
    return RefundResult(session.id, session.credits, user.debt, already_refunded=False)


async def _take_back(uow: UnitOfWork, entry: ledger.JournalEntry, user_id: str
                     ) -> ledger.Account:
    accounts = await uow.ledger.accounts(entry.accounts)
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    return accounts[ledger.user_account(user_id)]


async def _published(deps: Deps, uow: UnitOfWork, session: PaymentSession, charge_id: str,
                     user: ledger.Account, by: RefundInitiator, reason: str, now: datetime
                     ) -> None:
    await host_events.publish(
        deps, uow, EventType.PAYMENT_REFUNDED, session.user_id, now, sessionId=session.id,
        packageId=session.package_id, provider=session.provider.value, chargeId=charge_id,
        credits=session.credits, balance=user.balance, debt=user.debt, initiatedBy=by.value,
        reason=reason, telegramUserId=session.telegram_user_id)


async def _tell_refunded(deps: Deps, uow: UnitOfWork, session: PaymentSession, balance: int,
                         now: datetime, language: str | None) -> None:
    """In the language the update reporting it gave, else the buyer's as last known."""
    if session.telegram_user_id is not None:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=session.telegram_user_id,
                            key="payment_refunded", now=now,
                            languages=deps.settings.languages_for(language or session.language),
                            credits=session.credits,
                            balance=balance, session_id=session.id)


async def _result_of_earlier(uow: UnitOfWork, session: PaymentSession) -> RefundResult:
    earlier = await uow.refunds.for_session(session.id)
    debt = earlier.debt if earlier else 0
    return RefundResult(session.id, session.credits, debt, already_refunded=True)


async def _session(uow: UnitOfWork, session_id: str) -> PaymentSession:
    session = await uow.sessions.get(session_id)
    if session is None:
        raise SessionNotFound(f"no payment session {session_id!r}")
    return session


