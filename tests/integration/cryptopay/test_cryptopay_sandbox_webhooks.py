"""The sandbox as a payer: signed invoice_paid webhooks, faults, and what our side can verify."""

import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from starport.adapters.cryptopay import InvoiceStatus, parse_update, verify_signature
from starport.sandbox.cryptopay import ApiError, WebhookMode

ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


async def paid_update(receiver, token, index=0):
    headers, body = receiver.received[index]
    assert verify_signature(token, body, headers.get("crypto-pay-api-signature"))
    return parse_update(body)


async def test_a_paid_invoice_sends_a_correctly_signed_compact_webhook(
    client, sandbox, receiver, token
):
    # Given a webhook URL and an invoice for a session
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("2.5"), asset="TON", payload="session-9")

    # When the payer pays it in full
    await sandbox.pay(invoice.invoice_id, comment="thanks")

    # Then one update arrives, signed over its exact bytes
    (body,) = receiver.bodies
    update = await paid_update(receiver, token)
    assert update.update_type == "invoice_paid"
    assert update.payload.invoice_id == invoice.invoice_id
    assert update.payload.status is InvoiceStatus.PAID
    assert update.payload.payload == "session-9"
    assert (update.payload.paid_asset, update.payload.paid_amount) == ("TON", Decimal("2.5"))
    assert update.payload.comment == "thanks"
    raw = json.loads(body)
    assert body == json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode()
    assert ISO_MS_Z.match(raw["request_date"])
    signature = receiver.received[0][0]["crypto-pay-api-signature"]
    assert not verify_signature("31337:AAanotherToken", body, signature)


async def test_a_fiat_invoice_is_paid_in_a_chosen_accepted_asset(client, sandbox, receiver, token):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("10"), fiat="USD", accepted_assets=["TON"])

    await sandbox.pay(invoice.invoice_id, paid_asset="TON")

    paid = (await paid_update(receiver, token)).payload
    assert (paid.fiat, paid.paid_asset, paid.paid_fiat_rate) == ("USD", "TON", Decimal("5.5"))
    assert paid.paid_amount == Decimal("1.818181819")  # 10 / 5.5, rounded up to 9 decimals
    assert paid.paid_amount * paid.paid_fiat_rate >= paid.amount
    with pytest.raises(ApiError, match="INVOICE_PAID"):
        await sandbox.pay(invoice.invoice_id)


async def test_a_fiat_invoice_refuses_an_asset_it_does_not_accept(client, sandbox):
    invoice = await client.create_invoice(amount=Decimal("10"), fiat="EUR", accepted_assets=["TON"])

    with pytest.raises(ApiError, match="PAID_ASSET_NOT_ACCEPTED"):
        await sandbox.pay(invoice.invoice_id, paid_asset="BTC")

    (still,) = await client.get_invoices(invoice_ids=[invoice.invoice_id])
    assert still.status is InvoiceStatus.ACTIVE


async def test_underpayment_fault_injection(client, sandbox, receiver, token):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("10"), asset="USDT")

    await sandbox.underpay(invoice.invoice_id, paid_amount=Decimal("9.99"))

    paid = (await paid_update(receiver, token)).payload
    assert paid.status is InvoiceStatus.PAID
    assert paid.paid_amount == Decimal("9.99") < paid.amount
    assert sandbox.invoice(invoice.invoice_id).underpaid


async def test_a_dropped_webhook_is_not_delivered_but_polling_sees_the_payment(
    client, sandbox, receiver
):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    await sandbox.pay(invoice.invoice_id, webhook=WebhookMode.DROP)

    assert receiver.received == []
    assert [d.state for d in sandbox.deliveries] == ["dropped"]
    (polled,) = await client.get_invoices(invoice_ids=[invoice.invoice_id])
    assert polled.status is InvoiceStatus.PAID

    # and it can be sent later
    await sandbox.redeliver(invoice.invoice_id)
    assert len(receiver.received) == 1


async def test_a_replayed_webhook_arrives_twice_identically(client, sandbox, receiver, token):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    await sandbox.pay(invoice.invoice_id, webhook=WebhookMode.REPLAY)

    first, second = receiver.bodies
    assert first == second
    assert (await paid_update(receiver, token, 1)).update_id == parse_update(first).update_id


async def test_a_stale_webhook_has_an_old_request_date(client, sandbox, receiver, token):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    await sandbox.pay(invoice.invoice_id, webhook=WebhookMode.STALE)

    update = await paid_update(receiver, token)
    assert update.request_date < datetime.now(UTC) - timedelta(hours=23)


