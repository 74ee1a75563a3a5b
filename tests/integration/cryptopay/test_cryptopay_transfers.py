"""Refunds by transfer: the client's transfer and getTransfers, and the provider's refund,
against the sandbox Crypto Pay over real loopback HTTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from starport.adapters.cryptopay import (
    InsufficientFunds,
    InvalidParameter,
    MethodDisabled,
    Transfer,
)
from starport.adapters.cryptopay.provider import CryptoPayProvider, refund_spend_id
from starport.application.ports import ProviderRefused
from starport.domain.catalog import CreditPackage
from starport.domain.money import FiatAmount
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession


def balance_of(sandbox, asset):
    return sandbox.api.ledger.available.get(asset, Decimal(0))


async def test_a_transfer_moves_coins_from_the_app_to_the_user(client, sandbox):
    sandbox.enable_transfers()
    sandbox.set_balance("USDT", Decimal("20"))

    made = await client.transfer(user_id=1001, asset="USDT", amount=Decimal("7.25"),
                                 spend_id="refund-1", comment="Refund of invoice 1")

    assert isinstance(made, Transfer)
    assert (made.user_id, made.asset, made.amount, made.status) == (
        1001, "USDT", Decimal("7.25"), "completed")
    assert (made.spend_id, made.comment) == ("refund-1", "Refund of invoice 1")
    assert made.completed_at.tzinfo is not None
    assert balance_of(sandbox, "USDT") == Decimal("12.75")
    method, params = sandbox.calls[-1]
    assert (method, params["amount"], params["spend_id"]) == ("transfer", "7.25", "refund-1")


async def test_the_same_spend_id_sends_nothing_twice(client, sandbox):
    sandbox.enable_transfers()
    sandbox.set_balance("TON", Decimal("10"))

    first = await client.transfer(user_id=7, asset="TON", amount=Decimal("2"), spend_id="s-1")
    again = await client.transfer(user_id=7, asset="TON", amount=Decimal("2"), spend_id="s-1")

    assert again == first
    assert len(sandbox.transfers) == 1
    assert balance_of(sandbox, "TON") == Decimal("8")


async def test_transfers_are_off_until_the_app_enables_them(client, sandbox):
    sandbox.set_balance("USDT", Decimal("20"))

    with pytest.raises(MethodDisabled) as refused:
        await client.transfer(user_id=7, asset="USDT", amount=Decimal("5"), spend_id="s-1")

    assert (refused.value.code, refused.value.name) == (403, "METHOD_DISABLED")
    assert sandbox.transfers == []
    assert balance_of(sandbox, "USDT") == Decimal("20")


async def test_a_transfer_beyond_the_balance_is_insufficient_funds(client, sandbox):
    sandbox.enable_transfers()
    sandbox.set_balance("USDT", Decimal("4.99"))

    with pytest.raises(InsufficientFunds):
        await client.transfer(user_id=7, asset="USDT", amount=Decimal("5"), spend_id="s-1")

    assert sandbox.transfers == []
    assert balance_of(sandbox, "USDT") == Decimal("4.99")


@pytest.mark.parametrize(
    ("asset", "amount", "name"),
    [("USDT", "0.5", "AMOUNT_TOO_SMALL"), ("BTC", "1", "AMOUNT_TOO_LARGE"),
     ("DOGE", "5", "ASSET_INVALID")],
)
async def test_transfer_limits_of_the_api(client, sandbox, asset, amount, name):
    sandbox.enable_transfers()
    sandbox.set_balance("BTC", Decimal("2"))

    with pytest.raises(InvalidParameter) as refused:
        await client.transfer(user_id=7, asset=asset, amount=Decimal(amount), spend_id="s-1")

    assert refused.value.name == name
    assert sandbox.transfers == []


async def test_a_long_spend_id_is_refused_before_anything_is_sent(client, sandbox):
    sandbox.enable_transfers()

    with pytest.raises(InvalidParameter) as refused:
        await client.transfer(user_id=7, asset="TON", amount=Decimal(1), spend_id="x" * 65)

    assert refused.value.name == "SPEND_ID_TOO_LONG"
    assert sandbox.calls == []


async def test_get_transfers_by_spend_id_and_ids(client, sandbox):
    sandbox.enable_transfers()
    sandbox.set_balance("TON", Decimal("10"))
    one = await client.transfer(user_id=7, asset="TON", amount=Decimal(1), spend_id="a")
    two = await client.transfer(user_id=8, asset="TON", amount=Decimal(1), spend_id="b")

    by_spend = await client.get_transfers(spend_id="b")
    by_ids = await client.get_transfers(transfer_ids=[one.transfer_id])
    everything = await client.get_transfers(asset="TON")
    none = await client.get_transfers(spend_id="c")

    assert by_spend == [two]
    assert by_ids == [one]
    assert everything == [two, one]  # newest first
    assert none == []


async def test_the_control_api_switches_transfers_and_lists_them(sandbox_url, client, sandbox):
    sandbox.set_balance("TON", Decimal("10"))
    async with httpx.AsyncClient(base_url=sandbox_url) as http:
        switched = await http.post("/_sandbox/transfers", json={"enabled": True})
        await client.transfer(user_id=7, asset="TON", amount=Decimal(1), spend_id="a")
        listed = await http.get("/_sandbox/transfers")
        bad = await http.post("/_sandbox/transfers", json={"enabled": "yes"})

    assert switched.json()["result"] == {"enabled": True, "transfers": []}
    assert [t["spend_id"] for t in listed.json()["result"]["transfers"]] == ["a"]
    assert bad.status_code == 400
    assert sandbox.api.transfers.enabled


async def test_a_reset_forgets_transfers_but_keeps_the_setting(client, sandbox):
    sandbox.enable_transfers()
    sandbox.set_balance("TON", Decimal("10"))
    await client.transfer(user_id=7, asset="TON", amount=Decimal(1), spend_id="a")

    sandbox.reset()

    assert sandbox.transfers == []
    assert sandbox.api.transfers.enabled


async def paid_fiat_invoice(client, sandbox, provider):
    """A 5 USD session's invoice, paid in TON; the app's balance topped up to cover refunds."""
    now = datetime.now(UTC)
    package = CreditPackage("plus", "Plus", 550, crypto=FiatAmount(Decimal(5), "USD"))
    session = PaymentSession.open(session_id="s-refund", user_id="u1", package=package,
                                  provider=Provider.CRYPTOPAY, now=now,
                                  expires_at=now + timedelta(minutes=30))
    invoice = await provider.create_invoice(session, "Plus", "550 credits")
    paid = await sandbox.pay(int(invoice.invoice_id or 0), paid_asset="TON")
    sandbox.set_balance("TON", Decimal(5))
    return paid.invoice


async def test_the_provider_refunds_what_was_paid_to_the_payer_once(client, sandbox):
    sandbox.enable_transfers()
    provider = CryptoPayProvider(client)
    invoice = await paid_fiat_invoice(client, sandbox, provider)
    charge_id = str(invoice.invoice_id)

    await provider.refund(charge_id, 1001)
    await provider.refund(charge_id, 1001)  # asked again (a retry): no second transfer

    [made] = sandbox.transfers
    assert (made.user_id, made.asset, made.amount) == (1001, "TON", invoice.paid_amount)
    assert made.spend_id == refund_spend_id(charge_id)
    assert balance_of(sandbox, "TON") == Decimal(5) - invoice.paid_amount


async def test_the_provider_says_what_to_do_when_transfers_are_off(client, sandbox):
    provider = CryptoPayProvider(client)
    invoice = await paid_fiat_invoice(client, sandbox, provider)

    with pytest.raises(ProviderRefused) as refused:
        await provider.refund(str(invoice.invoice_id), 1001)

    assert "transfers are not enabled" in str(refused.value)
    assert "@CryptoBot" in str(refused.value)
    assert sandbox.transfers == []


async def test_the_provider_says_when_the_balance_is_short(client, sandbox):
    sandbox.enable_transfers()
    provider = CryptoPayProvider(client)
    invoice = await paid_fiat_invoice(client, sandbox, provider)
    sandbox.set_balance("TON", Decimal("0.1"))

    with pytest.raises(ProviderRefused) as refused:
        await provider.refund(str(invoice.invoice_id), 1001)

    assert f"{invoice.paid_amount} TON" in str(refused.value)
    assert sandbox.transfers == []
