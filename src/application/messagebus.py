"""The message bus: runs a command's use case, retries it on a write conflict, and shows its
result to observers (metrics)."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from starport.application import (
    audit,
    back_office,
    balance_alert,
    bot_messages,
    chat,
    completion,
    credits,
    deliveries,
    event_log,
    jobs,
    links,
    outbox,
    payments,
    perks,
    refunds,
    replies,
    support,
)
from starport.application import commands as c
from starport.application.deps import Deps
from starport.application.unit_of_work import Conflict

log = logging.getLogger(__name__)
T = TypeVar("T")
Observer = Callable[[Any], None]

HANDLERS: dict[type[c.Command], Callable[[Deps, Any], Awaitable[Any]]] = {
    c.CreateSession: payments.create_session,
    c.StartDeepLink: payments.start_deep_link,
    c.ValidatePreCheckout: payments.validate_pre_checkout,
    c.CompletePayment: completion.complete_payment,
    c.RefundPayment: refunds.refund_payment,
    c.RecordRefund: refunds.record_refund,
    c.LinkTelegram: links.link_telegram,
    c.UnlinkTelegram: links.unlink_telegram,
    c.CreateLinkToken: links.create_link_token,
    c.RedeemLinkToken: links.redeem_link_token,
    c.RecordProviderRefund: refunds.record_provider_refund,
    c.SpendCredits: credits.spend_credits,
    c.AdjustCredits: credits.adjust_credits,
    c.MakePatron: perks.make_patron,
    c.InvitePatron: perks.invite_patron,
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
    c.OpenSupport: support.open_support,
    c.CloseSupport: support.close_support,
    c.WriteToSupport: support.write_to_support,
    c.NoteRelayed: support.note_relayed,
    c.AnswerFromSupport: support.answer_from_support,
    c.ReplyBalance: replies.reply_balance,
    c.ShowPackages: chat.show_packages,
    c.BuyFromChat: chat.buy_from_chat,
    c.PruneDeliveries: deliveries.prune_deliveries,
    c.HoldPayment: deliveries.hold_payment,
    c.CheckWalletBalances: balance_alert.check_wallet_balances,
    c.ResendEvent: event_log.resend_event,
    c.RetryOutboxItem: back_office.retry_outbox_item,
    c.NoteAdminAction: audit.note_action,
}


class MessageBus:
    """`settle`, when given, is awaited after each command: in inline mode, the sender's
    drain, so that what a command queued has been delivered when it returns."""

    def __init__(self, deps: Deps, conflict_retries: int = 8,
                 settle: Callable[[], Awaitable[None]] | None = None) -> None:
        self.deps = deps
        self.conflict_retries = conflict_retries
        self._settle = settle
        self._observers: dict[type[Any], list[Observer]] = defaultdict(list)
        deps.commands = self

    def observe(self, result_type: type[Any], observer: Observer) -> None:
        """Call `observer` with every result of that type a command returns (metrics); its
        failures are only logged."""
        self._observers[result_type].append(observer)

    async def handle(self, command: c.Command) -> Any:
        handler = HANDLERS[type(command)]
        try:
            result = await self._run(handler, command)
        finally:
            if self._settle is not None:
                await self._settle()
        for observer in self._observers.get(type(result), ()):
            try:
                observer(result)
            except Exception:
                log.exception("result observer failed for %s", type(result).__name__)
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
