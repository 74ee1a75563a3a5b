"""Telegram updates to commands: one router shared by the webhook and long polling.

Each update arrives parsed (adapters/telegram/updates.py) with its Delivery; it becomes one
command, whose use case stores the delivery with its effect. What Telegram waits for (the
pre-checkout's answer, a button's) comes back as a BotReply: the webhook puts it in its HTTP
response, long polling calls the Bot API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from structlog.contextvars import bind_contextvars

from starport.adapters.telegram.updates import (
    CallbackQuery,
    ChatJoinRequest,
    ChatMember,
    ChatMemberUpdated,
    Message,
    PreCheckoutQuery,
    RefundedPayment,
    SuccessfulPayment,
    Update,
)
from starport.application import commands as c
from starport.application.chat import BUY_PREFIX
from starport.application.deliveries import Delivery, DuplicateDelivery
from starport.application.views import BuyAnswer, PaymentOutcome, PreCheckoutAnswer, RefundResult
from starport.domain.charges import MAX_CHARGE_ID
from starport.domain.errors import DomainError
from starport.domain.links import LINK_PREFIX
from starport.domain.money import price_from_minor_units
from starport.domain.perks import MemberStatus
from starport.domain.providers import Provider
from starport.entrypoints.runtime import Runtime

log = structlog.get_logger("starport.telegram")
REPLIES = {"/terms": "terms_info", "/support": "support_info", "/paysupport": "support_info"}
SUPPORT, END_SUPPORT = ("/support", "/paysupport"), ("/done", "/cancel")
PRE_CHECKOUT_DEADLINE = 5.0  # seconds; Telegram waits ten
LATE = "The payment could not be checked in time. Please try again in a moment."


@dataclass(frozen=True)
class BotReply:
    """A Bot API call that answers the update."""

    method: str
    params: dict[str, Any] = field(default_factory=dict)

    def webhook_body(self) -> dict[str, Any]:
        """As a webhook's response, which Telegram performs as the call."""
        return {"method": self.method, **self.params}


@dataclass(frozen=True)
class Handled:
    outcome: str  # what came of it: stored with the delivery, answered, counted
    reply: BotReply | None = None


def delivery_of(runtime: Runtime, update: Update, body: bytes, headers: dict[str, str]
                ) -> Delivery:
    """The delivery as received, with the ids a dispute is looked up by."""
    payment = _payment(update)
    query = update.pre_checkout_query
    payload = payment.invoice_payload if payment else query.invoice_payload if query else None
    text = update.message.text if update.message is not None else None
    if payload is None and text is not None and text.startswith("/start pay_"):
        payload = text.removeprefix("/start pay_").strip()  # a deep link names its session
    return Delivery(
        id=runtime.deps.ids.new_id(), source="telegram", update_id=str(update.update_id),
        received_at=runtime.deps.clock.now(), body=body, headers=headers,
        charge_id=payment.telegram_payment_charge_id[:200] if payment else None,
        # Cut to its column: a long payload (not one of our sessions) must still be storable.
        session_id=payload[:64] if payload is not None else None)


def _payment(update: Update) -> SuccessfulPayment | RefundedPayment | None:
    message = update.message
    if message is None:
        return None
    return message.successful_payment or message.refunded_payment


async def handle_update(runtime: Runtime, update: Update, delivery: Delivery) -> Handled:
    """Handle one update once. Raises whatever the storage raises: then it must be retried."""
    bind_contextvars(update_id=update.update_id)
    try:
        return await _route(runtime, update, delivery)
    except DuplicateDelivery:
        log.info("telegram.update_duplicate")
        return Handled("duplicate")
    except DomainError as exc:  # the use case has told the user already, where it could
        money = update.pre_checkout_query is not None or _payment(update) is not None
        (log.error if money else log.warning)("telegram.update_refused", code=exc.code,
                                               reason=exc.message)
        return Handled(f"refused:{exc.code}")


