"""Completing a payment: the session judges the charge a provider reports, and the decision is
applied in one transaction, together with the delivery that reported it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from starport.application import commands as c
from starport.application import host_events
from starport.application.deliveries import record
from starport.application.deps import Deps
from starport.application.effects import InvitePatron, OutboxItem, RefundCharge
from starport.application.host_events import EventType
from starport.application.limits import record_failure
from starport.application.links import link_on_payment, own_account_of
from starport.application.notify import send_template
from starport.application.payments import package_title
from starport.application.ports import Refunds
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import PaymentOutcome
from starport.domain import ledger
from starport.domain.charges import Charge, ChargeStatus, Decision
from starport.domain.money import shown
from starport.domain.perks import Patron, PatronSource
from starport.domain.sessions import PaymentSession

log = logging.getLogger(__name__)
RETURNING = "this purchase was already paid; the extra payment is being returned"
RETURN_BY_HAND = "this purchase was already paid; support will return the extra payment"


async def complete_payment(deps: Deps, cmd: c.CompletePayment) -> PaymentOutcome:
    """Load, decide, apply, commit: exactly once per (provider, charge id)."""
    now = deps.clock.now()
    charge = Charge(provider=cmd.provider, charge_id=cmd.charge_id, session_id=cmd.session_id,
                    paid=cmd.paid, reported_at=now, payer_telegram_id=cmd.payer_telegram_id,
                    subscription_until=cmd.subscription_until,
                    provider_charge_id=cmd.provider_charge_id)
    async with deps.uow() as uow:
        session, earlier = await uow.sessions.with_charge(  # locked: one charge at a time
            cmd.session_id, cmd.provider, cmd.charge_id)
        if session is None:
            decision = Decision.REPLAY if earlier is not None else Decision.UNMATCHED
        else:
            decision = session.take(charge, earlier=earlier, now=now,
                                    exact=deps.traits(cmd.provider).exact_amount)
        step = _Step(deps, uow, cmd, now, decision, session, charge, earlier)
        outcome = await APPLY[decision](step)
        await record(uow, cmd.delivery, outcome.label)
        await uow.commit()
    return outcome


@dataclass
class _Step:
    deps: Deps
    uow: UnitOfWork
    cmd: c.CompletePayment
    now: datetime
    decision: Decision
    session: PaymentSession | None
    charge: Charge
    earlier: Charge | None

    @property
    def chat_id(self) -> int | None:
        return self.cmd.chat_id or (self.session.telegram_user_id if self.session else None)

    def outcome(self, decision: Decision, *, credits: int = 0, balance: int | None = None,
                rejected_reason: str | None = None) -> PaymentOutcome:
        session_id = self.session.id if self.session else self.cmd.session_id
        return PaymentOutcome(session_id, decision, self.cmd.provider.value, credits=credits,
                              balance=balance, rejected_reason=rejected_reason)

    async def tell(self, key: str, **values: object) -> None:
        """In the payer's language as the update reporting the payment says it, else as the
        session knows it (a Crypto Pay payment has no Telegram update); no read of its own."""
        if self.chat_id is not None:
            language = self.cmd.language or (self.session.language if self.session else None)
            await send_template(self.uow, item_id=self.deps.ids.new_id(), chat_id=self.chat_id,
                                key=key, now=self.now,
                                languages=self.deps.settings.languages_for(language),
                                buttons=(), **values)


async def _credit(step: _Step) -> PaymentOutcome:
    """The session's payment, or a later charge of its subscription: credits, once."""
    session, deps, uow = step.session, step.deps, step.uow
    assert session is not None
    payer = session.telegram_user_id or step.charge.payer_telegram_id
    entry = ledger.purchase(
        entry_id=deps.ids.new_id(), key=ledger.payment_key(step.charge.provider.value,
                                                           step.charge.charge_id),
        user_id=session.user_id, sales_account=ledger.sales_account(session.provider.value),
        credits=session.credits, session_id=session.id, now=step.now,
    )
    accounts, held = await uow.ledger.accounts_and_held(
        entry.accounts, own_account_of(payer, session.user_id))
    if payer is not None:  # a host user's session paid in Telegram: one user from now on
        await link_on_payment(deps, uow, payer, session.user_id, step.now, held)
    ledger.post(entry, accounts)
    await uow.ledger.add(entry, accounts)
    await uow.charges.add(step.charge)
    to_invite = None
    if session.subscription_period is not None:
        to_invite = await _extend_patronage(step, session)
    session.note_language(step.cmd.language)  # saved with the payment: no statement of its own
    await uow.sessions.save(session)
    balance = accounts[ledger.user_account(session.user_id)].balance
    await host_events.publish(
        deps, uow, EventType.PAYMENT_SUCCEEDED, session.user_id, step.now,
        sessionId=session.id, packageId=session.package_id, provider=session.provider.value,
        chargeId=step.charge.charge_id, price=host_events.money(session.price),
        paid=host_events.money(step.charge.paid), credits=session.credits, balance=balance,
        telegramUserId=payer, renewal=step.decision is Decision.RENEWAL)
    if to_invite is not None:
        await host_events.publish(deps, uow, EventType.PATRON_STARTED, session.user_id,
                                  step.now, telegramUserId=to_invite, sessionId=session.id)
    await step.tell("payment_success", first_name=step.cmd.first_name,
                    package_title=package_title(deps, session), credits=session.credits,
                    amount=shown(session.price), balance=balance, session_id=session.id)
    if to_invite is not None and deps.settings.channel_id is not None:
        # Its own command after this commit (creating the link is a call to Telegram); the
        # membership check job invites anyone this misses.
        await uow.queue(OutboxItem.now(deps.ids.new_id(), to_invite,
                                       InvitePatron(to_invite, step.cmd.first_name,
                                                    step.cmd.language), step.now))
    return step.outcome(step.decision, credits=session.credits, balance=balance)


