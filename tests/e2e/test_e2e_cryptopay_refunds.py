"""A Crypto Pay payment refunded through `transfer` in the sandbox Crypto Pay, end to end: the
host app's user pays, an admin refunds over the REST API, the coins go back to the payer once."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
from e2e_support import balance, create_session, session
from features.drivers.http_cryptopay import invoice_of
from features.drivers.http_server import ADMIN_AUTH, SERVER_AUTH, Server

PAYER = 1001


async def paid_purchase(server: Server, user_id: str) -> tuple[str, Any]:
    """A Starter package (1.5 TON) bought with Crypto Pay by the host app's user."""
    created = await create_session(server, user_id, "cryptopay")
    invoice = invoice_of(server.cryptopay, created["sessionId"])
    paid = await server.cryptopay.pay(invoice.invoice_id)
    await server.settle()
    assert [d.state for d in paid.deliveries] == ["delivered"]
    return created["sessionId"], paid.invoice


async def refund(server: Server, session_id: str, path: str = "refund",
                 **body: Any) -> httpx.Response:
    return await server.http.post(f"/api/admin/payments/{session_id}/{path}",
                                  headers=ADMIN_AUTH, json=body)


async def sandbox_control(server: Server, path: str, body: dict[str, Any]) -> Any:
    """The sandbox Crypto Pay's own control API, as an operator of `make run` would use it."""
    response = await server.http.post(f"/sandbox/cryptopay/_sandbox/{path}", json=body)
    assert response.status_code == 200, response.text
    return response.json()["result"]


def ton_balance(server: Server) -> Decimal:
    return Decimal(server.cryptopay.api.ledger.available.get("TON", 0))


async def test_a_crypto_pay_payment_is_refunded_by_one_transfer_to_the_payer(
    server: Server,
) -> None:
    session_id, invoice = await paid_purchase(server, "bob")
    await sandbox_control(server, "balances", {"asset": "TON", "available": "10"})
    assert await balance(server, "bob") == 100

    # Nobody known paid a session the host app opened: the admin must say who
    unknown = await refund(server, session_id)
    # Transfers are off in a new Crypto Pay app: refused with what to do, nothing changed
    disabled = await refund(server, session_id, telegramUserId=PAYER)
    assert await balance(server, "bob") == 100
    assert server.cryptopay.transfers == []

    await sandbox_control(server, "transfers", {"enabled": True})
    first = await refund(server, session_id, telegramUserId=PAYER, reason="asked by Bob")
    after_first = (await balance(server, "bob"), ton_balance(server))
    again = await refund(server, session_id, telegramUserId=PAYER)

    assert unknown.status_code == 422, unknown.text
    assert unknown.json()["error"]["code"] == "payer_unknown"
    assert "telegramUserId" in unknown.json()["error"]["message"]
    assert disabled.status_code == 409, disabled.text
    assert disabled.json()["error"]["code"] == "provider_refused"
    assert "transfers are not enabled" in disabled.json()["error"]["message"]
    assert first.status_code == 200, first.text
    assert first.json() == {"sessionId": session_id, "credits": 100, "debt": 0,
                            "alreadyRefunded": False}
    [made] = server.cryptopay.transfers
    assert (made.user_id, made.asset, made.amount) == (PAYER, "TON", invoice.paid_amount)
    assert after_first == (0, Decimal(10) - Decimal("1.5"))
    assert again.status_code == 200 and again.json()["alreadyRefunded"] is True
    assert len(server.cryptopay.transfers) == 1  # no second transfer
    assert (await balance(server, "bob"), ton_balance(server)) == after_first
    assert (await session(server, session_id))["status"] == "refunded"


async def test_the_users_linked_telegram_account_gets_the_refund(server: Server) -> None:
    session_id, _ = await paid_purchase(server, "cat")
    linked = await server.http.post("/api/users/cat/telegram", headers=SERVER_AUTH,
                                    json={"telegramUserId": 2002})
    assert linked.status_code in (200, 201), linked.text
    server.cryptopay.enable_transfers()
    server.cryptopay.set_balance("TON", Decimal(10))

    refunded = await refund(server, session_id)

    assert refunded.status_code == 200, refunded.text
    assert [t.user_id for t in server.cryptopay.transfers] == [2002]
    assert await balance(server, "cat") == 0


async def test_a_crypto_pay_refund_made_outside_starport_can_be_recorded(server: Server) -> None:
    session_id, _ = await paid_purchase(server, "dan")
    server.cryptopay.enable_transfers()
    server.cryptopay.set_balance("TON", Decimal(10))

    named = await refund(server, session_id, "refund-recorded", telegramUserId=PAYER)
    recorded = await refund(server, session_id, "refund-recorded", reason="sent from @CryptoBot")
    then_refund = await refund(server, session_id, telegramUserId=PAYER)

    assert named.status_code == 422, named.text  # a recorded refund was sent already
    assert recorded.status_code == 200, recorded.text
    assert recorded.json()["alreadyRefunded"] is False
    assert then_refund.json()["alreadyRefunded"] is True
    assert server.cryptopay.transfers == []  # Starport sent nothing itself
    assert await balance(server, "dan") == 0
    assert (await session(server, session_id))["status"] == "refunded"
