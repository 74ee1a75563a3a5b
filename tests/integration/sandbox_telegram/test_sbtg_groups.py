"""Groups: the bot posts as a member, and sees what members say as privacy mode has it."""

from __future__ import annotations

import httpx
import pytest

from starport.sandbox.telegram import Actor, SandboxError

from .conftest import BotApi, Receiver
from .test_sbtg_control import control

ANN, BEA, GROUP = 1, 2, -1005550001


@pytest.fixture
def group(actor: Actor) -> int:
    actor.create_user(ANN, "Ann")
    actor.create_user(BEA, "Bea")
    return actor.create_group(GROUP, "Support", members=(BEA,)).id


async def test_the_bot_posts_in_a_group_as_a_member(bot: BotApi, actor: Actor, group: int
                                                     ) -> None:
    sent = await bot.ok("sendMessage", chat_id=group, text="A question from Ann")
    member = await bot.ok("getChatMember", chat_id=group, user_id=BEA)
    actor.set_bot_status(group, "left")
    gone = await bot("sendMessage", chat_id=group, text="Still here?")

    assert sent["chat"] == {"id": group, "type": "supergroup", "title": "Support"}
    assert sent["from"]["id"] == actor.bot.user.id and "sender_chat" not in sent
    assert member["status"] == "member"
    assert (gone["error_code"], gone["description"]) == (
        403, "Forbidden: bot is not a member of the supergroup chat")
    assert actor.sandbox.result_violations == []


async def test_a_reply_to_the_bots_message_reaches_it_and_other_talk_does_not(
        bot: BotApi, actor: Actor, group: int, receiver: Receiver) -> None:
    sent = await bot.ok("sendMessage", chat_id=group, text="A question from Ann")

    reply = await actor.send_to_group(BEA, group, "Answered.",
                                      reply_to_message_id=sent["message_id"])
    talk = await actor.send_to_group(BEA, group, "Coffee?")
    to_talk = await actor.send_to_group(BEA, group, "Yes", reply_to_message_id=(
        actor.bot.inbox[group][-1]["message_id"]))
    command = await actor.send_to_group(BEA, group, "/help")

    assert reply is not None and reply.status == "delivered"
    assert (talk, to_talk) == (None, None)
    assert command is not None and command.status == "delivered"
    [answered, asked] = [u["message"] for u in receiver.updates]
    assert answered["reply_to_message"]["message_id"] == sent["message_id"]
    assert answered["reply_to_message"]["text"] == "A question from Ann"
    assert answered["from"]["id"] == BEA and answered["chat"]["type"] == "supergroup"
    assert asked["text"] == "/help" and "reply_to_message" not in asked
    assert actor.sandbox.result_violations == []


async def test_an_administrator_bot_sees_everything(actor: Actor, group: int,
                                                    receiver: Receiver) -> None:
    actor.set_bot_status(group, "administrator")
    seen = await actor.send_to_group(BEA, group, "Coffee?")
    assert seen is not None and receiver.updates[-1]["message"]["text"] == "Coffee?"


async def test_only_members_write_and_only_in_groups(actor: Actor, group: int) -> None:
    channel = actor.create_channel(title="Patrons").id
    with pytest.raises(SandboxError, match="USER_NOT_PARTICIPANT"):
        await actor.send_to_group(ANN, group, "Hi")
    with pytest.raises(SandboxError, match="is a channel"):
        await actor.send_to_group(BEA, channel, "Hi")
    with pytest.raises(SandboxError, match="no message 99"):
        await actor.send_to_group(BEA, group, "Hi", reply_to_message_id=99)


async def test_groups_through_the_control_routes(http: httpx.AsyncClient, base_url: str,
                                                 bot: BotApi) -> None:
    await control(http, base_url, "/users", {"id": 77, "first_name": "Bea"})
    made = await control(http, base_url, "/groups", {"id": GROUP, "title": "Support",
                                                     "members": [77]})
    sent = await bot.ok("sendMessage", chat_id=GROUP, text="A question")
    delivery = await control(http, base_url, f"/channels/{GROUP}/send", {
        "user_id": 77, "text": "Answered.", "reply_to_message_id": sent["message_id"]})
    unseen = await control(http, base_url, f"/channels/{GROUP}/send",
                           {"user_id": 77, "text": "Coffee?"})

    assert made == {"id": GROUP, "type": "supergroup", "title": "Support"}
    assert delivery["update"]["message"]["reply_to_message"]["message_id"] == sent["message_id"]
    assert unseen is None
