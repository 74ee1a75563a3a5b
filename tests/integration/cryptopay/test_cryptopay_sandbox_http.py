"""The sandbox's wire format, as a client that is not ours would see it."""

import httpx
import pytest


@pytest.fixture
async def http(sandbox_url, token):
    headers = {"Crypto-Pay-API-Token": token}
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/api", headers=headers) as http:
        yield http


async def test_methods_answer_get_with_query_parameters(http):
    created = await http.get("/createInvoice", params={"asset": "TON", "amount": "1.5"})
    listed = await http.get("/getInvoices", params={"invoice_ids": "1,99", "count": "10"})

    assert created.json()["result"]["amount"] == "1.5"
    assert [i["invoice_id"] for i in listed.json()["result"]["items"]] == [1]


async def test_methods_answer_post_with_a_form_body(http):
    response = await http.post("/createInvoice", data={"asset": "USDT", "amount": "3"})

    assert response.json()["ok"] is True
    assert response.json()["result"]["asset"] == "USDT"


async def test_an_unknown_or_missing_token_is_unauthorized(sandbox_url):
    async with httpx.AsyncClient(base_url=f"{sandbox_url}/api") as anonymous:
        missing = await anonymous.post("/getMe")
        wrong = await anonymous.post("/getMe", headers={"Crypto-Pay-API-Token": "1:AAno"})

    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json() == {"ok": False, "error": {"code": 401, "name": "UNAUTHORIZED"}}


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"amount": "1"}, "PARAM_ASSET_REQUIRED"),
        ({"asset": "TON"}, "PARAM_AMOUNT_REQUIRED"),
        ({"currency_type": "fiat", "amount": "1"}, "PARAM_FIAT_REQUIRED"),
        ({"asset": "TON", "amount": "abc"}, "AMOUNT_INVALID"),
        ({"asset": "USDT", "amount": "0.001"}, "AMOUNT_TOO_SMALL"),
        ({"asset": "USDT", "amount": "1", "expires_in": 0}, "EXPIRES_IN_INVALID"),
        ({"asset": "USDT", "amount": "1", "expires_in": 2_678_401}, "EXPIRES_IN_INVALID"),
        ({"asset": "USDT", "amount": "1", "description": "d" * 1025}, "DESCRIPTION_TOO_LONG"),
        ({"asset": "USDT", "amount": "1", "hidden_message": "h" * 2049}, "HIDDEN_MESSAGE_TOO_LONG"),
        ({"asset": "USDT", "amount": "1", "payload": "p" * 4097}, "PAYLOAD_TOO_LONG"),
        (
            {"asset": "USDT", "amount": "1", "paid_btn_name": "viewItem"},
            "PARAM_PAID_BTN_URL_REQUIRED",
        ),
        ({"asset": "USDT", "amount": "1", "paid_btn_name": "x"}, "PAID_BTN_NAME_INVALID"),
    ],
)
async def test_create_invoice_validation_errors(http, params, name):
    response = await http.post("/createInvoice", json=params)

    assert response.status_code == 400
    assert response.json() == {"ok": False, "error": {"code": 400, "name": name}}


async def test_limits_are_inclusive(http):
    response = await http.post(
        "/createInvoice",
        json={
            "asset": "USDT",
            "amount": "1",
            "expires_in": 2_678_400,
            "description": "d" * 1024,
            "hidden_message": "h" * 2048,
            "payload": "p" * 4096,
        },
    )

    assert response.json()["ok"] is True


async def test_an_unknown_method_is_not_found(http):
    response = await http.post("/transferEverything")

    assert response.status_code == 405
    assert response.json()["error"]["name"] == "METHOD_NOT_FOUND"


async def test_paging_and_bad_paging(http):
    for amount in ("1", "2", "3"):
        await http.post("/createInvoice", json={"asset": "TON", "amount": amount})

    page = await http.post("/getInvoices", json={"offset": 1, "count": 1})
    too_many = await http.post("/getInvoices", json={"count": 1001})

    assert [i["amount"] for i in page.json()["result"]["items"]] == ["2"]  # newest first
    assert too_many.json()["error"]["name"] == "COUNT_INVALID"


async def test_the_pay_page_lives_under_the_mount_prefix_and_pays(http, sandbox_url, sandbox):
    created = await http.post(
        "/createInvoice",
        json={"fiat": "USD", "currency_type": "fiat", "amount": "5", "accepted_assets": "TON"},
    )
    invoice = created.json()["result"]
    assert invoice["web_app_invoice_url"].startswith(f"{sandbox_url}/pay/")

    async with httpx.AsyncClient() as browser:
        page = await browser.get(invoice["web_app_invoice_url"])
        paid = await browser.post(invoice["web_app_invoice_url"], data={"asset": "TON"})
    await sandbox.drain()

    assert page.status_code == 200 and "Pay 5 USD" in page.text
    assert paid.status_code == 303
    assert sandbox.invoice(invoice["invoice_id"]).paid_asset == "TON"
