"""The outbox at work: each effect's handler, the sender that delivers what a transaction just
queued (chat by chat, in order), and the dispatch job that retries the rest."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from starport.application import commands as c
from starport.application import host_events
from starport.application.deps import Deps
from starport.application.effects import (
    CancelSubscription,
    InvitePatron,
    OutboxItem,
    OutboxStatus,
    PublishEvent,
    RefundCharge,
    RelayToSupport,
    RemoveMember,
    RevokeInvite,
    SendInvoice,
    SendText,
)
from starport.application.ports import (
    ChatInvoices,
    InvoiceRequest,
    OutgoingMessage,
    RecipientUnreachable,
    Refunds,
    Subscriptions,
)
from starport.application.views import JobCounts
from starport.domain.errors import ProviderNotEnabled
from starport.domain.providers import Provider

log = logging.getLogger(__name__)
T = TypeVar("T")
CONCURRENCY = 32  # chats served at once; the messenger's throttle keeps Telegram's limits
RECORD_RETRY = 0.2  # seconds before recording a batch's results again, doubling up to 2
# Under load, one write of results at most this often (seconds), where each write is a round
# trip of its own (PostgreSQL: the container passes it as `record_every`): a busy process
# records them in batches of a moment's worth; alone, a result is written at once. SQLite's
# writes join a group commit anyway, and a wait would only leave more sent-but-unwritten
# results to send again after a crash.
RECORD_EVERY = 0.01


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


# -- what each effect does ---------------------------------------------------------------------

async def _send_text(deps: Deps, item: OutboxItem, e: SendText) -> None:
    await deps.messenger.send_message(OutgoingMessage(item.chat_id, e.text, e.parse_mode,
                                                      e.buttons))


async def _send_invoice(deps: Deps, item: OutboxItem, e: SendInvoice) -> None:
    provider = _capable(deps, e.provider, ChatInvoices)
    await deps.messenger.send_invoice(provider.for_chat(InvoiceRequest(
        chat_id=item.chat_id, title=e.title, description=e.description, payload=e.payload,
        currency=e.currency, amount=e.amount)))


async def _revoke_invite(deps: Deps, item: OutboxItem, e: RevokeInvite) -> None:
    channel, _ = deps.require_channel()
    await channel.revoke_invite(item.chat_id, e.link)


async def _remove_member(deps: Deps, item: OutboxItem, e: RemoveMember) -> None:
    channel, _ = deps.require_channel()
    await channel.remove_member(item.chat_id, e.telegram_user_id)


async def _refund_charge(deps: Deps, item: OutboxItem, e: RefundCharge) -> None:
    await _capable(deps, e.provider, Refunds).refund(e.charge_id, e.telegram_user_id)


async def _cancel_subscription(deps: Deps, item: OutboxItem, e: CancelSubscription) -> None:
    await _capable(deps, e.provider, Subscriptions).cancel_subscription(e.telegram_user_id,
                                                                        e.charge_id)


def _capable(deps: Deps, provider: Provider, capability: type[T]) -> T:
    """The provider the effect names, able to do it (else the item is retried, then failed:
    a provider switched off with work queued for it)."""
    found = deps.capable(provider, capability)
    if found is None:
        raise ProviderNotEnabled(f"{provider.value} is not enabled or cannot "
                                 f"{capability.__name__.lower()}")
    return found


async def _invite_patron(deps: Deps, item: OutboxItem, e: InvitePatron) -> None:
    await deps.bus.handle(c.InvitePatron(e.telegram_user_id, e.first_name, e.language))


async def _publish_event(deps: Deps, item: OutboxItem, e: PublishEvent) -> None:
    if deps.events is None:
        raise RuntimeError("no events URL is set (STARPORT_EVENTS_URL)")
    body = json.dumps(e.body(), separators=(",", ":"), ensure_ascii=False).encode()
    await deps.events.deliver(item.id, body)


async def _relay_to_support(deps: Deps, item: OutboxItem, e: RelayToSupport) -> None:
    # Noted in a transaction of its own: if that fails, the item is retried and the message
    # relayed again (the agents may see it twice; never not at all).
    sent = await deps.messenger.send_message(OutgoingMessage(item.chat_id, e.text))
    await deps.bus.handle(c.NoteRelayed(e.message_id, item.chat_id, sent))


HANDLERS: dict[type[Any], Callable[[Deps, OutboxItem, Any], Awaitable[None]]] = {
    SendText: _send_text,
    SendInvoice: _send_invoice,
    RevokeInvite: _revoke_invite,
    RemoveMember: _remove_member,
    RefundCharge: _refund_charge,
    CancelSubscription: _cancel_subscription,
    InvitePatron: _invite_patron,
    PublishEvent: _publish_event,
    RelayToSupport: _relay_to_support,
}


async def perform(deps: Deps, item: OutboxItem, counts: JobCounts | None = None) -> None:
    """Make the item's effect happen and note what came of it on the item (not stored)."""
    try:
        await HANDLERS[type(item.effect)](deps, item, item.effect)
    except RecipientUnreachable as exc:
        item.status, item.last_error = OutboxStatus.FAILED, f"recipient unreachable: {exc}"
        _count(counts, "failed")
    except Exception as exc:  # any failure is retried later, never lost
        item.attempts += 1
        item.last_error = f"{type(exc).__name__}: {exc}"[:500]
        wait = _retry_after(deps, item)
        if wait is None:
            item.status = OutboxStatus.FAILED
            _count(counts, "failed")
            log.error("outbox item %s (%s) given up on after %d attempts: %s; an admin can "
                      "retry it (GET /api/admin/outbox?status=failed)", item.id,
                      type(item.effect).__name__, item.attempts, item.last_error)
        else:
            item.available_at = deps.clock.now() + wait
            _count(counts, "retried")
        log.warning("outbox item %s not delivered: %s", item.id, item.last_error)
    else:
        item.status, item.sent_at = OutboxStatus.SENT, deps.clock.now()
        item.attempts += 1
        _count(counts, "sent")
    item.lease_until = None


