"""Telegram updates to commands: one router shared by the webhook and long polling."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars

from application import commands as c
from application.chat import BUY_PREFIX
from application.views import PaymentOutcome, PreCheckoutAnswer, RefundResult
from application.webhook_records import pending_webhook
from domain.errors import DomainError
from domain.money import FiatAmount, Price, Stars
from domain.providers import Provider
from entrypoints.runtime import Runtime
from entrypoints.telegram import fields as f

log = structlog.get_logger("starport.telegram")
INBOX = "telegram"
REPLIES = {"/terms": "terms_info", "/support": "support_info", "/paysupport": "support_info"}
PAYMENT_UPDATES = ("successful_payment", "refunded_payment")


async def handle_update(runtime: Runtime, update: Any) -> str:
    """Handle one update once (by update_id) and say what happened. Raises MalformedUpdate on a
    wrong shape, and anything else the storage raises: then the update must be retried."""
    update_id = f.update_id(update)
    bind_contextvars(update_id=update_id)
    async with runtime.deps.uow(read_only=True) as uow:
        if await uow.inbox.seen(INBOX, str(update_id)):
            return "duplicate"
    try:
        outcome = await route_update(runtime, update)
    except DomainError as exc:  # the use case has told the user already, where it could
        message = update.get("message")
        money = "pre_checkout_query" in update or (
            isinstance(message, dict) and any(k in message for k in PAYMENT_UPDATES))
        (log.error if money else log.warning)("telegram.update_refused", code=exc.code,
                                               reason=exc.message)
        outcome = f"refused:{exc.code}"
    now = runtime.deps.clock.now()
    async with runtime.deps.uow() as uow:
        await uow.inbox.record(INBOX, str(update_id), now)
        raw = pending_webhook.get()
        if raw is not None:  # the delivery's outcome goes in the same transaction
            raw.outcome, raw.outcome_at = outcome, now
            if raw.stored:
                await uow.webhooks.set_outcome(raw.id, outcome, now)
        await uow.commit()  # (stores the delivery itself, outcome included, if still pending)
    return outcome


async def route_update(runtime: Runtime, update: dict[str, Any]) -> str:
    if "pre_checkout_query" in update:
        return await _pre_checkout(runtime, f.obj(update, "pre_checkout_query"))
    if "message" in update:
        return await _message(runtime, f.obj(update, "message"))
    if "callback_query" in update:
        return await _callback(runtime, f.obj(update, "callback_query"))
    if "chat_member" in update:
        return await _chat_member(runtime, f.obj(update, "chat_member"))
    if "chat_join_request" in update:
        return await _join_request(runtime, f.obj(update, "chat_join_request"))
    log.info("telegram.update_ignored", kinds=sorted(k for k in update if k != "update_id"))
    return "ignored"


async def _pre_checkout(runtime: Runtime, query: dict[str, Any]) -> str:
    payer = f.integer(f.obj(query, "from"), "id")
    payload = f.text(query, "invoice_payload")
    bind_contextvars(session_id=payload, telegram_user_id=payer)
    answer: PreCheckoutAnswer = await runtime.bus.handle(c.ValidatePreCheckout(
        query_id=f.text(query, "id"), payer_telegram_id=payer, payload=payload,
        currency=f.text(query, "currency"), total_amount=f.integer(query, "total_amount")))
    if not answer.ok:
        log.info("telegram.pre_checkout_refused", reason=answer.error_key)
    return "pre_checkout_ok" if answer.ok else "pre_checkout_refused"


async def _message(runtime: Runtime, message: dict[str, Any]) -> str:
    if "successful_payment" in message:
        return await _successful_payment(runtime, message, f.obj(message, "successful_payment"))
    if "refunded_payment" in message:
        return await _refunded_payment(runtime, f.obj(message, "refunded_payment"))
    chat = f.obj(message, "chat")
    sender = message.get("from")
    words = f.command(message.get("text") or "", runtime.deps.settings.bot_username)
    if words is None or not isinstance(sender, dict) or chat.get("type") != "private":
        return "ignored"
    chat_id, user = f.integer(chat, "id"), f.integer(sender, "id")
    first_name = f.first_name(sender)
    bind_contextvars(telegram_user_id=user)
    name, argument = words
    if name == "/start" and argument.startswith("pay_"):
        session_id = argument.removeprefix("pay_")
        bind_contextvars(session_id=session_id)
        await runtime.bus.handle(c.StartDeepLink(session_id, user, chat_id, first_name))
        return "deep_link"
    if name == "/start":
        await runtime.bus.handle(c.Reply(chat_id, "bot_welcome", first_name))
        return "start"
    if name == "/buy":
        await runtime.bus.handle(c.ShowPackages(chat_id, first_name))
        return "buy_menu"
    if name == "/balance":
        bind_contextvars(user_id=str(user))
        await runtime.bus.handle(c.ReplyBalance(chat_id, str(user), first_name))
        return "balance"
    if name in REPLIES:
        await runtime.bus.handle(c.Reply(chat_id, REPLIES[name], first_name))
        return name.lstrip("/")
    return "ignored"


def _paid(payment: dict[str, Any]) -> Price:
    currency, total = f.text(payment, "currency"), f.integer(payment, "total_amount")
    if currency == Stars.currency:
        return Stars(total)
    return FiatAmount(Decimal(total), currency)  # not Stars: the use case flags the mismatch


async def _successful_payment(runtime: Runtime, message: dict[str, Any],
                              payment: dict[str, Any]) -> str:
    session_id = f.text(payment, "invoice_payload")
    charge_id = f.text(payment, "telegram_payment_charge_id")
    payer = f.integer(f.obj(message, "from"), "id")
    bind_contextvars(session_id=session_id, telegram_user_id=payer, charge_id=charge_id)
    expiration = payment.get("subscription_expiration_date")
    outcome: PaymentOutcome = await runtime.bus.handle(c.CompletePayment(
        provider=Provider.TELEGRAM_STARS, session_id=session_id, charge_id=charge_id,
        paid=_paid(payment), payer_telegram_id=payer,
        chat_id=f.integer(f.obj(message, "chat"), "id"),
        subscription_until=(datetime.fromtimestamp(expiration, UTC)
                            if isinstance(expiration, int) else None),
        is_recurring=payment.get("is_recurring") is True,
        first_name=f.first_name(message.get("from"))))
    return _payment_label(outcome)


def _payment_label(outcome: PaymentOutcome) -> str:
    if outcome.credited:
        log.info("payment.credited", balance=outcome.balance)
        return "credited"
    if outcome.rejected_reason:
        log.warning("payment.rejected", reason=outcome.rejected_reason)
        return "rejected"
    return "already_credited"


async def _refunded_payment(runtime: Runtime, refund: dict[str, Any]) -> str:
    session_id = f.text(refund, "invoice_payload")
    charge_id = f.text(refund, "telegram_payment_charge_id")
    bind_contextvars(session_id=session_id, charge_id=charge_id)
    result: RefundResult = await runtime.bus.handle(c.RecordProviderRefund(
        provider=Provider.TELEGRAM_STARS, charge_id=charge_id, session_id=session_id,
        reason="refunded by Telegram"))
    log.info("payment.refund_recorded", debt=result.debt, replay=result.already_refunded)
    return "refund_replayed" if result.already_refunded else "refund_recorded"


async def _callback(runtime: Runtime, query: dict[str, Any]) -> str:
    """Buttons of /buy (`buy:<package>`) and of the /start menu (`menu:<item>`)."""
    user = f.obj(query, "from")
    user_id, first_name = f.integer(user, "id"), f.first_name(user)
    query_id = f.text(query, "id")
    data = query.get("data") if isinstance(query.get("data"), str) else ""
    message = query.get("message")
    chat = message.get("chat") if isinstance(message, dict) else None
    chat_id = f.integer(chat, "id") if isinstance(chat, dict) else user_id
    bind_contextvars(telegram_user_id=user_id)
    if data.startswith(BUY_PREFIX):
        session = await runtime.bus.handle(c.BuyFromChat(
            query_id, user_id, chat_id, data.removeprefix(BUY_PREFIX), first_name))
        return "buy" if session is not None else "buy_unavailable"
    await runtime.deps.messenger.answer_callback(query_id)
    menu: dict[str, c.Command] = {
        "menu:buy": c.ShowPackages(chat_id, first_name),
        "menu:balance": c.ReplyBalance(chat_id, str(user_id), first_name),
        "menu:support": c.Reply(chat_id, "support_info", first_name),
    }
    if data in menu:
        await runtime.bus.handle(menu[data])
        return data.replace(":", "_")
    return "ignored"


def _our_channel(runtime: Runtime, update: dict[str, Any]) -> bool:
    channel = runtime.deps.settings.channel_id or runtime.config.telegram_channel_id
    return channel is not None and f.integer(f.obj(update, "chat"), "id") == channel


async def _chat_member(runtime: Runtime, change: dict[str, Any]) -> str:
    if not _our_channel(runtime, change):
        return "ignored"
    member = f.obj(change, "new_chat_member")
    user = f.obj(member, "user")
    user_id = f.integer(user, "id")
    bind_contextvars(telegram_user_id=user_id)
    link = change.get("invite_link")
    granted = await runtime.bus.handle(c.ObserveMembership(
        telegram_user_id=user_id, status=f.member_status(member),
        invite_link=f.text(link, "invite_link") if isinstance(link, dict) else None,
        first_name=f.first_name(user)))
    return "bonus_granted" if granted else "membership"


async def _join_request(runtime: Runtime, request: dict[str, Any]) -> str:
    if not _our_channel(runtime, request):
        return "ignored"
    user_id = f.integer(f.obj(request, "from"), "id")
    bind_contextvars(telegram_user_id=user_id)
    approved = await runtime.bus.handle(c.AnswerJoinRequest(user_id))
    return "join_approved" if approved else "join_declined"
