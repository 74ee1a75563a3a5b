"""Invoices in a real currency (paid by card through a provider token) in the emulator."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fiat_support import PROVIDER_SECRET, PROVIDER_TOKEN, USER, Bot, fiat_invoice, stars_invoice

from starport.sandbox.telegram import SandboxTelegram
from starport.sandbox.telegram.currencies import TELEGRAM_CURRENCIES


async def rejection(bot: Bot, method: str, params: dict[str, Any]) -> str:
    body = await bot(method, **params)
    assert body["error_code"] == 400, body
    return str(body["description"])


async def test_a_fiat_invoice_is_sent_with_its_currency_and_total(bot: Bot) -> None:
    message = await bot.ok("sendInvoice", **fiat_invoice(start_parameter="buy"))
    assert message["invoice"] == {
        "title": "500 credits", "description": "A pack of 500 credits", "start_parameter": "buy",
        "currency": "USD", "total_amount": 499,
    }  # fmt: skip
    shown = (await bot.control(f"/chats/{USER}/messages")).json()["result"]
    assert shown[-1]["invoice"]["currency"] == "USD"
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["currency"] == "USD" and invoice["amount"] == 499
    assert invoice["provider_invoice"] is True and "provider_token" not in invoice


async def test_a_fiat_invoice_link_is_created(bot: Bot) -> None:
    link = await bot.ok("createInvoiceLink", **fiat_invoice(chat_id=None, currency="EUR"))
    assert link.startswith("https://t.me/$")
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["link"] == link and invoice["currency"] == "EUR"
    assert invoice["provider_invoice"] is True


async def test_a_stars_invoice_is_still_a_stars_invoice(bot: Bot) -> None:
    message = await bot.ok("sendInvoice", **stars_invoice())
    assert message["invoice"]["currency"] == "XTR" and message["invoice"]["total_amount"] == 50
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["provider_invoice"] is False
    # A provider token on a Stars invoice is refused, as before.
    described = await rejection(bot, "sendInvoice", stars_invoice(provider_token=PROVIDER_TOKEN))
    assert described == "Bad Request: PAYMENT_PROVIDER_INVALID"


@pytest.mark.parametrize(
    "token", ["123:LIVE", "abc:TEST:x", "284685063:test:x", "284685063:TEST:", "284685063:TEST"]
)
async def test_a_malformed_provider_token_is_refused(
    bot: Bot, sandbox: SandboxTelegram, token: str
) -> None:
    described = await rejection(bot, "sendInvoice", fiat_invoice(provider_token=token))
    assert described == "Bad Request: PAYMENT_PROVIDER_INVALID"
    assert sandbox.spec_violations[-1].params["provider_token"] == "***"


@pytest.mark.parametrize("token", [None, ""])
async def test_without_a_provider_token_a_card_invoice_is_refused(
    bot: Bot, token: str | None
) -> None:
    """A real currency and no token: the bot has no payment provider to take the card."""
    for method, params in (("sendInvoice", {}), ("createInvoiceLink", {"chat_id": None})):
        described = await rejection(bot, method, fiat_invoice(provider_token=token, **params))
        assert described == "Bad Request: PAYMENT_PROVIDER_INVALID"


@pytest.mark.parametrize("currency", ["XYZ", "usd", "TON", "BTC"])
async def test_a_currency_telegram_does_not_take_is_refused(bot: Bot, currency: str) -> None:
    described = await rejection(bot, "sendInvoice", fiat_invoice(currency=currency))
    assert described == "Bad Request: CURRENCY_INVALID"


@pytest.mark.parametrize("code", ["USD", "JPY", "KWD", "UZS"])
async def test_the_total_must_be_within_the_currency_limits(bot: Bot, code: str) -> None:
    known = TELEGRAM_CURRENCIES[code]

    def priced(*amounts: int) -> dict[str, Any]:
        prices = [{"label": f"item {i}", "amount": a} for i, a in enumerate(amounts)]
        return fiat_invoice(currency=code, prices=prices)

    for total in (known.min_amount - 1, known.max_amount + 1):
        described = await rejection(bot, "sendInvoice", priced(total))
        assert described == "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID", total
    # The prices add up: a line below the minimum is fine when the total is not.
    half = known.min_amount // 2
    sent = await bot.ok("sendInvoice", **priced(half, known.min_amount - half))
    assert sent["invoice"]["total_amount"] == known.min_amount
    sent = await bot.ok("sendInvoice", **priced(known.max_amount))
    assert sent["invoice"] == sent["invoice"] | {"currency": code, "total_amount": known.max_amount}


async def test_no_prices_is_a_zero_total(bot: Bot) -> None:
    described = await rejection(bot, "sendInvoice", fiat_invoice(prices=[]))
    assert described == "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID"


async def test_subscriptions_are_refused_for_fiat_invoices(bot: Bot) -> None:
    for method, extra in (("createInvoiceLink", {"chat_id": None}), ("sendInvoice", {})):
        params = fiat_invoice(subscription_period=2592000, **extra)
        described = await rejection(bot, method, params)
        assert described == "Bad Request: SUBSCRIPTION_PERIOD_INVALID"


async def test_tips_are_accepted_for_fiat_invoices(bot: Bot) -> None:
    await bot.ok(
        "sendInvoice",
        **fiat_invoice(max_tip_amount=1000, suggested_tip_amounts=[100, 300, 500, 1000]),
    )
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["max_tip_amount"] == 1000
    assert invoice["suggested_tip_amounts"] == [100, 300, 500, 1000]
    # ... and still refused for Stars.
    described = await rejection(bot, "sendInvoice", stars_invoice(max_tip_amount=10))
    assert "tips are not supported" in described


@pytest.mark.parametrize(
    "tips",
    [
        {"max_tip_amount": -1},
        {"max_tip_amount": 1000, "suggested_tip_amounts": [500, 100]},  # not increasing
        {"max_tip_amount": 1000, "suggested_tip_amounts": [100, 100]},
        {"max_tip_amount": 1000, "suggested_tip_amounts": [100, 2000]},  # above the max
        {"max_tip_amount": 1000, "suggested_tip_amounts": [0, 100]},
        {"max_tip_amount": 1000, "suggested_tip_amounts": [1, 2, 3, 4, 5]},  # more than 4
        {"suggested_tip_amounts": [100]},  # no max: 0
    ],
)
async def test_tips_follow_the_spec(bot: Bot, tips: dict[str, Any]) -> None:
    assert (await bot("sendInvoice", **fiat_invoice(**tips)))["error_code"] == 400


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
        ({"title": "t" * 33}, "INVOICE_TITLE_INVALID"),
        ({"description": "d" * 256}, "INVOICE_DESCRIPTION_INVALID"),
    ],
)
async def test_payload_title_and_description_rules_are_those_of_stars(
    bot: Bot, overrides: dict[str, Any], error: str
) -> None:
    assert await rejection(bot, "sendInvoice", fiat_invoice(**overrides)) == f"Bad Request: {error}"


async def test_the_provider_token_never_comes_back(
    bot: Bot, sandbox: SandboxTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await bot.ok("sendInvoice", **fiat_invoice())
    link = await bot.ok("createInvoiceLink", **fiat_invoice(chat_id=None))
    await bot("sendInvoice", **fiat_invoice(currency="XYZ"))  # refused: recorded and logged
    await bot("sendInvoice", **fiat_invoice(title=""))
    await bot.pay()
    await bot.pay(invoice_link=link, card="4242 4242 4242 4242")
    await bot.ok("getStarTransactions")
    for path in ("/", "/records", "/invoices", "/transactions", "/deliveries", "/answers",
                 f"/chats/{USER}/messages"):  # fmt: skip
        assert (await bot.control(path)).status_code == 200
    seen = [json.dumps(body) for body in [*bot.responses, *bot.updates]]
    assert len(seen) > 15
    assert [s for s in seen if PROVIDER_SECRET in s] == []
    assert PROVIDER_SECRET not in repr(sandbox.calls) + repr(sandbox.spec_violations)
    assert PROVIDER_SECRET not in caplog.text
