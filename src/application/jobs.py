"""Scheduled use cases: expire stale sessions, reconcile with providers, patrons in batches."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from starport.application import commands as c
from starport.application import host_events
from starport.application.deps import Deps
from starport.application.host_events import EventType
from starport.application.ports import (
    InvoiceCancellation,
    InvoiceLookup,
    PaidTransaction,
    ProviderError,
    TransactionFeed,
)
from starport.application.views import JobCounts, PaymentOutcome
from starport.domain.charges import Decision
from starport.domain.errors import DomainError
from starport.domain.perks import Patron
from starport.domain.providers import Provider

log = logging.getLogger(__name__)
PROGRESS_EVERY = 500  # patrons between two progress lines of the batch jobs
CONCURRENCY = 8  # patrons handled at once by the batch jobs (the throttle paces the calls)


async def expire_sessions(deps: Deps, cmd: c.ExpireSessions) -> JobCounts:
    """Expire sessions nobody paid in time. A provider that can be asked about its invoices
    (InvoiceLookup) is asked first, so a payment whose webhook was lost is credited instead of
    expired; one that can withdraw them (InvoiceCancellation) withdraws the expired ones."""
    counts = JobCounts()
    now = deps.clock.now()
    async with deps.uow(read_only=True) as uow:
        stale = list(await uow.sessions.expired_open(now, cmd.batch))
    unsure: set[str] = set()
    for provider in {s.provider for s in stale if s.invoice_id}:
        lookup = deps.capable(provider, InvoiceLookup)
        if lookup is None:
            continue
        waiting = [s for s in stale if s.provider is provider and s.invoice_id]
        try:
            for tx in await lookup.find_payments(waiting):
                await _credit(deps, provider, tx, counts)
        except (ProviderError, DomainError) as exc:
            log.warning("could not ask %s about %d stale sessions: %s", provider, len(waiting),
                        exc)
            counts.add("errors")
            unsure.update(s.id for s in waiting)  # try again on the next run
    expired = []
    async with deps.uow() as uow:
        for stale_session in stale:
            session = await uow.sessions.get(stale_session.id)
            if session is not None and session.id not in unsure and session.expire(now):
                await uow.sessions.save(session)
                await host_events.publish(
                    deps, uow, EventType.PAYMENT_FAILED, session.user_id, now,
                    sessionId=session.id, packageId=session.package_id,
                    provider=session.provider.value, chargeId=None, paid=None,
                    reason="expired: not paid in time", telegramUserId=session.telegram_user_id)
                expired.append(session)
                counts.add("expired")
        await uow.commit()
    for session in expired:  # the provider's invoice goes too, so it cannot be paid any more
        cancellation = deps.capable(session.provider, InvoiceCancellation)
        if session.invoice_id and cancellation is not None:
            try:
                await cancellation.cancel_invoice(session)
                counts.add("invoices_cancelled")
            except (ProviderError, DomainError) as exc:
                log.warning("could not cancel invoice of %s: %s", session.id, exc)
                counts.add("errors")
    return counts


async def reconcile(deps: Deps, cmd: c.Reconcile) -> JobCounts:
    """Credit payments the provider has but we missed (a lost webhook), exactly once: by asking
    about each waiting session (InvoiceLookup), and by reading its own list of payments from a
    saved cursor (TransactionFeed), whichever it can do."""
    counts = JobCounts()
    deps.provider(cmd.provider)  # not enabled: a clear error
    lookup = deps.capable(cmd.provider, InvoiceLookup)
    feed = deps.capable(cmd.provider, TransactionFeed)
    if lookup is not None:
        await _ask_about_waiting(deps, cmd, lookup, counts)
    if feed is None:
        return counts
    cursor_name = f"reconcile:{cmd.provider.value}"
    async with deps.uow(read_only=True) as uow:
        cursor = await uow.cursors.get(cursor_name)
    for _ in range(cmd.max_pages):  # the provider's own transaction list, from the saved cursor
        page = await feed.paid_transactions(cursor)
        for tx in page.transactions:
            counts.add("transactions")
            await _credit(deps, cmd.provider, tx, counts)
        if page.next_cursor is None or page.next_cursor == cursor:
            break
        cursor = page.next_cursor
        async with deps.uow() as uow:
            await uow.cursors.set(cursor_name, cursor)
            await uow.commit()
    return counts


async def _ask_about_waiting(deps: Deps, cmd: c.Reconcile, lookup: InvoiceLookup,
                             counts: JobCounts) -> None:
    after: str | None = None
    for _ in range(cmd.max_pages):
        async with deps.uow(read_only=True) as uow:
            waiting = await uow.sessions.open_for(cmd.provider, 100, after)
        if not waiting:
            return
        after = waiting[-1].id
        counts.add("checked", len(waiting))
        for tx in await lookup.find_payments(waiting):
            await _credit(deps, cmd.provider, tx, counts)


async def _credit(deps: Deps, provider: Provider, tx: PaidTransaction, counts: JobCounts) -> None:
    if tx.session_id is None:
        counts.add("unmatched")
        return
    try:
        outcome: PaymentOutcome = await deps.bus.handle(c.CompletePayment(
            provider=provider, session_id=tx.session_id, charge_id=tx.charge_id, paid=tx.paid,
            payer_telegram_id=tx.payer_telegram_id))
    except DomainError as exc:
        log.warning("reconciliation could not credit %s: %s", tx.charge_id, exc)
        counts.add("errors")
        return
    if outcome.credited:
        counts.add("credited")
    elif outcome.decision is Decision.UNMATCHED:
        counts.add("unmatched")
    elif outcome.rejected_reason:
        counts.add("rejected")
    else:
        counts.add("already_credited")


async def check_memberships(deps: Deps, cmd: c.CheckMemberships) -> JobCounts:
    """For every patron: see where they stand, invite the missing, remove the lapsed.
    Safe to kill and re-run: each patron's step is its own transaction and repeats as a no-op
    (ending a patronage twice does nothing, an unused invite is not sent again)."""
    channel, channel_id = deps.require_channel()
    counts = JobCounts()

    async def one(patron: Patron) -> None:
        now = deps.clock.now()
        try:
            if patron.active and not patron.entitled_at(now):
                if await deps.bus.handle(c.EndPatronage(patron.telegram_user_id)):
                    counts.add("removed")
                return
            if not patron.active:
                return
            counts.add("checked")
            status = await channel.member_status(channel_id, patron.telegram_user_id)
            if await deps.bus.handle(c.ObserveMembership(patron.telegram_user_id, status)):
                counts.add("bonuses")
            if status.in_channel:
                counts.add("joined")
            elif await deps.bus.handle(c.InvitePatron(patron.telegram_user_id)) is not None:
                counts.add("invited")
        except Exception as exc:
            log.warning("membership check of %s failed: %s", patron.telegram_user_id, exc)
            counts.add("errors")

    return await _each_patron(deps, cmd.batch, "membership check", counts, one)


async def bulk_invite(deps: Deps, cmd: c.BulkInvite) -> JobCounts:
    """Invite every entitled patron who is not in the channel and holds no usable invite.
    Safe to kill and re-run: a patron invited before the kill holds a usable invite and is
    skipped; the invite message sits in the outbox and the dispatch job delivers it."""
    deps.require_channel()
    counts = JobCounts()

    async def one(patron: Patron) -> None:
        if not patron.entitled_at(deps.clock.now()):
            return
        counts.add("checked")
        try:
            if await deps.bus.handle(c.InvitePatron(patron.telegram_user_id)) is not None:
                counts.add("invited")
            else:
                counts.add("skipped")
        except Exception as exc:
            log.warning("invite of %s failed: %s", patron.telegram_user_id, exc)
            counts.add("errors")

    return await _each_patron(deps, cmd.batch, "bulk invite", counts, one)


async def _each_patron(deps: Deps, batch: int, name: str, counts: JobCounts,
                       work: Callable[[Patron], Awaitable[None]]) -> JobCounts:
    """Page through the patrons and run `work` on up to CONCURRENCY of them at once: each
    Bot API call waits on the network, so one at a time could never fill the rate limit.
    One patron's steps stay in order (one worker handles them all)."""
    queue: asyncio.Queue[Patron | None] = asyncio.Queue(maxsize=batch)
    done = 0

    async def worker() -> None:
        nonlocal done
        while (patron := await queue.get()) is not None:
            await work(patron)
            done += 1
            if done % PROGRESS_EVERY == 0:
                log.info("%s progress: %d patrons, %s", name, done, counts.counts)

    async with asyncio.TaskGroup() as group:
        workers = [group.create_task(worker()) for _ in range(CONCURRENCY)]
        after: int | None = None
        while True:
            async with deps.uow(read_only=True) as uow:
                patrons = await uow.patrons.page(after, batch)
            if not patrons:
                break
            after = patrons[-1].telegram_user_id
            for patron in patrons:
                await queue.put(patron)
        for _ in workers:
            await queue.put(None)
    log.info("%s done: %d patrons, %s", name, done, counts.counts)
    return counts
