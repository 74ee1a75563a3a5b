"""The Crypto Pay client against the sandbox over real loopback HTTP."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from starport.adapters.cryptopay import (
    CryptoPayClient,
    CryptoPayUnavailable,
    CurrencyType,
    ExpiresInInvalid,
    InvalidParameter,
    InvoiceNotFound,
    InvoiceStatus,
    Unauthorized,
)
from starport.adapters.cryptopay.provider import CryptoPayProvider
from starport.domain.catalog import CreditPackage
from starport.domain.money import FiatAmount
from starport.domain.providers import Provider
from starport.domain.sessions import PaymentSession


async def test_get_me(client):
    app = await client.get_me()

    assert app.app_id == 31337
    assert app.payment_processing_bot_username


async def test_create_a_crypto_invoice(client, sandbox):
    invoice = await client.create_invoice(
        amount=Decimal("12.50"),
        asset="USDT",
        payload="session-123",
        description="100 credits",
        hidden_message="Thanks!",
        paid_btn_name="openBot",
        paid_btn_url="https://t.me/starport_bot",
        expires_in=600,
    )

    assert invoice.status is InvoiceStatus.ACTIVE
    assert invoice.currency_type is CurrencyType.CRYPTO
    assert (invoice.asset, invoice.amount) == ("USDT", Decimal("12.5"))
    assert invoice.payload == "session-123"
    assert invoice.expiration_date - invoice.created_at == timedelta(seconds=600)
    assert invoice.bot_invoice_url.startswith("https://t.me/")
    # the amount travelled as a decimal string, never a float
    method, params = sandbox.calls[-1]
    assert (method, params["amount"]) == ("createInvoice", "12.50")


async def test_create_a_fiat_invoice(client):
    invoice = await client.create_invoice(
        amount=Decimal("9.99"), fiat="USD", accepted_assets=["USDT", "TON"]
    )

    assert invoice.currency_type is CurrencyType.FIAT
    assert (invoice.fiat, invoice.amount, invoice.asset) == ("USD", Decimal("9.99"), None)
    assert invoice.accepted_assets == ("USDT", "TON")


async def test_get_invoices_by_id_status_and_pages(client, sandbox):
    created = [
        await client.create_invoice(amount=Decimal(n), asset="TON", payload=f"s{n}")
        for n in range(1, 6)
    ]
    await sandbox.pay(created[0].invoice_id)

    by_ids = await client.get_invoices(invoice_ids=[created[1].invoice_id, created[3].invoice_id])
    paid = await client.get_invoices(status=InvoiceStatus.PAID)
    page = await client.get_invoices(offset=1, count=2)
    everything = [invoice async for invoice in client.iter_invoices(page_size=2)]

    assert sorted(i.payload for i in by_ids) == ["s2", "s4"]
    assert [i.invoice_id for i in paid] == [created[0].invoice_id]
    assert len(page) == 2
    assert sorted(i.invoice_id for i in everything) == sorted(i.invoice_id for i in created)


async def test_delete_an_invoice(client):
    invoice = await client.create_invoice(amount=Decimal("1"), asset="TON")

    assert await client.delete_invoice(invoice.invoice_id) is True
    assert await client.get_invoices(invoice_ids=[invoice.invoice_id]) == []
    with pytest.raises(InvoiceNotFound):
        await client.delete_invoice(invoice.invoice_id)


async def test_balance_grows_by_the_paid_amount_less_the_fee(client, sandbox):
    invoice = await client.create_invoice(amount=Decimal("10"), asset="USDT")
    await sandbox.pay(invoice.invoice_id)

    balances = {b.currency_code: b for b in await client.get_balance()}

    assert balances["USDT"].available == Decimal("9.7")  # 3% fee
    assert balances["TON"].available == Decimal("0")


async def test_currencies_and_fixed_exchange_rates(client):
    currencies = {c.code: c for c in await client.get_currencies()}
    rates = {(r.source, r.target): r.rate for r in await client.get_exchange_rates()}

    assert currencies["USDT"].is_stablecoin and currencies["USD"].is_fiat
    assert rates[("TON", "USD")] == Decimal("5.5")
    assert all(isinstance(rate, Decimal) for rate in rates.values())


async def test_a_wrong_token_is_unauthorized_and_not_retried(sandbox_url, sandbox):
    async with CryptoPayClient(f"{sandbox_url}/api", "1:AAwrong", retries=3, backoff=0) as client:
        with pytest.raises(Unauthorized) as caught:
            await client.get_me()

    assert len(sandbox.calls) == 1
    assert "AAwrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"amount": Decimal("0.001"), "asset": "USDT"}, "AMOUNT_TOO_SMALL"),
        ({"amount": Decimal("1"), "asset": "DOGE"}, "ASSET_INVALID"),
        ({"amount": Decimal("1"), "fiat": "XYZ"}, "FIAT_INVALID"),
        (
            {"amount": Decimal("1"), "fiat": "USD", "accepted_assets": ["EUR"]},
            "ACCEPTED_ASSETS_INVALID",
        ),
    ],
)
async def test_parameters_refused_by_the_api(client, kwargs, name):
    with pytest.raises(InvalidParameter) as caught:
        await client.create_invoice(**kwargs)

    assert caught.value.name == name


@pytest.mark.parametrize("expires_in", [0, 2_678_401])
async def test_expires_in_is_checked_before_anything_is_sent(client, sandbox, expires_in):
    with pytest.raises(ExpiresInInvalid):
        await client.create_invoice(amount=Decimal("1"), asset="TON", expires_in=expires_in)

    assert sandbox.calls == []


async def test_5xx_is_retried_until_the_api_recovers(client, sandbox):
    sandbox.fail_next(2)

    app = await client.get_me()

    assert app.app_id == 31337
    assert [method for method, _ in sandbox.calls] == ["getMe"] * 3


async def test_5xx_retries_are_bounded(client, sandbox):
    sandbox.fail_next(10)

    with pytest.raises(CryptoPayUnavailable) as caught:
        await client.get_balance()

    assert len(sandbox.calls) == 4  # one try and three retries
    assert caught.value.code == 500


async def test_an_unreachable_api_is_unavailable_after_retries(token):
    async with CryptoPayClient("http://127.0.0.1:9/api", token, retries=2, backoff=0) as client:
        with pytest.raises(CryptoPayUnavailable) as caught:
            await client.get_me()

    assert caught.value.name.startswith("NETWORK_")


async def test_a_fiat_session_is_payable_only_in_the_accepted_assets(client, sandbox):
    package = CreditPackage("plus", "Plus", 550, crypto=FiatAmount(Decimal("4.99"), "USD"))
    now = datetime.now(UTC)
    session = PaymentSession.open(session_id="s-assets", user_id="u1", package=package,
                                  provider=Provider.CRYPTOPAY, now=now,
                                  expires_at=now + timedelta(minutes=30))
    provider = CryptoPayProvider(client, accepted_assets=("USDT", "TON"))

    invoice = await provider.create_invoice(session, "Plus", "550 credits")

    [found] = await client.get_invoices(invoice_ids=[int(invoice.invoice_id or 0)])
    assert list(found.accepted_assets) == ["USDT", "TON"]
