"""Telegram Stars invoice rules, checked before anything is sent (cards: fiat_invoices)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starport.adapters.telegram.errors import InvalidInvoice

STARS = "XTR"
SUBSCRIPTION_PERIOD = 2_592_000  # 30 days: the only period the Bot API accepts
MAX_SUBSCRIPTION_STARS = 10_000
_UNSUPPORTED_FOR_STARS = ("max_tip_amount", "suggested_tip_amounts")


@dataclass(frozen=True)
class LabeledPrice:
    label: str
    amount: int  # in the currency's smallest units (whole Stars for XTR)

    def to_api(self) -> dict[str, Any]:
        return {"label": self.label, "amount": self.amount}


PriceLike = LabeledPrice | Mapping[str, Any]


def stars_invoice(
    *,
    title: str,
    description: str,
    payload: str,
    prices: Sequence[PriceLike],
    currency: str = STARS,
    provider_token: str | None = "",
    subscription_period: int | None = None,
    for_link: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The params of sendInvoice (or createInvoiceLink if `for_link`) for a Stars invoice."""
    if currency != STARS:
        raise InvalidInvoice("currency", f"must be {STARS!r} for Telegram Stars")
    if provider_token:
        raise InvalidInvoice("provider_token", "must be empty for Telegram Stars")
    check_length("title", title, 1, 32)
    check_length("description", description, 1, 255)
    if not isinstance(payload, str) or not 1 <= len(payload.encode()) <= 128:
        raise InvalidInvoice("payload", "must be 1-128 bytes of UTF-8")
    price = _only_price(prices)
    if subscription_period is not None:
        if not for_link:
            raise InvalidInvoice("subscription_period", "only invoice links can subscribe")
        if subscription_period != SUBSCRIPTION_PERIOD or isinstance(subscription_period, bool):
            raise InvalidInvoice("subscription_period", f"must be {SUBSCRIPTION_PERIOD}")
        if price.amount > MAX_SUBSCRIPTION_STARS:
            raise InvalidInvoice("prices", f"a subscription costs at most {MAX_SUBSCRIPTION_STARS}")
    for name in _UNSUPPORTED_FOR_STARS:
        if extra.get(name) is not None:
            raise InvalidInvoice(name, "tips are not supported for Telegram Stars")
    params = {
        "title": title,
        "description": description,
        "payload": payload,
        "provider_token": "",
        "currency": STARS,
        "prices": [price.to_api()],
        "subscription_period": subscription_period,
        **extra,
    }
    return {k: v for k, v in params.items() if v is not None}


def check_length(field: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise InvalidInvoice(field, f"must be {low}-{high} characters")


def _only_price(prices: Sequence[PriceLike]) -> LabeledPrice:
    if isinstance(prices, str | bytes | Mapping) or len(prices) != 1:
        raise InvalidInvoice("prices", "Telegram Stars need exactly one price")
    return price_of(prices[0])


def price_of(item: PriceLike) -> LabeledPrice:
    """One labeled price, checked: a label, and a whole number of smallest units above 0."""
    price = item if isinstance(item, LabeledPrice) else _from_mapping(item)
    if not isinstance(price.label, str) or not price.label:
        raise InvalidInvoice("prices", "the price needs a label")
    if isinstance(price.amount, bool) or not isinstance(price.amount, int) or price.amount <= 0:
        raise InvalidInvoice("prices", "the amount must be a whole number above 0")
    return price


def _from_mapping(item: object) -> LabeledPrice:
    if not isinstance(item, Mapping) or set(item) != {"label", "amount"}:
        raise InvalidInvoice("prices", "a price is {'label': str, 'amount': int}")
    return LabeledPrice(label=item["label"], amount=item["amount"])
