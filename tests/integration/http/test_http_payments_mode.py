"""STARPORT_BOT_MODE=payments: beside a bot of the host's own, Starport answers payments, their
deep links, account links and refunds, and leaves every menu and command to the host's bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from http_harness import (
    Harness,
    make_config,
    make_harness,
    pre_checkout,
    private_message,
    successful_payment,
)

PAYER = 6006


@pytest.fixture
async def h() -> AsyncIterator[Harness]:
    harness = make_harness(make_config(starport_bot_mode="payments"))
    async with harness.client:
        yield harness


@pytest.mark.parametrize("text", ["/start", "/buy", "/balance", "/support", "/paysupport",
                                  "/terms"])
async def test_menus_and_commands_are_left_to_the_hosts_bot(h: Harness, text: str) -> None:
    response = await h.send_update(h.update(message=private_message(PAYER, text)))

    assert response.headers["X-Starport-Outcome"] == "ignored"
    assert h.messenger.texts_to(PAYER) == []


async def test_a_button_of_the_hosts_bot_is_not_answered(h: Harness) -> None:
    response = await h.send_update(h.update(callback_query={
        "id": "cb1", "from": {"id": PAYER, "is_bot": False, "first_name": "Ann"},
        "chat_instance": "x", "data": "menu:buy"}))

    assert response.headers["X-Starport-Outcome"] == "ignored"
    assert "method" not in response.json()  # no answerCallbackQuery in the response


async def test_a_purchase_through_the_deep_link_works_as_ever(h: Harness) -> None:
    session = await h.create_session("alice")
    sid = session["sessionId"]

    opened = await h.send_update(h.update(message=private_message(PAYER, f"/start pay_{sid}")))
    checked = await h.send_update(h.update(pre_checkout_query=pre_checkout("q1", PAYER, sid, 50)))
    paid = await h.send_update(h.update(message=successful_payment(PAYER, sid, 50, "c-pm")))

    assert opened.headers["X-Starport-Outcome"] == "deep_link"
    assert [i.payload for i in h.messenger.invoices] == [sid]
    assert checked.json()["ok"] is True
    assert paid.headers["X-Starport-Outcome"] == "credited"
