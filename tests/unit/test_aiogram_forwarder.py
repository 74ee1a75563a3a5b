"""The aiogram forwarder's choices: which updates go to Starport and which stay with the host's
bot, what is sent, and what happens when Starport refuses or fails (Starport stubbed by httpx's
MockTransport; the journeys against a real Starport and the sandbox are in
tests/integration/aiogram)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Message, Update

from starport.integrations.aiogram import (
    PAYMENTS,
    PERKS,
    SECRET_HEADER,
    Forward,
    StarportForwarder,
    StarportUnreachable,
    forwarded_kind,
)

ANN = 1001
CHAT = {"id": ANN, "type": "private", "first_name": "Ann"}
FROM = {"id": ANN, "is_bot": False, "first_name": "Ann"}
PAID = {"currency": "XTR", "total_amount": 50, "invoice_payload": "s1",
        "telegram_payment_charge_id": "c1", "provider_payment_charge_id": ""}


def message(update_id: int = 1, chat: dict[str, Any] | None = None, **content: Any) -> Update:
    return Update.model_validate({"update_id": update_id, "message": {
        "message_id": 7, "date": 1_700_000_000, "chat": chat or CHAT, "from": FROM, **content}})


def other(**content: Any) -> Update:
    return Update.model_validate({"update_id": 1, **content})


MEMBER = {"chat": {"id": -100, "type": "channel", "title": "Patrons"}, "from": FROM,
          "date": 1_700_000_000,
          "old_chat_member": {"status": "left", "user": FROM},
          "new_chat_member": {"status": "member", "user": FROM}}


@pytest.mark.parametrize(("update", "kind"), [
    (message(text="/start pay_s1"), Forward.PAY_LINK),
    (message(text="/start@shop_bot pay_s1"), Forward.PAY_LINK),
    (message(text="/start link_t0k"), Forward.ACCOUNT_LINK),
    (message(successful_payment=PAID), Forward.SUCCESSFUL_PAYMENT),
    (message(refunded_payment={k: v for k, v in PAID.items()
                               if k != "provider_payment_charge_id"}),
     Forward.REFUNDED_PAYMENT),
    (other(pre_checkout_query={"id": "q1", "from": FROM, "currency": "XTR",
                               "total_amount": 50, "invoice_payload": "s1"}),
     Forward.PRE_CHECKOUT),
    (other(chat_member=MEMBER), Forward.CHAT_MEMBER),
    (other(chat_join_request={"chat": MEMBER["chat"], "from": FROM, "user_chat_id": ANN,
                              "date": 1_700_000_000}), Forward.JOIN_REQUEST),
    (message(text="/start"), None),
    (message(text="/start promo_5"), None),
    (message(text="/balance"), None),
    (message(text="pay_s1"), None),
    (message(text="/start pay_s1", chat={"id": -5, "type": "group", "title": "g"}), None),
    (other(callback_query={"id": "cb", "from": FROM, "chat_instance": "1", "data": "buy:x"}),
     None),
])
def test_what_starport_takes_and_what_stays_with_the_hosts_bot(update: Update,
                                                               kind: Forward | None) -> None:
    assert forwarded_kind(update) == kind


def test_the_update_types_telegram_must_send() -> None:
    assert StarportForwarder("http://s", None).update_types == ["message", "pre_checkout_query"]
    assert StarportForwarder("http://s", None, updates=PAYMENTS | PERKS).update_types == [
        "chat_join_request", "chat_member", "message", "pre_checkout_query"]


class Host:
    """A host's Dispatcher with the forwarder and one catch-all message handler."""

    def __init__(self, starport: Any, **options: Any) -> None:
        self.sent: list[httpx.Request] = []
        self.seen: list[Message] = []

        def respond(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return starport(request) if callable(starport) else starport

        client = httpx.AsyncClient(transport=httpx.MockTransport(respond))
        self.forwarder = StarportForwarder("http://starport.test/", "s3cret", client=client,
                                           backoff=0, **options)
        self.dp = Dispatcher()
        self.dp.update.outer_middleware(self.forwarder)
        self.dp.message.register(self.seen.append)
        self.bot = Bot("42:TEST-token-never-used-here")

    async def feed(self, update: Update) -> None:
        await self.dp.feed_update(self.bot, update)


async def test_a_payment_goes_to_starport_as_telegram_sent_it_and_is_consumed() -> None:
    host = Host(httpx.Response(200, json={"ok": True, "outcome": "credited"}))
    update = message(successful_payment={**PAID, "a_field_aiogram_lacks": 1})

    await host.feed(update)

    [request] = host.sent
    assert str(request.url) == "http://starport.test/api/telegram/webhook"
    assert request.headers[SECRET_HEADER] == "s3cret"
    body = json.loads(request.content)
    assert body["message"]["from"]["id"] == ANN  # Telegram's name, not aiogram's from_user
    assert body["message"]["successful_payment"]["a_field_aiogram_lacks"] == 1
    assert "edit_date" not in body["message"]  # aiogram's defaults are not added
    assert host.seen == []


async def test_other_messages_reach_the_hosts_handlers_and_not_starport() -> None:
    host = Host(httpx.Response(200, json={"ok": True}))

    await host.feed(message(text="/start"))
    await host.feed(message(text="hello"))

    assert host.sent == []
    assert [m.text for m in host.seen] == ["/start", "hello"]


async def test_with_consume_off_the_hosts_handlers_see_the_forwarded_update_too() -> None:
    host = Host(httpx.Response(200, json={"ok": True}), consume=False)

    await host.feed(message(text="/start pay_s1"))

    assert len(host.sent) == 1
    assert [m.text for m in host.seen] == ["/start pay_s1"]


async def test_an_update_not_chosen_is_left_to_the_host() -> None:
    host = Host(httpx.Response(200, json={"ok": True}),
                updates=PAYMENTS - {Forward.ACCOUNT_LINK})

    await host.feed(message(text="/start link_t0k"))

    assert host.sent == []
    assert [m.text for m in host.seen] == ["/start link_t0k"]


async def test_a_payment_for_the_hosts_own_invoice_stays_with_the_host() -> None:
    host = Host(httpx.Response(200, json={"ok": True, "outcome": "credited"}),
                is_starport_payload=lambda payload: not payload.startswith("host:"))

    await host.feed(message(successful_payment={**PAID, "invoice_payload": "host:gold"}))
    await host.feed(message(successful_payment=PAID))

    assert [json.loads(r.content)["message"]["successful_payment"]["invoice_payload"]
            for r in host.sent] == ["s1"]
    assert [m.successful_payment.invoice_payload for m in host.seen
            if m.successful_payment is not None] == ["host:gold"]


async def test_a_failing_starport_is_tried_again_until_it_takes_the_payment() -> None:
    answers = iter([httpx.Response(503, json={"error": "unavailable"}),
                    httpx.ConnectError("refused"),
                    httpx.Response(200, json={"ok": True, "outcome": "credited"})])

    def starport(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    host = Host(starport, attempts=3)

    await host.feed(message(successful_payment=PAID))

    assert len(host.sent) == 3
    assert host.seen == []


async def test_a_payment_starport_never_takes_is_raised_and_logged_with_the_update(
        caplog: pytest.LogCaptureFixture) -> None:
    host = Host(httpx.Response(503, json={"error": "unavailable"}), attempts=2)

    with pytest.raises(StarportUnreachable, match="HTTP 503"):
        await host.feed(message(update_id=77, successful_payment=PAID))

    assert len(host.sent) == 2
    [line] = [r for r in caplog.records if r.levelname == "CRITICAL"]
    assert "update 77 (successful_payment)" in line.getMessage()
    assert '"telegram_payment_charge_id":"c1"' in line.getMessage()  # enough to replay it
    assert "s3cret" not in line.getMessage()


async def test_a_refusal_by_starport_is_not_tried_again() -> None:
    host = Host(httpx.Response(403, json={"error": "forbidden"}), attempts=3)

    with pytest.raises(StarportUnreachable, match="HTTP 403"):
        await host.feed(message(successful_payment=PAID))

    assert len(host.sent) == 1
