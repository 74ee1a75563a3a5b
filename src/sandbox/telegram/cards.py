"""Card payments of invoices in a real currency: test card numbers and the provider's charge."""

from __future__ import annotations

import secrets

from starport.sandbox.telegram.errors import SandboxError
from starport.sandbox.telegram.models import Charge, Invoice, User
from starport.sandbox.telegram.world import Ctx

# Stripe's test numbers: one that is charged, one the issuer declines.
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


def card_number(card: str | None, invoice: Invoice) -> str | None:
    """The card the user pays `invoice` with (spaces dropped): the good test card by default,
    none for Telegram Stars, which no card pays."""
    if not invoice.by_provider:
        if card is not None:
            raise SandboxError("a Telegram Stars invoice is not paid by card")
        return None
    if card is None:
        return GOOD_CARD
    if not isinstance(card, str):
        raise SandboxError("card: a string of 12 to 19 digits")
    digits = card.replace(" ", "")
    if not (digits.isascii() and digits.isdigit() and 12 <= len(digits) <= 19):
        raise SandboxError("card: 12 to 19 digits (spaces allowed)")
    return digits


def charge_card(ctx: Ctx, user: User, invoice: Invoice, card: str) -> Charge | None:
    """The provider charges the card (after the bot approved the pre-checkout, as on Telegram):
    the charge, or None when the card is declined (nothing is recorded then)."""
    if card == DECLINED_CARD:
        return None
    paid = Charge(
        charge_id=f"{ctx.bot.user.id}_{user.id}_{secrets.token_hex(8)}",
        user=user,
        amount=invoice.amount,
        payload=invoice.payload,
        date=ctx.now(),
        invoice_slug=invoice.slug,
        currency=invoice.currency,
        provider_payment_charge_id=f"ch_sandbox_{secrets.token_hex(12)}",
    )
    ctx.bot.card_charges[paid.charge_id] = paid
    invoice.paid_by.append(user.id)
    return paid