async def _route(runtime: Runtime, update: Update, d: Delivery) -> Handled:
    if update.pre_checkout_query is not None:
        return await _pre_checkout(runtime, update.pre_checkout_query, d)
    if update.message is not None:
        return await _message(runtime, update.message, d)
    if update.callback_query is not None:
        return await _callback(runtime, update.callback_query, d)
    if update.chat_member is not None:
        return await _chat_member(runtime, update.chat_member, d)
    if update.chat_join_request is not None:
        return await _join_request(runtime, update.chat_join_request)
    log.info("telegram.update_ignored")
    return Handled("ignored")


async def _pre_checkout(runtime: Runtime, query: PreCheckoutQuery, d: Delivery) -> Handled:
    """Answered within PRE_CHECKOUT_DEADLINE whatever happens below: Telegram gives up after
    ten seconds, and an answer it never gets fails the payment all the same."""
    bind_contextvars(session_id=query.invoice_payload, telegram_user_id=query.from_user.id)
    try:
        async with asyncio.timeout(PRE_CHECKOUT_DEADLINE):
            answer: PreCheckoutAnswer = await runtime.bus.handle(c.ValidatePreCheckout(
                query_id=query.id, payer_telegram_id=query.from_user.id,
                payload=query.invoice_payload, currency=query.currency,
                total_amount=query.total_amount, delivery=d,
                language=query.from_user.language_code))
    except TimeoutError:
        log.error("telegram.pre_checkout_late", deadline=PRE_CHECKOUT_DEADLINE)
        answer = PreCheckoutAnswer(ok=False, error_key="late", error_message=LATE)
    params: dict[str, Any] = {"pre_checkout_query_id": query.id, "ok": answer.ok}
    if not answer.ok:
        log.info("telegram.pre_checkout_refused", reason=answer.error_key)
        params["error_message"] = answer.error_message or "This payment cannot be accepted"
    return Handled("pre_checkout_ok" if answer.ok else "pre_checkout_refused",
                   BotReply("answerPreCheckoutQuery", params))


async def _message(runtime: Runtime, message: Message, d: Delivery) -> Handled:
    if message.successful_payment is not None:
        return await _successful_payment(runtime, message, message.successful_payment, d)
    if message.refunded_payment is not None:
        return await _refunded_payment(runtime, message, message.refunded_payment, d)
    sender, chat = message.from_user, message.chat
    support_chat = runtime.deps.settings.support_chat_id
    if support_chat is not None and chat.id == support_chat:
        return await _from_support_chat(runtime, message, d)
    words = command(message.text or "", runtime.deps.settings.bot_username)
    if sender is None or chat.type != "private":
        return Handled("ignored")
    user, first_name, language = sender.id, sender.first_name, sender.language_code
    bind_contextvars(telegram_user_id=user)
    full = runtime.config.starport_bot_mode != "payments"
    if words is None:
        if support_chat is None or not full:
            return Handled("ignored")
        return Handled(await runtime.bus.handle(c.WriteToSupport(
            user, chat.id, message.text or message.caption or "", first_name, sender.username,
            message.attachment, d, sender.last_name, language)))
    name, argument = words
    if name == "/start" and argument.startswith("pay_"):
        session_id = argument.removeprefix("pay_")
        bind_contextvars(session_id=session_id)
        todo: c.Command = c.StartDeepLink(session_id, user, chat.id, first_name, d, language)
    elif name == "/start" and argument.startswith(LINK_PREFIX):
        todo = c.RedeemLinkToken(argument.removeprefix(LINK_PREFIX), user, chat.id, first_name,
                                 d, language)
    elif runtime.config.starport_bot_mode == "payments":
        return Handled("ignored")  # the menus and commands belong to the host's own bot
    elif name == "/start":
        todo = c.Reply(chat.id, "bot_welcome", first_name, d, language)
    elif name == "/buy":
        todo = c.ShowPackages(chat.id, first_name, d, language)
    elif name == "/balance":
        bind_contextvars(user_id=str(user))
        todo = c.ReplyBalance(chat.id, str(user), first_name, d, telegram_user_id=user,
                              language=language)
    elif name in SUPPORT and support_chat is not None:
        todo = c.OpenSupport(user, chat.id, first_name, sender.username, d, language=language)
    elif name in END_SUPPORT and support_chat is not None:
        todo = c.CloseSupport(user, chat.id, first_name, d, language=language)
    elif name in REPLIES:
        todo = c.Reply(chat.id, REPLIES[name], first_name, d, language)
    else:
        return Handled("ignored")
    await runtime.bus.handle(todo)
    return Handled(_recorded(d))