def _retry_after(deps: Deps, item: OutboxItem) -> timedelta | None:
    """The wait before the item's next attempt; None when its attempts have run out. Events
    keep trying for days (a host app's endpoint may be down over a weekend)."""
    if isinstance(item.effect, PublishEvent):
        return host_events.retry_after(item.attempts)
    if item.attempts >= deps.settings.outbox_max_attempts:
        return None
    return backoff(item.attempts)


def _count(counts: JobCounts | None, name: str) -> None:
    if counts is not None:
        counts.add(name)


# -- leases ------------------------------------------------------------------------------------

class Leases:
    """Keeps the leases of the items this process holds running for as long as it holds them:
    one statement every third of a lease renews them all. So a lease can be short (one send,
    `outbox_lease`) however long an item waits for the throttle or a flood wait: a process that
    dies stops renewing, and what it held is the dispatch job's within one lease."""

    def __init__(self, deps: Deps, lease: timedelta) -> None:
        self._deps = deps
        self._lease = lease
        self._held: dict[str, None] = {}  # item ids, in the order they came
        self._emptied = asyncio.Event()
        self._keeper: asyncio.Task[None] | None = None

    def hold(self, items: Sequence[OutboxItem]) -> None:
        self._held.update(dict.fromkeys(item.id for item in items))
        if self._held and (self._keeper is None or self._keeper.done()):
            self._emptied.clear()
            self._keeper = asyncio.get_running_loop().create_task(self._keep())

    def release(self, items: Sequence[OutboxItem]) -> None:
        for item in items:
            self._held.pop(item.id, None)
        if not self._held:
            self._emptied.set()

    async def stopped(self) -> None:
        """Wait for the keeper to notice it holds nothing (at shutdown)."""
        if self._keeper is not None and not self._held:
            await self._keeper

    async def _keep(self) -> None:
        interval = self._lease.total_seconds() / 3
        while self._held:
            self._emptied.clear()
            try:
                await asyncio.wait_for(self._emptied.wait(), interval)
                continue  # everything held was let go (what is held now was leased just now)
            except TimeoutError:
                pass
            await self._renew(list(self._held))

    async def _renew(self, ids: list[str]) -> None:
        now = self._deps.clock.now()
        try:
            async with self._deps.uow(bookkeeping=True) as uow:
                renewed = await uow.outbox.renew(ids, now, now + self._lease)
                await uow.commit()
        except Exception:  # the next round tries again; a lease is three rounds long
            log.exception("outbox: the leases of %d held items could not be renewed", len(ids))
            return
        lapsed = len([i for i in ids if i in self._held]) - renewed
        if lapsed > 0:
            log.warning("outbox: %d held items had let their lease run out (this process was "
                        "stalled for longer than %s); another dispatcher may send them too",
                        lapsed, self._lease)


