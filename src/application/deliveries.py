"""Deliveries: each webhook (or getUpdates) delivery as received, stored with its effect.

A use case that handles a delivery records it in the transaction of its effect, just before
the commit: storage keeps (source, update id) unique, so the same delivery again is refused
there and its repeat changes nothing. The row is also the raw record kept for disputes."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.notify import send_template
from starport.application.unit_of_work import UnitOfWork
from starport.application.views import JobCounts
from starport.domain.errors import DomainError

log = logging.getLogger(__name__)


class DuplicateDelivery(Exception):
    """This delivery was handled before: the transaction that met it is rolled back."""


@dataclass(eq=False)
class Delivery:
    """One delivery: the exact body, the headers worth keeping (never a secret or signature),
    the ids a dispute is looked up by, and what came of it."""

    id: str
    source: str  # "telegram" | "cryptopay"
    update_id: str  # the sender's id of it: unique per source
    received_at: datetime
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    charge_id: str | None = None  # Telegram's telegram_payment_charge_id
    invoice_id: str | None = None  # Crypto Pay's invoice_id
    session_id: str | None = None  # the invoice payload: our payment session
    outcome: str | None = None
    verified: bool = True  # stored deliveries are authenticated (the edge refuses the rest)


@dataclass(frozen=True)
class DeliveryQuery:
    update_id: str | None = None
    charge_id: str | None = None
    invoice_id: str | None = None
    session_id: str | None = None
    source: str | None = None
    limit: int = 50


async def record(uow: UnitOfWork, delivery: Delivery | None, outcome: str) -> None:
    """Store the delivery with its outcome in `uow`'s transaction; DuplicateDelivery (and so a
    rollback of everything the transaction did) when it was recorded before."""
    if delivery is None:
        return
    delivery.outcome = outcome
    if not await uow.deliveries.add(delivery):
        raise DuplicateDelivery(f"{delivery.source} update {delivery.update_id} was handled")


async def refused(uow: UnitOfWork, delivery: Delivery | None, exc: DomainError) -> DomainError:
    """Commit what the transaction did so far (telling the user, say) with the delivery, its
    outcome the refusal; hand back the refusal for the caller to raise."""
    await record(uow, delivery, f"refused:{exc.code}")
    await uow.commit()
    return exc


async def hold_payment(deps: Deps, cmd: c.HoldPayment) -> str:
    """Keep the delivery (outcome `held:<reason>`) and tell the admin chat, in one transaction:
    money was taken that Starport cannot record, so a person decides (a refund, a fix)."""
    log.error("payment held for the operator (%s): %s from telegram user %s, update %s",
              cmd.reason, cmd.amount, cmd.telegram_user_id,
              cmd.delivery.update_id if cmd.delivery else None)
    async with deps.uow() as uow:
        if deps.settings.admin_chat_id is not None:
            await send_template(
                uow, item_id=deps.ids.new_id(), chat_id=deps.settings.admin_chat_id,
                key="payment_held", now=deps.clock.now(),
                languages=deps.settings.languages_for(None), reason=cmd.reason,
                amount=cmd.amount,
                telegram_user_id=cmd.telegram_user_id,
                update_id=cmd.delivery.update_id if cmd.delivery else "")
        outcome = f"held:{cmd.reason}"
        await record(uow, cmd.delivery, outcome)
        await uow.commit()
    return outcome


async def find_deliveries(deps: Deps, query: DeliveryQuery) -> list[Delivery]:
    async with deps.uow(read_only=True) as uow:
        return list(await uow.deliveries.find(query))


async def prune_deliveries(deps: Deps, cmd: c.PruneDeliveries) -> JobCounts:
    """Deliveries older than the retention go, in batches; so does limit history nobody needs.
    A sender redelivers for a day at most, so an id forgotten after 90 days cannot come back."""
    counts = JobCounts()
    now = deps.clock.now()
    before = now - deps.settings.delivery_retention
    while True:
        async with deps.uow() as uow:
            gone = await uow.deliveries.prune(before, cmd.batch)
            await uow.commit()
        counts.add("deleted", gone)
        if gone < cmd.batch:
            break
    if deps.settings.limits.enabled:
        async with deps.uow() as uow:
            counts.add("limit_history_deleted",
                       await uow.limits.prune(now - deps.settings.limits.lookback))
            await uow.commit()
    return counts
