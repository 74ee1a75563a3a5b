"""Over a real socket: the Crypto Pay sandbox signs and delivers webhooks to the served app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest
from http_harness import (
    CRYPTOPAY_TOKEN,
    SERVER,
    WEBHOOK_SECRET,
    Harness,
    make_config,
    make_harness,
    successful_payment,
)

from starport.entrypoints.http import create_app
from starport.sandbox.cryptopay import SandboxCryptoPay, WebhookMode
from starport.sandbox.serve import serve_app


@pytest.fixture
async def served() -> AsyncIterator[tuple[Harness, httpx.AsyncClient, SandboxCryptoPay, list]]:
    h = make_harness(make_config())
    closed: list[str] = []

    async def close() -> None:
        closed.append("runtime")

    h.runtime.closers.append(close)
    app = create_app(h.runtime, h.metrics)
    async with serve_app(app) as base, httpx.AsyncClient(base_url=base) as client:
        crypto = SandboxCryptoPay(CRYPTOPAY_TOKEN, clock=h.clock.now,
                                  webhook_url=f"{base}/api/cryptopay/webhook")
        yield h, client, crypto, closed
        await crypto.drain()
    assert closed == ["runtime"]  # the lifespan closed the runtime on shutdown


async def open_invoice(h: Harness, client: httpx.AsyncClient, crypto: SandboxCryptoPay) -> int:
    response = await client.post("/api/payments/create-session", headers=SERVER, json={
        "packageId": "starter", "paymentMethod": "cryptopay", "userId": "u1"})
    session = response.json()
    invoice = crypto.handle(CRYPTOPAY_TOKEN, "createInvoice", {
        "asset": session["currency"], "amount": session["amount"],
        "payload": session["sessionId"]}, None)
    return int(invoice["invoice_id"])


async def test_a_paid_invoice_is_credited_once_even_when_replayed(served: tuple) -> None:
    h, client, crypto, _ = served
    invoice_id = await open_invoice(h, client, crypto)

    result = await crypto.pay(invoice_id, webhook=WebhookMode.REPLAY)

    assert [d.state for d in result.deliveries] == ["delivered", "delivered"]
    assert await h.balance("u1") == 100
    assert h.entries() == 1
    metrics = await client.get("/metrics")
    assert 'starport_payments_credited_total{provider="cryptopay"} 1.0' in metrics.text


async def test_an_underpayment_is_acknowledged_but_not_credited(served: tuple) -> None:
    h, client, crypto, _ = served
    invoice_id = await open_invoice(h, client, crypto)

    result = await crypto.underpay(invoice_id, paid_amount=Decimal("0.5"))

    assert result.deliveries[0].state == "delivered"
    assert await h.balance("u1") == 0


async def test_a_stale_delivery_is_refused(served: tuple) -> None:
    h, client, crypto, _ = served
    invoice_id = await open_invoice(h, client, crypto)

    result = await crypto.pay(invoice_id, webhook=WebhookMode.STALE)

    assert {a.status for a in result.deliveries[0].attempts} == {400}
    assert await h.balance("u1") == 0


async def test_a_stars_payment_over_the_socket(served: tuple) -> None:
    _, client, _, _ = served
    response = await client.post("/api/payments/create-session", headers=SERVER, json={
        "packageId": "pro", "paymentMethod": "telegram", "userId": "u2"})
    session_id = response.json()["sessionId"]
    update = {"update_id": 1, "message": successful_payment(7, session_id, 500, "ch-9")}

    forged = await client.post("/api/telegram/webhook", json=update)
    genuine = await client.post("/api/telegram/webhook", json=update,
                                headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})

    assert (forged.status_code, genuine.status_code) == (403, 200)
    balance = await client.get("/api/users/u2/balance", headers=SERVER)
    assert balance.json() == {"userId": "u2", "balance": 1200, "debt": 0}
