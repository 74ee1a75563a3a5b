"""The operator console over HTTP: who gets in, what a form needs, and that pages act through
the same use cases as the admin API (the browser journeys are in tests/browser/console)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from http_harness import ADMIN_TOKEN, Harness, make_config, make_harness, successful_payment

from starport.entrypoints.console import signin
from starport.entrypoints.console.throttle import MAX_FAILURES
from starport.entrypoints.jobs import registry

COOKIE = "starport_console"


@pytest.fixture(autouse=True)
def no_sign_in_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signin, "FAILURE_DELAY", 0)


async def sign_in(h: Harness, token: str = ADMIN_TOKEN) -> httpx.Response:
    return await h.client.post("/admin/sign-in", data={"token": token, "next": "/admin"})


def field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} in the page"
    return found.group(1)


async def csrf(h: Harness, path: str = "/admin/users/ann") -> str:
    return field((await h.client.get(path)).text, "csrf")


def notice(page: str) -> str:
    found = re.search(r'class="(?:notice|error)"[^>]*>\s*([^<]*)', page)
    return html.unescape(found.group(1).strip()) if found else ""


async def test_without_a_session_a_page_sends_to_sign_in_and_a_form_is_refused(
    h: Harness,
) -> None:
    page = await h.client.get("/admin/users/ann")
    form = await h.client.post("/admin/users/ann/adjust", data={
        "credits": "5", "reason": "x", "idempotencyKey": "k1"})

    assert page.status_code == 303
    assert page.headers["location"] == "/admin/sign-in?next=/admin/users/ann"
    assert form.status_code == 401
    assert await h.balance("ann") == 0


async def test_a_wrong_token_is_refused_and_an_admin_token_opens_a_strict_cookie(
    h: Harness,
) -> None:
    wrong = await sign_in(h, "not-the-token-0123456789")
    right = await sign_in(h)

    assert wrong.status_code == 401 and COOKIE not in wrong.headers.get("set-cookie", "")
    assert notice(wrong.text) == "This is not an admin token."
    assert right.status_code == 303 and right.headers["location"] == "/admin"
    cookie = right.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}=")
    for attribute in ("HttpOnly", "Path=/admin", "SameSite=strict", "Max-Age=28800"):
        assert attribute in cookie
    assert "Secure" not in cookie  # plain http on loopback
    overview = await h.client.get("/admin")
    assert overview.status_code == 200
    assert 'id="admin-name">admin<' in overview.text
    assert "default-src 'none'" in overview.headers["content-security-policy"]


async def test_behind_https_the_cookie_is_secure() -> None:
    h = make_harness(make_config(starport_public_url="https://pay.example.com"))
    async with h.client:
        response = await sign_in(h)

    assert "Secure" in response.headers["set-cookie"]


async def test_after_too_many_wrong_tokens_a_wrong_one_waits_and_the_right_one_gets_in(
) -> None:
    h = make_harness(make_config())
    async with h.client:
        for _ in range(MAX_FAILURES):
            assert (await sign_in(h, "wrong-token-0123456789abc")).status_code == 401
        locked = await sign_in(h, "another-wrong-token-0123456")
        admin = await sign_in(h)  # a stranger's guesses do not lock the admins out
        h.clock.advance(timedelta(minutes=16))
        later = await sign_in(h, "wrong-token-0123456789abc")

    assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text
    assert admin.status_code == 303
    assert later.status_code == 401  # the window has passed: counted again


async def test_sign_in_returns_to_a_console_page_only(h: Harness) -> None:
    inside = await h.client.post("/admin/sign-in", data={"token": ADMIN_TOKEN,
                                                         "next": "/admin/jobs"})
    elsewhere = await h.client.post("/admin/sign-in", data={"token": ADMIN_TOKEN,
                                                            "next": "https://evil.example"})
    scheme_relative = await h.client.post("/admin/sign-in", data={"token": ADMIN_TOKEN,
                                                                  "next": "//evil.example"})

    assert inside.headers["location"] == "/admin/jobs"
    assert elsewhere.headers["location"] == "/admin"
    assert scheme_relative.headers["location"] == "/admin"


async def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(h: Harness) -> None:
    await sign_in(h)
    token = await csrf(h)

    missing = await h.client.post("/admin/users/ann/adjust", data={
        "credits": "5", "reason": "x", "idempotencyKey": "k1"})
    forged = await h.client.post("/admin/users/ann/adjust", data={
        "csrf": token[:-2] + "xx", "credits": "5", "reason": "x", "idempotencyKey": "k2"})
    json_body = await h.client.post("/admin/users/ann/adjust", json={
        "csrf": token, "credits": "5", "reason": "x", "idempotencyKey": "k3"})

    assert [r.status_code for r in (missing, forged, json_body)] == [403, 403, 403]
    assert await h.balance("ann") == 0


async def test_an_adjustment_is_made_once_per_form_and_names_the_admin(h: Harness) -> None:
    await sign_in(h)
    page = (await h.client.get("/admin/users/ann")).text
    form = {"csrf": field(page, "csrf"), "idempotencyKey": field(page, "idempotencyKey"),
            "credits": "+40", "reason": "<b>goodwill</b>"}

    first = await h.client.post("/admin/users/ann/adjust", data=form)
    again = await h.client.post("/admin/users/ann/adjust", data=form)
    nothing = await h.client.post("/admin/users/ann/adjust", data=form | {
        "credits": "0", "idempotencyKey": "other"})

    assert notice(first.text) == "Adjusted by +40 credits. Balance: 40."
    assert notice(again.text).startswith("This adjustment was made before")
    assert nothing.status_code == 422
    assert await h.balance("ann") == 40
    assert "&lt;b&gt;goodwill&lt;/b&gt;" in first.text and "<b>goodwill" not in first.text
    assert 'id="balance">40<' in (await h.client.get("/admin/users/ann")).text


async def test_a_refund_asks_for_confirmation_before_it_is_made(h: Harness) -> None:
    session = await h.create_session("u1")
    await h.send_update(h.update(message=successful_payment(9, session["sessionId"], 50,
                                                            "c-1")))
    await sign_in(h)
    token = await csrf(h, f"/admin/payments?sessionId={session['sessionId']}")
    path = f"/admin/payments/{session['sessionId']}/refund"

    asked = await h.client.post(path, data={"csrf": token, "reason": "asked for it"})
    balance_when_asked = await h.balance("u1")
    done = await h.client.post(path, data={"csrf": token, "reason": "asked for it",
                                           "confirm": "yes"})

    assert "Confirm the refund" in asked.text and balance_when_asked == 100
    assert "100 credits taken back" in done.text
    assert h.stars.refunded == ["c-1"]
    assert await h.balance("u1") == 0


async def test_a_refusal_of_the_use_case_is_a_page_with_the_apis_status(h: Harness) -> None:
    await sign_in(h)
    token = await csrf(h, "/admin/messages/balance_info")

    unknown = await h.client.get("/admin/payments?sessionId=nope")
    bad_template = await h.client.post("/admin/messages/balance_info", data={
        "csrf": token, "template": "Left: {nope}", "parseMode": ""})

    assert unknown.status_code == 404 and "<html" in unknown.text
    assert bad_template.status_code == 422
    assert "unknown placeholders" in notice(bad_template.text)


async def test_a_session_ends_after_eight_idle_hours(h: Harness) -> None:
    await sign_in(h)
    h.clock.advance(timedelta(hours=7))
    used = await h.client.get("/admin")  # renews the idle time
    h.clock.advance(timedelta(hours=7))
    still = await h.client.get("/admin")
    h.clock.advance(timedelta(hours=8, seconds=1))
    idle = await h.client.get("/admin")

    assert (used.status_code, still.status_code) == (200, 200)
    assert idle.status_code == 303


async def test_a_signed_out_cookie_is_refused_even_when_sent_again(h: Harness) -> None:
    await sign_in(h)
    cookie = h.client.cookies[COOKIE]
    token = await csrf(h, "/admin")

    out = await h.client.post("/admin/sign-out", data={"csrf": token})
    h.client.cookies.set(COOKIE, cookie, path="/admin")
    replayed = await h.client.get("/admin")

    assert out.status_code == 303 and out.headers["location"] == "/admin/sign-in"
    assert 'Max-Age=0' in out.headers["set-cookie"]
    assert replayed.status_code == 303


async def test_without_admins_the_console_is_off() -> None:
    h = make_harness(make_config(starport_admin_token=None))
    async with h.client:
        page = await h.client.get("/admin/sign-in")

    assert page.status_code == 404


async def test_every_page_renders_for_a_signed_in_admin(h: Harness) -> None:
    await sign_in(h)
    pages = ["/admin", "/admin/payments", "/admin/users", "/admin/users/ann", "/admin/patrons",
             "/admin/messages", "/admin/messages/bot_welcome", "/admin/events",
             "/admin/events?status=failed", "/admin/jobs", "/admin/deliveries",
             "/admin/deliveries?sessionId=s1&source=telegram", "/admin/payments?q=ann",
             "/admin/payments?status=paid&provider=cryptopay", "/admin/outbox",
             "/admin/outbox?status=all", "/admin/audit", "/admin/audit?admin=admin"]

    answers = {path: (await h.client.get(path)).status_code for path in pages}
    css = await h.client.get("/admin/static/console.css")

    assert answers == dict.fromkeys(pages, 200)
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert (await h.client.get("/admin/static/../config.py")).status_code == 404


async def test_a_crypto_pay_refund_made_outside_is_recorded_and_a_stars_one_is_refused(
    h: Harness,
) -> None:
    session = await h.create_session("u1", "cryptopay")
    await h.send_cryptopay(h.invoice_paid(session))
    stars = await h.create_session("u2")
    await h.send_update(h.update(message=successful_payment(9, stars["sessionId"], 50, "c-1")))
    await sign_in(h)
    token = await csrf(h)

    done = await h.client.post(f"/admin/payments/{session['sessionId']}/refund", data={
        "csrf": token, "reason": "refunded in the dashboard", "outside": "on",
        "confirm": "yes"})

    refused = await h.client.post(f"/admin/payments/{stars['sessionId']}/refund", data={
        "csrf": token, "reason": "x", "outside": "on", "confirm": "yes"})

    assert "recorded as refunded" in done.text
    assert await h.balance("u1") == 0
    assert refused.status_code == 409 and "use the refund" in notice(refused.text)
    assert h.stars.refunded == [] and await h.balance("u2") == 100


async def test_a_message_saved_then_reset_is_back_to_the_shipped_text_with_both_in_history(
    h: Harness,
) -> None:
    await sign_in(h)
    token = await csrf(h, "/admin/messages/bot_welcome")

    await h.client.post("/admin/messages/bot_welcome", data={
        "csrf": token, "template": "Hi {first_name} & welcome", "parseMode": ""})
    reset = await h.client.post("/admin/messages/bot_welcome/reset", data={"csrf": token})

    assert notice(reset.text) == "Reset to the shipped text."
    history = reset.text[reset.text.index('id="history"'):]
    assert history.count("<td>admin</td>") == 2
    assert "Hi {first_name} &amp; welcome" in history
    listed = (await h.client.get("/admin/messages")).text
    assert "shipped text" in listed


async def test_a_patron_is_made_and_ended_from_the_console(h: Harness) -> None:
    await sign_in(h)
    token = await csrf(h, "/admin/patrons")

    made = await h.client.post("/admin/patrons", data={
        "csrf": token, "telegramUserId": "77", "userId": "p77", "until": "2030-02-01"})
    ended = await h.client.post("/admin/patrons/end", data={"csrf": token,
                                                            "telegramUserId": "77"})
    again = await h.client.post("/admin/patrons/end", data={"csrf": token,
                                                            "telegramUserId": "77"})
    bad = await h.client.post("/admin/patrons", data={"csrf": token, "telegramUserId": "-1"})

    assert notice(made.text).startswith("77 is a patron: invited with https://t.me/+")
    assert notice(ended.text) == "77 is a patron no more."
    assert notice(again.text) == "77's patronage had already ended."
    assert h.channel.revoked
    assert bad.status_code == 422


async def test_a_job_that_fails_shows_its_error_on_the_jobs_page(
    h: Harness, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> Any:
        raise RuntimeError("the provider is down")

    monkeypatch.setitem(registry.JOBS, "expire-sessions",
                        registry.Job("expire-sessions", broken, 60))
    await sign_in(h)
    token = await csrf(h, "/admin/jobs")

    failed = await h.client.post("/admin/jobs/expire-sessions/run", data={"csrf": token})
    unknown = await h.client.post("/admin/jobs/rm-rf/run", data={"csrf": token})

    assert failed.status_code == 500
    assert notice(failed.text) == ("expire-sessions failed: RuntimeError: the provider is "
                                   "down")
    assert "RuntimeError: the provider is down</td>" in failed.text  # the run's last error
    assert unknown.status_code == 404


async def test_a_payment_is_found_by_a_telegram_id_and_tells_its_story(h: Harness) -> None:
    await sign_in(h)
    session = await h.create_session("ann")
    await h.send_update(h.update(message=successful_payment(4242, session["sessionId"], 50,
                                                            "stx-story")))

    found = await h.client.get("/admin/payments?q=4242")
    story = await h.client.get(f"/admin/payments/{session['sessionId']}")

    assert f'href="/admin/payments/{session["sessionId"]}"' in found.text
    assert story.status_code == 200
    assert "stx-story" in story.text and "payment.succeeded" in story.text
    assert "credited" in story.text  # the delivery's outcome


async def test_a_failed_outbox_item_is_tried_again_from_the_console_and_audited(
    h: Harness,
) -> None:
    await sign_in(h)
    session = await h.create_session("ann")
    h.messenger.failures = 1  # the payment's confirmation fails once: it waits for a retry
    await h.send_update(h.update(message=successful_payment(4242, session["sessionId"], 50,
                                                            "stx-out")))
    page = await h.client.get("/admin/outbox?status=pending")
    item = re.search(r'action="/admin/outbox/([^"]+)/retry"', page.text)
    assert item, page.text

    retried = await h.client.post(f"/admin/outbox/{item.group(1)}/retry",
                                  data={"csrf": field(page.text, "csrf")})
    trail = await h.client.get("/admin/audit")

    assert "sent" in notice(retried.text), retried.text
    assert "retry_outbox" in trail.text and item.group(1) in trail.text


async def test_the_overview_shows_payments_and_revenue_per_period_and_a_chart(
    h: Harness,
) -> None:
    await sign_in(h)
    session = await h.create_session("ann")
    await h.send_update(h.update(message=successful_payment(4242, session["sessionId"], 50,
                                                            "stx-o")))

    page = (await h.client.get("/admin")).text

    stats = page[page.index('id="stats"'):page.index("</table>", page.index('id="stats"'))]
    assert stats.count("50 XTR (telegram_stars)") == 3  # today, 7 days, 30 days
    assert "Revenue in XTR via telegram_stars per day" in page and "<svg" in page


async def test_patrons_are_listed_invited_again_and_each_change_is_on_the_audit_trail(
    h: Harness,
) -> None:
    await sign_in(h)
    token = await csrf(h, "/admin/patrons")
    await h.client.post("/admin/patrons", data={"csrf": token, "telegramUserId": "78",
                                                "userId": "p78"})
    listed = await h.client.get("/admin/patrons")
    fresh = await h.client.post("/admin/patrons/invite", data={"csrf": token,
                                                               "telegramUserId": "78"})
    await h.client.post("/admin/patrons/end", data={"csrf": token, "telegramUserId": "78"})
    trail = (await h.client.get("/admin/audit?target=78")).text

    table = listed.text[listed.text.index('id="patrons"'):]
    assert ">78<" in table and "p78" in table and "Invite again" in table
    assert "needs no new invite" in notice(fresh.text)  # the first invite is still unused
    assert trail.index("end_patron") < trail.index("make_patron")  # newest first


async def test_a_message_is_previewed_and_saved_per_language_and_the_preview_runs_nothing(
    h: Harness,
) -> None:
    await sign_in(h)
    token = await csrf(h, "/admin/messages/bot_welcome?language=ru")
    hostile = '<b>Привет</b> <a href="javascript:alert(2)">x</a> {first_name}'

    preview = await h.client.post("/admin/messages/bot_welcome", data={
        "csrf": token, "language": "ru", "template": hostile, "parseMode": "HTML",
        "action": "preview"})
    broken = await h.client.post("/admin/messages/bot_welcome", data={
        "csrf": token, "language": "ru", "template": "Hi {first_name}.",
        "parseMode": "MarkdownV2", "action": "preview"})
    saved = await h.client.post("/admin/messages/bot_welcome", data={
        "csrf": token, "language": "ru", "template": "Привет, {first_name}!",
        "action": "save"})
    default = await h.client.get("/admin/messages/bot_welcome")
    bad = await h.client.get("/admin/messages/bot_welcome?language=not a language")

    scripted = await h.client.post("/admin/messages/bot_welcome", data={
        "csrf": token, "language": "ru", "template": "<script>alert(1)</script>",
        "parseMode": "HTML", "action": "preview"})
    shown = preview.text[preview.text.index('id="preview-text"'):]
    shown = shown[:shown.index("</div>")]
    assert "<b>Привет</b> x Ann" in shown and "javascript:" not in shown
    assert "does not accept the HTML tag &lt;script&gt;" in scripted.text
    assert "'.' is reserved" in html.unescape(broken.text)  # MarkdownV2 checked first
    assert notice(saved.text).startswith("Saved")
    assert "Привет, {first_name}!" in saved.text and 'id="texts"' in saved.text
    assert "Welcome, {first_name}!" in default.text  # the default language's own text
    assert bad.status_code == 422
