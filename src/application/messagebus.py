"""The message bus: runs a command's use case, retries it on a write conflict, and then
handles the events its transactions committed."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from application import (
    balance_alert,
    bot_messages,
    chat,
    completion,
    credits,
    jobs,
    outbox,
    payments,
    perks,
    refunds,
    replies,
    webhook_inbox,
)
from application import commands as c
from application.deps import Deps
from application.notify import OutboxQueued
from application.unit_of_work import Conflict, committed_events
from domain.events import Event

log = logging.getLogger(__name__)
T = TypeVar("T")
EventHandler = Callable[[Event], Awaitable[None]]

HANDLERS: dict[type[c.Command], Callable[[Deps, Any], Awaitable[Any]]] = {
    c.CreateSession: payments.create_session,
    c.StartDeepLink: payments.start_deep_link,
    c.ValidatePreCheckout: payments.validate_pre_checkout,
    c.CompletePayment: completion.complete_payment,
    c.RefundPayment: refunds.refund_payment,
    c.RecordProviderRefund: refunds.record_provider_refund,
    c.SpendCredits: credits.spend_credits,
    c.MakePatron: perks.make_patron,
    c.EndPatronage: perks.end_patronage,
    c.ObserveMembership: perks.observe_membership,
    c.VerifyMembership: perks.verify_membership,
    c.AnswerJoinRequest: perks.answer_join_request,
    c.UpdateBotMessage: bot_messages.update_bot_message,
    c.ResetBotMessage: bot_messages.reset_bot_message,
    c.ExpireSessions: jobs.expire_sessions,
    c.Reconcile: jobs.reconcile,
    c.DispatchOutbox: outbox.dispatch_outbox,
    c.CheckMemberships: jobs.check_memberships,
    c.BulkInvite: jobs.bulk_invite,
    c.Reply: replies.reply,
    c.ReplyBalance: replies.reply_balance,
    c.ShowPackages: chat.show_packages,
    c.BuyFromChat: chat.buy_from_chat,
    c.PruneWebhookInbox: webhook_inbox.prune_webhook_inbox,
    c.CheckWalletBalances: balance_alert.check_wallet_balances,
}


class MessageBus:
    def __init__(self, deps: Deps, conflict_retries: int = 8) -> None:
        self.deps = deps
        self.conflict_retries = conflict_retries
        self._subscribers: dict[type[Event], list[EventHandler]] = defaultdict(list)
        self._background: set[asyncio.Task[None]] = set()

    def subscribe(self, event_type: type[Event], handler: EventHandler) -> None:
        """Observers (metrics, logs) of committed events; their failures are only logged."""
        self._subscribers[event_type].append(handler)

    async def handle(self, command: c.Command) -> Any:
        handler = HANDLERS[type(command)]
        queue: list[Event] = []
        token = committed_events.set(queue)
        try:
            result = await self._run(handler, command)
        except BaseException:
            committed_events.reset(token)
            await self._handle_events(queue)  # what was committed before the failure stands
            raise
        committed_events.reset(token)
        await self._handle_events(queue)
        return result

    async def _run(self, handler: Callable[[Deps, Any], Awaitable[T]], command: c.Command) -> T:
        for attempt in range(1, self.conflict_retries + 1):
            try:
                return await handler(self.deps, command)
            except Conflict:
                if attempt == self.conflict_retries:
                    raise
                log.info("write conflict on %s, retrying (%d)", type(command).__name__, attempt)
        raise AssertionError("unreachable")

    async def _handle_events(self, queue: list[Event]) -> None:
        outbox_ids: list[str] = []
        while queue:
            event = queue.pop(0)
            if isinstance(event, OutboxQueued):
                outbox_ids.extend(event.item_ids)
            for subscriber in self._subscribers[type(event)]:
                try:
                    await subscriber(event)
                except Exception:
                    log.exception("event subscriber failed for %s", type(event).__name__)
        if not outbox_ids or not self.deps.settings.dispatch_inline:
            return
        delivery = self._deliver(tuple(outbox_ids))
        if self.deps.settings.dispatch_in_background:
            # The caller (a webhook Telegram waits on) answers now; the items go out next.
            task = asyncio.create_task(delivery)
            self._background.add(task)
            task.add_done_callback(self._background.discard)
        else:
            await delivery

    async def _deliver(self, item_ids: tuple[str, ...]) -> None:
        try:
            await self.handle(c.DispatchOutbox(batch=len(item_ids), item_ids=item_ids))
        except Exception:
            log.exception("outbox dispatch after commit failed; the job will retry")

    async def drain(self) -> None:
        """Wait for deliveries still running in the background (at shutdown, in tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)
