"""A bot message fixed in two languages from the browser: the preview shows it as the bot
would send it (a MarkdownV2 mistake named before it is saved), the bot then answers each user
in their language, and the history says who changed which language."""

from __future__ import annotations

from console_support import screenshot, sign_in
from features.drivers.http_server import Server
from playwright.async_api import Page, expect

IVAN, HANS = 7_600_000_001, 7_600_000_002


async def test_a_message_is_edited_in_two_languages_previewed_and_then_used_by_the_bot(
    page: Page, server: Server,
) -> None:
    await sign_in(page)
    await page.goto("/admin/messages/bot_welcome?language=ru")
    await expect(page.locator("#text-language")).to_contain_text("ru")
    text = page.get_by_role("textbox", name="Text")
    await text.fill("Привет, {first_name}! Купите кредиты: /buy.")
    await page.get_by_label("Parse mode").select_option("MarkdownV2")
    await page.get_by_role("button", name="Preview").click()
    await expect(page.locator("#preview-error")).to_contain_text("'!' is reserved")
    assert [m.get("text") for m in server.actor().messages(IVAN)] == []  # nothing saved yet

    await page.get_by_label("Parse mode").select_option("HTML")
    await text.fill("Привет, <b>{first_name}</b>! Купите кредиты: /buy")
    # The preview follows the typing (no click): rendered as the bot would send it.
    await expect(page.locator("#preview-text")).to_have_text("Привет, Ann! Купите кредиты: /buy")
    await expect(page.locator("#preview-text b")).to_have_count(1)
    await screenshot(page, "message-preview")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")

    await page.get_by_role("link", name="en (default)").click()
    await page.get_by_role("textbox", name="Text").fill("Welcome, {first_name}! /buy credits.")
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#texts")).to_contain_text("Привет")
    await expect(page.locator("#history")).to_contain_text("ru")
    await screenshot(page, "message-languages")

    actor = server.actor()
    actor.create_user(IVAN, "Ivan", language_code="ru")
    actor.create_user(HANS, "Hans", language_code="de")
    await actor.send_text(IVAN, "/start")
    await actor.send_text(HANS, "/start")
    await server.settle()

    assert actor.messages(IVAN)[-1]["text"] == "Привет, Ivan! Купите кредиты: /buy"
    assert actor.messages(HANS)[-1]["text"] == "Welcome, Hans! /buy credits."
