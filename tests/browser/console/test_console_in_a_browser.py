"""The operator console in Chromium against a running Starport with the sandbox Telegram and
Crypto Pay: sign in, refund, edit a bot message, adjust a balance, resend an event, run a job,
sign out; a form without its CSRF token and a request without a session are refused. Each page
is kept as a screenshot in docs/console/ for the README."""

from __future__ import annotations

from console_support import ANN, HostApp, balance, buy_in_telegram, screenshot, sign_in
from features.drivers.http_server import Server
from playwright.async_api import Page, expect


async def test_a_wrong_token_is_refused_and_an_admin_token_opens_the_console(
    page: Page, server: Server,
) -> None:
    await page.goto("/admin/jobs")
    await expect(page).to_have_url(f"{server.base_url}/admin/sign-in?next=/admin/jobs")
    await screenshot(page, "sign-in")

    await sign_in(page, "not-an-admin-token-0123456789")
    await expect(page.get_by_role("alert")).to_have_text("This is not an admin token.")

    await sign_in(page)
    await expect(page).to_have_url(f"{server.base_url}/admin")
    await expect(page.locator("#admin-name")).to_have_text("admin")
    await expect(page.get_by_role("navigation")).to_contain_text(
        "Overview Payments Users Patrons Bot messages Events Outbox Jobs Deliveries Audit")


async def test_a_request_without_a_session_or_a_form_without_its_csrf_token_is_refused(
    page: Page, server: Server,
) -> None:
    anonymous = await page.request.post("/admin/users/ann/adjust", form={
        "credits": "50", "reason": "free credits", "idempotencyKey": "k1"}, max_redirects=0)
    await sign_in(page)
    await page.goto("/admin/users/ann")
    forged = await page.request.post("/admin/users/ann/adjust", form={
        "credits": "50", "reason": "free credits", "idempotencyKey": "k2"})

    assert anonymous.status == 401
    assert forged.status == 403
    assert await balance(server, "ann") == 0
    await page.reload()
    await expect(page.locator("#balance")).to_have_text("0")


async def test_a_paid_session_is_found_by_its_id_refunded_with_a_reason_and_the_balance_shows_it(
    page: Page, server: Server,
) -> None:
    session_id = await buy_in_telegram(server, "ann")
    assert await balance(server, "ann") == 100
    await sign_in(page)

    await page.get_by_role("link", name="Payments").click()
    await page.get_by_label("Session id").fill(session_id)
    await page.get_by_role("button", name="Find").click()
    await expect(page.locator("#payment-status")).to_have_text("paid")
    await page.get_by_label("Reason").fill("the buyer asked, ticket #42")
    await screenshot(page, "payment")
    await page.get_by_role("button", name="Refund…").click()
    await expect(page.get_by_role("heading", name="Confirm the refund")).to_be_visible()
    assert await balance(server, "ann") == 100  # nothing happens before the confirmation
    await screenshot(page, "refund-confirm")
    await page.get_by_role("button", name="Confirm the refund").click()
    await expect(page.locator("#refund-result")).to_contain_text("100 credits taken back")
    await page.get_by_role("link", name="ann's balance and ledger").click()

    await expect(page.locator("#balance")).to_have_text("0")
    await expect(page.locator("#ledger")).to_contain_text("refund")
    assert await balance(server, "ann") == 0
    texts = [m.get("text", "") for m in server.actor().messages(ANN)]
    assert any(t.startswith("Your payment was refunded") for t in texts), texts


async def test_an_admin_adjusts_a_balance_once_however_often_the_form_is_sent(
    page: Page, server: Server,
) -> None:
    await sign_in(page)
    await page.get_by_role("link", name="Users").click()
    await page.get_by_label("User id").fill("bob")
    await page.get_by_role("button", name="Open").click()
    await page.get_by_label("Credits").fill("+25")
    await page.get_by_label("Reason").fill("goodwill after an outage")
    await page.get_by_role("button", name="Adjust").click()

    await expect(page.get_by_role("status")).to_have_text("Adjusted by +25 credits. Balance: 25.")
    await expect(page.locator("#balance")).to_have_text("25")
    await expect(page.locator("#ledger")).to_contain_text("goodwill after an outage")
    assert await balance(server, "bob") == 25
    await screenshot(page, "user")


async def test_an_edited_bot_message_is_what_the_bot_sends(page: Page, server: Server) -> None:
    await sign_in(page)
    await page.get_by_role("link", name="Bot messages").click()
    await screenshot(page, "messages")
    await page.get_by_role("link", name="balance_info").click()
    await page.get_by_role("textbox", name="Text").fill("You have {balance} credits left.")
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_role("status")).to_contain_text("Saved")
    await expect(page.locator("#history")).to_contain_text("admin")
    await screenshot(page, "message")

    actor = server.actor()
    actor.create_user(ANN, "Ann")
    await actor.send_text(ANN, "/balance")
    await server.settle()

    assert actor.messages(ANN)[-1]["text"] == "You have 0 credits left."


async def test_an_event_the_host_app_missed_is_sent_again(
    page: Page, server: Server, host_app: HostApp,
) -> None:
    host_app.status = 503  # the host app is down when the payment is made
    await buy_in_telegram(server, "ann")
    assert host_app.received == []
    host_app.status = 204  # and back
    await sign_in(page)

    await page.get_by_role("link", name="Events").click()
    await page.get_by_label("Status").select_option("pending")
    await page.get_by_role("button", name="Filter").click()
    row = page.locator("#events tbody tr", has_text="payment.succeeded")
    await expect(row.locator(".status")).to_have_text("pending")
    await row.get_by_role("button", name="Resend").click()

    await expect(page.get_by_role("status")).to_contain_text("delivered")
    assert host_app.received == ["payment.succeeded"]
    await page.get_by_label("Status").select_option("")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator("#events tbody tr .status")).to_have_text(["sent"])
    await screenshot(page, "events")
    await page.get_by_role("link", name="Overview").click()
    await expect(page.locator("#events-chart svg.chart rect.bar")).to_have_count(14)
    await screenshot(page, "overview")


async def test_a_job_runs_now_and_signing_out_ends_the_session(
    page: Page, server: Server,
) -> None:
    session_id = await buy_in_telegram(server, "ann")
    await sign_in(page)
    await page.get_by_role("link", name="Jobs").click()
    await page.locator("#job-expire-sessions").get_by_role("button", name="Run now").click()

    await expect(page.get_by_role("status")).to_contain_text("expire-sessions ran at admin's")
    await expect(page.locator("#job-expire-sessions .runs")).to_have_text("1")
    await screenshot(page, "jobs")
    await page.get_by_role("link", name="Deliveries").click()
    await page.get_by_label("Session id").fill(session_id)
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#deliveries")).to_contain_text("credited")
    await screenshot(page, "deliveries")
    await page.get_by_role("link", name="Patrons").click()
    await screenshot(page, "patrons")

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(f"{server.base_url}/admin/sign-in")
    await page.goto("/admin")
    await expect(page).to_have_url(f"{server.base_url}/admin/sign-in?next=/admin")
