"""Telegram Stars: invoice rules, the pay flow through a webhook, refunds, subscriptions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from starport.sandbox.telegram import Actor, SandboxTelegram

from .conftest import BotApi, Receiver

USER = 42


def invoice(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "chat_id": USER,
        "title": "100 credits",
        "description": "A pack of 100 credits",
        "payload": "session:abc123",
        "currency": "XTR",
        "prices": [{"label": "100 credits", "amount": 50}],
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


@pytest.fixture
def user(actor: Actor) -> int:
    actor.create_user(USER, "Ann", "ann", started=True)
    return USER


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),  # no provider token for cards
        ({"provider_token": "123:LIVE"}, "PAYMENT_PROVIDER_INVALID"),
        ({"prices": [{"label": "a", "amount": 1}, {"label": "b", "amount": 2}]}, "STARS_INVOICE"),
        ({"prices": []}, "STARS_INVOICE_INVALID"),
        ({"prices": [{"label": "a", "amount": 0}]}, "CURRENCY_TOTAL_AMOUNT_INVALID"),
        ({"payload": "x" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"payload": "é" * 65}, "INVOICE_PAYLOAD_INVALID"),  # 130 bytes
        ({"title": "t" * 33}, "INVOICE_TITLE_INVALID"),
        ({"description": "d" * 256}, "INVOICE_DESCRIPTION_INVALID"),
        ({"subscription_period": 2592000}, "SUBSCRIPTION_PERIOD_INVALID"),
    ],
)
async def test_send_invoice_enforces_the_stars_rules(
    bot: BotApi, user: int, sandbox: SandboxTelegram, overrides: dict[str, Any], error: str
) -> None:
    body = await bot("sendInvoice", **invoice(**overrides))
    assert body["error_code"] == 400 and error in body["description"]
    assert sandbox.spec_violations, "breaking a Stars rule counts as a spec violation"


async def test_a_valid_stars_invoice_is_sent(bot: BotApi, user: int, actor: Actor) -> None:
    message = await bot.ok("sendInvoice", **invoice(provider_token=""))
    assert message["invoice"]["currency"] == "XTR" and message["invoice"]["total_amount"] == 50
    assert actor.messages(USER)[-1]["invoice"]["title"] == "100 credits"
    assert actor.invoices()[0]["payload"] == "session:abc123"


async def test_invoice_links_and_subscription_period(bot: BotApi) -> None:
    params = invoice(chat_id=None)
    link = await bot.ok("createInvoiceLink", **params)
    assert link.startswith("https://t.me/$")
    body = await bot("createInvoiceLink", **params, subscription_period=86400)
    assert body["description"] == "Bad Request: SUBSCRIPTION_PERIOD_INVALID"
    assert await bot.ok("createInvoiceLink", **params, subscription_period=2592000)


async def test_pay_flow_when_the_bot_accepts(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    await bot.ok("sendInvoice", **invoice())
    outcome = await actor.pay_invoice(USER)
    assert outcome.status == "paid" and outcome.ok
    query = receiver.of_kind("pre_checkout_query")[0]
    assert query["invoice_payload"] == "session:abc123" and query["currency"] == "XTR"
    payment = receiver.of_kind("message")[-1]["successful_payment"]
    assert payment["total_amount"] == 50 and payment["currency"] == "XTR"
    assert payment["telegram_payment_charge_id"] == outcome.telegram_payment_charge_id
    assert "is_recurring" not in payment
    transactions = (await bot.ok("getStarTransactions"))["transactions"]
    assert transactions[0]["id"] == outcome.telegram_payment_charge_id
    assert transactions[0]["source"]["user"]["id"] == USER
    with pytest.raises(Exception, match="no unpaid invoice"):
        await actor.pay_invoice(USER)  # an invoice message is paid once


async def test_pay_flow_when_the_bot_refuses(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    receiver.pre_checkout_answer = {"ok": False, "error_message": "This offer has expired"}
    await bot.ok("sendInvoice", **invoice())
    outcome = await actor.pay_invoice(USER)
    assert outcome.status == "refused" and not outcome.ok
    assert outcome.error_message == "This offer has expired"
    assert receiver.of_kind("message") == []  # no successful_payment
    assert (await bot.ok("getStarTransactions"))["transactions"] == []


async def test_refusing_needs_an_error_message(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    receiver.pre_checkout_answer = {"ok": False}
    await bot.ok("sendInvoice", **invoice())
    outcome = await actor.pay_invoice(USER, timeout=0.2)
    assert receiver.answers[0]["error_code"] == 400
    assert "error_message" in receiver.answers[0]["description"]
    assert outcome.status == "no_answer"


async def test_a_late_or_unknown_answer_is_rejected(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    receiver.pre_checkout_answer = None  # the bot stays silent
    await bot.ok("sendInvoice", **invoice())
    outcome = await actor.pay_invoice(USER, timeout=0.2)
    assert outcome.status == "no_answer"
    query_id = receiver.of_kind("pre_checkout_query")[0]["id"]
    late = await bot("answerPreCheckoutQuery", pre_checkout_query_id=query_id, ok=True)
    assert "query is too old" in late["description"]
    unknown = await bot("answerPreCheckoutQuery", pre_checkout_query_id="nope", ok=True)
    assert unknown["error_code"] == 400
    assert receiver.of_kind("message") == []


async def test_refund_twice_and_unknown_charge(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    link = await bot.ok("createInvoiceLink", **invoice(chat_id=None))
    charge = (await actor.pay_invoice(USER, invoice_link=link)).telegram_payment_charge_id
    assert await bot.ok("refundStarPayment", user_id=USER, telegram_payment_charge_id=charge)
    again = await bot("refundStarPayment", user_id=USER, telegram_payment_charge_id=charge)
    assert again["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"
    unknown = await bot("refundStarPayment", user_id=USER, telegram_payment_charge_id="stxNope")
    assert unknown["description"] == "Bad Request: CHARGE_NOT_FOUND"
    other_user = await bot("refundStarPayment", user_id=7, telegram_payment_charge_id=charge)
    assert other_user["description"] == "Bad Request: CHARGE_NOT_FOUND"
    assert not any("refunded_payment" in m for m in receiver.of_kind("message"))
    transactions = (await bot.ok("getStarTransactions"))["transactions"]
    assert [("receiver" in t, t["id"]) for t in transactions] == [(False, charge), (True, charge)]


async def test_star_transactions_are_paged_in_chronological_order(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    link = await bot.ok("createInvoiceLink", **invoice(chat_id=None))
    charges = [
        (await actor.pay_invoice(USER, invoice_link=link)).telegram_payment_charge_id
        for _ in range(3)
    ]
    first = (await bot.ok("getStarTransactions", offset=0, limit=2))["transactions"]
    rest = (await bot.ok("getStarTransactions", offset=2, limit=2))["transactions"]
    assert [t["id"] for t in first] == charges[:2]
    assert [t["id"] for t in rest] == charges[2:]


async def test_user_refund_posts_refunded_payment(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    await bot.ok("sendInvoice", **invoice())
    charge = (await actor.pay_invoice(USER)).telegram_payment_charge_id
    assert charge is not None
    delivery = await actor.request_refund(USER, charge)
    assert delivery.status == "delivered"
    refunded = receiver.of_kind("message")[-1]["refunded_payment"]
    assert refunded["telegram_payment_charge_id"] == charge
    body = await bot("refundStarPayment", user_id=USER, telegram_payment_charge_id=charge)
    assert body["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"


async def test_subscription_renewal_and_cancel(
    bot: BotApi, user: int, actor: Actor, receiver: Receiver
) -> None:
    link = await bot.ok("createInvoiceLink", **invoice(chat_id=None), subscription_period=2592000)
    first = await actor.pay_invoice(USER, invoice_link=link)
    payment = receiver.of_kind("message")[-1]["successful_payment"]
    assert payment["is_recurring"] and payment["is_first_recurring"]
    assert first.telegram_payment_charge_id is not None
    renewal = await actor.renew_subscription(USER, first.telegram_payment_charge_id)
    assert renewal.ok
    payment = receiver.of_kind("message")[-1]["successful_payment"]
    assert payment["is_recurring"] and "is_first_recurring" not in payment
    expiry_first = first.subscription_expiration_date or 0
    assert payment["subscription_expiration_date"] == expiry_first + 2592000
    assert await bot.ok(
        "editUserStarSubscription", user_id=USER,
        telegram_payment_charge_id=first.telegram_payment_charge_id, is_canceled=True,
    )  # fmt: skip
    canceled = await actor.renew_subscription(USER, first.telegram_payment_charge_id)
    assert canceled.status == "canceled"


async def test_pay_flow_over_get_updates(bot: BotApi, user: int, actor: Actor) -> None:
    """Without a webhook the bot polls; the actor still waits for the answer."""
    await bot.ok("sendInvoice", **invoice())
    paying = asyncio.ensure_future(actor.pay_invoice(USER))
    updates = await bot.ok("getUpdates", timeout=5)
    query = updates[0]["pre_checkout_query"]
    await bot.ok("answerPreCheckoutQuery", pre_checkout_query_id=query["id"], ok=True)
    outcome = await paying
    assert outcome.ok
    updates = await bot.ok("getUpdates", offset=updates[-1]["update_id"] + 1)
    assert updates[0]["message"]["successful_payment"]["invoice_payload"] == "session:abc123"