async def _extend_patronage(step: _Step, session: PaymentSession) -> int | None:
    """The patron's Telegram id when they were not entitled before this charge (to invite)."""
    telegram_id = session.telegram_user_id or step.charge.payer_telegram_id
    if telegram_id is None:
        return None
    period = timedelta(seconds=session.subscription_period or 0)
    until = step.charge.subscription_until or step.now + period
    patron = await step.uow.patrons.get(telegram_id)
    if patron is None:
        await step.uow.patrons.add(Patron(
            telegram_user_id=telegram_id, user_id=session.user_id,
            source=PatronSource.SUBSCRIPTION, since=step.now, until=until,
            subscription_charge_id=session.charge_id, subscription_provider=session.provider))
        return telegram_id
    was_entitled = patron.entitled_at(step.now)
    patron.renew(until, step.now, charge_id=session.charge_id, provider=session.provider)
    await step.uow.patrons.save(patron)
    return None if was_entitled else telegram_id


async def _replay(step: _Step) -> PaymentOutcome:
    """A charge judged before (from another delivery, or reconciliation): nothing new."""
    earlier = step.earlier
    if earlier is None or earlier.status in (ChargeStatus.CREDITED, ChargeStatus.REFUNDED):
        return step.outcome(Decision.REPLAY)
    if earlier.status is ChargeStatus.UNMATCHED:
        return step.outcome(Decision.UNMATCHED, rejected_reason=earlier.reason)
    if earlier.status is ChargeStatus.REFUNDED_BEFORE_CREDIT:
        return step.outcome(Decision.REPLAY,
                            rejected_reason="refunded before it was credited")
    return step.outcome(Decision.REPLAY, rejected_reason=earlier.reason or "rejected")


async def _return_extra(step: _Step) -> PaymentOutcome:
    """A second charge for a session already paid (two invoices paid at once, or a charge
    after a refund): the money is returned, never silently kept, and never credited."""
    session, charge = step.session, step.charge
    assert session is not None
    payer = charge.payer_telegram_id or session.telegram_user_id
    if step.deps.capable(charge.provider, Refunds) is not None and payer is not None:
        charge.reason = RETURNING
        await step.uow.queue(OutboxItem.now(
            step.deps.ids.new_id(), payer,
            RefundCharge(charge.provider, charge.charge_id, payer), step.now))
    else:
        charge.reason = RETURN_BY_HAND
        log.error("extra charge %s on paid session %s needs a manual return",
                  charge.charge_id, session.id)
    await step.uow.charges.add(charge)
    await step.tell("payment_failed", reason=charge.reason, session_id=session.id)
    return step.outcome(Decision.RETURN_EXTRA, rejected_reason=charge.reason)


async def _reject(step: _Step) -> PaymentOutcome:
    """The money does not match: nothing is credited, the session is flagged, the user told."""
    session, charge = step.session, step.charge
    assert session is not None
    await step.uow.charges.add(charge)
    await record_failure(step.deps, step.uow, session.user_id)
    await step.uow.sessions.save(session)
    log.warning("payment for %s rejected: %s", session.id, charge.reason)
    await host_events.publish(
        step.deps, step.uow, EventType.PAYMENT_FAILED, session.user_id, step.now,
        sessionId=session.id, packageId=session.package_id, provider=session.provider.value,
        chargeId=charge.charge_id, paid=host_events.money(charge.paid), reason=charge.reason,
        telegramUserId=charge.payer_telegram_id)
    await step.tell("payment_failed", reason=charge.reason, session_id=session.id)
    return step.outcome(Decision.REJECT, rejected_reason=charge.reason)


async def _unmatched(step: _Step) -> PaymentOutcome:
    """Money for no session we know: kept on record for a human, nothing credited."""
    step.charge.settle(ChargeStatus.UNMATCHED,
                       f"no payment session {step.cmd.session_id[:100]!r}")
    step.charge.session_id = None
    await step.uow.charges.add(step.charge)
    log.error("payment %s for an unknown session %r", step.charge.charge_id,
              step.cmd.session_id)
    return step.outcome(Decision.UNMATCHED, rejected_reason=step.charge.reason)


APPLY: dict[Decision, Callable[[_Step], Awaitable[PaymentOutcome]]] = {
    Decision.CREDIT: _credit,
    Decision.RENEWAL: _credit,
    Decision.REPLAY: _replay,
    Decision.RETURN_EXTRA: _return_extra,
    Decision.REJECT: _reject,
    Decision.UNMATCHED: _unmatched,
}