async def test_delivery_is_retried_until_a_2xx(client, sandbox, receiver, token):
    sandbox.set_webhook(receiver.url)
    receiver.statuses = [500, 503]
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    (delivery,) = (await sandbox.pay(invoice.invoice_id)).deliveries

    assert [attempt.status for attempt in delivery.attempts] == [500, 503, 200]
    assert delivery.delivered
    assert len(set(receiver.bodies)) == 1  # the same bytes every time
    await paid_update(receiver, token, 2)


async def test_delivery_gives_up_after_bounded_retries(client, sandbox, receiver):
    sandbox.set_webhook(receiver.url, retries=2)
    receiver.statuses = [500] * 10
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    (delivery,) = (await sandbox.pay(invoice.invoice_id)).deliveries

    assert delivery.state == "failed"
    assert len(receiver.received) == 3


async def test_an_unreachable_webhook_url_fails_without_breaking_the_payment(client, sandbox):
    sandbox.set_webhook("http://127.0.0.1:9/hook", retries=1)
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    (delivery,) = (await sandbox.pay(invoice.invoice_id)).deliveries

    assert delivery.state == "failed"
    assert all(attempt.status is None for attempt in delivery.attempts)
    assert sandbox.invoice(invoice.invoice_id).status == "paid"


async def test_background_delivery_is_awaited_by_drain(client, sandbox, receiver):
    sandbox.set_webhook(receiver.url)
    invoice = await client.create_invoice(amount=Decimal("3"), asset="USDT")

    await sandbox.pay(invoice.invoice_id, wait=False)
    await sandbox.drain()

    assert len(receiver.received) == 1


async def test_expiry_explicit_and_by_time(client, sandbox):
    now = [datetime(2024, 1, 1, tzinfo=UTC)]
    sandbox.clock = lambda: now[0]
    explicit = await client.create_invoice(amount=Decimal("3"), asset="USDT")
    timed = await client.create_invoice(amount=Decimal("3"), asset="USDT", expires_in=60)

    sandbox.expire(explicit.invoice_id)
    now[0] += timedelta(seconds=61)

    statuses = {i.invoice_id: i.status for i in await client.get_invoices()}
    assert statuses == {explicit.invoice_id: InvoiceStatus.EXPIRED, timed.invoice_id: "expired"}
    with pytest.raises(ApiError, match="INVOICE_EXPIRED"):
        await sandbox.pay(timed.invoice_id)


async def test_control_routes_play_the_payer_over_http(client, sandbox_url, receiver, token):
    invoice = await client.create_invoice(amount=Decimal("5"), fiat="USD", accepted_assets=["TON"])
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/_sandbox") as http:
        set_hook = await http.post("/webhook", json={"url": receiver.url, "retries": 1})
        paid = await http.post(f"/invoices/{invoice.invoice_id}/pay", json={"paid_asset": "TON"})
        again = await http.post(f"/invoices/{invoice.invoice_id}/pay", json={})
        deliveries = await http.get("/deliveries")
        await http.post("/faults", json={"fail_next": 1})

    assert set_hook.json()["result"]["url"] == receiver.url
    assert paid.json()["result"]["invoice"]["status"] == "paid"
    assert paid.json()["result"]["deliveries"][0]["state"] == "delivered"
    assert again.status_code == 400
    assert again.json() == {"ok": False, "error": {"code": 400, "name": "INVOICE_PAID"}}
    assert [d["state"] for d in deliveries.json()["result"]] == ["delivered"]
    assert (await paid_update(receiver, token)).payload.paid_asset == "TON"
    assert (await client.get_me()).app_id == 31337  # the injected 500 was retried


async def test_control_routes_underpay_expire_drop(client, sandbox_url, receiver):
    one = await client.create_invoice(amount=Decimal("5"), asset="USDT")
    two = await client.create_invoice(amount=Decimal("5"), asset="USDT")
    three = await client.create_invoice(amount=Decimal("5"), asset="USDT")
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/_sandbox") as http:
        await http.post("/webhook", json={"url": receiver.url})
        short = await http.post(f"/invoices/{one.invoice_id}/underpay", json={"fraction": "0.5"})
        await http.post(f"/invoices/{two.invoice_id}/expire")
        await http.post(f"/invoices/{three.invoice_id}/pay", json={"webhook": "drop"})

    assert short.json()["result"]["invoice"]["paid_amount"] == "2.5"
    states = {i.invoice_id: i.status for i in await client.get_invoices()}
    assert states == {one.invoice_id: "paid", two.invoice_id: "expired", three.invoice_id: "paid"}
    assert len(receiver.received) == 1
