"""Payments: invoices and links (Stars or by card), pre-checkout answers, and the Stars-only
methods (refunds, transactions, subscriptions), which never see a payment made by card."""

from __future__ import annotations

import secrets
from typing import Any

from starport.sandbox.telegram.errors import bad_request, rule
from starport.sandbox.telegram.invoices import new_invoice
from starport.sandbox.telegram.methods import post_message
from starport.sandbox.telegram.models import JSON, Charge, Invoice, Subscription, User
from starport.sandbox.telegram.world import Ctx, handler

QUERY_EXPIRED = "query is too old and response timeout expired or query ID is invalid"


@handler("sendInvoice")
async def send_invoice(ctx: Ctx, p: dict[str, Any]) -> JSON:
    invoice = new_invoice(ctx, p, link=False)
    content = {
        "invoice": {
            "title": invoice.title,
            "description": invoice.description,
            "start_parameter": p.get("start_parameter") or "",
            "currency": invoice.currency,
            "total_amount": invoice.amount,
        }
    }
    message = post_message(ctx, p["chat_id"], content, p)
    invoice.chat_id, invoice.message_id = message["chat"]["id"], message["message_id"]
    ctx.bot.invoices[invoice.slug] = invoice
    return message


@handler("createInvoiceLink")
async def create_invoice_link(ctx: Ctx, p: dict[str, Any]) -> str:
    invoice = new_invoice(ctx, p, link=True)
    ctx.bot.invoices[invoice.slug] = invoice
    return f"https://t.me/${invoice.slug}"


@handler("answerPreCheckoutQuery")
async def answer_pre_checkout_query(ctx: Ctx, p: dict[str, Any]) -> bool:
    checkout = ctx.bot.checkouts.get(p["pre_checkout_query_id"])
    if checkout is None or checkout.expired or checkout.answer.done():
        raise bad_request(QUERY_EXPIRED)
    error_message = p.get("error_message")
    if not p["ok"] and not error_message:
        raise rule("error_message is required when ok is False")
    ctx.bot.checkout_answers.append(
        {
            "pre_checkout_query_id": checkout.query_id,
            "ok": p["ok"],
            "error_message": error_message,
            "user_id": checkout.user.id,
            "invoice_payload": checkout.invoice.payload,
        }
    )
    checkout.answer.set_result((bool(p["ok"]), error_message))
    return True


@handler("refundStarPayment")
async def refund_star_payment(ctx: Ctx, p: dict[str, Any]) -> bool:
    charge = ctx.bot.charges.get(p["telegram_payment_charge_id"])
    if charge is None or charge.user.id != p["user_id"]:
        raise bad_request("CHARGE_NOT_FOUND")
    if charge.refunded_at is not None:
        raise bad_request("CHARGE_ALREADY_REFUNDED")
    refund(ctx, charge)  # no update: Telegram sends none for a refund the bot made
    return True


@handler("getStarTransactions")
async def get_star_transactions(ctx: Ctx, p: dict[str, Any]) -> JSON:
    offset = max(0, p.get("offset") or 0)
    limit = min(100, max(1, p.get("limit") or 100))
    # The Bot API returns them "in chronological order": an offset is then a stable cursor.
    return {"transactions": list(ctx.bot.transactions)[offset : offset + limit]}


@handler("editUserStarSubscription")
async def edit_user_star_subscription(ctx: Ctx, p: dict[str, Any]) -> bool:
    sub = find_subscription(ctx, p["user_id"], p["telegram_payment_charge_id"])
    if sub is None:
        raise bad_request("CHARGE_NOT_FOUND")
    sub.is_canceled = bool(p["is_canceled"])
    return True


def find_subscription(ctx: Ctx, user_id: int, charge_id: str) -> Subscription | None:
    for sub in ctx.bot.subscriptions.values():
        if sub.user_id == user_id and charge_id in sub.charge_ids:
            return sub
    return None


def take_payment(ctx: Ctx, user: User, invoice: Invoice, sub: Subscription | None = None) -> Charge:
    """Take the Stars: record the charge and the incoming transaction."""
    new = Charge(
        charge_id="stx" + secrets.token_urlsafe(32),
        user=user,
        amount=invoice.amount,
        payload=invoice.payload,
        date=ctx.now(),
        invoice_slug=invoice.slug,
        subscription_period=invoice.subscription_period,
    )
    if invoice.subscription_period:
        if sub is None:
            sub = Subscription(user.id, invoice.slug, invoice.subscription_period, ctx.now())
            ctx.bot.subscriptions[(user.id, invoice.slug)] = sub
        sub.expires_at = max(sub.expires_at, ctx.now()) + sub.period
        sub.charge_ids.append(new.charge_id)
        new.subscription_expiration_date = sub.expires_at
    ctx.bot.charges[new.charge_id] = new
    ctx.bot.transactions.append(new.incoming())
    invoice.paid_by.append(user.id)
    return new


def refund(ctx: Ctx, paid: Charge) -> None:
    paid.refunded_at = ctx.now()
    ctx.bot.transactions.append(paid.outgoing_refund())


def successful_payment(paid: Charge, *, first: bool) -> JSON:
    data: JSON = {
        "currency": paid.currency,
        "total_amount": paid.amount,
        "invoice_payload": paid.payload,
        "telegram_payment_charge_id": paid.charge_id,
        "provider_payment_charge_id": paid.provider_payment_charge_id,
    }
    if paid.subscription_expiration_date is not None:
        data["subscription_expiration_date"] = paid.subscription_expiration_date
        data["is_recurring"] = True
        if first:
            data["is_first_recurring"] = True
    return data