async def record_results(deps: Deps, leases: Leases, batch: list[OutboxItem],
                         lease: timedelta) -> None:
    """Record what came of the batch's sends. While the database is away (a restart, a
    failover) the batch stays leased and the write is tried again, for up to one lease: a
    result never recorded sends its item again through the dispatch job, so giving up early
    would turn a database blip into duplicate messages."""
    give_up = time.monotonic() + lease.total_seconds()
    delay = RECORD_RETRY
    while True:
        leases.release(batch)  # first: a renewal must not revive a lease a result released
        try:
            async with deps.uow(bookkeeping=True) as uow:
                await uow.outbox.record(*batch)
                await uow.commit()
            return
        except Exception as exc:
            if time.monotonic() + delay > give_up:  # the dispatch job sends them again
                log.exception("outbox: the results of %d items could not be recorded; they "
                              "will be sent again", len(batch))
                return
            if delay == RECORD_RETRY:
                log.warning("outbox: recording the results of %d items failed (%s: %s); "
                            "retrying while they stay leased", len(batch),
                            type(exc).__name__, str(exc).splitlines()[0][:200])
            leases.hold(batch)
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


# -- right after a commit ----------------------------------------------------------------------

class Sender:
    """Delivers the items each transaction queued, once it has committed: one task per chat
    with work, each chat's items in the order they were queued, up to CONCURRENCY chats at once.
    The items come leased to this process, so no dispatcher takes them meanwhile, and their
    leases are kept running while they wait here (`Leases`); what a crash leaves behind goes out
    through the dispatch job once one lease has run out.

    Results are recorded by one recorder, as soon as it is free: alone, an item is recorded
    right after its call; under load, the results that came in while the recorder wrote (and,
    with `record_every`, up to that long after it began) are recorded together, in one
    transaction (a crash then repeats at most those)."""

    def __init__(self, deps: Deps, lease: timedelta, concurrency: int = CONCURRENCY,
                 counts: JobCounts | None = None, record_every: float = 0.0) -> None:
        self._deps = deps
        self._record_every = record_every  # see RECORD_EVERY
        self._counts = counts  # what came of each send, for the dispatch job's report
        self._lease = lease
        self._chats: dict[int, deque[OutboxItem]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._draining: set[asyncio.Task[Any] | None] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._done: list[OutboxItem] = []  # attempted, not recorded yet
        self._recorder: asyncio.Task[None] | None = None
        self._leases = Leases(deps, lease)

    @property
    def lease(self) -> float:
        return self._lease.total_seconds()

    def submit(self, items: Sequence[OutboxItem]) -> None:
        self._leases.hold(items)
        for item in items:
            waiting = self._chats.get(item.chat_id)
            if waiting is not None:  # this chat is being served: the item joins its queue
                waiting.append(item)
                continue
            self._chats[item.chat_id] = deque([item])
            task = asyncio.get_running_loop().create_task(self._serve(item.chat_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _serve(self, chat_id: int) -> None:
        queue = self._chats[chat_id]
        try:
            async with self._slots:
                while queue:
                    item = queue.popleft()
                    await perform(self._deps, item, self._counts)
                    self._record_soon(item)
        finally:
            del self._chats[chat_id]

    def _record_soon(self, item: OutboxItem) -> None:
        self._done.append(item)
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.get_running_loop().create_task(self._record())
            self._tasks.add(self._recorder)
            self._recorder.add_done_callback(self._tasks.discard)

    async def _record(self) -> None:
        while self._done:
            batch, self._done = self._done, []
            started = time.monotonic()
            await self._record_batch(batch)
            if self._done and self._record_every > 0:  # busy: the next moment's join these
                await asyncio.sleep(self._record_every - (time.monotonic() - started))

    async def _record_batch(self, batch: list[OutboxItem]) -> None:
        await record_results(self._deps, self._leases, batch, self._lease)

    async def drain(self) -> None:
        """Wait until everything submitted has been attempted (at shutdown, in tests). A
        delivery that sends a command (an invite) drains from inside a chat's task: it waits
        neither for itself nor for another task that is draining (they would wait on each
        other)."""
        current = asyncio.current_task()
        self._draining.add(current)
        try:
            while others := [t for t in self._tasks if t not in self._draining]:
                running = [t for t in others if not t.done()]
                if running:
                    await asyncio.gather(*running, return_exceptions=True)
                else:  # finished: they leave the set by their done callbacks, on the next turn
                    await asyncio.sleep(0)  # (a gather of finished tasks would not yield, 3.12+)
            if not self._draining - {current}:
                await self._leases.stopped()
        finally:
            self._draining.discard(current)


# -- the dispatch job --------------------------------------------------------------------------

async def dispatch_outbox(deps: Deps, cmd: c.DispatchOutbox) -> JobCounts:
    """Deliver due items in rounds: each round leases up to CONCURRENCY items, one per chat (a
    chat with an item in flight waits for it), in one transaction, and hands them to a `Sender`
    of its own: sent side by side at the messenger's pace, their leases kept running through a
    long flood wait, each result recorded as soon as the recorder is free. So a backlog left by
    a crashed process goes out at the Bot API's pace, not at two transactions per item; a crash
    of this job can repeat only the sends whose results were not yet written. An item whose
    holder let its lease run out without a result is taken over, logged and counted
    (`taken_over`)."""
    counts = JobCounts()
    lease = deps.settings.outbox_lease
    sender = Sender(deps, lease, counts=counts)
    remaining = cmd.batch
    while remaining > 0:
        now = deps.clock.now()
        claimed: list[OutboxItem] = []
        async with deps.uow() as uow:
            while len(claimed) < min(CONCURRENCY, remaining):
                item = await uow.outbox.claim(now, now + lease)
                if item is None:
                    break
                claimed.append(item)
            await uow.commit()
        if not claimed:
            break
        remaining -= len(claimed)
        for item in claimed:
            counts.add("claimed")
            if item.previous_lease is not None:
                counts.add("taken_over")
                log.warning("outbox: item %s (chat %s) taken over: its lease ran out at %s with "
                            "no result recorded (the process holding it died or hung)", item.id,
                            item.chat_id, item.previous_lease.isoformat())
        sender.submit(claimed)
        await sender.drain()
    async with deps.uow(read_only=True) as uow:  # the backlog, for the metrics
        counts.add("backlog", await uow.outbox.count(OutboxStatus.PENDING))
        oldest = await uow.outbox.oldest_pending()
    if oldest is not None:
        counts.add("oldest_pending_seconds", int((deps.clock.now() - oldest).total_seconds()))
    return counts
