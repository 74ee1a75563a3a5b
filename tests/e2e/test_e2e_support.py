"""Support that reaches a human, end to end: a buyer writes to the bot after /paysupport, the
message appears in the support group with who they are and what they paid, an agent replies to
it there, and the buyer reads the answer in the bot's chat; admins read the conversation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import create_session, start_parameter
from features.drivers.http_server import ADMIN_AUTH, Server, running_server

ANN, BEA, SUPPORT = 7_200_000_001, 7_200_000_009, -1_005_550_001


@pytest.fixture
async def server(catalog: Path, any_database: str) -> AsyncIterator[Server]:
    """Starport with a support chat, on SQLite, then on PostgreSQL."""
    async with running_server(catalog, any_database, starport_support_chat_id=SUPPORT
                              ) as started:
        yield started


def texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if "text" in m]


async def test_a_support_message_makes_the_round_trip(server: Server) -> None:
    actor = server.actor()
    actor.create_user(ANN, "Ann", "ann")
    actor.create_user(BEA, "Bea")
    actor.create_group(SUPPORT, "Shop support", members=(BEA,))  # the bot is a member
    bought = await create_session(server, "alice", "telegram")
    await actor.send_text(ANN, f"/start {start_parameter(bought)}")
    assert (await actor.pay_invoice(ANN)).ok

    await actor.send_text(ANN, "/paysupport")
    await actor.send_text(ANN, "The credits are there, but can I get a receipt?")
    await server.settle()
    [relay] = actor.messages(SUPPORT)
    server.advance(timedelta(minutes=3))  # the agent reads it
    answer = await actor.send_to_group(BEA, SUPPORT, "Sent to your e-mail.",
                                       reply_to_message_id=relay["message_id"])
    await server.settle()

    assert relay["text"].startswith(
        f"Support request from Ann (@ann), Telegram {ANN}, user alice\nRecent payments:\n")
    assert f"{bought['sessionId']} · starter · 50 ⭐ · telegram_stars · paid" in relay["text"]
    assert relay["text"].endswith("\n\nThe credits are there, but can I get a receipt?")
    assert answer is not None and answer.status == "delivered"
    assert answer.update["message"]["reply_to_message"]["message_id"] == relay["message_id"]
    assert texts(actor.messages(ANN))[-1] == "Support: Sent to your e-mail."
    listed = (await server.http.get("/api/admin/support/conversations",
                                    headers=ADMIN_AUTH)).json()["conversations"]
    [conversation] = listed
    detail = (await server.http.get(
        f"/api/admin/support/conversations/{conversation['conversationId']}",
        headers=ADMIN_AUTH)).json()
    assert [(m["direction"], m["senderTelegramId"], m["text"]) for m in detail["messages"]] == [
        ("in", ANN, "The credits are there, but can I get a receipt?"),
        ("out", BEA, "Sent to your e-mail.")]


async def test_the_agents_own_talk_never_reaches_a_user(server: Server) -> None:
    actor = server.actor()
    actor.create_user(ANN, "Ann")
    actor.create_user(BEA, "Bea")
    actor.create_group(SUPPORT, "Shop support", members=(BEA,))
    await actor.send_text(ANN, "/support")
    await actor.send_text(ANN, "Hello?")
    await server.settle()
    before = texts(actor.messages(ANN))

    unseen = await actor.send_to_group(BEA, SUPPORT, "Who takes this one?")  # privacy mode
    actor.set_bot_status(SUPPORT, "administrator")  # now the bot sees everything said there
    said = await actor.send_to_group(BEA, SUPPORT, "Lunch first")
    own = await actor.send_to_group(BEA, SUPPORT, "Then I will.",
                                    reply_to_message_id=said.update["message"]["message_id"]
                                    if said is not None else None)
    await server.settle()

    assert unseen is None
    assert said is not None and own is not None
    assert [d.status for d in (said, own)] == ["delivered", "delivered"]
    assert texts(actor.messages(ANN)) == before
