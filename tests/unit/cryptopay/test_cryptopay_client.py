"""CryptoPayClient over a mock transport: what it sends, what it parses, how it fails."""

import json
from decimal import Decimal

import httpx
import pytest
from structlog.testing import capture_logs

from starport.adapters.cryptopay import (
    CryptoPayClient,
    CryptoPayError,
    CryptoPayUnavailable,
    ExpiresInInvalid,
    InvalidParameter,
    InvalidResponse,
    InvoiceNotFound,
    MethodDisabled,
    MethodNotFound,
    TooManyRequests,
    Unauthorized,
)

TOKEN = "4242:AAsecretSecretSecret"
BASE = "https://testnet-pay.crypt.bot/api"
INVOICE = {
    "invoice_id": 1,
    "hash": "IVabc",
    "currency_type": "crypto",
    "asset": "USDT",
    "amount": "10.50",
    "status": "active",
    "created_at": "2024-05-01T10:00:00.000Z",
    "bot_invoice_url": "https://t.me/CryptoBot?start=IVabc",
}


class Api:
    """A scripted Crypto Pay: answers in order, records every request."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def bodies(self):
        return [json.loads(request.content) for request in self.requests]


def ok(result, status=200):
    return httpx.Response(status, json={"ok": True, "result": result})


def err(code, name):
    return httpx.Response(code, json={"ok": False, "error": {"code": code, "name": name}})


def make_client(api, sleeps=None, **kwargs):
    async def sleep(seconds):
        if sleeps is not None:
            sleeps.append(seconds)

    http = httpx.AsyncClient(transport=httpx.MockTransport(api))
    return CryptoPayClient(BASE, TOKEN, http, sleep=sleep, **kwargs)


async def test_create_invoice_posts_decimal_strings_with_the_token_header():
    api = Api(ok(INVOICE))
    client = make_client(api)

    invoice = await client.create_invoice(
        amount=Decimal("10.50"),
        asset="usdt",
        payload="session-1",
        description="100 credits",
        paid_btn_name="openBot",
        paid_btn_url="https://t.me/starport_bot",
        expires_in=900,
    )

    (request,) = api.requests
    assert request.method == "POST"
    assert str(request.url) == f"{BASE}/createInvoice"
    assert request.headers["Crypto-Pay-API-Token"] == TOKEN
    assert api.bodies()[0] == {
        "amount": "10.50",
        "currency_type": "crypto",
        "asset": "USDT",
        "payload": "session-1",
        "description": "100 credits",
        "paid_btn_name": "openBot",
        "paid_btn_url": "https://t.me/starport_bot",
        "expires_in": 900,
    }
    assert invoice.amount == Decimal("10.50")
    assert invoice.invoice_id == 1


async def test_fiat_invoices_send_currency_type_fiat_and_accepted_assets():
    api = Api(ok(INVOICE | {"currency_type": "fiat", "fiat": "USD", "asset": None}))
    client = make_client(api)

    await client.create_invoice(amount=Decimal("1E+1"), fiat="USD", accepted_assets=["USDT", "TON"])

    assert api.bodies()[0] == {
        "amount": "10",
        "currency_type": "fiat",
        "fiat": "USD",
        "accepted_assets": "USDT,TON",
    }


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"expires_in": 0}, ExpiresInInvalid),
        ({"expires_in": 2_678_401}, ExpiresInInvalid),
        ({"expires_in": True}, ExpiresInInvalid),
        ({"expires_in": 60.0}, ExpiresInInvalid),
        ({"amount": 10.5}, InvalidParameter),
        ({"amount": Decimal(0)}, InvalidParameter),
        ({"amount": Decimal("NaN")}, InvalidParameter),
        ({"description": "x" * 1025}, InvalidParameter),
        ({"hidden_message": "x" * 2049}, InvalidParameter),
        ({"payload": "é" * 2049}, InvalidParameter),  # 4098 bytes in UTF-8
        ({"paid_btn_name": "openBot"}, InvalidParameter),
        ({"paid_btn_name": "dance", "paid_btn_url": "https://x.y"}, InvalidParameter),
        ({"paid_btn_name": "openBot", "paid_btn_url": "ftp://x.y"}, InvalidParameter),
        ({"fiat": "USD"}, InvalidParameter),  # both asset and fiat
        ({"asset": None}, InvalidParameter),  # neither
        ({"accepted_assets": ["TON"]}, InvalidParameter),  # only for fiat invoices
    ],
)
async def test_invalid_invoices_are_refused_before_anything_is_sent(kwargs, error):
    api = Api(ok(INVOICE))
    client = make_client(api)
    params = {"amount": Decimal("1"), "asset": "USDT"} | kwargs

    with pytest.raises(error):
        await client.create_invoice(**params)

    assert api.requests == []


@pytest.mark.parametrize("expires_in", [1, 2_678_400])
async def test_expires_in_bounds_are_inclusive(expires_in):
    api = Api(ok(INVOICE))

    await make_client(api).create_invoice(amount=Decimal(1), asset="TON", expires_in=expires_in)

    assert api.bodies()[0]["expires_in"] == expires_in


async def test_amounts_in_json_numbers_are_parsed_as_exact_decimals():
    raw = b'{"ok":true,"result":[{"currency_code":"TON","available":0.1,"onhold":"0"}]}'
    client = make_client(Api(httpx.Response(200, content=raw)))

    (balance,) = await client.get_balance()

    assert balance.available == Decimal("0.1")
    assert isinstance(balance.available, Decimal)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (err(400, "INVOICE_NOT_FOUND"), InvoiceNotFound),
        (err(401, "UNAUTHORIZED"), Unauthorized),
        (err(400, "EXPIRES_IN_INVALID"), ExpiresInInvalid),
        (err(400, "AMOUNT_TOO_SMALL"), InvalidParameter),
        (err(403, "METHOD_DISABLED"), MethodDisabled),
        (err(405, "METHOD_NOT_FOUND"), MethodNotFound),
        (err(429, "TOO_MANY_REQUESTS"), TooManyRequests),
        (httpx.Response(404, text="<html>nope</html>"), CryptoPayError),
        (httpx.Response(200, text="<html>proxy</html>"), InvalidResponse),
        (ok({"unexpected": True}), InvalidResponse),
    ],
)
async def test_errors_are_typed_and_4xx_is_not_retried(answer, error):
    api = Api(answer)

    with pytest.raises(error) as caught:
        await make_client(api).delete_invoice(1)

    assert len(api.requests) == 1
    assert caught.value.method == "deleteInvoice"


async def test_error_carries_the_api_code_and_name():
    with pytest.raises(InvalidParameter) as caught:
        await make_client(Api(err(400, "AMOUNT_TOO_SMALL"))).get_me()

    assert (caught.value.code, caught.value.name) == (400, "AMOUNT_TOO_SMALL")


async def test_5xx_and_network_errors_are_retried_with_capped_exponential_backoff():
    me = {"app_id": 1, "name": "x", "payment_processing_bot_username": "CryptoBot"}
    api = Api(
        err(500, "INTERNAL_ERROR"), httpx.ConnectError("refused"), httpx.Response(502), ok(me)
    )
    sleeps: list[float] = []
    client = make_client(api, sleeps, retries=3, backoff=0.5, max_backoff=1.5)

    app = await client.get_me()

    assert app.payment_processing_bot_username == "CryptoBot"
    assert len(api.requests) == 4
    assert sleeps == [0.5, 1.0, 1.5]


async def test_retries_are_bounded_then_unavailable():
    api = Api(err(503, "SERVICE_UNAVAILABLE"))
    sleeps: list[float] = []

    with pytest.raises(CryptoPayUnavailable) as caught:
        await make_client(api, sleeps, retries=2, backoff=0.1).get_balance()

    assert len(api.requests) == 3
    assert len(sleeps) == 2
    assert caught.value.name == "SERVICE_UNAVAILABLE"


async def test_the_token_never_shows_in_repr_errors_or_logs():
    api = Api(httpx.ConnectError("refused"), err(500, "X"), err(401, "UNAUTHORIZED"))
    client = make_client(api, retries=3)

    with capture_logs() as logs, pytest.raises(Unauthorized) as caught:
        await client.get_me()

    assert logs, "retries should be logged"
    for text in (repr(client), str(caught.value), repr(caught.value), repr(logs)):
        assert TOKEN not in text
        assert "secret" not in text.lower()


async def test_iter_invoices_pages_until_a_short_page_and_skips_repeats():
    page1 = [INVOICE | {"invoice_id": 5}, INVOICE | {"invoice_id": 4}]
    # an invoice created meanwhile shifts the list: 4 shows up again on page 2
    page2 = [INVOICE | {"invoice_id": 4}, INVOICE | {"invoice_id": 3}]
    page3 = [INVOICE | {"invoice_id": 2}]
    api = Api(ok({"items": page1}), ok({"items": page2}), ok({"items": page3}))

    ids = [invoice.invoice_id async for invoice in make_client(api).iter_invoices(page_size=2)]

    assert ids == [5, 4, 3, 2]
    assert [(b["offset"], b["count"]) for b in api.bodies()] == [(0, 2), (2, 2), (4, 2)]


@pytest.mark.parametrize("count", [0, 1001])
async def test_page_size_is_checked_locally(count):
    api = Api(ok({"items": []}))

    with pytest.raises(InvalidParameter):
        await make_client(api).get_invoices(count=count)

    assert api.requests == []


async def test_get_invoices_filters_are_encoded():
    api = Api(ok({"items": [INVOICE]}))

    (invoice,) = await make_client(api).get_invoices(
        invoice_ids=[1, 2], status="paid", asset="TON", offset=5, count=10
    )

    assert api.bodies()[0] == {
        "invoice_ids": "1,2",
        "status": "paid",
        "asset": "TON",
        "offset": 5,
        "count": 10,
    }
    assert invoice.hash == "IVabc"


async def test_a_lent_http_client_is_not_closed():
    http = httpx.AsyncClient(transport=httpx.MockTransport(Api(ok(True))))

    async with CryptoPayClient(BASE, TOKEN, http) as client:
        assert await client.delete_invoice(1) is True

    assert not http.is_closed
    await http.aclose()
