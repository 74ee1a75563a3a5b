"""Support through the webhook: /support opens a conversation, the user's messages reach the
support chat, an agent's reply to one reaches the user, and admins read it all."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from http_harness import (
    ADMIN,
    Harness,
    make_config,
    make_harness,
    outcome,
    private_message,
    successful_payment,
)

ANN, AGENT, SUPPORT = 5001, 6001, -1001234567890
OPEN = ("You are writing to support: send your question here, with the date and the amount of "
        "your payment, and an agent will answer in this chat. Send /done when you have finished "
        "(the conversation also ends after 24 hours without messages).")


def support_chat(harness: Harness, chat_id: int = SUPPORT) -> None:
    deps = harness.runtime.deps
    deps.settings = dataclasses.replace(deps.settings, support_chat_id=chat_id)


@pytest.fixture
async def s(h: Harness) -> Harness:
    support_chat(h)
    return h


def from_ann(text: str, **content: Any) -> dict[str, Any]:
    message = private_message(ANN, text, "Ann")
    message["from"].update(username="ann", last_name="Lee")
    if not text:
        del message["text"]
    return {**message, **content}


def in_support_chat(text: str, reply_to: int | None, chat_id: int = SUPPORT) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": 900, "date": 1767268800, "text": text,
        "from": {"id": AGENT, "is_bot": False, "first_name": "Bea"},
        "chat": {"id": chat_id, "type": "supergroup", "title": "Support"}}
    if reply_to is not None:
        message["reply_to_message"] = {
            "message_id": reply_to, "date": 1767268800, "text": "...",
            "chat": {"id": chat_id, "type": "supergroup", "title": "Support"}}
    return message


async def say(h: Harness, message: dict[str, Any]) -> str:
    return outcome(await h.send_update(h.update(message=message)))


def relayed(h: Harness) -> list[tuple[int, str]]:
    """(message id, text) of what reached the support chat (the fake's ids: its send count)."""
    return [(n, m.text) for n, m in enumerate(h.messenger.messages, 1) if m.chat_id == SUPPORT]


async def conversations(h: Harness, query: str = "") -> dict[str, Any]:
    response = await h.client.get(f"/api/admin/support/conversations{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


async def test_a_message_makes_the_round_trip_and_is_kept(s: Harness) -> None:
    session = await s.create_session("alice")
    await say(s, successful_payment(ANN, session["sessionId"], 50, "charge-1"))

    opened = await say(s, from_ann("/paysupport"))
    asked = await say(s, from_ann("I paid twice, please refund one"))
    [(relay_id, relay)] = relayed(s)
    answered = await say(s, in_support_chat("Refunded, sorry!", reply_to=relay_id))

    assert (opened, asked, answered) == ("support_opened", "support_relayed", "support_answered")
    assert relay.startswith("Support request from Ann Lee (@ann), Telegram 5001, user alice\n"
                            "Recent payments:\n")
    assert f"{session['sessionId']} · starter · 50 ⭐ · telegram_stars · paid" in relay
    assert relay.endswith("\n\nI paid twice, please refund one")
    assert s.messenger.texts_to(ANN)[-2:] == [OPEN, "Support: Refunded, sorry!"]
    [listed] = (await conversations(s))["conversations"]
    detail = (await s.client.get(
        f"/api/admin/support/conversations/{listed['conversationId']}", headers=ADMIN)).json()
    assert (listed["telegramUserId"], listed["username"], listed["open"]) == (ANN, "ann", True)
    assert [(m["direction"], m["senderName"], m["text"], m["supportMessageId"])
            for m in detail["messages"]] == [
        ("in", "Ann Lee", "I paid twice, please refund one", relay_id),
        ("out", "Bea", "Refunded, sorry!", None)]


async def test_what_is_not_a_reply_to_a_relayed_message_is_ignored(s: Harness) -> None:
    await say(s, from_ann("/support"))
    await say(s, from_ann("Hello?"))
    [(relay_id, _)] = relayed(s)
    sent = len(s.messenger.messages)

    outcomes = [
        await say(s, in_support_chat("Who is on duty?", reply_to=None)),
        await say(s, in_support_chat("Not that one", reply_to=relay_id + 100)),
        await say(s, in_support_chat("Another group", reply_to=relay_id, chat_id=SUPPORT - 1)),
        await say(s, in_support_chat("", reply_to=relay_id)),
    ]

    assert outcomes == ["ignored"] * 4
    assert len(s.messenger.messages) == sent


async def test_without_a_support_chat_nothing_is_relayed(h: Harness) -> None:
    await say(h, from_ann("/support"))
    written = await say(h, from_ann("Is anyone there?"))

    assert written == "ignored"
    assert h.messenger.texts_to(ANN) == [
        "Need help with a payment? Contact the seller in the app you bought from, with the date "
        "and the amount of your payment."]
    assert (await conversations(h))["conversations"] == []


async def test_outside_a_conversation_a_message_is_not_relayed(s: Harness) -> None:
    before = await say(s, from_ann("Hello?"))
    await say(s, from_ann("/support"))
    closed = await say(s, from_ann("/done"))
    after = await say(s, from_ann("One more thing"))

    assert (before, closed, after) == ("ignored", "support_closed", "ignored")
    assert relayed(s) == []
    assert s.messenger.texts_to(ANN)[-1] == ("Your conversation with support has ended. Send "
                                             "/support to write to us again.")
    [listed] = (await conversations(s))["conversations"]
    assert listed["open"] is False and listed["closedAt"] is not None


async def test_an_idle_conversation_ends_and_the_user_is_told_once(s: Harness) -> None:
    await say(s, from_ann("/support"))
    s.clock.advance(timedelta(hours=24))
    late = await say(s, from_ann("Still there?"))
    later = await say(s, from_ann("Hello?"))
    await say(s, from_ann("/support"))
    again = await say(s, from_ann("Starting over"))

    assert (late, later, again) == ("support_expired", "ignored", "support_relayed")
    assert [text.rsplit("\n", 1)[-1] for _, text in relayed(s)] == ["Starting over"]
    assert "ended after 24 hours without messages" in s.messenger.texts_to(ANN)[1]
    assert len((await conversations(s))["conversations"]) == 2


async def test_a_caption_is_relayed_and_the_user_told_what_was_not(s: Harness) -> None:
    await say(s, from_ann("/support"))
    photo = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
    captioned = await say(s, from_ann("", photo=photo, caption="My receipt"))
    sticker = await say(s, from_ann("", sticker={"file_id": "s"}))

    assert (captioned, sticker) == ("support_relayed", "support_text_only")
    [(_, text)] = relayed(s)
    assert text.endswith("My receipt\n[with a photo: not forwarded]")
    assert s.messenger.texts_to(ANN)[-1].startswith("Only text reaches support")


async def test_commands_keep_working_during_a_conversation(s: Harness) -> None:
    await say(s, from_ann("/support"))
    balance = await say(s, from_ann("/balance"))

    assert balance == "balance"
    assert relayed(s) == []
    assert s.messenger.texts_to(ANN)[-1].startswith("Your balance: 0 credits.")


async def test_conversations_are_paged_newest_first(s: Harness) -> None:
    for user in range(3):
        await say(s, private_message(ANN + user, "/support"))
        s.clock.advance(timedelta(minutes=1))

    first = await conversations(s, "?limit=2")
    second = await conversations(s, f"?limit=2&cursor={first['nextCursor']}")
    missing = await s.client.get("/api/admin/support/conversations/nope", headers=ADMIN)
    anonymous = await s.client.get("/api/admin/support/conversations")

    assert [c["telegramUserId"] for c in first["conversations"] + second["conversations"]] == [
        ANN + 2, ANN + 1, ANN]
    assert second["nextCursor"] is None
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        404, "conversation_not_found")
    assert anonymous.status_code == 401


@pytest.fixture
async def payments_mode() -> AsyncIterator[Harness]:
    harness = make_harness(make_config(starport_bot_mode="payments"))
    support_chat(harness)
    async with harness.client:
        yield harness


async def test_in_payments_mode_support_is_the_host_bots(payments_mode: Harness) -> None:
    h = payments_mode
    outcomes = [await say(h, from_ann("/support")), await say(h, from_ann("Hello?"))]

    assert outcomes == ["ignored", "ignored"]
    assert h.messenger.messages == []


async def test_a_support_group_that_became_a_supergroup_is_reported(s: Harness) -> None:
    migrated = {**in_support_chat("", reply_to=None), "migrate_to_chat_id": SUPPORT - 7}
    del migrated["text"]

    assert await say(s, migrated) == "support_chat_migrated"
    assert s.messenger.messages == []
