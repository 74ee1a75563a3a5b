"""Security end to end: forged, replayed or tampered calls reach the running server and leave
the ledger as it was; each test then shows the genuine call does count (so it could fail)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from e2e_support import (
    balance,
    create_session,
    ledger,
    post_cryptopay,
    post_update,
    session,
    start_parameter,
    tampered,
)
from features.drivers.http_cryptopay import invoice_of
from features.drivers.http_server import Server, mini_app_auth

from starport.adapters.cryptopay import sign
from starport.sandbox.cryptopay import WebhookMode

EVE = 7_200_000_001
OTHER_BOT_TOKEN = "987654321:AAotherBotTokenWhichDidNotSignThis000"


def successful_payment(payer: int, session_id: str, stars: int, charge_id: str
                       ) -> dict[str, Any]:
    person = {"id": payer, "is_bot": False, "first_name": "Eve"}
    return {"message_id": 1, "date": 1_790_000_000, "from": person,
            "chat": {"id": payer, "type": "private", "first_name": "Eve"},
            "successful_payment": {"currency": "XTR", "total_amount": stars,
                                   "invoice_payload": session_id,
                                   "telegram_payment_charge_id": charge_id,
                                   "provider_payment_charge_id": ""}}


async def unchanged(server: Server, user_id: str, session_id: str) -> None:
    assert await balance(server, user_id) == 0
    assert await ledger(server, user_id) == []
    assert (await session(server, session_id))["status"] in ("pending", "invoiced")


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"])
async def test_an_update_without_the_webhook_secret_changes_nothing(
    server: Server, secret: str | None
) -> None:
    created = await create_session(server, "eve", "telegram")
    forged = {"update_id": 900_001,
              "message": successful_payment(EVE, created["sessionId"], 50, "stxFORGED")}

    response = await post_update(server, forged, secret)

    assert response.status_code == 403, response.text
    await unchanged(server, "eve", created["sessionId"])
    # Control: the same update with the secret Telegram holds is taken as Telegram's word.
    genuine = await post_update(server, forged, server.config.telegram_webhook_secret)
    assert genuine.json()["outcome"] == "credited"


async def test_a_replayed_update_credits_nothing_more(server: Server) -> None:
    actor, secret = server.actor(), server.config.telegram_webhook_secret
    actor.create_user(EVE, "Eve")
    created = await create_session(server, "eve", "telegram")
    await actor.send_text(EVE, f"/start {start_parameter(created)}")
    paid = await actor.pay_invoice(EVE)
    assert paid.ok and paid.payment is not None
    update = paid.payment["update"]

    replayed = await post_update(server, update, secret)  # the very same update_id
    renumbered = await post_update(server, {**update, "update_id": update["update_id"] + 10**6},
                                   secret)  # the same payment under a new update_id
    await server.settle()

    assert replayed.json()["outcome"] == "duplicate"
    assert renumbered.json()["outcome"] == "already_credited"
    assert await balance(server, "eve") == 100
    assert len(await ledger(server, "eve")) == 1
    confirmations = [m for m in actor.messages(EVE) if m.get("text", "").startswith("Payment")]
    assert len(confirmations) == 1


@pytest.mark.parametrize("case", ["forged", "expired", "swapped user"])
async def test_a_mini_app_with_forged_or_expired_init_data_is_refused(
    server: Server, case: str
) -> None:
    max_age = timedelta(seconds=server.config.starport_initdata_max_age_seconds)
    init_data = {
        "forged": lambda: server.init_data(EVE, "Eve", token=OTHER_BOT_TOKEN),
        "expired": lambda: server.init_data(EVE, "Eve", age=max_age + timedelta(minutes=1)),
        "swapped user": lambda: server.init_data(EVE, "Eve").replace(str(EVE), str(EVE + 1)),
    }[case]()
    body = {"packageId": "starter", "paymentMethod": "telegram"}

    response = await server.http.post("/api/payments/create-session", json=body,
                                      headers=mini_app_auth(init_data))

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "invalid_init_data"
    for user in (EVE, EVE + 1):
        assert await balance(server, str(user)) == 0 and await ledger(server, str(user)) == []
    genuine = await server.http.post("/api/payments/create-session", json=body,
                                     headers=mini_app_auth(server.init_data(EVE, "Eve")))
    assert genuine.status_code == 201 and genuine.json()["userId"] == str(EVE)


async def test_an_invoice_at_another_price_is_refused_at_pre_checkout(server: Server) -> None:
    actor = server.actor()
    actor.create_user(EVE, "Eve")
    created = await create_session(server, "eve", "telegram")
    await actor.send_text(EVE, f"/start {start_parameter(created)}")
    genuine = next(i for i in actor.bot.invoices.values()
                   if i.payload == created["sessionId"] and i.chat_id == EVE)
    cheap = replace(genuine, slug="cheap-copy", amount=1, chat_id=None, message_id=None)
    actor.bot.invoices[cheap.slug] = cheap

    refused = await actor.pay_invoice(EVE, invoice_link=cheap.link)

    assert refused.status == "refused"
    assert refused.error_message == "The price has changed. Please start a new purchase."
    assert actor.transactions() == []  # no Stars were taken
    await unchanged(server, "eve", created["sessionId"])
    assert (await actor.pay_invoice(EVE, message_id=genuine.message_id)).ok
    assert await balance(server, "eve") == 100


async def test_a_successful_payment_below_the_price_is_not_credited(server: Server) -> None:
    created = await create_session(server, "eve", "telegram")
    short = {"update_id": 900_002,
             "message": successful_payment(EVE, created["sessionId"], 1, "stxSHORT")}

    response = await post_update(server, short, server.config.telegram_webhook_secret)

    assert response.status_code == 200 and response.json()["outcome"] == "rejected"
    assert await balance(server, "eve") == 0
    assert (await session(server, created["sessionId"]))["status"] == "failed"


async def test_a_forged_crypto_pay_webhook_changes_nothing(server: Server) -> None:
    created = await create_session(server, "eve", "cryptopay")
    invoice = invoice_of(server.cryptopay, created["sessionId"])
    (held,) = (await server.cryptopay.pay(invoice.invoice_id, webhook=WebhookMode.DROP)).deliveries
    body, signature = held.body, held.signature

    attempts = [
        await post_cryptopay(server, body, sign(OTHER_BOT_TOKEN, body)),  # another app's key
        await post_cryptopay(server, body, ""),  # unsigned
        await post_cryptopay(server, tampered(body, paid_amount="150"), signature),
    ]
    stale = await server.cryptopay.redeliver(invoice.invoice_id, webhook=WebhookMode.STALE)

    assert [a.status_code for a in attempts] == [401, 401, 401]
    assert [d.state for d in stale] == ["failed"]  # refused, however often it was retried
    await unchanged(server, "eve", created["sessionId"])
    genuine = await post_cryptopay(server, body, signature)
    assert genuine.json() == {"ok": True, "outcome": "credited"}
    assert await balance(server, "eve") == 100
