"""Input a database cannot hold (a NUL, a lone surrogate, an integer past 64 bits, "²" for a
digit), against SQLite and PostgreSQL: from a host app it is a 422 that changes nothing; from a
provider it is made storable, kept, and refused as unknown, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.integration.starport_live import ADMIN, SERVER, live_starport

from starport.adapters.cryptopay.signature import sign

ANN = 7_200_000_002
ADMIN_CHAT = 7_200_000_099



@pytest.mark.parametrize("body", [
    {"packageId": "starter\u0000", "paymentMethod": "telegram", "userId": "u1"},
    {"packageId": "starter\ud800", "paymentMethod": "telegram", "userId": "u1"},
    {"packageId": "starter", "paymentMethod": "telegram", "telegramUserId": 2**75},
    {"packageId": "starter", "paymentMethod": "telegram", "telegramUserId": 2**63},
])
async def test_a_session_a_database_cannot_hold_is_a_422(database_url: str,
                                                          body: dict[str, Any]) -> None:
    async with live_starport(database_url) as live:
        # json.dumps writes the NUL and the lone surrogate as \u escapes, as a client would
        response = await live.http.post("/api/payments/create-session", headers=SERVER | {
            "content-type": "application/json"}, content=json.dumps(body).encode())
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"
        listed = await live.http.get("/api/users/u1/ledger", headers=SERVER)
        assert listed.status_code == 200 and listed.json()["entries"] == []


@pytest.mark.parametrize("path", [
    "/api/payments/sessions/ps_%00",
    "/api/admin/webhooks?chargeId=%00",
    "/api/admin/webhooks?limit=%C2%B2",  # "²" passes str.isdigit
    "/api/admin/webhooks?limit=99999999999999999999999",
    "/api/users/u1/ledger?limit=%D9%A3",  # Arabic-Indic three
    "/api/admin/bot-messages/welcome%00",
])
async def test_a_path_or_query_a_database_cannot_hold_is_a_422(database_url: str,
                                                               path: str) -> None:
    async with live_starport(database_url) as live:
        headers = ADMIN if path.startswith("/api/admin") else SERVER
        response = await live.http.get(path, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "invalid_request"


async def test_a_spend_with_a_nul_in_its_key_is_refused(database_url: str) -> None:
    async with live_starport(database_url) as live:
        response = await live.http.post("/api/users/u1/spend", headers=SERVER, json={
            "credits": 1, "idempotencyKey": "k\u0000"})
        assert response.status_code == 422, response.text


async def test_a_telegram_update_with_a_nul_is_kept_and_refused(database_url: str) -> None:
    async with live_starport(database_url) as live:
        session = (await live.create_session("host-ann")).json()
        update = {"update_id": 880001, "message": {
            "message_id": 1, "date": 0, "chat": {"id": ANN, "type": "private"},
            "from": {"id": ANN, "is_bot": False, "first_name": "A\u0000n"},
            "successful_payment": {
                "currency": "XTR", "total_amount": int(session["amount"]),
                "invoice_payload": session["sessionId"] + "\u0000",
                "telegram_payment_charge_id": "charge\u0000x",
                "provider_payment_charge_id": ""}}}
        secret = live.runtime.config.telegram_webhook_secret
        response = await live.http.post("/api/telegram/webhook", headers={
            "X-Telegram-Bot-Api-Secret-Token": secret or "",
            "content-type": "application/json"}, content=json.dumps(update).encode())
        # Telegram is answered (a 5xx would make it send the update again and again) ...
        assert response.status_code == 200, response.text
        # ... the delivery is kept byte for byte, its charge id made storable ...
        [kept] = await live.webhooks(updateId="880001")
        assert json.loads(kept["body"]) == update
        assert kept["chargeId"] == "charge\ufffdx"
        # ... and nothing is credited: the payload names no session of ours.
        assert kept["outcome"] != "credited"
        balance = await live.http.get("/api/users/host-ann/balance", headers=SERVER)
        assert balance.json()["balance"] == 0
        # A NUL in a chat message is only a message it does not understand.
        text = {"update_id": 880002, "message": {
            "message_id": 2, "date": 0, "chat": {"id": ANN, "type": "private"},
            "from": {"id": ANN, "is_bot": False, "first_name": "Ann"},
            "text": "/start pay_\u0000"}}
        response = await live.http.post("/api/telegram/webhook", headers={
            "X-Telegram-Bot-Api-Secret-Token": secret or "",
            "content-type": "application/json"}, content=json.dumps(text).encode())
        assert response.status_code == 200, response.text


async def test_a_signed_crypto_pay_update_with_a_nul_is_refused_not_crashed(
        database_url: str) -> None:
    async with live_starport(database_url) as live:
        session = (await live.create_session("host-bob", method="cryptopay")).json()
        [invoice] = [i for i in live.cryptopay.api.invoices.values()
                     if i.payload == session["sessionId"]]
        now = live.clock.now().isoformat()
        body = json.dumps({"update_id": 770001, "update_type": "invoice_paid",
                           "request_date": now, "payload": {
                               "invoice_id": invoice.invoice_id, "hash": "IV\u0000",
                               "status": "paid", "amount": session["amount"],
                               "created_at": now, "paid_at": now,
                               "asset": session["currency"], "paid_asset": session["currency"],
                               "paid_amount": session["amount"],
                               "payload": session["sessionId"] + "\u0000",
                               "comment": "\ud800"}}).encode()
        token = live.runtime.config.cryptopay_api_token or ""
        response = await live.http.post("/api/cryptopay/webhook", content=body, headers={
            "crypto-pay-api-signature": sign(token, body), "content-type": "application/json"})
        assert response.status_code == 200, response.text
        [kept] = await live.webhooks(updateId="770001", source="cryptopay")
        assert kept["body"].encode() == body
        assert kept["outcome"] != "credited"
        balance = await live.http.get("/api/users/host-bob/balance", headers=SERVER)
        assert balance.json()["balance"] == 0


async def test_a_payment_with_a_charge_id_too_long_to_store_is_kept_for_the_operator(
        database_url: str) -> None:
    async with live_starport(database_url, starport_admin_chat_id=ADMIN_CHAT) as live:
        live.actor.create_user(ADMIN_CHAT, "Admin", started=True)
        session = (await live.create_session("host-ann")).json()
        charge_id = "c" * 10_000
        update = {"update_id": 880010, "message": {
            "message_id": 1, "date": 0, "chat": {"id": ANN, "type": "private"},
            "from": {"id": ANN, "is_bot": False, "first_name": "Ann"},
            "successful_payment": {
                "currency": "XTR", "total_amount": int(session["amount"]),
                "invoice_payload": session["sessionId"],
                "telegram_payment_charge_id": charge_id, "provider_payment_charge_id": ""}}}
        secret = live.runtime.config.telegram_webhook_secret
        response = await live.http.post("/api/telegram/webhook", headers={
            "X-Telegram-Bot-Api-Secret-Token": secret or "",
            "content-type": "application/json"}, content=json.dumps(update).encode())
        # Telegram is answered (the update is in good hands) ...
        assert response.status_code == 200, response.text
        assert response.headers["x-starport-outcome"] == "held:charge_id_too_long"
        # ... the delivery is kept whole for the operator, who is told in the admin chat ...
        [kept] = await live.webhooks(updateId="880010")
        assert kept["outcome"] == "held:charge_id_too_long"
        assert json.loads(kept["body"])["message"]["successful_payment"][
            "telegram_payment_charge_id"] == charge_id
        await live.settle()
        [alert] = [t for t in live.texts_to(ADMIN_CHAT) if "cannot be recorded" in t]
        assert "charge_id_too_long" in alert and "880010" in alert and str(ANN) in alert
        # ... and nothing is credited, or recorded as a charge, until someone decides.
        balance = await live.http.get("/api/users/host-ann/balance", headers=SERVER)
        assert balance.json()["balance"] == 0
        again = await live.http.post("/api/telegram/webhook", headers={
            "X-Telegram-Bot-Api-Secret-Token": secret or "",
            "content-type": "application/json"}, content=json.dumps(update).encode())
        assert again.headers["x-starport-outcome"] == "duplicate"
