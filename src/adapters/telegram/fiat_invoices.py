"""Invoice rules for Telegram Payments in a real currency (cards through a provider token),
checked before anything is sent: the Bot API's own rules, as Telegram states them."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from starport.adapters.telegram.currencies import limits
from starport.adapters.telegram.errors import InvalidInvoice
from starport.adapters.telegram.invoices import LabeledPrice, PriceLike, check_length, price_of

# What BotFather hands out: "<bot-independent id>:TEST:<secret>" or ":LIVE:".
TOKEN_SHAPE = re.compile(r"^\d+:(TEST|LIVE):\S+$")


def fiat_invoice(
    *,
    title: str,
    description: str,
    payload: str,
    prices: Sequence[PriceLike],
    currency: str,
    provider_token: str | None,
    subscription_period: int | None = None,
    for_link: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The params of sendInvoice / createInvoiceLink for an invoice paid by card."""
    if not provider_token:
        raise InvalidInvoice("provider_token", f"a {currency} invoice needs a payment "
                             "provider token (BotFather > Payments)")
    if not TOKEN_SHAPE.match(provider_token):
        raise InvalidInvoice("provider_token", "is not a payment provider token "
                             "(<digits>:TEST:... or <digits>:LIVE:...)")
    known = limits(currency)
    if known is None:
        raise InvalidInvoice("currency", f"{currency!r} is not a currency Telegram Payments "
                             "takes")
    check_length("title", title, 1, 32)
    check_length("description", description, 1, 255)
    if not isinstance(payload, str) or not 1 <= len(payload.encode()) <= 128:
        raise InvalidInvoice("payload", "must be 1-128 bytes of UTF-8")
    if subscription_period is not None:
        raise InvalidInvoice("subscription_period", "only Telegram Stars invoices subscribe")
    if isinstance(prices, str | bytes | Mapping) or not prices:
        raise InvalidInvoice("prices", "at least one price is needed")
    items: list[LabeledPrice] = [price_of(item) for item in prices]
    total = sum(item.amount for item in items)
    if not known.min_amount <= total <= known.max_amount:
        raise InvalidInvoice("prices", f"Telegram takes {known.min_amount}-{known.max_amount} "
                             f"{currency} minor units per invoice, not {total}")
    params = {
        "title": title,
        "description": description,
        "payload": payload,
        "provider_token": provider_token,
        "currency": currency,
        "prices": [item.to_api() for item in items],
        **extra,
    }
    return {k: v for k, v in params.items() if v is not None}
