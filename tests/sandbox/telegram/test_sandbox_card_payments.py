"""A user pays an invoice in a real currency by card: pre-checkout, then the provider's charge."""

from __future__ import annotations

from fiat_support import DECLINED_CARD, USER, Bot, fiat_invoice, stars_invoice


async def test_paying_by_card_sends_the_currency_and_both_charge_ids(bot: Bot) -> None:
    await bot.ok("sendInvoice", **fiat_invoice())
    outcome = await bot.pay()
    assert outcome["status"] == "paid" and outcome["ok"] is True
    [query] = bot.of_kind("pre_checkout_query")
    assert (query["currency"], query["total_amount"]) == ("USD", 499)
    assert query["invoice_payload"] == "session:fiat1" and query["from"]["id"] == USER
    assert bot.answers == [{"ok": True, "result": True}]
    [payment] = bot.payments()
    assert payment == {
        "currency": "USD",
        "total_amount": 499,
        "invoice_payload": "session:fiat1",
        "telegram_payment_charge_id": outcome["telegram_payment_charge_id"],
        "provider_payment_charge_id": outcome["provider_payment_charge_id"],
    }
    assert outcome["provider_payment_charge_id"].startswith("ch_sandbox_")
    assert outcome["telegram_payment_charge_id"]
    assert (outcome["currency"], outcome["amount"]) == ("USD", 499)
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["paid_by"] == [USER]
    refused = await bot.control(f"/users/{USER}/pay", {})
    assert refused.status_code == 404  # an invoice message is paid once


async def test_an_invoice_link_in_yen_is_paid_in_whole_yen(bot: Bot) -> None:
    prices = [{"label": "Credits", "amount": 1200}, {"label": "Fee", "amount": 300}]
    link = await bot.ok("createInvoiceLink", **fiat_invoice(chat_id=None, currency="JPY",
                                                             prices=prices))  # fmt: skip
    outcome = await bot.pay(invoice_link=link, card="4242424242424242")
    assert outcome["status"] == "paid" and outcome["currency"] == "JPY"
    [query] = bot.of_kind("pre_checkout_query")
    assert (query["currency"], query["total_amount"]) == ("JPY", 1500)
    [payment] = bot.payments()
    assert (payment["currency"], payment["total_amount"]) == ("JPY", 1500)


async def test_a_declined_card_is_refused_after_the_bot_approved(bot: Bot) -> None:
    await bot.ok("sendInvoice", **fiat_invoice())
    outcome = await bot.pay(card=DECLINED_CARD)
    assert outcome["status"] == "declined" and outcome["ok"] is False
    assert outcome["telegram_payment_charge_id"] is None
    assert outcome["provider_payment_charge_id"] is None
    assert len(bot.of_kind("pre_checkout_query")) == 1 and bot.answers[0]["ok"]
    assert bot.payments() == []  # no successful_payment
    [invoice] = (await bot.control("/invoices")).json()["result"]
    assert invoice["paid_by"] == []
    # The user tries again with a good card.
    assert (await bot.pay(card="4000000000000077"))["status"] == "paid"
    assert len(bot.payments()) == 1


async def test_a_card_that_is_not_a_card_number_is_refused(bot: Bot) -> None:
    await bot.ok("sendInvoice", **fiat_invoice())
    for card in ("4242-4242-4242-4242", "1234", "abcd efgh ijkl mnop", 4242424242424242):
        response = await bot.control(f"/users/{USER}/pay", {"card": card})
        assert response.status_code == 400 and "card" in response.json()["error"]
    assert bot.of_kind("pre_checkout_query") == []


async def test_when_the_bot_refuses_the_card_is_not_charged(bot: Bot) -> None:
    await bot.ok("sendInvoice", **fiat_invoice())
    bot.refusal = "Sold out"
    outcome = await bot.pay()
    assert outcome["status"] == "refused" and outcome["error_message"] == "Sold out"
    assert bot.payments() == []


async def test_a_stars_invoice_is_not_paid_by_card(bot: Bot) -> None:
    await bot.ok("sendInvoice", **stars_invoice())
    response = await bot.control(f"/users/{USER}/pay", {"card": "4242424242424242"})
    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": "a Telegram Stars invoice is not paid by card"}
    assert bot.of_kind("pre_checkout_query") == []
    outcome = await bot.pay()  # without a card, as before
    assert outcome["status"] == "paid" and outcome["currency"] == "XTR"
    assert outcome["provider_payment_charge_id"] == ""
    [payment] = bot.payments()
    assert payment["provider_payment_charge_id"] == "" and payment["currency"] == "XTR"


async def test_the_stars_methods_do_not_see_payments_by_card(bot: Bot) -> None:
    stars_message = await bot.ok("sendInvoice", **stars_invoice())
    await bot.ok("sendInvoice", **fiat_invoice())
    by_card = await bot.pay()
    in_stars = await bot.pay(message_id=stars_message["message_id"])
    assert (by_card["currency"], in_stars["currency"]) == ("USD", "XTR")
    transactions = (await bot.ok("getStarTransactions"))["transactions"]
    assert [t["id"] for t in transactions] == [in_stars["telegram_payment_charge_id"]]
    assert (await bot.control("/transactions")).json()["result"] == transactions
    card_charge = by_card["telegram_payment_charge_id"]
    refund = await bot("refundStarPayment", user_id=USER, telegram_payment_charge_id=card_charge)
    assert refund["description"] == "Bad Request: CHARGE_NOT_FOUND"
    disputed = await bot.control(
        f"/users/{USER}/refund", {"telegram_payment_charge_id": card_charge}
    )
    assert disputed.status_code == 404 and disputed.json()["error"] == "CHARGE_NOT_FOUND"
    assert (await bot.ok("getStarTransactions"))["transactions"] == transactions
