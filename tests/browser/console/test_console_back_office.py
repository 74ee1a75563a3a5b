"""The back office in Chromium: a payment found by the payer's Telegram id, its whole story
before and after a refund (with who refunded it and why), the figures of the overview, a failed
outbox item tried again, and the audit trail. Screenshots go to docs/console/."""

from __future__ import annotations

from console_support import ANN, HostApp, buy_in_telegram, screenshot, sign_in
from features.drivers.http_server import Server
from playwright.async_api import Page, expect


async def test_a_payment_found_by_the_payers_telegram_id_tells_its_whole_story(
    page: Page, server: Server,
) -> None:
    session_id = await buy_in_telegram(server, "ann")
    await sign_in(page)

    await page.get_by_role("link", name="Payments").click()
    await page.get_by_label("Any id").fill(str(ANN))
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#payment-results")).to_contain_text(session_id)
    await screenshot(page, "payments-search")
    await page.get_by_role("link", name=session_id).click()

    await expect(page.locator("#payment-status")).to_have_text("paid")
    await expect(page.locator("#story-charges")).to_contain_text("credited")
    await expect(page.locator("#story-ledger")).to_contain_text("purchase")
    await expect(page.locator("#story-deliveries")).to_contain_text("credited")
    await expect(page.locator("#story-events")).to_contain_text("payment.succeeded")

    await page.get_by_role("link", name="Refund this payment…").click()
    await page.get_by_label("Reason").fill("charged twice, ticket #7")
    await page.get_by_role("button", name="Refund…").click()
    await page.get_by_role("button", name="Confirm the refund").click()
    await expect(page.locator("#refund-result")).to_contain_text("100 credits taken back")
    await page.goto(f"/admin/payments/{session_id}")

    await expect(page.locator("#payment-status")).to_have_text("refunded")
    await expect(page.locator("#story-refund")).to_contain_text("charged twice, ticket #7")
    await expect(page.locator("table.audit")).to_contain_text("refund_admin")
    await expect(page.locator("table.audit")).to_contain_text("admin")
    await screenshot(page, "payment-story")


async def test_the_overview_counts_payments_and_draws_revenue_per_day(
    page: Page, server: Server,
) -> None:
    await buy_in_telegram(server, "ann")
    await sign_in(page)

    await expect(page.locator("#stats")).to_contain_text("50 XTR (telegram_stars)")
    await expect(page.locator("#revenue-charts svg")).to_have_count(1)
    await screenshot(page, "overview-figures")


async def test_an_event_the_host_app_refused_is_retried_from_the_outbox_and_audited(
    page: Page, server: Server, host_app: HostApp,
) -> None:
    host_app.status = 503  # the host app is down: the payment's event waits for a retry
    await buy_in_telegram(server, "ann")
    host_app.status = 204
    await sign_in(page)

    await page.get_by_role("link", name="Outbox", exact=True).click()
    await page.get_by_label("Status").select_option("pending")
    await page.get_by_role("button", name="Show").click()
    await expect(page.locator("#outbox-items")).to_contain_text("PublishEvent")
    await screenshot(page, "outbox")
    await page.locator("#outbox-items").get_by_role("button", name="Retry").first.click()
    await expect(page.get_by_role("status")).to_contain_text("sent")
    assert host_app.received == ["payment.succeeded"]

    await page.get_by_role("link", name="Audit", exact=True).click()
    await expect(page.locator("#audit-trail")).to_contain_text("retry_outbox")
    await screenshot(page, "audit")
