"""Parsing a verified webhook update: Decimal amounts, aware dates, typed errors."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from starport.adapters.cryptopay import (
    CurrencyType,
    InvalidSignature,
    InvoiceStatus,
    MalformedUpdate,
    parse_update,
    sign,
    verify_and_parse,
)

TOKEN = "123456789:AAzQcZWQqQAbsfgPnOLr4FHC8Doa4L7KryC"

INVOICE = {
    "invoice_id": 528890,
    "hash": "IVDoTcNBYEfk",
    "currency_type": "fiat",
    "fiat": "USD",
    "amount": "9.99",
    "accepted_assets": ["USDT", "TON"],
    "paid_asset": "TON",
    "paid_amount": "1.816363637",
    "paid_fiat_rate": "5.5",
    "paid_usd_rate": "5.5",
    "fee_asset": "TON",
    "fee_amount": "0.054490909",
    "bot_invoice_url": "https://t.me/CryptoTestnetBot?start=IVDoTcNBYEfk",
    "status": "paid",
    "created_at": "2024-01-01T11:59:00.000Z",
    "paid_at": "2024-01-01T12:00:00.123Z",
    "allow_comments": True,
    "allow_anonymous": False,
    "paid_anonymously": False,
    "payload": "session-42",
    "description": "Ünïcode 100 credits",
}


def body(**overrides):
    update = {
        "update_id": 7,
        "update_type": "invoice_paid",
        "request_date": "2024-01-01T12:00:00.500Z",
        "payload": INVOICE,
    } | overrides
    return json.dumps(update, separators=(",", ":"), ensure_ascii=False).encode()


def test_parses_a_full_update():
    update = parse_update(body())

    assert update.update_id == 7
    assert update.update_type == "invoice_paid"
    assert update.request_date == datetime(2024, 1, 1, 12, 0, 0, 500000, tzinfo=UTC)
    invoice = update.payload
    assert invoice.status is InvoiceStatus.PAID and invoice.is_paid
    assert invoice.currency_type is CurrencyType.FIAT
    assert invoice.amount == Decimal("9.99")
    assert invoice.paid_amount == Decimal("1.816363637")
    assert invoice.paid_fiat_rate == Decimal("5.5")
    assert invoice.accepted_assets == ("USDT", "TON")
    assert invoice.paid_at == datetime(2024, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)
    assert invoice.payload == "session-42"
    assert invoice.description == "Ünïcode 100 credits"


def test_numbers_sent_as_json_numbers_still_become_exact_decimals():
    update = parse_update(body(payload=INVOICE | {"amount": 0.1, "paid_amount": 12.30}))

    assert update.payload.amount == Decimal("0.1")
    assert isinstance(update.payload.amount, Decimal)
    assert update.payload.paid_amount == Decimal("12.30")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"[1, 2]",
        b'{"update_id": 1}',
        b"\xff\xfe",
        body(update_id="seven"),
        body(update_id=True),
        body(request_date="yesterday"),
        body(update_type=""),
        body(payload="528890"),
        body(payload=INVOICE | {"status": "refunded"}),
        body(payload=INVOICE | {"amount": "lots"}),
        body(payload={k: v for k, v in INVOICE.items() if k != "invoice_id"}),
    ],
)
def test_malformed_updates_raise_a_typed_error(raw):
    with pytest.raises(MalformedUpdate):
        parse_update(raw)


def test_a_signed_but_incomplete_invoice_is_malformed():
    # The signature known-answer body carries a stub invoice without amount or dates.
    stub = b'{"update_id":1,"update_type":"invoice_paid","request_date":"2024-01-01T12:00:00.000Z","payload":{"invoice_id":528890,"hash":"IVDoTcNBYEfk","status":"paid"}}'  # noqa: E501

    with pytest.raises(MalformedUpdate):
        verify_and_parse(TOKEN, stub, sign(TOKEN, stub))


def test_verify_and_parse_checks_the_signature_before_reading_the_body():
    raw = body()

    assert verify_and_parse(TOKEN, raw, sign(TOKEN, raw)).update_id == 7
    with pytest.raises(InvalidSignature):
        verify_and_parse(TOKEN, raw, sign("other:token", raw))
    with pytest.raises(InvalidSignature):
        verify_and_parse(TOKEN, b"garbage", None)
