"""Purchases end to end: the host app's REST calls, the bot in the sandbox Telegram, Crypto Pay
in its sandbox, and the credits they add up to."""

from __future__ import annotations

from e2e_support import balance, create_session, ledger, run_job, session, start_parameter
from features.drivers.http_cryptopay import invoice_of
from features.drivers.http_server import Server

from starport.sandbox.cryptopay import WebhookMode

ANN = 7_100_000_001
CONFIRMATION = "Payment received: 100 credits added. Your balance: 100 credits."


async def test_a_stars_purchase_from_create_session_to_balance(any_server: Server) -> None:
    server, actor = any_server, any_server.actor()
    actor.create_user(ANN, "Ann")
    created = await create_session(server, "ann", "telegram")
    assert created["status"] == "invoiced" and created["deepLink"] and created["invoiceLink"]

    opened = await actor.send_text(ANN, f"/start {start_parameter(created)}")
    invoices = [m["invoice"] for m in actor.messages(ANN) if "invoice" in m]
    paid = await actor.pay_invoice(ANN)
    await server.settle()

    assert opened.status == "delivered"
    assert [(i["title"], i["currency"], i["total_amount"]) for i in invoices] == [
        ("Starter", "XTR", 50)
    ]
    assert paid.ok, paid.to_json()
    # Telegram asked first, Starport said yes, and only then were the Stars taken.
    kinds = [d["kind"] for d in actor.deliveries()]
    assert kinds == ["message", "pre_checkout_query", "message"]
    assert [a["ok"] for a in actor.bot.checkout_answers] == [True]
    assert [t["amount"] for t in actor.transactions()] == [50]
    assert await balance(server, "ann") == 100
    assert [(e["kind"], e["amount"]) for e in await ledger(server, "ann")] == [("purchase", 100)]
    assert (await session(server, created["sessionId"]))["status"] == "paid"
    assert CONFIRMATION in [m.get("text") for m in actor.messages(ANN)]


async def test_a_crypto_pay_purchase_with_a_lost_webhook_is_credited_by_the_reconciliation(
    any_server: Server,
) -> None:
    server = any_server
    created = await create_session(server, "bob", "cryptopay")
    invoice = invoice_of(server.cryptopay, created["sessionId"])
    assert created["payUrl"] and (created["amount"], created["currency"]) == ("1.5", "TON")

    lost = await server.cryptopay.pay(invoice.invoice_id, webhook=WebhookMode.DROP)
    before = await balance(server, "bob")
    first = await run_job(server, "reconcile-cryptopay")
    after = await balance(server, "bob")
    again = await run_job(server, "reconcile-cryptopay")
    late = await server.cryptopay.redeliver(invoice.invoice_id)  # the lost update turns up

    assert [d.state for d in lost.deliveries] == ["dropped"]
    assert before == 0
    assert after == 100, first
    assert await balance(server, "bob") == 100, again
    assert [d.state for d in late] == ["delivered"]
    assert [(e["kind"], e["amount"]) for e in await ledger(server, "bob")] == [("purchase", 100)]
    assert (await session(server, created["sessionId"]))["status"] == "paid"


async def test_both_providers_in_one_server_credit_a_stars_and_a_crypto_pay_purchase(
    server: Server,
) -> None:
    actor = server.actor()
    actor.create_user(ANN, "Ann")
    offered = (await server.http.get("/api/packages")).json()
    stars = await create_session(server, "cat", "telegram")
    crypto = await create_session(server, "cat", "cryptopay", package="plus")  # 5 USD, fiat

    await actor.send_text(ANN, f"/start {start_parameter(stars)}")
    paid_stars = await actor.pay_invoice(ANN)
    paid_crypto = await server.cryptopay.pay(invoice_of(server.cryptopay, crypto["sessionId"]
                                                        ).invoice_id)
    await server.settle()

    assert {p["id"]: sorted(p["prices"]) for p in offered} == {
        "starter": ["cryptopay", "telegram_stars"], "plus": ["cryptopay", "telegram_stars"]}
    assert paid_stars.ok and [d.state for d in paid_crypto.deliveries] == ["delivered"]
    assert await balance(server, "cat") == 650
    assert sorted(e["amount"] for e in await ledger(server, "cat")) == [100, 550]
    for created in (stars, crypto):
        assert (await session(server, created["sessionId"]))["status"] == "paid"
