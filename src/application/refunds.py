"""Use cases of refunds: an admin's refund through the provider, and one the provider reports."""

from __future__ import annotations

import logging

from application import commands as c
from application.deps import Deps
from application.notify import send_template
from application.perks import end_patron
from application.unit_of_work import Conflict, UnitOfWork
from application.views import RefundResult
from domain import ledger
from domain.errors import InsufficientCredits, RefundNotAllowed, SessionNotFound
from domain.refunds import Refund, RefundInitiator
from domain.sessions import PaymentSession, SessionStatus

log = logging.getLogger(__name__)
RECORD_RETRIES = 5
REFUNDED_UNCREDITED = "refunded-before-credit"


async def refund_payment(deps: Deps, cmd: c.RefundPayment) -> RefundResult:
    """Check first that the credits can come back, then return the money, then record it."""
    async with deps.uow() as uow:
        session = await _session(uow, cmd.session_id)
        if session.status is SessionStatus.REFUNDED:
            return await _result_of_earlier(uow, session)
        if session.status is not SessionStatus.PAID:
            raise RefundNotAllowed(f"session {session.id} is {session.status}, not paid")
        balance = await uow.ledger.balance(ledger.user_account(session.user_id))
        if balance < session.credits and not cmd.allow_debt:
            raise InsufficientCredits(
                f"user {session.user_id} holds {balance} of the {session.credits} credits "
                "to take back; refund with allowDebt to leave a debt"
            )
    await deps.provider(session.provider).refund(session)
    # The money is back with the user now: the record is made whatever the balance is, and a
    # write conflict retries only the record (never the balance check or the provider call).
    for attempt in range(1, RECORD_RETRIES + 1):
        try:
            return await _record(deps, session.id, RefundInitiator.ADMIN, cmd.reason)
        except Conflict:
            if attempt == RECORD_RETRIES:
                log.error("refund of %s made at the provider but not recorded", session.id)
                raise
    raise AssertionError("unreachable")


async def record_provider_refund(deps: Deps, cmd: c.RecordProviderRefund) -> RefundResult:
    session_id = cmd.session_id
    if session_id is None:
        raise SessionNotFound(f"no session for charge {cmd.charge_id}")
    async with deps.uow() as uow:
        session = await _session(uow, session_id)
        if session.charge_id is None and session.status is not SessionStatus.REFUNDED:
            # Refunded before we ever credited it (its payment update was lost): remember it,
            # so a later reconciliation does not credit money the user already got back.
            await uow.inbox.record(REFUNDED_UNCREDITED, f"{cmd.provider.value}:{cmd.charge_id}",
                                   deps.clock.now())
            await uow.commit()
            return RefundResult(session.id, 0, 0, already_refunded=False)
        if session.charge_id not in (None, cmd.charge_id):
            # A later charge of a Star subscription: refunded on its own, the session stays.
            paid = await uow.ledger.entry_by_key(f"payment:{cmd.provider.value}:{cmd.charge_id}")
            if paid is None or paid.reference != session.id:
                raise RefundNotAllowed(f"charge {cmd.charge_id} is not session {session.id}'s")
            return await _refund_renewal(deps, uow, session, cmd.provider.value, cmd.charge_id)
    return await _record(deps, session_id, RefundInitiator.PROVIDER, cmd.reason)


async def _refund_renewal(deps: Deps, uow: UnitOfWork, session: PaymentSession, provider: str,
                          charge_id: str) -> RefundResult:
    key = f"refund:{provider}:{charge_id}"
    if await uow.ledger.entry_by_key(key) is not None:
        return RefundResult(session.id, session.credits, 0, already_refunded=True)
    now = deps.clock.now()
    entry = ledger.refund(entry_id=deps.ids.new_id(), key=key, user_id=session.user_id,
                          credits=session.credits, session_id=session.id, now=now,
                          by_provider=True)
    accounts = await uow.ledger.accounts(entry.accounts)
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    user = accounts[ledger.user_account(session.user_id)]
    if session.telegram_user_id is not None:
        await send_template(uow, item_id=deps.ids.new_id(), chat_id=session.telegram_user_id,
                            key="payment_refunded", now=now, credits=session.credits,
                            balance=user.balance, session_id=session.id)
    await uow.commit()
    return RefundResult(session.id, session.credits, user.debt, already_refunded=False)


async def _record(deps: Deps, session_id: str, by: RefundInitiator, reason: str) -> RefundResult:
    now = deps.clock.now()
    async with deps.uow() as uow:
        session = await _session(uow, session_id)
        if session.status is SessionStatus.REFUNDED:
            return await _result_of_earlier(uow, session)
        entry = ledger.refund(
            entry_id=deps.ids.new_id(), key=f"refund:{session.id}", user_id=session.user_id,
            credits=session.credits, session_id=session.id, now=now, by_provider=True,
        )
        accounts = await uow.ledger.accounts(entry.accounts)
        ledger.post(entry, accounts)
        user = accounts[ledger.user_account(session.user_id)]
        session.mark_refunded(now, initiated_by=by.value, debt=user.debt)
        await uow.ledger.add(entry, accounts)
        await uow.sessions.save(session)
        if session.subscription_period is not None:
            await _stop_subscription(deps, uow, session)
        await uow.refunds.add(Refund(
            id=deps.ids.new_id(), session_id=session.id, user_id=session.user_id,
            provider=session.provider.value, charge_id=session.charge_id or "",
            credits=session.credits, initiated_by=by, created_at=now, reason=reason,
            debt=user.debt,
        ))
        if session.telegram_user_id is not None:
            await send_template(uow, item_id=deps.ids.new_id(), chat_id=session.telegram_user_id,
                                key="payment_refunded", now=now, credits=session.credits,
                                balance=user.balance, session_id=session.id)
        await uow.commit()
    return RefundResult(session.id, session.credits, user.debt, already_refunded=False)


async def _result_of_earlier(uow: UnitOfWork, session: PaymentSession) -> RefundResult:
    earlier = await uow.refunds.for_session(session.id)
    debt = earlier.debt if earlier else 0
    return RefundResult(session.id, session.credits, debt, already_refunded=True)


async def _session(uow: UnitOfWork, session_id: str) -> PaymentSession:
    session = await uow.sessions.get(session_id)
    if session is None:
        raise SessionNotFound(f"no payment session {session_id!r}")
    return session


async def _stop_subscription(deps: Deps, uow: UnitOfWork, session: PaymentSession) -> None:
    """A refunded Star subscription ends: no more charges, no more channel."""
    if session.telegram_user_id is None:
        return
    patron = await uow.patrons.get(session.telegram_user_id)
    if patron is not None:
        await end_patron(deps, uow, patron, deps.clock.now())
