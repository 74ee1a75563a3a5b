"""The example Mini App at /miniapp/ in a real browser against the sandbox: the stand-in for
Telegram's WebApp gets signed initData, the page buys credits with Telegram Stars and with
Crypto Pay, and the host API agrees with the balance it shows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from chromium_page import browser_page
from e2e_support import balance
from features.drivers.http_database import sqlite_url
from features.drivers.http_server import Server, mini_app_auth, running_server

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "miniapp" / "miniapp.png"
WAIT_MS = 15_000  # ms: what the page may take to show a result
pytestmark = pytest.mark.slow  # a browser per test
OWN_TOKEN = "7000000002:AAownBotTokenOfTheOperatorForTheTests"  # not the sandbox's


async def open_page(page: Any, server: Server, user: int, name: str) -> None:
    """The Mini App as sandbox user `user`, once it lists the packages."""
    from playwright.async_api import expect

    await page.goto(f"{server.base_url}/miniapp/?user={user}&name={name}")
    await expect(page.locator("#status")).to_have_text("Choose a package.", timeout=WAIT_MS)


async def test_the_page_buys_credits_with_stars_and_crypto_pay(server: Server) -> None:
    from playwright.async_api import expect

    outside: list[str] = []
    async with browser_page(outside) as page:
        await open_page(page, server, 4242, "Ann")
        await expect(page.locator("#who")).to_have_text("Hello, Ann")
        await expect(page.locator("#balance")).to_have_text("0 credits")

        await page.click("button[data-package=starter][data-method=telegram_stars]")
        await page.locator("#sandbox-invoice button", has_text="Pay").click()
        await expect(page.locator("#status")).to_have_text("Paid: 100 credits added.",
                                                           timeout=WAIT_MS)
        await expect(page.locator("#balance")).to_have_text("100 credits")
        assert await balance(server, "4242") == 100

        async with page.expect_popup() as opened:
            await page.click("button[data-package=plus][data-method=cryptopay]")
        payment_page = await opened.value
        await payment_page.click("button[type=submit]")
        await expect(page.locator("#status")).to_have_text("Paid: 550 credits added.",
                                                           timeout=WAIT_MS)
        await expect(page.locator("#balance")).to_have_text("650 credits")
        assert await balance(server, "4242") == 650
        await payment_page.close()
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT))
    assert outside == []  # no CDN, no telegram.org: the sandbox page needs no network


async def test_a_cancelled_invoice_changes_nothing(server: Server) -> None:
    from playwright.async_api import expect

    async with browser_page([]) as page:
        await open_page(page, server, 4343, "Bob")
        await page.click("button[data-package=starter][data-method=telegram_stars]")
        await page.locator("#sandbox-invoice button", has_text="Cancel").click()
        await expect(page.locator("#status")).to_have_text("Payment cancelled.")
        await expect(page.locator("#balance")).to_have_text("0 credits")
        await expect(page.locator("#packages button").first).to_be_enabled()
    assert await balance(server, "4343") == 0


async def test_the_sandbox_mints_initdata_that_starport_accepts(server: Server) -> None:
    minted = await server.http.post("/sandbox/miniapp/init-data",
                                    json={"id": 4444, "firstName": "Cy"})
    init_data = minted.json()["initData"]

    own = await server.http.get("/api/users/4444/balance", headers=mini_app_auth(init_data))
    other = await server.http.get("/api/users/4545/balance", headers=mini_app_auth(init_data))

    assert minted.json()["user"] == {"id": 4444, "first_name": "Cy", "language_code": "en"}
    assert (own.status_code, own.json()["balance"]) == (200, 0)
    assert other.status_code == 403


async def test_beside_a_bot_token_of_its_own_the_page_asks_for_telegram(
        catalog: Path, tmp_path: Path) -> None:
    from playwright.async_api import expect

    async with running_server(catalog, sqlite_url(tmp_path), telegram_bot_token=OWN_TOKEN
                              ) as server, browser_page([]) as page:
        minted = await server.http.post("/sandbox/miniapp/init-data", json={"id": 1})
        await page.goto(f"{server.base_url}/miniapp/")
        await expect(page.locator("#status")).to_have_text(
            "Open this page from the bot in Telegram.", timeout=WAIT_MS)
    assert minted.status_code == 404


# What telegram-web-app.js gives a Mini App inside a Telegram client, reduced to what the page
# uses; the calls it gets are kept in window.calls.
TELEGRAM_SCRIPT = """
window.calls = [];
window.Telegram = {WebApp: {
  initData: %s, initDataUnsafe: {user: {id: 4646, first_name: "Dee"}}, platform: "android",
  ready() {}, expand() {},
  openInvoice(url, callback) { calls.push(["openInvoice", url]); callback("cancelled"); },
  openTelegramLink(url) { calls.push(["openTelegramLink", url]); },
  openLink(url) { calls.push(["openLink", url]); },
}};
"""


async def test_inside_telegram_the_page_uses_telegrams_webapp(server: Server) -> None:
    from playwright.async_api import expect

    init_data = server.init_data(4646, "Dee")
    script = TELEGRAM_SCRIPT % json.dumps(init_data)
    async with browser_page([]) as page:
        await page.route("https://telegram.org/js/telegram-web-app.js", lambda route: (
            route.fulfill(body=script, content_type="application/javascript")))
        await page.goto(f"{server.base_url}/miniapp/#tgWebAppData={quote(init_data)}"
                        "&tgWebAppVersion=9.0&tgWebAppPlatform=android")
        await expect(page.locator("#status")).to_have_text("Choose a package.", timeout=WAIT_MS)

        await page.click("button[data-package=starter][data-method=telegram_stars]")
        await expect(page.locator("#status")).to_have_text("Payment cancelled.")
        await page.click("button[data-package=starter][data-method=cryptopay]")
        await expect(page.locator("#status")).to_have_text("Waiting for the payment…")
        [invoice] = server.cryptopay.api.invoices.values()
        await server.cryptopay.pay(invoice.invoice_id)
        await expect(page.locator("#status")).to_have_text("Paid: 100 credits added.",
                                                           timeout=WAIT_MS)
        calls = await page.evaluate("window.calls")

    assert [name for name, _ in calls] == ["openInvoice", "openTelegramLink"]
    assert calls[0][1].startswith("https://t.me/$")  # the Stars invoice link
    assert calls[1][1] == invoice.mini_app_invoice_url  # Crypto Bot's Mini App
    assert await balance(server, "4646") == 100


async def test_in_the_sandbox_the_menu_button_opens_the_mini_app(catalog: Path,
                                                                 tmp_path: Path) -> None:
    page = "http://127.0.0.1:8000/miniapp/"
    async with running_server(catalog, sqlite_url(tmp_path), starport_miniapp_url=page
                              ) as server:
        button = await server.runtime.telegram.get_chat_menu_button()

    assert button == {"type": "web_app", "text": "Buy credits", "web_app": {"url": page}}
