"""Telegram Stars invoice rules: a broken rule raises InvalidInvoice and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest
from tg_client_fakes import FakeBotApi

from starport.adapters.telegram import BotApiClient, InvalidInvoice, LabeledPrice, stars_invoice
from starport.adapters.telegram.currencies import limits
from starport.adapters.telegram.fiat_invoices import fiat_invoice

GOOD: dict[str, Any] = {
    "title": "100 credits",
    "description": "Credits for the bot",
    "payload": "session:42",
    "prices": [LabeledPrice("100 credits", 50)],
}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "USD"}, "provider_token"),  # a card invoice needs a provider token
        ({"currency": "USD", "provider_token": "nope"}, "provider_token"),
        ({"currency": "QQQ", "provider_token": "284685063:TEST:abc"}, "currency"),
        ({"currency": "USD", "provider_token": "284685063:TEST:abc",
          "prices": [LabeledPrice("a", 50)]}, "prices"),  # under Telegram's minimum
        ({"currency": "USD", "provider_token": "284685063:TEST:abc",
          "prices": [LabeledPrice("a", 10**9)]}, "prices"),  # over its maximum
        ({"provider_token": "284685063:TEST:abc"}, "provider_token"),
        ({"prices": []}, "prices"),
        ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 1)]}, "prices"),
        ({"prices": [LabeledPrice("a", 0)]}, "prices"),
        ({"prices": [LabeledPrice("a", -5)]}, "prices"),
        ({"prices": [LabeledPrice("a", 1.5)]}, "prices"),  # type: ignore[arg-type]
        ({"prices": [LabeledPrice("a", True)]}, "prices"),
        ({"prices": [LabeledPrice("", 1)]}, "prices"),
        ({"prices": [{"label": "a", "amount": "10"}]}, "prices"),
        ({"prices": [{"label": "a"}]}, "prices"),
        ({"prices": {"label": "a", "amount": 1}}, "prices"),
        ({"payload": ""}, "payload"),
        ({"payload": "x" * 129}, "payload"),
        ({"payload": "é" * 65}, "payload"),  # 65 characters, 130 bytes
        ({"title": ""}, "title"),
        ({"title": "x" * 33}, "title"),
        ({"description": ""}, "description"),
        ({"description": "x" * 256}, "description"),
        ({"subscription_period": 2592000}, "subscription_period"),  # only for links
        ({"max_tip_amount": 10}, "max_tip_amount"),
    ],
)
async def test_send_invoice_refuses_a_broken_rule_and_sends_nothing(
    client: BotApiClient, api: FakeBotApi, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInvoice) as caught:
        await client.send_invoice(42, **{**GOOD, **changes})

    assert caught.value.field == field
    assert api.requests == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subscription_period": 86400}, "subscription_period"),
        ({"subscription_period": 2592000, "prices": [LabeledPrice("a", 10_001)]}, "prices"),
        ({"title": "x" * 33}, "title"),
    ],
)
async def test_create_invoice_link_refuses_a_broken_rule_and_sends_nothing(
    client: BotApiClient, api: FakeBotApi, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInvoice) as caught:
        await client.create_invoice_link(**{**GOOD, **changes})

    assert caught.value.field == field
    assert api.requests == []


def test_the_limits_themselves_are_allowed() -> None:
    params = stars_invoice(
        title="x" * 32,
        description="x" * 255,
        payload="é" * 64,  # 128 bytes
        prices=[{"label": "a", "amount": 10_000}],
        subscription_period=2592000,
        for_link=True,
        provider_token=None,
    )

    assert params["prices"] == [{"label": "a", "amount": 10_000}]
    assert params["provider_token"] == ""
    assert params["currency"] == "XTR"
    assert params["subscription_period"] == 2592000


def test_extra_params_pass_through_and_none_ones_are_dropped() -> None:
    params = stars_invoice(**GOOD, photo_url="https://x.y/p.png", start_parameter=None)

    assert params["photo_url"] == "https://x.y/p.png"
    assert "start_parameter" not in params
    assert "subscription_period" not in params


def test_the_error_names_the_field() -> None:
    with pytest.raises(InvalidInvoice, match="invalid invoice currency"):
        stars_invoice(**{**GOOD, "currency": "EUR"})


CARD = {**GOOD, "currency": "USD", "provider_token": "284685063:TEST:abc",
        "prices": [LabeledPrice("100 credits", 499)]}


async def test_a_card_invoice_goes_out_with_its_currency_and_token(
    client: BotApiClient, api: FakeBotApi
) -> None:
    await client.send_invoice(42, **CARD)

    assert api.methods == ["sendInvoice"]
    params = api.body()
    assert (params["currency"], params["provider_token"]) == ("USD", "284685063:TEST:abc")
    assert params["prices"] == [{"label": "100 credits", "amount": 499}]


def test_a_card_invoice_may_have_several_prices_within_the_limits() -> None:
    params = fiat_invoice(**{**CARD, "prices": [LabeledPrice("a", 400), LabeledPrice("b", 99)]})

    assert [p["amount"] for p in params["prices"]] == [400, 99]


@pytest.mark.parametrize("currency", ["JPY", "KWD"])
def test_the_limits_are_in_each_currencys_smallest_units(currency: str) -> None:
    known = limits(currency)
    assert known is not None
    for amount in (known.min_amount, known.max_amount):
        fiat_invoice(**{**CARD, "currency": currency, "prices": [LabeledPrice("a", amount)]})
    with pytest.raises(InvalidInvoice, match="minor units"):
        fiat_invoice(**{**CARD, "currency": currency,
                        "prices": [LabeledPrice("a", known.min_amount - 1)]})


def test_a_card_invoice_never_subscribes() -> None:
    with pytest.raises(InvalidInvoice, match="subscription_period"):
        fiat_invoice(**CARD, subscription_period=2592000, for_link=True)
