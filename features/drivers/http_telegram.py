"""The users' side in the sandbox Telegram: which invoice a payer pays, what the bot showed
them, and what it answered a join request. Reads the sandbox's records, never Starport's."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from features.drivers.base import Button, ChatInvoice, ChatMessage, Refused, Session
from starport.sandbox.telegram import Actor, Delivery
from starport.sandbox.telegram.models import Invoice


def start_parameter(deep_link: str | None, session_id: str) -> str:
    """The `start` parameter of `https://t.me/<bot>?start=...`: what Telegram sends as /start."""
    if not deep_link:
        raise Refused("no_deep_link", f"purchase {session_id} has no deep link")
    found = parse_qs(urlsplit(deep_link).query).get("start")
    assert found, f"not a bot deep link: {deep_link}"
    return found[0]


def payable(actor: Actor, payer: int, session: Session, *, via_link: bool,
            amount: int | None, currency: str | None = None) -> dict[str, Any]:
    """How `payer` reaches the session's invoice, as `Actor.pay_invoice` keyword arguments:
    the invoice link they opened, the invoice message in their chat, or one forwarded to them
    from its owner's chat (anyone may pay a forwarded invoice). With `amount` (in the
    currency's smallest units) or `currency`, an invoice for the same purchase at that price
    (say, made when the price was another)."""
    mine = [i for i in actor.bot.invoices.values() if i.payload == session.id]
    link = next((i for i in mine if i.link and i.link == session.invoice_link), None)
    in_chat = [i for i in mine if i.chat_id is not None and not i.paid_by]
    chosen = (link if via_link else None) or next(
        (i for i in reversed(in_chat) if i.chat_id == payer), None
    ) or next(reversed(in_chat), None) or link
    if chosen is None:
        raise Refused("no_invoice", f"no invoice was made for purchase {session.id}")
    other: dict[str, Any] = {}
    if amount is not None and amount != chosen.amount:
        other["amount"] = amount
    if currency is not None and currency != chosen.currency:
        other["currency"] = currency
    if other:
        return {"invoice_link": _copy(actor, chosen, **other).link}
    if chosen.chat_id is None:
        return {"invoice_link": chosen.link}
    if chosen.chat_id != payer:  # forwarded into the payer's chat
        chosen = _copy(actor, chosen, chat_id=payer, message_id=actor.bot.next_message_id(payer))
    return {"message_id": chosen.message_id}


def _copy(actor: Actor, invoice: Invoice, **changes: Any) -> Invoice:
    fields = {"chat_id": None, "message_id": None} | changes
    copy = replace(invoice, slug=secrets.token_urlsafe(15), paid_by=[], **fields)
    actor.bot.invoices[copy.slug] = copy
    return copy


def chat_messages(actor: Actor, chat_id: int) -> list[ChatMessage]:
    """The bot's text messages in the chat, oldest first, with their URL buttons."""
    return [
        ChatMessage(m["text"], tuple(_buttons(m)))
        for m in actor.messages(chat_id)
        if "text" in m
    ]


def _buttons(message: dict[str, Any]) -> list[Button]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [Button(b["text"], b.get("url")) for row in rows for b in row]


def chat_invoices(actor: Actor, chat_id: int) -> list[ChatInvoice]:
    return [
        ChatInvoice(i["title"], i["description"], i["total_amount"], i["currency"])
        for i in (m["invoice"] for m in actor.messages(chat_id) if "invoice" in m)
    ]


def join_answer(actor: Actor, user_id: int) -> bool | None:
    """What the bot answered the user's last join request (None: nothing yet)."""
    answers = {"approveChatJoinRequest": True, "declineChatJoinRequest": False}
    for call in reversed(actor.sandbox.calls):
        if call.method in answers and call.ok and call.params.get("user_id") == user_id:
            return answers[call.method]
    return None


@contextlib.contextmanager
def payment_update_lost(actor: Actor) -> Iterator[None]:
    """Telegram takes the Stars, but its successful_payment update never reaches the webhook
    (nor getUpdates): only getStarTransactions will list the payment."""
    hub = actor.bot.hub
    publish = hub.publish

    async def lose(kind: str, payload: dict[str, Any], **options: Any) -> Delivery:
        if kind != "message" or "successful_payment" not in payload:
            return await publish(kind, payload, **options)
        saved, hub.webhook = hub.webhook, None  # queued for getUpdates instead...
        try:
            delivery = await publish(kind, payload, **options)
        finally:
            hub.webhook = saved
        hub.pending = [u for u in hub.pending if u["update_id"] != delivery.update_id]
        delivery.status = "lost"  # ... and dropped from there too
        return delivery

    hub.publish = lose  # type: ignore[method-assign]
    try:
        yield
    finally:
        del hub.publish  # the class's method again


def subscription_charge(actor: Actor, user_id: int) -> str:
    """The latest charge of the user's Star subscription (what a renewal refers to)."""
    subs = [s for s in actor.bot.subscriptions.values() if s.user_id == user_id]
    assert subs, f"user {user_id} has no Star subscription"
    return subs[-1].charge_ids[-1]


def cancel_subscriptions(actor: Actor, user_id: int) -> None:
    """The user cancels in Telegram's settings: nothing is sent to the bot, it just won't renew."""
    for sub in actor.bot.subscriptions.values():
        if sub.user_id == user_id:
            sub.is_canceled = True
