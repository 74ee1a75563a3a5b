"""Use cases of the credits ledger: spend with an idempotency key, balance, statement."""

from __future__ import annotations

import logging

from starport.application import audit, host_events
from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.host_events import EventType
from starport.application.views import BalanceView, LedgerLine, SpendResult
from starport.domain import ledger
from starport.domain.errors import IdempotencyConflict, InvalidAmount

log = logging.getLogger(__name__)


async def spend_credits(deps: Deps, cmd: c.SpendCredits) -> SpendResult:
    if isinstance(cmd.credits, bool) or not isinstance(cmd.credits, int) or cmd.credits <= 0:
        raise InvalidAmount("credits to spend must be a positive integer")
    account_id = ledger.user_account(cmd.user_id)
    entry = ledger.spend(
        entry_id=deps.ids.new_id(), key=ledger.spend_key(cmd.user_id, cmd.idempotency_key),
        user_id=cmd.user_id, credits=cmd.credits, reason=cmd.reason, now=deps.clock.now(),
    )
    async with deps.uow() as uow:
        accounts = await uow.ledger.accounts(entry.accounts)  # locks the user's balance
        earlier = await uow.ledger.entry_by_key(entry.idempotency_key)
        if earlier is not None:
            if not earlier.same_operation_as(entry):
                raise IdempotencyConflict(
                    f"idempotency key {cmd.idempotency_key!r} was used for another spend"
                )
            return SpendResult(balance=accounts[account_id].balance, replayed=True)
        ledger.post(entry, accounts)
        await uow.ledger.add(entry, accounts)
        await host_events.publish(deps, uow, EventType.CREDITS_SPENT, cmd.user_id, entry.created_at,
                                  credits=cmd.credits, balance=accounts[account_id].balance,
                                  reason=cmd.reason, idempotencyKey=cmd.idempotency_key)
        await uow.commit()
    return SpendResult(balance=accounts[account_id].balance, replayed=False)


async def adjust_credits(deps: Deps, cmd: c.AdjustCredits) -> SpendResult:
    """A manual adjustment: a ledger entry of its own kind, told to the host app."""
    account_id = ledger.user_account(cmd.user_id)
    entry = ledger.adjustment(
        entry_id=deps.ids.new_id(), key=ledger.adjustment_key(cmd.user_id, cmd.idempotency_key),
        user_id=cmd.user_id, credits=cmd.credits, reason=cmd.reason, by=cmd.requested_by,
        now=deps.clock.now(), allow_debt=cmd.allow_debt)
    async with deps.uow() as uow:
        accounts = await uow.ledger.accounts(entry.accounts)
        earlier = await uow.ledger.entry_by_key(entry.idempotency_key)
        if earlier is not None:
            if not earlier.same_operation_as(entry):
                raise IdempotencyConflict(
                    f"idempotency key {cmd.idempotency_key!r} was used for another adjustment")
            return SpendResult(balance=accounts[account_id].balance, replayed=True)
        ledger.post(entry, accounts)
        await uow.ledger.add(entry, accounts)
        await audit.note(deps, uow, cmd.requested_by, "adjust_credits", cmd.user_id,
                         entry.memo, f"{cmd.credits:+d} credits, balance "
                         f"{accounts[account_id].balance}")
        await host_events.publish(deps, uow, EventType.CREDITS_ADJUSTED, cmd.user_id,
                                  entry.created_at, credits=cmd.credits,
                                  balance=accounts[account_id].balance, kind="adjustment",
                                  reason=entry.memo, telegramUserId=None)
        await uow.commit()
    log.info("credits of %s adjusted by %+d by %s: %s", cmd.user_id, cmd.credits,
             cmd.requested_by, entry.memo)
    return SpendResult(balance=accounts[account_id].balance, replayed=False)


async def get_balance(deps: Deps, user_id: str) -> BalanceView:
    async with deps.uow(read_only=True) as uow:
        balance = await uow.ledger.balance(ledger.user_account(user_id))
    return BalanceView(user_id=user_id, balance=balance, debt=max(0, -balance))


async def get_statement(deps: Deps, user_id: str, limit: int = 50) -> list[LedgerLine]:
    account_id = ledger.user_account(user_id)
    async with deps.uow(read_only=True) as uow:
        entries = await uow.ledger.entries(account_id, limit)
    return [
        LedgerLine(entry_id=e.id, kind=e.kind.value, amount=e.amount_for(account_id),
                   memo=e.memo, reference=e.reference, created_at=e.created_at)
        for e in entries
    ]
