"""The admin API: refunds, bot messages, jobs and patrons."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from http_harness import ADMIN, SERVER, Harness, successful_payment

from starport.adapters.telegram.errors import TelegramRetryAfter


async def paid(h: Harness, user_id: str = "u1") -> str:
    session = await h.create_session(user_id)
    await h.send_update(h.update(message=successful_payment(9, session["sessionId"], 50, "c-1")))
    return session["sessionId"]


class TestRefunds:
    async def test_a_refund_takes_the_credits_back_once(self, h: Harness) -> None:
        session_id = await paid(h)

        first = await h.client.post(f"/api/admin/payments/{session_id}/refund", headers=ADMIN,
                                    json={"reason": "asked"})
        again = await h.client.post(f"/api/admin/payments/{session_id}/refund", headers=ADMIN,
                                    json={})

        assert first.json() == {"sessionId": session_id, "credits": 100, "debt": 0,
                                "alreadyRefunded": False}
        assert again.json()["alreadyRefunded"] is True
        assert h.stars.refunded == ["c-1"]
        assert await h.balance("u1") == 0

    async def test_a_refund_that_would_leave_a_debt_needs_allow_debt(self, h: Harness) -> None:
        session_id = await paid(h)
        await h.client.post("/api/users/u1/spend", headers=SERVER,
                            json={"credits": 60, "idempotencyKey": "k"})

        refused = await h.client.post(f"/api/admin/payments/{session_id}/refund",
                                      headers=ADMIN, json={})
        allowed = await h.client.post(f"/api/admin/payments/{session_id}/refund",
                                      headers=ADMIN, json={"allowDebt": True})

        assert refused.status_code == 409
        assert refused.json()["error"]["code"] == "insufficient_credits"
        assert allowed.json()["debt"] == 60
        balance = await h.client.get("/api/users/u1/balance", headers=SERVER)
        assert balance.json() == {"userId": "u1", "balance": -60, "debt": 60}

    async def test_an_unpaid_session_cannot_be_refunded(self, h: Harness) -> None:
        session = await h.create_session()
        response = await h.client.post(f"/api/admin/payments/{session['sessionId']}/refund",
                                       headers=ADMIN, json={})
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "refund_not_allowed"

    async def test_refunding_an_unknown_session_is_a_404(self, h: Harness) -> None:
        response = await h.client.post("/api/admin/payments/nope/refund", headers=ADMIN, json={})
        assert response.status_code == 404


class TestBotMessages:
    async def test_list_get_update_history_and_reset(self, h: Harness) -> None:
        listed = await h.client.get("/api/admin/bot-messages", headers=ADMIN)
        assert "bot_welcome" in {m["key"] for m in listed.json()}

        put = await h.client.put("/api/admin/bot-messages/bot_welcome", headers=ADMIN, json={
            "template": "Hi <b>{first_name}</b>!", "parseMode": "HTML"})
        assert put.status_code == 200, put.text
        assert put.json()["isDefault"] is False
        assert put.json()["updatedBy"] == "admin"

        got = await h.client.get("/api/admin/bot-messages/bot_welcome", headers=ADMIN)
        assert got.json()["template"] == "Hi <b>{first_name}</b>!"
        history = await h.client.get("/api/admin/bot-messages/bot_welcome/history",
                                     headers=ADMIN)
        assert history.json()[0]["current"] == "Hi <b>{first_name}</b>!"

        reset = await h.client.post("/api/admin/bot-messages/bot_welcome/reset", headers=ADMIN)
        assert reset.json()["isDefault"] is True

    @pytest.mark.parametrize(("body", "code"), [
        ({"template": "Hi {unknown}", "parseMode": None}, "invalid_template"),
        ({"template": "Hi", "parseMode": "Markdown2000"}, "invalid_template"),
        ({"template": ""}, "invalid_request"),
        ({"text": "Hi"}, "invalid_request"),
    ])
    async def test_an_invalid_template_is_a_422(self, h: Harness, body: dict, code: str) -> None:
        response = await h.client.put("/api/admin/bot-messages/bot_welcome", headers=ADMIN,
                                      json=body)
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code

    async def test_an_unknown_key_is_a_404(self, h: Harness) -> None:
        for response in (
            await h.client.get("/api/admin/bot-messages/nope", headers=ADMIN),
            await h.client.put("/api/admin/bot-messages/nope", headers=ADMIN,
                               json={"template": "x"}),
            await h.client.get("/api/admin/bot-messages/nope/history", headers=ADMIN),
        ):
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "unknown_message_key"


class TestBotMessagesInLanguages:
    async def test_a_text_per_language_the_default_one_without_a_language(self, h: Harness
                                                                            ) -> None:
        russian = await h.client.put("/api/admin/bot-messages/buy_menu?language=RU",
                                     headers=ADMIN, json={"template": "Выберите пакет:"})
        english = await h.client.put("/api/admin/bot-messages/buy_menu", headers=ADMIN,
                                     json={"template": "Pick one:"})
        assert russian.status_code == 200, russian.text
        assert (russian.json()["language"], russian.json()["template"]) == ("ru",
                                                                            "Выберите пакет:")
        assert english.json()["language"] == "en"

        german = await h.client.get("/api/admin/bot-messages/buy_menu?language=de",
                                    headers=ADMIN)
        body = german.json()
        assert (body["language"], body["template"], body["fallsBack"]) == ("de", "Pick one:",
                                                                           True)
        texts = {t["language"]: (t["template"], t["fallsBack"], t["updatedBy"])
                 for t in body["texts"]}
        assert texts == {"de": ("Pick one:", True, None), "en": ("Pick one:", False, "admin"),
                         "ru": ("Выберите пакет:", False, "admin")}
        plain = await h.client.get("/api/admin/bot-messages/buy_menu", headers=ADMIN)
        assert plain.json()["template"] == "Pick one:"

    async def test_reset_of_a_language_falls_back_and_the_history_names_languages(
            self, h: Harness) -> None:
        await h.client.put("/api/admin/bot-messages/terms_info?language=ru", headers=ADMIN,
                           json={"template": "Условия"})
        reset = await h.client.post("/api/admin/bot-messages/terms_info/reset?language=ru",
                                    headers=ADMIN)
        default = reset.json()["texts"][1]["template"]
        assert (reset.json()["template"], reset.json()["fallsBack"]) == (default, True)

        every = await h.client.get("/api/admin/bot-messages/terms_info/history",
                                   headers=ADMIN)
        english = await h.client.get("/api/admin/bot-messages/terms_info/history?language=en",
                                     headers=ADMIN)
        assert [(c["language"], c["previous"], c["current"]) for c in every.json()] == [
            ("ru", "Условия", default), ("ru", default, "Условия")]
        assert english.json() == []

    async def test_a_button_label_is_one_short_line_of_plain_text(self, h: Harness) -> None:
        too_long = await h.client.put("/api/admin/bot-messages/button_buy", headers=ADMIN,
                                      json={"template": "B" * 65})
        formatted = await h.client.put("/api/admin/bot-messages/button_buy", headers=ADMIN,
                                       json={"template": "<b>Buy</b>", "parseMode": "HTML"})
        fine = await h.client.put("/api/admin/bot-messages/button_buy?language=ru",
                                  headers=ADMIN, json={"template": "Купить кредиты"})
        assert [r.status_code for r in (too_long, formatted, fine)] == [422, 422, 200]
        assert "64" in too_long.json()["error"]["message"]
        assert (fine.json()["button"], fine.json()["maxLength"]) == (True, 64)

    async def test_a_malformed_language_is_a_422_and_changes_nothing(self, h: Harness
                                                                     ) -> None:
        response = await h.client.put("/api/admin/bot-messages/buy_menu?language=english!",
                                      headers=ADMIN, json={"template": "x"})
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_language"
        history = await h.client.get("/api/admin/bot-messages/buy_menu/history",
                                     headers=ADMIN)
        assert history.json() == []

    async def test_a_preview_renders_with_samples_or_says_what_and_where(self, h: Harness
                                                                         ) -> None:
        html = await h.client.post(
            "/api/admin/bot-messages/payment_success/preview", headers=ADMIN,
            json={"template": "<b>+{credits}</b> for {amount}", "parseMode": "HTML"})
        unescaped = "*\\+{credits}* credits for {amount}!"
        markdown = await h.client.post(
            "/api/admin/bot-messages/payment_success/preview", headers=ADMIN,
            json={"template": unescaped, "parseMode": "MarkdownV2"})
        assert html.json() == {"key": "payment_success", "language": "en", "parseMode": "HTML",
                               "ok": True, "text": "<b>+100</b> for 4.99 USD", "error": None}
        body = markdown.json()
        assert (body["ok"], body["text"]) == (False, None)
        assert body["error"].startswith(
            f"MarkdownV2, character {unescaped.index('!') + 1}: '!' is reserved"), body

    async def test_a_preview_without_a_template_shows_the_language_text_in_force(
            self, h: Harness) -> None:
        await h.client.put("/api/admin/bot-messages/payment_failed?language=ru",
                           headers=ADMIN, json={"template": "Платёж не принят: {reason}"})
        response = await h.client.post(
            "/api/admin/bot-messages/payment_failed/preview?language=ru-RU", headers=ADMIN)
        assert response.json()["text"] == "Платёж не принят: the price has changed"


class TestTheBotSpeaksTheBuyersLanguage:
    async def test_a_mini_app_buyer_paying_with_crypto_pay_is_thanked_in_their_language(
            self, h: Harness) -> None:
        # Given the confirmation in Russian, and a Mini App whose user's Telegram is Russian
        await h.client.put("/api/admin/bot-messages/payment_success?language=ru",
                           headers=ADMIN, json={"template": "Оплачено: +{credits}."})
        user = json.dumps({"id": 4242, "first_name": "Boris", "language_code": "ru"})
        created = await h.client.post(
            "/api/payments/create-session", headers=h.mini_app(4242, user=user),
            json={"packageId": "starter", "paymentMethod": "cryptopay"})
        assert created.status_code == 201, created.text
        # When Crypto Pay reports the payment (no Telegram update: no language of its own)
        paid = await h.send_cryptopay(h.invoice_paid(created.json()))
        # Then
        assert paid.json()["outcome"] == "credited"
        assert h.messenger.texts_to(4242)[-1] == "Оплачено: +100."

    async def test_a_payment_update_in_russian_is_answered_in_russian(self, h: Harness
                                                                      ) -> None:
        await h.client.put("/api/admin/bot-messages/payment_success?language=ru",
                           headers=ADMIN, json={"template": "Оплачено: +{credits}."})
        session = await h.create_session("u1")
        message = successful_payment(77, session["sessionId"], 50, "c-ru")
        message["from"]["language_code"] = "ru"

        await h.send_update(h.update(message=message))

        assert h.messenger.texts_to(77)[-1] == "Оплачено: +100."


class TestJobs:
    async def test_expire_sessions_reports_its_counts(self, h: Harness) -> None:
        await h.create_session()
        h.clock.advance(timedelta(hours=1))

        response = await h.client.post("/api/admin/jobs/expire-sessions/run", headers=ADMIN)

        assert response.json() == {"job": "expire-sessions", "counts": {"expired": 1}}

    @pytest.mark.parametrize("name", ["reconcile-telegram-stars", "reconcile-cryptopay",
                                      "dispatch-outbox", "check-memberships", "bulk-invite"])
    async def test_every_job_runs(self, h: Harness, name: str) -> None:
        response = await h.client.post(f"/api/admin/jobs/{name}/run", headers=ADMIN)
        assert response.status_code == 200
        assert response.json()["job"] == name

    async def test_the_job_table_shows_each_jobs_last_run(self, h: Harness) -> None:
        before = {j["name"]: j for j in (await h.client.get("/api/admin/jobs",
                                                            headers=ADMIN)).json()}
        assert before["expire-sessions"]["runs"] == 0
        assert before["expire-sessions"]["lastStartedAt"] is None
        await h.create_session()
        h.clock.advance(timedelta(hours=1))
        await h.client.post("/api/admin/jobs/expire-sessions/run", headers=ADMIN)

        after = {j["name"]: j for j in (await h.client.get("/api/admin/jobs",
                                                           headers=ADMIN)).json()}

        job = after["expire-sessions"]
        assert (job["runs"], job["failures"], job["lastCounts"]) == (1, 0, {"expired": 1})
        assert job["lastError"] is None and job["intervalSeconds"] == 60
        assert job["lastSuccessAt"] == job["lastFinishedAt"] == h.clock.now().isoformat()
        assert after["bulk-invite"]["intervalSeconds"] is None  # on demand only
        metrics = (await h.client.get("/metrics")).text
        assert 'starport_http_request_seconds_count{route="/api/admin/jobs"}' in metrics

    async def test_an_unknown_job_is_a_404(self, h: Harness) -> None:
        response = await h.client.post("/api/admin/jobs/rm-rf/run", headers=ADMIN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "unknown_job"


class TestPatrons:
    async def test_making_and_ending_a_patron(self, h: Harness) -> None:
        made = await h.client.post("/api/admin/patrons", headers=ADMIN, json={
            "telegramUserId": 77, "userId": "p77", "until": "2026-02-01T00:00:00Z"})
        assert made.status_code == 201, made.text
        assert made.json()["invite"]["link"].startswith("https://t.me/+")
        assert made.json()["until"] == "2026-02-01T00:00:00+00:00"

        ended = await h.client.delete("/api/admin/patrons/77", headers=ADMIN)
        assert ended.json() == {"telegramUserId": 77, "ended": True}
        assert h.channel.revoked  # the unused invite went with the patronage

    @pytest.mark.parametrize("body", [{"telegramUserId": "77"}, {"telegramUserId": -1},
                                      {"telegramUserId": 77, "until": "2026-02-01T00:00:00"}])
    async def test_invalid_patron_bodies_are_a_422(self, h: Harness, body: dict) -> None:
        response = await h.client.post("/api/admin/patrons", headers=ADMIN, json=body)
        assert response.status_code == 422

    async def test_ending_a_stranger_is_a_404(self, h: Harness) -> None:
        response = await h.client.delete("/api/admin/patrons/12345", headers=ADMIN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_a_patron"


async def test_a_flood_wait_telegram_keeps_up_is_a_503_with_its_wait(
        h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    async def flooded(channel_id: int, name: str, expires_at: object) -> str:
        raise TelegramRetryAfter("createChatInviteLink", 429, "Too Many Requests: retry after 7",
                                 {"retry_after": 7})

    monkeypatch.setattr(h.channel, "create_invite", flooded)

    response = await h.client.post("/api/admin/patrons", headers=ADMIN, json={
        "telegramUserId": 78, "userId": "p78"})

    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "telegram_flood_wait"
    assert response.headers["retry-after"] == "7"
