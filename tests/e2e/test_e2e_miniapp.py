"""The example Mini App at /miniapp/ in a real browser against the sandbox: the stand-in for
Telegram's WebApp gets signed initData, the page buys credits with Telegram Stars and with
Crypto Pay, and the host API agrees with the balance it shows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from browser import browser_page
from e2e_support import balance
from features.drivers.http_database import sqlite_url
from features.drivers.http_server import Server, mini_app_auth, running_server

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "miniapp" / "miniapp.png"
WAIT_MS = 15_000
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