async def _from_support_chat(runtime: Runtime, message: Message, d: Delivery) -> Handled:
    """An agent's reply to a relayed message answers its user; anything else said in the
    support chat is the agents' own talk."""
    if message.migrate_to_chat_id is not None:  # its id changed: relays would fail from now
        log.error("support.chat_migrated", new_chat_id=message.migrate_to_chat_id,
                  fix=f"set STARPORT_SUPPORT_CHAT_ID={message.migrate_to_chat_id}")
        return Handled("support_chat_migrated")
    agent, replied = message.from_user, message.reply_to_message
    text = message.text or message.caption  # an agent's photo is not sent on: its caption is
    if agent is None or replied is None or not text:
        return Handled("ignored")
    bind_contextvars(telegram_user_id=agent.id)
    return Handled(await runtime.bus.handle(c.AnswerFromSupport(
        message.chat.id, replied.message_id, agent.id, agent.first_name, text, d)))


def paid_through(currency: str) -> Provider:
    """Which of Telegram's two ways of paying a payment update is about: Stars (XTR), or a
    card through the payment provider's token (any real currency)."""
    return Provider.TELEGRAM_STARS if currency == "XTR" else Provider.TELEGRAM_PAYMENTS


def _recorded(d: Delivery) -> str:
    """The outcome the use case stored with the delivery."""
    assert d.outcome is not None, "the use case records its delivery"
    return d.outcome


async def _successful_payment(runtime: Runtime, message: Message, payment: SuccessfulPayment,
                              d: Delivery) -> Handled:
    payer = message.from_user.id if message.from_user else None
    bind_contextvars(session_id=payment.invoice_payload, telegram_user_id=payer,
                     charge_id=payment.telegram_payment_charge_id)
    if len(payment.telegram_payment_charge_id) > MAX_CHARGE_ID:
        return Handled(await runtime.bus.handle(c.HoldPayment(
            reason="charge_id_too_long", telegram_user_id=payer, delivery=d,
            amount=f"{payment.total_amount} {payment.currency}")))
    expiration = payment.subscription_expiration_date
    outcome: PaymentOutcome = await runtime.bus.handle(c.CompletePayment(
        provider=paid_through(payment.currency), session_id=payment.invoice_payload,
        charge_id=payment.telegram_payment_charge_id,
        provider_charge_id=payment.provider_payment_charge_id or None,
        paid=price_from_minor_units(payment.currency, payment.total_amount),
        payer_telegram_id=payer, chat_id=message.chat.id,
        subscription_until=(datetime.fromtimestamp(expiration, UTC)
                            if expiration is not None else None),
        first_name=message.from_user.first_name if message.from_user else "", delivery=d,
        language=message.from_user.language_code if message.from_user else None))
    if outcome.credited:
        log.info("payment.credited", balance=outcome.balance)
    elif outcome.rejected_reason:
        log.warning("payment.rejected", reason=outcome.rejected_reason)
    return Handled(outcome.label)


async def _refunded_payment(runtime: Runtime, message: Message, refund: RefundedPayment,
                            d: Delivery) -> Handled:
    bind_contextvars(session_id=refund.invoice_payload,
                     charge_id=refund.telegram_payment_charge_id)
    result: RefundResult = await runtime.bus.handle(c.RecordProviderRefund(
        provider=paid_through(refund.currency), charge_id=refund.telegram_payment_charge_id,
        session_id=refund.invoice_payload, reason="refunded by Telegram",
        paid=price_from_minor_units(refund.currency, refund.total_amount),
        payer_telegram_id=message.from_user.id if message.from_user else None, delivery=d,
        language=message.from_user.language_code if message.from_user else None))
    log.info("payment.refund_recorded", debt=result.debt, replay=result.already_refunded)
    return Handled("refund_replayed" if result.already_refunded else "refund_recorded")


