"""The Telegram webhook: only Telegram gets in, each update counts once, payments are never lost."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from http_harness import (
    BOT_USERNAME,
    CHANNEL_ID,
    Harness,
    make_config,
    make_harness,
    outcome,
    pre_checkout,
    private_message,
    successful_payment,
)

from starport.application import commands as c
from starport.application.messagebus import HANDLERS
from starport.entrypoints.container import _settings
from starport.entrypoints.telegram import router

PAYER = 5001


async def paid_stars_session(h: Harness, user_id: str = "u1") -> dict:
    session = await h.create_session(user_id)
    update = h.update(message=successful_payment(PAYER, session["sessionId"], 50, "charge-1"))
    response = await h.send_update(update)
    assert outcome(response) == "credited"
    return session


class TestSecret:
    @pytest.mark.parametrize("secret", [None, "", "wrong-secret", "tg-webhook-secret_012345678"])
    async def test_a_missing_or_wrong_secret_is_refused_without_effect(
            self, h: Harness, secret: str | None) -> None:
        session = await h.create_session()
        update = h.update(message=successful_payment(PAYER, session["sessionId"], 50, "c-1"))

        response = await h.send_update(update, secret=secret)

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "forbidden"
        assert await h.balance("u1") == 0
        assert h.entries() == 0

    async def test_without_a_configured_secret_every_update_is_refused(self) -> None:
        h = make_harness(make_config(telegram_webhook_secret=None))
        async with h.client:
            update = h.update(message=private_message(PAYER, "/start"))
            response = await h.send_update(update, secret="")
        assert response.status_code == 403
        assert h.messenger.messages == []

    async def test_in_sandbox_mode_a_missing_secret_is_tolerated(self) -> None:
        h = make_harness(make_config(starport_sandbox=True, telegram_webhook_secret=""))
        h.runtime.config.telegram_webhook_secret = None
        async with h.client:
            response = await h.send_update(h.update(message=private_message(PAYER, "/start")),
                                           secret=None)
        assert response.status_code == 200


class TestMalformed:
    @pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[1, 2"])
    async def test_malformed_json_is_a_400_not_a_500(self, h: Harness, body: bytes) -> None:
        response = await h.client.post("/api/telegram/webhook", content=body, headers={
            "X-Telegram-Bot-Api-Secret-Token": "tg-webhook-secret_0123456789"})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_update"
        assert "JSON" in response.json()["error"]["message"]

    async def test_json_nested_beyond_reason_is_a_400(self, h: Harness) -> None:
        body = b'{"update_id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        response = await h.client.post("/api/telegram/webhook", content=body, headers={
            "X-Telegram-Bot-Api-Secret-Token": "tg-webhook-secret_0123456789"})
        assert response.status_code == 400

    @pytest.mark.parametrize("update_id", [-1, 10**70])
    async def test_an_update_id_out_of_range_is_a_400(self, h: Harness, update_id: int) -> None:
        response = await h.send_update({"update_id": update_id,
                                        "message": private_message(PAYER, "/start")})
        assert response.status_code == 400
        assert h.messenger.messages == []

    @pytest.mark.parametrize("update", [
        [], "text", {"message": {}}, {"update_id": "7"},
        {"update_id": 7, "message": {"chat": {"id": 1}, "successful_payment": "x"}},
        {"update_id": 8, "pre_checkout_query": {"id": "q", "from": {"id": 1}}},
    ])
    async def test_a_malformed_update_is_a_400(self, h: Harness, update: object) -> None:
        response = await h.send_update(update)  # type: ignore[arg-type]
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "malformed_update"


class TestCommands:
    async def test_start_answers_the_welcome(self, h: Harness) -> None:
        response = await h.send_update(h.update(message=private_message(PAYER, "/start")))

        assert outcome(response) == "reply:bot_welcome"
        assert h.messenger.texts_to(PAYER) == [
            "Welcome, Ann! Buy credits with /buy and see them with /balance."]

    @pytest.mark.parametrize(("text", "starts"), [
        ("/terms", "Credits are digital goods"), ("/support", "Need help"),
        ("/paysupport", "Need help"), (f"/terms@{BOT_USERNAME}", "Credits are digital goods"),
    ])
    async def test_info_commands(self, h: Harness, text: str, starts: str) -> None:
        await h.send_update(h.update(message=private_message(PAYER, text)))
        assert h.messenger.texts_to(PAYER)[0].startswith(starts)

    async def test_support_says_where_to_write(self, h: Harness) -> None:
        config = make_config(starport_support_contact="@shop_help")
        h.runtime.deps.settings = _settings(config)  # as the container wires it
        await h.send_update(h.update(message=private_message(PAYER, "/paysupport")))
        assert h.messenger.texts_to(PAYER) == [
            "Need help with a payment? Contact @shop_help, with the date and the amount of your "
            "payment."]

    async def test_without_a_contact_support_still_says_where_to_turn(self, h: Harness) -> None:
        await h.send_update(h.update(message=private_message(PAYER, "/support")))
        assert h.messenger.texts_to(PAYER) == [
            "Need help with a payment? Contact the seller in the app you bought from, with the "
            "date and the amount of your payment."]

    async def test_the_same_command_delivered_twice_is_answered_once(self, h: Harness) -> None:
        update = h.update(message=private_message(PAYER, "/start"))
        first, again = await h.send_update(update), await h.send_update(update)
        assert (outcome(first), outcome(again)) == ("reply:bot_welcome", "duplicate")
        assert len(h.messenger.texts_to(PAYER)) == 1

    async def test_balance_is_the_telegram_users_own(self, h: Harness) -> None:
        await paid_stars_session(h, user_id=str(PAYER))

        await h.send_update(h.update(message=private_message(PAYER, "/balance")))

        reply = h.messenger.texts_to(PAYER)[-1]
        assert reply.startswith("Your balance: 100 credits.\n")
        assert reply.endswith("+100 credit package purchase")  # the last ledger entries follow

    async def test_a_command_to_another_bot_or_in_a_group_is_ignored(self, h: Harness) -> None:
        group = private_message(PAYER, "/balance")
        group["chat"] = {"id": -42, "type": "group"}
        for message in (private_message(PAYER, "/start@other_bot"), group,
                        private_message(PAYER, "hello")):
            response = await h.send_update(h.update(message=message))
            assert outcome(response) == "ignored"
        assert h.messenger.messages == []

    async def test_a_deep_link_sends_the_invoice(self, h: Harness) -> None:
        session = await h.create_session()

        response = await h.send_update(h.update(
            message=private_message(PAYER, f"/start pay_{session['sessionId']}")))

        assert outcome(response) == "deep_link"
        assert [i.payload for i in h.messenger.invoices] == [session["sessionId"]]
        assert (h.messenger.invoices[0].currency, h.messenger.invoices[0].amount) == ("XTR", 50)

    async def test_an_expired_deep_link_is_answered_200(self, h: Harness) -> None:
        session = await h.create_session()
        h.clock.advance(timedelta(hours=2))

        response = await h.send_update(h.update(
            message=private_message(PAYER, f"/start pay_{session['sessionId']}")))

        assert response.status_code == 200
        assert outcome(response) == "refused:session_expired"
        assert h.messenger.invoices == []

    async def test_an_unknown_update_type_is_ignored(self, h: Harness) -> None:
        response = await h.send_update(h.update(edited_message=private_message(PAYER, "x")))
        assert response.status_code == 200
        assert outcome(response) == "ignored"


class TestPayments:
    async def test_pre_checkout_at_the_right_price_is_accepted(self, h: Harness) -> None:
        session = await h.create_session()

        response = await h.send_update(h.update(
            pre_checkout_query=pre_checkout("q1", PAYER, session["sessionId"], 50)))

        assert outcome(response) == "pre_checkout_ok"
        # Answered in the response, which Telegram performs as the call; nothing else sent.
        assert response.json() == {"method": "answerPreCheckoutQuery",
                                   "pre_checkout_query_id": "q1", "ok": True}
        assert h.messenger.pre_checkout_answers == {}

    async def test_an_approved_pre_checkout_writes_nothing(self, h: Harness) -> None:
        session = await h.create_session()
        before = await h.stored_rows()

        await h.send_update(h.update(
            pre_checkout_query=pre_checkout("q1", PAYER, session["sessionId"], 50)))

        assert await h.stored_rows() == before

    @pytest.mark.parametrize(("total", "currency"), [(1, "XTR"), (49, "XTR"), (500, "XTR"),
                                                     (50, "USD")])
    async def test_a_tampered_amount_is_answered_not_ok(self, h: Harness, total: int,
                                                        currency: str) -> None:
        session = await h.create_session()

        response = await h.send_update(h.update(pre_checkout_query=pre_checkout(
            "q1", PAYER, session["sessionId"], total, currency)))

        assert outcome(response) == "pre_checkout_refused"
        answer = response.json()
        assert (answer["method"], answer["ok"]) == ("answerPreCheckoutQuery", False)
        assert answer["error_message"]  # an error text: Telegram will not charge
        assert h.entries() == 0

    async def test_successful_payment_credits_once(self, h: Harness) -> None:
        session = await h.create_session()
        update = h.update(message=successful_payment(PAYER, session["sessionId"], 50, "ch-1"))

        first = await h.send_update(update)
        replay = await h.send_update(update)
        again = await h.send_update(h.update(
            message=successful_payment(PAYER, session["sessionId"], 50, "ch-1")))

        assert outcome(first) == "credited"
        assert outcome(replay) == "duplicate"
        assert outcome(again) == "already_credited"
        assert await h.balance("u1") == 100
        assert h.entries() == 1
        assert "Payment received: 100 credits added" in h.messenger.texts_to(PAYER)[-1]

    async def test_a_payment_of_the_wrong_amount_is_not_credited(self, h: Harness) -> None:
        session = await h.create_session()
        response = await h.send_update(h.update(
            message=successful_payment(PAYER, session["sessionId"], 5, "ch-1")))
        assert outcome(response) == "rejected"
        assert await h.balance("u1") == 0

    async def test_refunded_payment_takes_the_credits_back(self, h: Harness) -> None:
        session = await paid_stars_session(h)
        message = private_message(PAYER, "")
        del message["text"]
        message["refunded_payment"] = {
            "currency": "XTR", "total_amount": 50, "invoice_payload": session["sessionId"],
            "telegram_payment_charge_id": "charge-1"}

        response = await h.send_update(h.update(message=message))

        assert outcome(response) == "refund_recorded"
        assert await h.balance("u1") == 0

    async def test_storage_down_is_a_5xx_so_telegram_retries(self, h: Harness) -> None:
        session = await h.create_session()
        update = h.update(message=successful_payment(PAYER, session["sessionId"], 50, "ch-1"))
        h.database.down = True

        response = await h.send_update(update)

        assert response.status_code == 503
        h.database.down = False
        retried = await h.send_update(update)
        assert outcome(retried) == "credited"
        assert await h.balance("u1") == 100


class TestChannel:
    def member_update(self, user: int, status: str, chat_id: int = CHANNEL_ID,
                      link: str | None = None) -> dict:
        person = {"id": user, "is_bot": False, "first_name": "Pat"}
        change = {"chat": {"id": chat_id, "type": "channel", "title": "Patrons"},
                  "from": person, "date": 1767268800,
                  "old_chat_member": {"status": "left", "user": person},
                  "new_chat_member": {"status": status, "user": person}}
        if link:
            change["invite_link"] = {"invite_link": link, "creates_join_request": False}
        return change

    async def test_a_patron_joining_gets_the_bonus_once(self, h: Harness) -> None:
        await h.client.post("/api/admin/patrons", json={"telegramUserId": 77, "userId": "p77"},
                            headers={"Authorization": "Bearer admin-token-0123456789abcdef"})
        link = next(iter(h.channel.links))

        joined = await h.send_update(h.update(chat_member=self.member_update(77, "member",
                                                                             link=link)))
        await h.send_update(h.update(chat_member=self.member_update(77, "left")))
        again = await h.send_update(h.update(chat_member=self.member_update(77, "member")))

        assert outcome(joined) == "bonus_granted"
        assert outcome(again) == "membership"
        assert await h.balance("p77") == 50

    async def test_another_chats_members_are_ignored(self, h: Harness) -> None:
        response = await h.send_update(h.update(chat_member=self.member_update(77, "member",
                                                                               chat_id=-1)))
        assert outcome(response) == "ignored"

    async def test_join_requests_are_approved_for_patrons_only(self, h: Harness) -> None:
        await h.client.post("/api/admin/patrons", json={"telegramUserId": 77},
                            headers={"Authorization": "Bearer admin-token-0123456789abcdef"})
        for user in (77, 78):
            request = {"chat": {"id": CHANNEL_ID, "type": "channel", "title": "Patrons"},
                       "from": {"id": user, "is_bot": False, "first_name": "X"},
                       "user_chat_id": user, "date": 1767268800}
            await h.send_update(h.update(chat_join_request=request))
        assert h.channel.join_answers == {77: True, 78: False}


class TestPreCheckoutDeadline:
    async def test_a_pre_checkout_not_decided_in_time_is_still_answered(
            self, h: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
        # Given storage so slow that deciding would outlast Telegram's patience
        async def stuck(deps: object, cmd: object) -> None:
            await asyncio.sleep(30)

        monkeypatch.setattr(router, "PRE_CHECKOUT_DEADLINE", 0.05)
        monkeypatch.setitem(HANDLERS, c.ValidatePreCheckout, stuck)
        session = await h.create_session()
        # When Telegram asks
        response = await h.send_update(h.update(
            pre_checkout_query=pre_checkout("q9", PAYER, session["sessionId"], 50)))
        # Then it gets an answer in time (a refusal it can show), not a hang nor a 5xx to retry
        assert response.status_code == 200
        answer = response.json()
        assert (answer["pre_checkout_query_id"], answer["ok"]) == ("q9", False)
        assert answer["error_message"] == router.LATE
        assert outcome(response) == "pre_checkout_refused"
