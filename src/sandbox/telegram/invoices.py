"""Invoice rules (sendInvoice, createInvoiceLink): Telegram Stars, or a currency paid by card."""

from __future__ import annotations

import re
import secrets
from itertools import pairwise
from typing import Any

from starport.sandbox.telegram.currencies import limits
from starport.sandbox.telegram.errors import rule
from starport.sandbox.telegram.models import Invoice
from starport.sandbox.telegram.world import Ctx

SUBSCRIPTION_PERIOD = 2592000  # 30 days: the only period Telegram accepts
# What BotFather hands out for a payment provider (Stripe...): "<digits>:TEST:..." or ":LIVE:".
_PROVIDER_TOKEN = re.compile(r"\d+:(?:TEST|LIVE):\S+")
_MAX_SUGGESTED_TIPS = 4


def new_invoice(ctx: Ctx, p: dict[str, Any], *, link: bool) -> Invoice:
    """The invoice `p` asks for, if it keeps the rules the spec states in words (a 400 if not):
    XTR is a Stars invoice; any other currency needs the payment provider's token (so "USD"
    alone is PAYMENT_PROVIDER_INVALID, as on Telegram for a bot with no provider)."""
    if p["currency"] == "XTR":
        return _stars_invoice(ctx, p, link=link)
    return _provider_invoice(ctx, p)


def _check_texts(p: dict[str, Any]) -> None:
    if not 1 <= len(p["payload"].encode()) <= 128:
        raise rule("INVOICE_PAYLOAD_INVALID")
    if not 1 <= len(p["title"]) <= 32:
        raise rule("INVOICE_TITLE_INVALID")
    if not 1 <= len(p["description"]) <= 255:
        raise rule("INVOICE_DESCRIPTION_INVALID")


def _stars_invoice(ctx: Ctx, p: dict[str, Any], *, link: bool) -> Invoice:
    """XTR, no provider token, one price, no tips; a subscription only on a link, of 30 days."""
    if p["currency"] != "XTR":
        raise rule("CURRENCY_INVALID")
    if p.get("provider_token"):
        raise rule("PAYMENT_PROVIDER_INVALID")  # Stars: provider_token empty or absent
    if len(p["prices"]) != 1:
        raise rule("STARS_INVOICE_INVALID")  # exactly one price for Telegram Stars
    amount = p["prices"][0]["amount"]
    if amount <= 0:
        raise rule("CURRENCY_TOTAL_AMOUNT_INVALID")
    _check_texts(p)
    if p.get("max_tip_amount") or p.get("suggested_tip_amounts"):
        raise rule("tips are not supported for payments in Telegram Stars")
    period = p.get("subscription_period")
    if period is not None and (not link or period != SUBSCRIPTION_PERIOD):
        raise rule("SUBSCRIPTION_PERIOD_INVALID")
    return Invoice(
        slug=secrets.token_urlsafe(15),
        title=p["title"],
        description=p["description"],
        payload=p["payload"],
        amount=amount,
        created=ctx.now(),
        subscription_period=period,
    )


def _provider_invoice(ctx: Ctx, p: dict[str, Any]) -> Invoice:
    """A real currency, paid by card through the bot's payment provider. The token is checked
    for its shape and dropped: nothing the sandbox shows or keeps may carry it."""
    if not _PROVIDER_TOKEN.fullmatch(p.get("provider_token") or ""):
        raise rule("PAYMENT_PROVIDER_INVALID")
    known = limits(p["currency"])
    if known is None:
        raise rule("CURRENCY_INVALID")
    if p.get("subscription_period") is not None:
        raise rule("SUBSCRIPTION_PERIOD_INVALID")  # subscriptions are paid in Stars only
    # Several prices (items, taxes, a discount as a negative amount) add up to the total.
    total = sum(price["amount"] for price in p["prices"])
    if not known.min_amount <= total <= known.max_amount:
        raise rule("CURRENCY_TOTAL_AMOUNT_INVALID")
    _check_texts(p)
    max_tip, suggested = p.get("max_tip_amount"), p.get("suggested_tip_amounts")
    _check_tips(max_tip or 0, suggested or [])
    return Invoice(
        slug=secrets.token_urlsafe(15),
        title=p["title"],
        description=p["description"],
        payload=p["payload"],
        amount=total,
        created=ctx.now(),
        currency=p["currency"],
        max_tip_amount=max_tip,
        suggested_tip_amounts=list(suggested) if suggested else None,
    )


def _check_tips(max_tip: int, suggested: list[int]) -> None:
    """The spec: at most 4 suggested tips, positive, strictly increasing, none above the max."""
    if max_tip < 0:
        raise rule("max_tip_amount must not be negative")
    increasing = all(a < b for a, b in pairwise(suggested))
    if (
        len(suggested) > _MAX_SUGGESTED_TIPS
        or not increasing
        or any(tip <= 0 or tip > max_tip for tip in suggested)
    ):
        raise rule(
            "suggested_tip_amounts: at most 4, positive, strictly increasing, "
            "not above max_tip_amount"
        )
