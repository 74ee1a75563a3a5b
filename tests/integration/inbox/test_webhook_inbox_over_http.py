"""Deliveries over HTTP: kept as received with their outcome, found by update id, Telegram
charge id or Crypto Pay invoice id; forgeries never kept."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.integration.starport_live import live_starport

ANN = 7_200_000_001


async def test_a_stars_purchase_is_kept_for_disputes(database_url: str) -> None:
    async with live_starport(database_url) as live:
        # Given Ann bought a package through the bot
        actor = live.actor
        actor.create_user(ANN, "Ann")
        session = (await live.create_session("host-ann")).json()
        await actor.send_text(ANN, f"/start pay_{session['sessionId']}")
        paid = await actor.pay_invoice(ANN)
        assert paid.ok
        await live.settle()
        # When an admin looks the payment up by its Telegram charge id
        [entry] = await live.webhooks(chargeId=paid.telegram_payment_charge_id)
        # Then the delivery is there as received, verified, with what came of it
        update = json.loads(entry["body"])
        assert update["message"]["successful_payment"]["telegram_payment_charge_id"] == (
            paid.telegram_payment_charge_id)
        assert (entry["source"], entry["verified"], entry["outcome"]) == (
            "telegram", True, "credited")
        assert entry["sessionId"] == session["sessionId"]
        assert entry["updateId"] == str(update["update_id"])
        assert "x-telegram-bot-api-secret-token" not in entry["headers"]
        secret = live.runtime.config.telegram_webhook_secret
        assert secret not in json.dumps(entry)
        # The approved pre-checkout before it cost no write (Telegram waits on it): not kept.
        pre_checkout_id = str(paid.pre_checkout["update"]["update_id"])
        assert await live.webhooks(updateId=pre_checkout_id, source="telegram") == []
        # every kept delivery of the purchase is listed under the session
        outcomes = {e["outcome"] for e in await live.webhooks(sessionId=session["sessionId"])}
        assert outcomes == {"credited", "deep_link"}


async def test_a_crypto_pay_payment_is_found_by_its_invoice_id(database_url: str) -> None:
    async with live_starport(database_url) as live:
        session = (await live.create_session("host-bob", method="cryptopay")).json()
        [invoice] = [i for i in live.cryptopay.api.invoices.values()
                     if i.payload == session["sessionId"]]
        await live.cryptopay.pay(invoice.invoice_id)
        await live.settle()
        [entry] = await live.webhooks(invoiceId=str(invoice.invoice_id))
        assert (entry["source"], entry["verified"], entry["outcome"]) == (
            "cryptopay", True, "credited")
        assert json.loads(entry["body"])["payload"]["invoice_id"] == invoice.invoice_id
        assert "crypto-pay-api-signature" not in entry["headers"]


async def test_forged_deliveries_are_counted_not_stored(database_url: str) -> None:
    async with live_starport(database_url) as live:
        forged = {"update_id": 990001, "message": {"message_id": 1, "date": 0,
                  "chat": {"id": ANN, "type": "private"}, "from": {"id": ANN, "is_bot": False,
                  "first_name": "Eve"}, "successful_payment": {
                      "currency": "XTR", "total_amount": 50, "invoice_payload": "x",
                      "telegram_payment_charge_id": "forged-charge",
                      "provider_payment_charge_id": "forged"}}}
        response = await live.http.post("/api/telegram/webhook", json=forged, headers={
            "X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert response.status_code == 403
        response = await live.http.post("/api/cryptopay/webhook", content=b'{"update_id": 5}',
                                        headers={"crypto-pay-api-signature": "00" * 32})
        assert response.status_code == 401
        # Forgeries cost no write at all: a flood of them cannot fill the disk or hold the
        # SQLite writer; they are counted in the metrics and logged instead.
        assert await live.webhooks() == []
        metrics = (await live.http.get("/metrics")).text
        assert 'starport_webhook_requests_total{outcome="forbidden",source="telegram"} 1.0' in (
            metrics)
        assert ('starport_webhook_requests_total{outcome="bad_signature",source="cryptopay"} 1.0'
                in metrics)


async def test_the_prune_job_forgets_deliveries_past_the_retention(database_url: str) -> None:
    async with live_starport(database_url, starport_inbox_retention_days=30) as live:
        live.actor.create_user(ANN, "Ann")
        await live.actor.send_text(ANN, "/start")
        live.advance(timedelta(days=20))
        await live.actor.send_text(ANN, "/balance")
        await live.settle()
        assert [e["outcome"] for e in await live.webhooks()] == ["balance", "reply:bot_welcome"]
        live.advance(timedelta(days=11))
        counts = await live.run_job("prune-webhook-inbox")
        assert counts["counts"]["deleted"] == 1
        assert [e["outcome"] for e in await live.webhooks()] == ["balance"]