async def _callback(runtime: Runtime, query: CallbackQuery, d: Delivery) -> Handled:
    """Buttons of /buy (`buy:<package>`) and of the /start menu (`menu:<item>`). The button's
    spinner stops with the answer, whatever happens."""
    if runtime.config.starport_bot_mode == "payments":
        return Handled("ignored")  # the host's own bot's buttons: not ours to answer
    user, first_name = query.from_user.id, query.from_user.first_name
    language = query.from_user.language_code
    chat_id = query.message.chat.id if query.message is not None else user
    data = query.data or ""
    bind_contextvars(telegram_user_id=user)
    answer = BotReply("answerCallbackQuery", {"callback_query_id": query.id})
    menu: dict[str, c.Command] = {
        "menu:buy": c.ShowPackages(chat_id, first_name, d, language),
        "menu:balance": c.ReplyBalance(chat_id, str(user), first_name, d,
                                       telegram_user_id=user, language=language),
        "menu:support": (
            c.Reply(chat_id, "support_info", first_name, d, language)
            if runtime.deps.settings.support_chat_id is None
            else c.OpenSupport(user, chat_id, first_name, query.from_user.username, d,
                               language=language)),
    }
    try:
        if data.startswith(BUY_PREFIX):
            bought: BuyAnswer = await runtime.bus.handle(c.BuyFromChat(
                query.id, user, chat_id, data.removeprefix(BUY_PREFIX), first_name, d,
                language))
            if bought.alert is not None:
                answer.params.update(text=bought.alert, show_alert=True)
                return Handled("buy_unavailable", answer)
            return Handled(_recorded(d), answer)
        if data in menu:
            await runtime.bus.handle(menu[data])
            return Handled(_recorded(d), answer)
    except DuplicateDelivery:
        return Handled("duplicate", answer)
    except DomainError as exc:
        log.warning("telegram.update_refused", code=exc.code, reason=exc.message)
        return Handled(f"refused:{exc.code}", answer)
    return Handled("ignored", answer)


def _our_channel(runtime: Runtime, chat_id: int) -> bool:
    channel = runtime.deps.settings.channel_id or runtime.config.telegram_channel_id
    return channel is not None and chat_id == channel


async def _chat_member(runtime: Runtime, change: ChatMemberUpdated, d: Delivery) -> Handled:
    if not _our_channel(runtime, change.chat.id):
        return Handled("ignored")
    member = change.new_chat_member
    bind_contextvars(telegram_user_id=member.user.id)
    link = change.invite_link
    await runtime.bus.handle(c.ObserveMembership(
        telegram_user_id=member.user.id, status=member_status(member),
        invite_link=link.invite_link if link is not None else None,
        first_name=member.user.first_name, delivery=d, language=member.user.language_code))
    return Handled(_recorded(d))


async def _join_request(runtime: Runtime, request: ChatJoinRequest) -> Handled:
    if not _our_channel(runtime, request.chat.id):
        return Handled("ignored")
    bind_contextvars(telegram_user_id=request.from_user.id)
    approved = await runtime.bus.handle(c.AnswerJoinRequest(request.from_user.id))
    return Handled("join_approved" if approved else "join_declined")


def command(message_text: str, bot_username: str) -> tuple[str, str] | None:
    """(`/start`, `pay_x`) from "/start@our_bot pay_x"; None if not a command to this bot."""
    if not message_text.startswith("/"):
        return None
    head, _, rest = message_text.strip().partition(" ")
    name, _, addressee = head.partition("@")
    if addressee and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), rest.strip()


def member_status(member: ChatMember) -> MemberStatus:
    """Telegram's ChatMember status; a restricted user who is not a member is out."""
    try:
        status = MemberStatus(member.status)
    except ValueError:
        return MemberStatus.UNKNOWN
    if status is MemberStatus.RESTRICTED and member.is_member is False:
        return MemberStatus.LEFT
    return status
