"""The client against the sandbox Telegram: Stars invoices, pre-checkout, refunds, subscriptions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from starport.adapters.telegram import (
    SUBSCRIPTION_PERIOD,
    BotApiClient,
    InvalidInvoice,
    LabeledPrice,
)
from starport.sandbox.telegram import Actor, PaymentOutcome, SandboxTelegram

USER = 5550002
PRICE = [LabeledPrice("100 credits", 50)]


async def _pay(
    bot: BotApiClient, actor: Actor, *, ok: bool = True, **invoice: Any
) -> PaymentOutcome:
    """The user pays; the bot long-polls the pre_checkout_query and answers it."""
    paying = asyncio.create_task(actor.pay_invoice(USER, **invoice))
    updates = await bot.get_updates(timeout=5, allowed_updates=["pre_checkout_query", "message"])
    query = next(u["pre_checkout_query"] for u in updates if "pre_checkout_query" in u)
    await bot.get_updates(offset=updates[-1]["update_id"] + 1)
    error = None if ok else "This offer has expired"
    assert await bot.answer_pre_checkout_query(query["id"], ok, error_message=error) is True
    return await paying


async def test_an_invoice_is_paid_refunded_and_refunded_again_as_success(
    bot: BotApiClient, actor: Actor
) -> None:
    # Given a user who received a Stars invoice
    actor.create_user(USER, started=True)
    message = await bot.send_invoice(
        USER, "100 credits", "Credits for the bot", "session:s1", PRICE, start_parameter="s1"
    )

    # When they pay it and the bot refunds it twice
    outcome = await _pay(bot, actor)
    charge_id = outcome.telegram_payment_charge_id
    assert charge_id is not None
    first = await bot.refund_star_payment(USER, charge_id)
    again = await bot.refund_star_payment(USER, charge_id)

    # Then the payment went through, and both refunds count as done
    assert message["invoice"] == {
        "title": "100 credits",
        "description": "Credits for the bot",
        "start_parameter": "s1",
        "currency": "XTR",
        "total_amount": 50,
    }
    assert outcome.ok and outcome.invoice_payload == "session:s1"
    assert (first, again) == (True, True)
    transactions = (await bot.get_star_transactions(limit=10))["transactions"]
    assert [t["amount"] for t in transactions] == [50, 50]  # the refund, then the payment


async def test_a_refused_pre_checkout_takes_no_stars(bot: BotApiClient, actor: Actor) -> None:
    actor.create_user(USER, started=True)
    await bot.send_invoice(USER, "100 credits", "Credits", "session:s2", PRICE)

    outcome = await _pay(bot, actor, ok=False)

    assert outcome.status == "refused"
    assert outcome.error_message == "This offer has expired"
    assert await bot.get_star_transactions() == {"transactions": []}


async def test_a_subscription_link_is_paid_then_cancelled(bot: BotApiClient, actor: Actor) -> None:
    actor.create_user(USER)
    link = await bot.create_invoice_link(
        "Patron", "Monthly patronage", "sub:patron", PRICE, SUBSCRIPTION_PERIOD
    )

    outcome = await _pay(bot, actor, invoice_link=link)
    charge_id = outcome.telegram_payment_charge_id
    assert charge_id is not None
    cancelled = await bot.edit_user_star_subscription(USER, charge_id, is_canceled=True)
    renewal = await actor.renew_subscription(USER, charge_id)

    assert link.startswith("https://t.me/$")
    assert outcome.ok and outcome.subscription_expiration_date is not None
    assert cancelled is True
    assert renewal.status == "canceled"


async def test_star_transactions_page_with_offset_and_limit(
    bot: BotApiClient, actor: Actor
) -> None:
    actor.create_user(USER, started=True)
    for n in range(3):
        await bot.send_invoice(USER, f"Pack {n}", "Credits", f"session:p{n}", PRICE)
        await _pay(bot, actor)

    page = await bot.get_star_transactions(offset=1, limit=1)

    assert len(page["transactions"]) == 1
    assert len((await bot.get_star_transactions())["transactions"]) == 3


async def test_a_broken_invoice_never_reaches_telegram(
    bot: BotApiClient, sandbox: SandboxTelegram
) -> None:
    with pytest.raises(InvalidInvoice):
        await bot.send_invoice(USER, "x" * 33, "Credits", "session:s3", PRICE)
    with pytest.raises(InvalidInvoice):
        await bot.create_invoice_link("Patron", "Monthly", "sub:x", PRICE, subscription_period=60)

    assert sandbox.calls == []
